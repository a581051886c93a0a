"""A target's `monitoring:` setting: URLs, permissions and component matchers parse into typed values; each mistake
is a ConfigError at its line; the sandbox refuses a mapping; silences are refused unless allowed, naming the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsready.config import load_config
from opsready.config.monitoring import Matcher, default_matchers, parse_matcher
from opsready.errors import ConfigError, ValidationError
from opsready.monitoring.silences import ConfiguredMonitoring, silence_access
from opsready.targets.registry import open_target

BASE = """\
version: 1
targets:
  prod:
    platform: kubernetes
    namespace: orders
    deployment: orders-api
    container: api
    image: registry.example/orders:{{version}}
    service_url: http://127.0.0.1:8080
    monitoring:
{body}safety:
  kubernetes_namespaces: [orders]
"""
URLS = "      prometheus: http://prom.example:9090/\n      alertmanager: https://am.example\n"


def load(tmp_path: Path, body: str) -> object:
    path = tmp_path / "opsready.yaml"
    path.write_text(BASE.format(body=body))
    return open_target(load_config(path), "prod")


def test_urls_alone_are_read_only(tmp_path: Path) -> None:
    """Endpoints without a trailing slash, no receiver port, silences refused with the setting's place."""
    target = load(tmp_path, URLS)
    assert isinstance(target, ConfiguredMonitoring)
    endpoints = target.monitoring()
    assert endpoints is not None
    assert (endpoints.prometheus, endpoints.alertmanager, endpoints.receiver_port) == (
        "http://prom.example:9090",
        "https://am.example",
        None,
    )
    allowed, why = silence_access(target)
    assert allowed is None
    assert why == (
        "target 'prod' allows no silences on its Alertmanager (read-only by default): add 'silences' to "
        f"targets.prod.monitoring.allow ({tmp_path / 'opsready.yaml'}:11) to allow them"
    )
    assert target.silence_matchers("database") == (Matcher("component", "database"),)


def test_allow_silences_and_the_receiver_with_component_matchers(tmp_path: Path) -> None:
    """allow: [silences, receiver] with its port; configured matchers replace the default for their component."""
    body = URLS + (
        "      allow: [silences, receiver]\n      receiver_port: 9099\n"
        "      components:\n        database: ['job=~\"postgres|pgbouncer\"', 'env!=\"dev\"']\n"
    )
    target = load(tmp_path, body)
    assert isinstance(target, ConfiguredMonitoring)
    assert silence_access(target) == (target.monitoring(), "")
    assert target.monitoring().receiver_port == 9099  # type: ignore[union-attr]
    assert target.monitoring().receiver_address == "127.0.0.1"  # type: ignore[union-attr]
    elsewhere = load(
        tmp_path, body.replace("receiver_port: 9099\n", "receiver_port: 9099\n      receiver_address: 0.0.0.0\n")
    )
    assert elsewhere.monitoring().receiver_address == "0.0.0.0"  # type: ignore[attr-defined]
    assert target.silence_matchers("database") == (
        Matcher("job", "postgres|pgbouncer", is_regex=True),
        Matcher("env", "dev", is_equal=False),
    )
    assert target.silence_matchers("api") == default_matchers("api")


@pytest.mark.parametrize(
    ("body", "line", "says"),
    [
        ("      prometheus: http://prom.example:9090\n", 11, "missing required key 'alertmanager'"),
        (URLS.replace("http://prom.example:9090/", "prom.example:9090"), 11, "'prometheus' must be an http(s) URL"),
        (URLS.replace("https://am.example", "https://u:pw@am.example"), 12, "without credentials"),
        (URLS + "      allow: [silence]\n", 13, "'allow' takes silences, receiver; got 'silence'"),
        (URLS + "      receiver_port: 9099\n", 13, "add 'receiver' to 'allow'"),
        (URLS + "      allow: [receiver]\n", 13, "needs 'receiver_port'"),
        (URLS + "      allow: [receiver]\n      receiver_port: 70000\n", 14, "must be a TCP port"),
        (URLS + "      components: {db: ['job=\"pg\"']}\n", 13, "unknown component 'db'"),
        (URLS + "      components: {database: ['job=pg']}\n", 13, "is not an Alertmanager matcher"),
        (URLS + "      components: {database: ['job=~\"(\"']}\n", 13, "does not compile"),
        (URLS + "      components: {database: []}\n", 13, "needs at least one matcher"),
        (URLS + "      alertmanger: x\n", 13, "unknown key 'alertmanger'"),
        (
            URLS + "      allow: [receiver]\n      receiver_port: 9099\n      receiver_address: am-host\n",
            15,
            "'receiver_address' must be an IP address",
        ),
        (URLS + "      receiver_address: 0.0.0.0\n", 13, "'receiver_address' needs 'receiver_port'"),
    ],
)
def test_mistakes_are_config_errors_at_their_line(tmp_path: Path, body: str, line: int, says: str) -> None:
    """Each mistake names itself and its line, before anything is contacted."""
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, body)
    assert caught.value.loc is not None and caught.value.loc.line == line, caught.value
    assert says in caught.value.message


def test_the_sandbox_refuses_a_mapping_and_keeps_its_own_mode(tmp_path: Path) -> None:
    """The sandbox runs its own monitoring: a mapping of URLs is refused at its line; `monitoring: off` still parses."""
    path = tmp_path / "opsready.yaml"
    path.write_text(
        "version: 1\ntargets:\n  sandbox:\n    platform: sandbox\n"
        "    monitoring: {prometheus: 'http://a:1', alertmanager: 'http://b:2'}\n"
    )
    with pytest.raises(ConfigError) as caught:
        open_target(load_config(path), "sandbox")
    assert caught.value.loc is not None and caught.value.loc.line == 5
    assert "runs its own Prometheus and Alertmanager" in caught.value.message
    path.write_text("version: 1\ntargets:\n  sandbox:\n    platform: sandbox\n    monitoring: 'off'\n")
    assert load_config(path).target().monitoring is None


@pytest.mark.parametrize(
    ("text", "matcher"),
    [
        ('job="api"', Matcher("job", "api")),
        ('job=~"postgres|db_proxy"', Matcher("job", "postgres|db_proxy", is_regex=True)),
        (' env != "dev" ', Matcher("env", "dev", is_equal=False)),
        ('instance!~"10\\..*"', Matcher("instance", "10\\..*", is_regex=True, is_equal=False)),
        ('summary="say \\"hi\\""', Matcher("summary", 'say "hi"')),
    ],
)
def test_matchers_parse_and_print_in_alertmanagers_notation(text: str, matcher: Matcher) -> None:
    """Each operator, spaces around it, escaped quotes; to_api is Alertmanager v2's shape."""
    assert parse_matcher(text) == matcher
    assert matcher.to_api() == {
        "name": matcher.name,
        "value": matcher.value,
        "isRegex": matcher.is_regex,
        "isEqual": matcher.is_equal,
    }
    if '\\"' not in text:
        assert parse_matcher(matcher.describe()) == matcher


@pytest.mark.parametrize("text", ["job", "job=api", '="api"', 'job=="api"', '1job="x"'])
def test_bad_matchers_are_refused(text: str) -> None:
    """Not Alertmanager's notation: refused with an example of it."""
    with pytest.raises(ValidationError, match="not an Alertmanager matcher"):
        parse_matcher(text)
