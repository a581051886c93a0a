"""Reaching the Service through `kubectl port-forward`: the port kubectl reports is used, no credential is on its
command line, and the process (group) is gone after close(). A stand-in kubectl plays the real one's output."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from opsready.errors import EnvironmentProblem
from opsready.kubernetes.adapter import KubernetesTarget
from tests.unit.kubernetes.kubefake import CANARY_TOKEN, IMAGE

FAKE_KUBECTL = """\
#!{python}
import http.server, json, sys, threading
with open({argv_file!r}, "w") as fh:
    json.dump(sys.argv[1:], fh)
if {fail!r}:
    print('error: services "orders" not found', flush=True)
    sys.exit(1)
class Ready(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/readyz" else 404)
        self.end_headers()
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Ready)
print(f"Forwarding from 127.0.0.1:{{server.server_port}} -> 8080", flush=True)
print(f"Forwarding from [::1]:{{server.server_port}} -> 8080", flush=True)
server.serve_forever()
"""

BODY = f"""\
    namespace: orders
    deployment: orders
    container: api
    image: {IMAGE}
    service: orders
    port_forward: 80
"""


def fake_kubectl(tmp_path: Path, fail: bool = False) -> tuple[Path, Path]:
    script, argv_file = tmp_path / "kubectl", tmp_path / "argv.json"
    script.write_text(FAKE_KUBECTL.format(python=sys.executable, argv_file=str(argv_file), fail=fail))
    script.chmod(0o755)
    return script, argv_file


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_port_forward_serves_and_stops(
    make_target: Callable[..., KubernetesTarget], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The URL is kubectl's local port; the command names namespace, service and kubeconfig; close() ends it."""
    script, argv_file = fake_kubectl(tmp_path)
    monkeypatch.setenv("OPSREADY_KUBECTL", str(script))
    target = make_target(BODY)
    assert target.describe().base_url == "kubectl port-forward svc/orders :80"
    ok, detail = target.check_database()
    assert ok, detail
    assert target.base_url.startswith("http://127.0.0.1:")
    argv = json.loads(argv_file.read_text())
    assert argv[:5] == ["port-forward", "--address", "127.0.0.1", "svc/orders", ":80"]
    assert argv[argv.index("--namespace") + 1] == "orders"
    assert argv[argv.index("--kubeconfig") + 1] == target.options.kubeconfig
    assert CANARY_TOKEN not in " ".join(argv)
    forward = target._forward
    assert forward is not None and forward.process is not None
    pid = forward.process.pid
    assert alive(pid)
    target.close()
    assert not alive(pid)
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)  # the whole group is gone


def test_a_port_forward_that_fails_says_why(
    make_target: Callable[..., KubernetesTarget], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kubectl's own error line is the message; nothing is left running."""
    script, _ = fake_kubectl(tmp_path, fail=True)
    monkeypatch.setenv("OPSREADY_KUBECTL", str(script))
    target = make_target(BODY)
    with pytest.raises(EnvironmentProblem, match='did not start: error: services "orders" not found'):
        _ = target.base_url
    assert target._forward is not None and target._forward.process is None
