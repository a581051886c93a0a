"""Credentials from the kubeconfig never appear in exceptions, logs, descriptions or records: canary tokens are
planted, every failure path is driven, and everything the user could see is searched for them."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from opsready.config import load_config
from opsready.errors import OpsreadyError
from opsready.kubernetes.adapter import KubernetesTarget
from opsready.kubernetes.redaction import Redactor, secrets_in_kubeconfig
from opsready.targets.registry import open_target
from tests.unit.kubernetes.kubefake import CANARY_TOKEN, FakeCluster, write_config

CANARY_PASSWORD = "canary-pw-0b9d4e77a1"
CANARY_KEY = "Y2FuYXJ5LWtleS1kYXRhLTVkYTk="  # base64 of a fake client key
CANARIES = (CANARY_TOKEN, CANARY_PASSWORD, CANARY_KEY, "canary-pw-0b9d4e77a1"[:12])


def everything_visible(exc: BaseException) -> str:
    """What any reporter could show of an exception: str, repr, args, render, hint, the formatted chain."""
    parts = [str(exc), repr(exc), repr(exc.args), "".join(traceback.format_exception(exc))]
    if isinstance(exc, OpsreadyError):
        parts += [exc.render(), exc.hint or ""]
    seen = exc.__cause__ or exc.__context__
    while seen is not None:
        parts += [str(seen), repr(seen)]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


def assert_clean(text: str) -> None:
    """No canary in ``text``."""
    for canary in CANARIES:
        assert canary not in text, f"canary {canary!r} leaked: ...{text[max(0, text.find(canary) - 80) :][:200]}"


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every log record of every logger, down to DEBUG (urllib3 and the kubernetes client included)."""
    with caplog.at_level(logging.DEBUG):
        yield caplog
    assert_clean(caplog.text)


def test_the_canary_is_really_sent(cluster: FakeCluster, target: KubernetesTarget) -> None:
    """Guard against a vacuous test: the planted token does reach the server as the bearer credential."""
    target.current_release()
    assert cluster.requests()[0].authorization == f"Bearer {CANARY_TOKEN}"


def test_refusals_that_quote_the_request_are_redacted(
    cluster: FakeCluster, make_target: Callable[..., KubernetesTarget], logs: pytest.LogCaptureFixture
) -> None:
    """An admission webhook that echoes the Authorization header back: the error shows neither header nor token."""
    target = make_target(password=CANARY_PASSWORD, username="ops")
    cluster.set_admission(
        lambda seen: f"denied request with Authorization: {seen.authorization} (password {CANARY_PASSWORD})"
    )
    with pytest.raises(OpsreadyError) as failure:
        target.deploy("1.1.0", note="canary run")
    assert "denied request" in failure.value.message
    assert_clean(everything_visible(failure.value))


def test_rejected_credentials_are_not_repeated(
    cluster: FakeCluster, make_target: Callable[..., KubernetesTarget], tmp_path: Path, logs: pytest.LogCaptureFixture
) -> None:
    """A token the server does not accept (401): the error says so without the token."""
    target = make_target()
    cluster.call(lambda: setattr(cluster.api, "token", "another-token-entirely"))
    with pytest.raises(OpsreadyError, match="HTTP 401") as failure:
        target.instances()
    assert_clean(everything_visible(failure.value))


def test_an_unreachable_server_with_credentials_in_its_url(tmp_path: Path, logs: pytest.LogCaptureFixture) -> None:
    """A server URL with user:password and nothing listening: the connection error shows no password or token."""
    fake = FakeCluster(token=CANARY_TOKEN).start()
    url = fake.url
    fake.stop()  # nothing listens there any more
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        f"""\
apiVersion: v1
kind: Config
current-context: dead
clusters: [{{name: dead, cluster: {{server: "{url.replace("http://", f"http://ops:{CANARY_PASSWORD}@")}"}}}}]
contexts: [{{name: dead, context: {{cluster: dead, user: u}}}}]
users: [{{name: u, user: {{token: {CANARY_TOKEN}, client-key-data: {CANARY_KEY}}}}}]
"""
    )
    target = open_target(load_config(write_config(tmp_path, kubeconfig)), "k8s")
    with pytest.raises(OpsreadyError, match="cannot") as failure:
        target.history()
    assert_clean(everything_visible(failure.value))
    assert_clean(repr(target.describe()))


def test_a_broken_kubeconfig_is_reported_without_its_secrets(tmp_path: Path, logs: pytest.LogCaptureFixture) -> None:
    """An unknown context, then a user entry the client cannot load: neither error quotes the credentials."""
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        f"""\
apiVersion: v1
kind: Config
current-context: broken
clusters: [{{name: c, cluster: {{server: "https://127.0.0.1:9", certificate-authority-data: "not base64!"}}}}]
contexts: [{{name: broken, context: {{cluster: c, user: u}}}}]
users: [{{name: u, user: {{token: {CANARY_TOKEN}, password: {CANARY_PASSWORD}}}}}]
"""
    )
    config_path = write_config(tmp_path, kubeconfig)
    text = config_path.read_text().replace("platform: kubernetes", "platform: kubernetes\n    context: nope")
    config_path.write_text(text)
    with pytest.raises(OpsreadyError, match="context 'nope' is not defined") as missing:
        open_target(load_config(config_path), "k8s").history()
    assert missing.value.loc is not None and missing.value.loc.line == 6
    assert_clean(everything_visible(missing.value))
    config_path.write_text(text.replace("    context: nope\n", ""))
    with pytest.raises(OpsreadyError) as broken:
        open_target(load_config(config_path), "k8s").history()
    assert_clean(everything_visible(broken.value))


def test_describe_history_and_records_carry_no_credentials(
    cluster: FakeCluster, target: KubernetesTarget, logs: pytest.LogCaptureFixture
) -> None:
    """A full deploy and rollback, logged at DEBUG: descriptions, records and logs are clean."""
    records = [target.deploy("1.1.0", note="ok"), target.rollback("drill")]
    assert_clean(repr(target.describe()) + repr(records) + repr(target.history()) + repr(target.instances()))
    assert any("dry run accepted" in r.getMessage() for r in logs.records)


def test_the_redactor_masks_known_values_and_generic_shapes() -> None:
    """Exact kubeconfig values anywhere, and bearer tokens, Authorization headers, URL passwords, PEM keys."""
    kubeconfig = f"""\
users:
- name: a
  user:
    token: {CANARY_TOKEN}
    client-key-data: {CANARY_KEY}
    auth-provider: {{config: {{id-token: idtok-canary-1, refresh-token: refresh-canary-2}}}}
    exec: {{command: x, env: [{{name: SECRET, value: exec-canary-3}}]}}
"""
    redact = Redactor(secrets_in_kubeconfig(kubeconfig))
    text = (
        f"a {CANARY_TOKEN} b {CANARY_KEY} idtok-canary-1 refresh-canary-2 exec-canary-3 "
        "Authorization: Bearer runtime-token-xyz https://u:pw-canary-4@host/x bearer abcdefghijk "
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEsecret\n-----END RSA PRIVATE KEY-----"
    )
    masked = redact(text)
    for secret in (CANARY_TOKEN, CANARY_KEY, "idtok-canary-1", "refresh-canary-2", "exec-canary-3"):
        assert secret not in masked
    for secret in ("runtime-token-xyz", "pw-canary-4", "abcdefghijk", "MIIEsecret"):
        assert secret not in masked
    assert "Authorization: Bearer [REDACTED]" in masked
    assert "https://u:[REDACTED]@host/x" in masked
    assert redact(masked) == masked
