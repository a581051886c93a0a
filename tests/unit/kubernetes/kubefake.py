"""A stateful Kubernetes API over real HTTP (kmock) with the parts of kube-apiserver and of the deployment
controller our adapter depends on, written out explicitly so tests can see what they assume.

API server part (in :class:`ApiServer`, a ``kmock.KubernetesEmulator``):
- bearer-token authentication (401 otherwise);
- ``dryRun=All`` honoured: the answer shows the result, nothing is stored;
- JSON patches (RFC 6902) with ``test`` ops (422 when a test fails), merge patches for dict bodies;
- ``metadata.generation`` bumped when a Deployment's spec changes (what the controller compares with);
- ``labelSelector`` (equality requirements) on lists;
- SelfSubjectAccessReviews answered from a grant table.

Controller part (in :class:`Controller`, ticking every few ms in the server's event loop): ReplicaSets per pod
template with ``deployment.kubernetes.io/revision`` and ``revision-history``, annotations copied from the
Deployment, pods per ReplicaSet, EndpointSlices of ready pods, and Deployment status in two steps (a surge step,
then done). Images listed in ``stuck_images`` never become ready, and the Progressing condition turns
``ProgressDeadlineExceeded`` after ``progressDeadlineSeconds * deadline_scale`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import itertools
import json
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import kmock
import yaml

from tests.unit.kubernetes.kubefake_api import ApiServer, Seen, matches_selector

__all__ = ["ApiServer", "Seen"]

T = TypeVar("T")
DEPLOYMENTS = kmock.resource("apps", "v1", "deployments")
REPLICASETS = kmock.resource("apps", "v1", "replicasets")
PODS = kmock.resource("", "v1", "pods")
SLICES = kmock.resource("discovery.k8s.io", "v1", "endpointslices")
_SKIP = {
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
    "deployment.kubernetes.io/revision-history",
}
CANARY_TOKEN = "canary-tok-7f3a9c1e5b"  # a planted canary, never a real credential
IMAGE = "registry.example/orders:{version}"
RELEASES = ("1.0.0", "1.1.0", "1.2.0", "1.3.0-broken")


def template_hash(template: Mapping[str, Any]) -> str:
    """A stable hash of a pod template without the hash label (the controller's pod-template-hash)."""
    clean = copy.deepcopy(dict(template))
    clean.get("metadata", {}).get("labels", {}).pop("pod-template-hash", None)
    return hashlib.sha256(json.dumps(clean, sort_keys=True).encode()).hexdigest()[:10]


class Controller:
    """The deployment, ReplicaSet and EndpointSlice controllers, reduced to what rollouts look like from outside."""

    def __init__(self, api: ApiServer, namespace: str, deadline_scale: float = 0.1) -> None:
        self.api = api
        self.namespace = namespace
        self.deadline_scale = deadline_scale
        self.stuck_images: set[str] = set()
        self.services: dict[str, dict[str, str]] = {}  # service name -> pod selector labels
        self.paused = False
        self._started: dict[tuple[str, int], float] = {}  # (deployment, generation) -> when first observed
        self._uids = itertools.count(1)

    def uid(self, kind: str) -> str:
        """A unique id."""
        return f"{kind}-{next(self._uids):04d}"

    def _objects(self, resource: kmock.resource) -> list[tuple[str, dict[str, Any]]]:
        return [
            (name, obj.raw)
            for (res, ns, name), obj in list(self.api.objects.items())
            if res == resource and ns == self.namespace and not obj.deleted
        ]

    def _put(self, resource: kmock.resource, name: str, obj: dict[str, Any]) -> None:
        key = (resource, self.namespace, name)
        if key in self.api.objects and not self.api.objects[key].deleted:
            if self.api.objects[key].raw != obj:
                self.api.objects[key].history.append(obj)
        else:
            self.api.objects[key] = obj

    def _delete(self, resource: kmock.resource, name: str) -> None:
        self.api.objects[resource, self.namespace, name].delete()

    def tick(self) -> None:
        """One reconciliation of every deployment (runs in the server's loop, under its lock)."""
        if self.paused:
            return
        for name, dep in self._objects(DEPLOYMENTS):
            self._reconcile(name, dep)
        for service, labels in self.services.items():
            ready = [
                p
                for _, p in self._objects(PODS)
                if matches_selector(",".join(f"{k}={v}" for k, v in labels.items()), p["metadata"].get("labels", {}))
            ]
            endpoints = [
                {"targetRef": {"name": p["metadata"]["name"]}, "conditions": {"ready": p["status"]["ready"]}}
                for p in ready
            ]
            meta = {"name": f"{service}-x1", "labels": {"kubernetes.io/service-name": service}}
            self._put(SLICES, f"{service}-x1", {"metadata": meta, "endpoints": endpoints})

    def _owned_sets(self, uid: str) -> list[tuple[str, dict[str, Any]]]:
        return [
            (n, rs)
            for n, rs in self._objects(REPLICASETS)
            if rs["metadata"].get("ownerReferences", [{}])[0].get("uid") == uid
        ]

    def _reconcile(self, name: str, dep: dict[str, Any]) -> None:
        meta, spec = dep["metadata"], dep["spec"]
        generation = int(meta.get("generation", 1))
        template = spec["template"]
        digest = template_hash(template)
        owned = self._owned_sets(meta["uid"])
        revision = lambda rs: int(rs["metadata"]["annotations"].get("deployment.kubernetes.io/revision", "0"))  # noqa: E731
        top = max((revision(rs) for _, rs in owned), default=0)
        current = next(((n, rs) for n, rs in owned if template_hash(rs["spec"]["template"]) == digest), None)
        copied = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in _SKIP}
        if current is None:
            rs_name = f"{name}-{digest}"
            tmpl = copy.deepcopy(template)
            tmpl.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = digest
            rs_meta = {
                "name": rs_name,
                "uid": self.uid("rs"),
                "creationTimestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "labels": dict(tmpl["metadata"]["labels"]),
                "ownerReferences": [{"kind": "Deployment", "name": name, "uid": meta["uid"], "controller": True}],
                "annotations": {**copied, "deployment.kubernetes.io/revision": str(top + 1)},
            }
            current = (rs_name, {"metadata": rs_meta, "spec": {"replicas": 0, "template": tmpl}})
        else:
            rs = copy.deepcopy(current[1])
            notes = rs["metadata"]["annotations"]
            if revision(rs) != top:  # an old template is current again (a rollback): it gets the next revision
                history = [h for h in notes.get("deployment.kubernetes.io/revision-history", "").split(",") if h]
                notes["deployment.kubernetes.io/revision-history"] = ",".join([*history, str(revision(rs))])
                notes["deployment.kubernetes.io/revision"] = str(top + 1)
            notes.update(copied)
            current = (current[0], rs)
        rs_name, rs = current
        new_revision = rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
        if (meta.get("annotations") or {}).get("deployment.kubernetes.io/revision") != new_revision:
            dep = copy.deepcopy(dep)
            dep["metadata"].setdefault("annotations", {})["deployment.kubernetes.io/revision"] = new_revision
        self._rollout(name, dep, rs_name, rs, generation, [n for n, _ in owned if n != rs_name])

    def _rollout(  # noqa: PLR0917 - the controller's working state, passed along
        self, name: str, dep: dict[str, Any], rs_name: str, rs: dict[str, Any], generation: int, old: list[str]
    ) -> None:
        replicas = int(dep["spec"].get("replicas", 1))
        image = rs["spec"]["template"]["spec"]["containers"][0]["image"]
        stuck = image in self.stuck_images
        started = self._started.setdefault((name, generation), time.monotonic())
        first_step = (dep.get("status") or {}).get("observedGeneration") != generation
        old_live = [n for n in old if self._pod_count(n) > 0]
        if stuck or (first_step and old_live):
            surge = min(replicas, self._pod_count(rs_name) + 1)
            self._scale_set(rs_name, rs, surge, ready=not stuck)
            available = sum(self._pod_count(n, ready_only=True) for n in old_live)
            deadline = int(dep["spec"].get("progressDeadlineSeconds", 600)) * self.deadline_scale
            progressing = {"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated", "message": ""}
            if stuck and time.monotonic() - started > deadline:
                progressing = {
                    "type": "Progressing",
                    "status": "False",
                    "reason": "ProgressDeadlineExceeded",
                    "message": f'ReplicaSet "{rs_name}" has timed out progressing.',
                }
            status = {
                "replicas": available + surge,
                "updatedReplicas": surge,
                "readyReplicas": available + (0 if stuck else surge),
            }
            status |= {"availableReplicas": available + (0 if stuck else surge), "conditions": [progressing]}
        else:
            self._scale_set(rs_name, rs, replicas, ready=True)
            for old_name in old:
                self._scale_set(old_name, dict(self._objects_by_name(REPLICASETS)[old_name]), 0, ready=True)
            done = {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable", "message": ""}
            status = {"replicas": replicas, "updatedReplicas": replicas, "readyReplicas": replicas}
            status |= {"availableReplicas": replicas, "conditions": [done]}
        dep = copy.deepcopy(dep)
        dep["status"] = {"observedGeneration": generation, **status}
        self._put(DEPLOYMENTS, name, dep)

    def _objects_by_name(self, resource: kmock.resource) -> dict[str, dict[str, Any]]:
        return dict(self._objects(resource))

    def _pods_of(self, rs_uid: str) -> list[tuple[str, dict[str, Any]]]:
        return [(n, p) for n, p in self._objects(PODS) if p["metadata"]["ownerReferences"][0]["uid"] == rs_uid]

    def _pod_count(self, rs_name: str, ready_only: bool = False) -> int:
        rs = self._objects_by_name(REPLICASETS).get(rs_name)
        pods = self._pods_of(rs["metadata"]["uid"]) if rs else []
        return sum(1 for _, p in pods if p["status"]["ready"] or not ready_only)

    def _scale_set(self, rs_name: str, rs: dict[str, Any], replicas: int, ready: bool) -> None:
        rs = copy.deepcopy(rs)
        rs["spec"]["replicas"] = replicas
        self._put(REPLICASETS, rs_name, rs)
        pods = sorted(self._pods_of(rs["metadata"]["uid"]))
        for pod_name, _ in pods[replicas:]:
            self._delete(PODS, pod_name)
        tmpl = rs["spec"]["template"]
        for _ in range(replicas - len(pods)):
            pod_name = f"{rs_name}-{self.uid('p')[-4:]}"
            waiting = {} if ready else {"waiting": {"reason": "ImagePullBackOff"}}
            self._put(
                PODS,
                pod_name,
                {
                    "metadata": {
                        "name": pod_name,
                        "labels": dict(tmpl["metadata"]["labels"]),
                        "ownerReferences": [
                            {"kind": "ReplicaSet", "name": rs_name, "uid": rs["metadata"]["uid"], "controller": True}
                        ],
                    },
                    "spec": {"nodeName": "kind-worker", "containers": tmpl["spec"]["containers"]},
                    "status": {
                        "phase": "Running" if ready else "Pending",
                        "ready": ready,
                        "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
                        "containerStatuses": [
                            {"name": c["name"], "restartCount": 0, "state": waiting or {"running": {}}}
                            for c in tmpl["spec"]["containers"]
                        ],
                    },
                },
            )


class FakeCluster:
    """The API server and controller on a loopback port, in a thread of their own."""

    def __init__(self, namespace: str = "orders", token: str = "", deadline_scale: float = 0.1) -> None:
        self.namespace = namespace
        self.token = token
        self.deadline_scale = deadline_scale
        self.loop = asyncio.new_event_loop()
        self.url = ""
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self.loop.run_until_complete, args=(self._main(),), daemon=True)
        self.api: ApiServer
        self.controller: Controller

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        async with ApiServer(token=self.token) as api, kmock.Server(api) as server:
            self.api = api
            self.controller = Controller(api, self.namespace, self.deadline_scale)
            self.url = str(server.url).rstrip("/")
            self._ready.set()
            while not self._stop.is_set():
                async with api._lock:
                    self.controller.tick()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), 0.01)

    def start(self) -> FakeCluster:
        """Serve until :meth:`stop`."""
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fake API server did not start")
        return self

    def stop(self) -> None:
        """Stop serving and join the thread."""
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        self.loop.close()

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` in the server's loop under its lock (state is only touched there)."""

        async def run() -> T:
            async with self.api._lock:
                return fn()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(10)

    # -- setting the scene -------------------------------------------------------------------------------------
    def add_deployment(
        self,
        name: str,
        image: str,
        *,
        replicas: int = 2,
        container: str = "api",
        labels: dict[str, str] | None = None,
        progress_deadline: int = 600,
        service: str | None = None,
    ) -> None:
        """A Deployment, rolled out at revision 1 before this returns."""
        labels = labels or {"app": name}
        containers = [{"name": container, "image": image}]
        dep = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": name,
                "namespace": self.namespace,
                "uid": f"dep-{name}",
                "generation": 1,
                "annotations": {"kubernetes.io/change-cause": "initial"},
            },
            "spec": {
                "replicas": replicas,
                "progressDeadlineSeconds": progress_deadline,
                "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": {"containers": containers}},
            },
        }

        def put() -> None:
            self.api.objects[DEPLOYMENTS, self.namespace, name] = dep
            if service:
                self.controller.services[service] = labels

        self.call(put)
        self.wait(lambda: self.deployment(name).get("status", {}).get("availableReplicas") == replicas)

    def add_object(self, resource: kmock.resource, name: str, obj: dict[str, Any]) -> None:
        """Any other object (HPA, PDB, a decoy ReplicaSet or pod)."""
        self.call(lambda: self.api.objects.__setitem__((resource, self.namespace, name), obj))

    def deployment(self, name: str) -> dict[str, Any]:
        """The stored Deployment."""
        return self.call(lambda: copy.deepcopy(self.api.objects[DEPLOYMENTS, self.namespace, name].raw))

    def objects(self, resource: kmock.resource) -> dict[str, dict[str, Any]]:
        """Stored objects of a kind in the namespace, by name."""
        return self.call(lambda: {n: copy.deepcopy(o) for n, o in self.controller._objects(resource)})

    def requests(self) -> list[Seen]:
        """Every request so far."""
        return self.call(lambda: list(self.api.seen))

    def mutating(self) -> list[Seen]:
        """Requests that could change state."""
        return [s for s in self.requests() if s.mutating]

    def set_admission(self, policy: Callable[[Seen], str | None] | None) -> None:
        """An admission policy for mutating requests."""
        self.call(lambda: setattr(self.api, "admission", policy))

    def set_grants(self, grants: set[tuple[str, str, str]] | str) -> None:
        """What access reviews allow."""
        self.call(lambda: setattr(self.api, "grants", grants))

    def wait(self, check: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until ``check`` holds (the controller works in the background)."""
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError("the fake cluster did not reach the expected state")
            time.sleep(0.01)

    def kubeconfig(
        self, path: Path, context: str = "fake", context_namespace: str = "kube-system", **user: Any
    ) -> Path:
        """A kubeconfig for this server (its context's own namespace deliberately kube-system: it must be ignored)."""
        data = {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": context,
            "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
            "contexts": [
                {"name": context, "context": {"cluster": "fake", "user": "tester", "namespace": context_namespace}}
            ],
            "users": [{"name": "tester", "user": {"token": self.token, **user} if self.token else user}],
        }
        path.write_text(yaml.safe_dump(data))
        return path


def write_config(directory: Path, kubeconfig: Path, target: str = "", safety: str = "[orders]") -> Path:
    """An opsready.yaml with a kubernetes target (options in ``target`` replace the defaults' tail)."""
    body = (
        target
        or f"""\
    namespace: orders
    deployment: orders
    container: api
    image: {IMAGE}
    service: orders
    service_url: http://127.0.0.1:9
    releases: [{", ".join(RELEASES)}]
    poll_interval: 20ms
    rollout_timeout: 20s
"""
    )
    text = f"""\
version: 1
default_target: k8s
targets:
  k8s:
    platform: kubernetes
    kubeconfig: {kubeconfig}
{body}safety:
  kubernetes_namespaces: {safety}
"""
    path = directory / "opsready.yaml"
    path.write_text(text)
    return path
