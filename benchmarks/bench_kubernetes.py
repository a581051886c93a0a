"""Kubernetes adapter costs against the fake cluster of the tests (kmock over loopback HTTP, controller played by the
harness): API requests per operation, wall time of deploy and rollback, and what dry-run-first costs per mutation.

The fake controller rolls out in two steps of ~10 ms, so the times are the adapter's own overhead (requests, JSON,
the official client's validation) plus polling at 20 ms, not a cluster's rollout time.

    python benchmarks/bench_kubernetes.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, summary

sys.path.insert(0, str(ROOT))  # a script: the repository root makes the tests' package importable

from opsready.config import load_config
from opsready.kubernetes.adapter import KubernetesTarget, open_target
from tests.unit.kubernetes.kubefake import FakeCluster  # the tests' fake cluster

CONFIG = """\
version: 1
targets:
  k8s:
    platform: kubernetes
    kubeconfig: {kubeconfig}
    namespace: orders
    deployment: orders
    container: api
    image: "registry.example/orders:{{version}}"
    service_url: http://127.0.0.1:9
    poll_interval: 20ms
safety:
  kubernetes_namespaces: [orders]
"""


def target_on(cluster: FakeCluster, directory: Path) -> KubernetesTarget:
    kubeconfig = cluster.kubeconfig(directory / "kubeconfig")
    (directory / "opsready.yaml").write_text(CONFIG.format(kubeconfig=kubeconfig))
    config = load_config(directory / "opsready.yaml")
    return open_target(config, config.target("k8s"))


def kinds(requests: list[object]) -> str:
    counts: dict[str, int] = {}
    for seen in requests:
        key = "review" if "selfsubjectaccessreviews" in seen.path else seen.method  # type: ignore[attr-defined]
        if getattr(seen, "dry_run", False):
            key += " (dry run)"
        counts[key] = counts.get(key, 0) + 1
    return json.dumps(dict(sorted(counts.items())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    deploys, rollbacks, guarded, plain = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="opsready-bench-k8s-") as tmp:
        cluster = FakeCluster(token="bench-token").start()
        try:
            cluster.add_deployment("orders", "registry.example/orders:1.0.0", replicas=2)
            target = target_on(cluster, Path(tmp))
            mark = len(cluster.requests())
            target.deploy("1.1.0")
            first = cluster.requests()[mark:]
            target.rollback("warm-up")
            mark = len(cluster.requests())
            target.deploy("1.1.0")
            later = cluster.requests()[mark:]
            mark = len(cluster.requests())
            target.rollback("count")
            undo = cluster.requests()[mark:]
            for i in range(args.runs):
                started = time.perf_counter()
                target.deploy("1.2.0" if i % 2 == 0 else "1.1.0")
                deploys.append(time.perf_counter() - started)
                started = time.perf_counter()
                target.rollback("bench")
                rollbacks.append(time.perf_counter() - started)
            client = target.client
            op = [{"op": "add", "path": "/metadata/annotations/bench", "value": "x"}]
            for _ in range(args.runs * 5):
                started = time.perf_counter()
                client.patch_deployment("orders", op)  # dry run, then the real patch
                guarded.append(time.perf_counter() - started)
                started = time.perf_counter()
                client.apps.patch_namespaced_deployment(
                    "orders", "orders", op, _preload_content=False, _content_type="application/json-patch+json"
                )
                plain.append(time.perf_counter() - started)
            target.close()
        finally:
            cluster.stop()
    print(f"requests, first deploy (reviews included): {len(first)} {kinds(first)}")
    print(f"requests, later deploy:                    {len(later)} {kinds(later)}")
    print(f"requests, rollback:                        {len(undo)} {kinds(undo)}")
    print(summary("deploy wall time (fake controller, 20 ms polling)", deploys))
    print(summary("rollback wall time (fake controller, 20 ms polling)", rollbacks))
    print(summary("patch with dry run first", [v * 1000 for v in guarded], "ms"))
    print(summary("patch without dry run", [v * 1000 for v in plain], "ms"))
    print(f"dry-run-first cost per mutation: x{statistics.median(guarded) / statistics.median(plain):.2f}")


if __name__ == "__main__":
    main()
