"""Refusals outside the allowlist: tricky namespaces and selectors are refused before any request reaches the
server; names are compared exactly (no case folding, trimming, Unicode or alias tricks)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from opsready.config import load_config
from opsready.errors import ConfigError, UsageError
from opsready.kubernetes.adapter import KubernetesTarget
from opsready.kubernetes.safety import Guard, check_namespace, parse_selector
from opsready.targets.registry import open_target
from tests.unit.kubernetes.kubefake import CANARY_TOKEN, IMAGE, FakeCluster, write_config

TARGET = """\
    namespace: {namespace}
    deployment: orders
    container: api
    image: registry.example/orders:{{version}}
    service_url: http://127.0.0.1:9
{extra}"""

# (namespace as YAML, allowlist as YAML, what the error says)
NAMESPACES = [
    ("kube-system", "[orders, kube-system]", "never allowed"),
    ("kube-public", "[orders, kube-public]", "never allowed"),
    ("kube-node-lease", "[kube-node-lease]", "never allowed"),
    ("default", "[orders]", "not in safety.kubernetes_namespaces"),
    ("Orders", "[orders]", "not a valid Kubernetes namespace"),
    ("ORDERS", "[ORDERS]", "not a valid Kubernetes namespace"),
    ("orders", "[Orders]", "not in safety.kubernetes_namespaces"),
    ('"orders "', "[orders]", "not a valid Kubernetes namespace"),
    ('" orders"', "[orders]", "not a valid Kubernetes namespace"),
    ('"orders\\n"', "[orders]", "not a valid Kubernetes namespace"),
    ('"orders\\t"', "[orders]", "not a valid Kubernetes namespace"),
    ('"orders\\u200b"', "[orders]", "not a valid Kubernetes namespace"),  # zero-width space
    ('"\\u043erders"', "[orders]", "not a valid Kubernetes namespace"),  # Cyrillic 'о'
    ('"\\uff4frders"', "[orders]", "not a valid Kubernetes namespace"),  # fullwidth 'ｏ'
    ('"*"', "[orders]", "not a valid Kubernetes namespace"),
    ('""', "[orders]", "not a valid Kubernetes namespace"),
    ("all", "[orders]", "not in safety.kubernetes_namespaces"),
    ("--all-namespaces", "[orders]", "not a valid Kubernetes namespace"),
    ("../kube-system", "[orders]", "not a valid Kubernetes namespace"),
    ("orders/../kube-system", "[orders]", "not a valid Kubernetes namespace"),
    ("orders%2F..%2Fkube-system", "[orders]", "not a valid Kubernetes namespace"),
    ("orders-staging", "[orders]", "not in safety.kubernetes_namespaces"),
    ("order", "[orders]", "not in safety.kubernetes_namespaces"),
    ("orders", "[]", "allowed: nothing"),
    ("orders", '["orders "]', "not in safety.kubernetes_namespaces"),
    ("123", "[orders]", "must be a string"),
    ("[orders]", "[orders]", "must be a string"),
    ("~", "[orders]", "must be a string"),  # YAML null
]

SELECTORS = [
    ('""', "empty label selector"),
    ('"  "', "empty label selector"),
    ('"!app"', "only excludes pods"),
    ('"app!=payments"', "only excludes pods"),
    ('"tier notin (db)"', "only excludes pods"),
    ('"app=orders,"', "cannot parse"),
    ('"app=orders&namespace=kube-system"', "cannot parse"),
    ('"app in (orders"', "cannot parse"),
    ('"app=orders;kubectl delete ns orders"', "cannot parse"),
    ('"app=orders\\u200b"', "not a valid label value"),  # zero-width space inside the value
    ('"app=ord ers"', "cannot parse"),
    ('"app in ()"', "needs values"),
    ('"app=-orders"', "not a valid label value"),
    ('"bad key=orders"', "cannot parse"),
    ('"a/b/c=orders"', "not a valid label key"),
]


def line_of(error: ConfigError, key: str) -> int:
    """The line of opsready.yaml where ``key`` is written (the line the error must point at)."""
    assert error.loc is not None
    lines = Path(error.loc.path).read_text().splitlines()
    return next(i for i, text in enumerate(lines, 1) if text.strip().startswith(key))


def _ids(cases: list[tuple[str, ...]]) -> list[str]:
    return [repr(c[0]) for c in cases]


@pytest.fixture(scope="module")
def shared() -> Iterator[FakeCluster]:
    """One fake cluster for the refusal cases (none of them may send it anything)."""
    fake = FakeCluster(namespace="orders", token=CANARY_TOKEN).start()
    try:
        fake.add_deployment("orders", IMAGE.format(version="1.0.0"))
        yield fake
    finally:
        fake.stop()


def refused(shared: FakeCluster, tmp_path: Path, target: str, safety: str = "[orders]") -> ConfigError:
    """Open a target on the shared cluster, use it, and return the ConfigError it must raise; no request sent."""
    before = len(shared.requests())
    config = load_config(write_config(tmp_path, shared.kubeconfig(tmp_path / "kubeconfig"), target, safety))
    with pytest.raises(ConfigError) as error:
        open_target(config, "k8s").deploy("1.1.0")
    assert len(shared.requests()) == before, "a request reached the server"
    return error.value


@pytest.mark.parametrize(("namespace", "allowlist", "says"), NAMESPACES, ids=_ids(NAMESPACES))
def test_namespace_outside_the_allowlist_is_refused_with_no_request(
    shared: FakeCluster, tmp_path: Path, namespace: str, allowlist: str, says: str
) -> None:
    """Each case is a ConfigError at the namespace's line, and the server sees no request at all."""
    error = refused(shared, tmp_path, TARGET.format(namespace=namespace, extra=""), safety=allowlist)
    assert says in error.message
    assert error.loc is not None and error.loc.line == line_of(error, "namespace:")


@pytest.mark.parametrize(("selector", "says"), SELECTORS, ids=_ids(SELECTORS))
def test_selectors_that_select_too_much_or_do_not_parse_are_refused(
    shared: FakeCluster, tmp_path: Path, selector: str, says: str
) -> None:
    """Empty, negative-only and malformed selectors are ConfigErrors at their line; nothing reaches the server."""
    error = refused(shared, tmp_path, TARGET.format(namespace="orders", extra=f"    selector: {selector}\n"))
    assert says in error.message
    assert error.loc is not None and error.loc.line == line_of(error, "selector:")


def test_a_selector_that_misses_the_deployments_pods_is_refused_before_any_change(
    cluster: FakeCluster, make_target: Callable[..., KubernetesTarget]
) -> None:
    """A valid selector for other pods is refused at first use (a read); no fault touches anything."""
    from opsready.targets.faults import FaultSpec

    target = make_target(TARGET.format(namespace="orders", extra="    selector: app=payments\n"))
    with pytest.raises(UsageError, match="does not select the pods"):
        target.instances()
    spec = FaultSpec("pod-terminate", (("deployment", "orders"), ("count", 1), ("grace_seconds", 0)), 30)
    with pytest.raises(UsageError, match="does not select the pods"):
        target.fault(spec, "f").prepare()
    assert cluster.mutating() == []


def test_the_contexts_own_namespace_is_never_used(cluster: FakeCluster, target: KubernetesTarget) -> None:
    """The kubeconfig context says kube-system; every namespaced request still goes to the configured one."""
    target.deploy("1.1.0")
    target.instances()
    paths = [s.path for s in cluster.requests() if "/namespaces/" in s.path]
    assert paths and all("/namespaces/orders/" in p for p in paths)
    reviews = [s for s in cluster.requests() if "selfsubjectaccessreviews" in s.path]
    assert reviews and all(s.body["spec"]["resourceAttributes"]["namespace"] == "orders" for s in reviews)


def test_names_with_path_tricks_are_refused(cluster: FakeCluster, make_target: Callable[..., KubernetesTarget]) -> None:
    """Deployment and container names are DNS names: '/', '..', upper case are refused at their line."""
    for name in ("orders/../payments", "..", "Orders", "orders%2Fx"):
        text = TARGET.format(namespace="orders", extra="").replace(
            "deployment: orders", f"deployment: {json.dumps(name)}"
        )
        with pytest.raises(ConfigError, match="not a valid Kubernetes object name"):
            make_target(text)
    assert cluster.requests() == []


def test_the_guard_refuses_any_other_namespace_at_mutation_time() -> None:
    """Defence in depth: even a client built for 'orders' refuses a mutation aimed elsewhere."""
    guard = Guard("orders", ("orders", "payments"))
    guard.check("orders")
    for other in ("payments", "kube-system", "Orders", "orders "):
        with pytest.raises(UsageError):
            guard.check(other)
    with pytest.raises(UsageError, match="never allowed"):
        Guard("kube-system", ("kube-system",))


def test_exact_comparison_accepts_only_the_listed_name() -> None:
    """The one name that passes is exactly the listed one."""
    assert check_namespace("orders", ("orders",)) == "orders"
    assert parse_selector("app=orders, tier in (web, api), !legacy").matches({"app": "orders", "tier": "web"})
    assert not parse_selector("app=orders,!legacy").matches({"app": "orders", "legacy": "1"})
