"""Options of a kubernetes target (every mistake at its line, before any request) and kubectl's rollout-status rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsready.config import load_config
from opsready.errors import ConfigError
from opsready.kubernetes.models import deployment_from
from opsready.kubernetes.options import parse_options
from opsready.kubernetes.rollout import rollout_status

BASE = """\
version: 1
targets:
  k8s:
    platform: kubernetes
    namespace: orders
{body}safety:
  kubernetes_namespaces: [orders]
"""
GOOD = """\
    deployment: orders-api
    container: api
    image: registry.example/orders:{version}
    service_url: http://127.0.0.1:8080
"""


def load(tmp_path: Path, body: str) -> object:
    path = tmp_path / "opsready.yaml"
    path.write_text(BASE.format(body=body))
    config = load_config(path)
    return parse_options(config, config.target("k8s"))


def test_good_options_are_typed_with_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Defaults: 10 minute rollout bound, 1 s polling, roll back a failed rollout, $KUBECONFIG."""
    monkeypatch.setenv("KUBECONFIG", f"/a/config{':'}/b/config")
    options = load(tmp_path, GOOD)
    assert options.primary.image_for("1.1.0") == "registry.example/orders:1.1.0"  # type: ignore[attr-defined]
    assert options.primary.version_of("registry.example/orders:1.3.0-rc1") == "1.3.0-rc1"  # type: ignore[attr-defined]
    assert options.primary.version_of("other/orders:1.0.0") is None  # type: ignore[attr-defined]
    assert (options.rollout_timeout, options.poll_interval, options.on_failed_rollout) == (600.0, 1.0, "rollback")  # type: ignore[attr-defined]
    assert options.kubeconfig_paths() == (Path("/a/config"), Path("/b/config"))  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("body", "line", "says"),
    [
        (GOOD.replace("{version}", "latest"), 8, "'{version}' exactly once"),
        (GOOD.replace(":{version}", ":{version}-{version}"), 8, "'{version}' exactly once"),
        (GOOD + "    port_forward: 80\n", 10, "either 'service_url' or 'port_forward'"),
        (GOOD.replace("    service_url: http://127.0.0.1:8080\n", ""), 4, "'service_url' or 'port_forward'"),
        (GOOD.replace("service_url: http://127.0.0.1:8080", "port_forward: 80"), 9, "needs 'service'"),
        (GOOD.replace("http://127.0.0.1:8080", "http://user:pw@orders"), 9, "without credentials"),
        (GOOD + "    releases: [1.0.0, 'bad tag!']\n", 10, "cannot be an image tag"),
        (GOOD + "    deployments: []\n", 6, "either 'deployment' or 'deployments'"),
        (GOOD + "    rollout_timeout: soon\n", 10, "bad duration"),
        (GOOD + "    on_failed_rollout: pray\n", 10, "must be one of rollback, leave"),
        (GOOD + "    contxt: kind\n", 10, "unknown key 'contxt' (did you mean 'context'?)"),
        (GOOD.replace("container: api", "container: API"), 7, "not a valid Kubernetes object name"),
        (GOOD + "    init_containers: [Migrate]\n", 10, "not a valid Kubernetes object name"),
    ],
)
def test_mistakes_are_config_errors_at_their_line(tmp_path: Path, body: str, line: int, says: str) -> None:
    """Each mistake names itself and its line of opsready.yaml."""
    with pytest.raises(ConfigError) as error:
        load(tmp_path, body)
    assert says in error.value.message
    assert error.value.loc is not None and error.value.loc.line == line


def test_several_deployments_follow_one_release(tmp_path: Path) -> None:
    """'deployments' lists workloads that move together; the first is the release's."""
    body = """\
    deployments:
      - {name: orders-api, container: api, image: "r/orders:{version}", init_containers: [migrate]}
      - {name: orders-worker, container: worker, image: "r/orders:{version}"}
    service_url: http://127.0.0.1:8080
"""
    options = load(tmp_path, body)
    assert [w.deployment for w in options.workloads] == ["orders-api", "orders-worker"]  # type: ignore[attr-defined]
    assert options.primary.init_containers == ("migrate",)  # type: ignore[attr-defined]


def counts(observed: int, updated: int, replicas: int, available: int) -> dict[str, object]:
    """A Deployment status with these counts (the spec asks for 3 replicas, generation 2)."""
    return {
        "observedGeneration": observed,
        "updatedReplicas": updated,
        "replicas": replicas,
        "availableReplicas": available,
    }


DEADLINE = {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": "timed out"}


def status(**fields: object) -> object:
    spec = {"replicas": 3}
    meta = {"name": "orders", "generation": fields.pop("generation", 2)}
    return rollout_status(deployment_from({"metadata": meta, "spec": spec, "status": fields}))


@pytest.mark.parametrize(
    ("fields", "done", "failed", "says"),
    [
        (counts(1, 3, 3, 3), False, False, "spec update to be observed"),
        (counts(2, 1, 4, 3), False, False, "1 out of 3 new replicas"),
        (counts(2, 3, 4, 3), False, False, "1 old replicas are pending"),
        (counts(2, 3, 3, 2), False, False, "2 of 3 updated replicas"),
        (counts(2, 3, 3, 3), True, False, "successfully rolled out"),
        ({**counts(2, 1, 4, 3), "conditions": [DEADLINE]}, False, True, "exceeded its progress deadline: timed out"),
    ],
)
def test_rollout_status_follows_kubectl(fields: dict[str, object], done: bool, failed: bool, says: str) -> None:
    """The same order of checks as kubectl's DeploymentStatusViewer."""
    result = status(**fields)
    assert (result.done, result.failed) == (done, failed)  # type: ignore[attr-defined]
    assert says in result.message  # type: ignore[attr-defined]
