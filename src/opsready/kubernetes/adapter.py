"""A Deployment on a Kubernetes cluster as a :class:`~opsready.targets.protocol.Target`.

Opening the target parses and checks its options (namespace allowlist, names, selector) and touches nothing; the
kubeconfig is read and the API contacted on first use. Changes (deploy, rollback, scale, faults) review the
permissions they need first and send every mutating request as a server-side dry run before the real one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

from opsready.config import Config, TargetConfig, TargetKind
from opsready.errors import DeployError, RollbackError, TargetError, UsageError
from opsready.kubernetes import faults as kfaults
from opsready.kubernetes import health, history, rollout
from opsready.kubernetes.capacity import autoscaler_from, budget_from, check_autoscaler, check_disruption_budget
from opsready.kubernetes.client import KubeClient
from opsready.kubernetes.kubeconfig import connect
from opsready.kubernetes.models import Deployment, Pod, ReplicaSet
from opsready.kubernetes.options import KubeOptions, Workload, check_version, parse_options
from opsready.kubernetes.permissions import Permissions
from opsready.kubernetes.portforward import PortForward
from opsready.kubernetes.redaction import Redactor
from opsready.kubernetes.safety import Guard, Selector
from opsready.monitoring.silences import ConfiguredMonitoring
from opsready.observation import Observation
from opsready.targets.capacity import Scalable
from opsready.targets.faults import Facts, Fault, FaultInjectable, FaultKind, FaultSpec
from opsready.targets.protocol import (
    HostExpectations,
    Instance,
    Release,
    ReleaseRecord,
    Say,
    Target,
    TargetDescription,
    quiet,
)
from opsready.targets.remediation import Remediable


class KubernetesTarget(ConfiguredMonitoring):
    """Drive one or more Deployments in one allowlisted namespace."""

    platform = "kubernetes"

    def __init__(self, name: str, options: KubeOptions, state_dir: Path, kind: TargetKind = "real") -> None:
        self.name = name
        self.options = options
        self.state_dir = state_dir
        self.kind: TargetKind = kind
        self.redact = Redactor()
        self._client: KubeClient | None = None
        self._permissions: Permissions | None = None
        self._forward: PortForward | None = None

    # -- plumbing ---------------------------------------------------------------------------------------------
    @property
    def client(self) -> KubeClient:
        """The API client, connected on first use."""
        if self._client is None:
            o = self.options
            api = connect(o.kubeconfig_paths(), o.context, o.context_loc, self.redact)
            guard = Guard(o.namespace, o.allowed_namespaces)
            self._client = KubeClient(api, guard, self.redact, o.request_timeout)
        return self._client

    @property
    def permissions(self) -> Permissions:
        """Access reviews for this target's credentials (asked once each)."""
        if self._permissions is None:
            self._permissions = Permissions(self.client)
        return self._permissions

    # -- lifecycle: a cluster's workloads are someone else's to start and stop ----------------------------------
    def is_running(self) -> bool:
        """Whether every configured deployment has at least one ready replica (a read of the API)."""
        return all(self.client.deployment(w.deployment).ready_replicas > 0 for w in self.options.workloads)

    def start(self, say: Say = quiet) -> None:
        """Not offered: opsready never creates or scales up a cluster's workloads to start a target."""
        raise UsageError(
            f"target '{self.name}': starting is not offered on platform 'kubernetes'; opsready does not start "
            "or stop workloads on a cluster",
            hint="deploy the workloads with your own tooling (e.g. kubectl apply -k deploy/k8s), then run again",
        )

    def stop(self, say: Say = quiet, purge: bool = False) -> None:
        """Not offered: opsready never deletes or scales down a cluster's workloads to stop a target."""
        raise UsageError(
            f"target '{self.name}': stopping is not offered on platform 'kubernetes'; opsready does not start "
            "or stop workloads on a cluster"
        )

    def close(self) -> None:
        """Stop a port-forward and release the connection pool."""
        if self._forward is not None:
            self._forward.stop()
        if self._client is not None:
            self._client.close()
            self._client = None

    def pods_of(self, dep: Deployment, replicasets: tuple[ReplicaSet, ...]) -> tuple[Pod, ...]:
        """The deployment's serving pods (owned by its ReplicaSets, narrowed by the configured selector)."""
        selector = self.options.selector
        if selector is not None and not selector.matches(dict(dep.template_labels)):
            raise UsageError(f"selector '{selector.text}' does not select the pods of deployment {dep.name}")
        pods = self.client.pods(Selector.of_labels(dict(dep.match_labels)).text)
        return health.owned_pods(pods, replicasets, self.options.selector)

    def _deployments(self) -> list[tuple[Workload, Deployment]]:
        return [(w, rollout.checked_deployment(self.client, w)) for w in self.options.workloads]

    def _wait(self, name: str, error: type[TargetError]) -> Deployment:
        o = self.options
        return rollout.wait_rollout(self.client, name, o.rollout_timeout, o.poll_interval, error=error)

    # -- the Target protocol --------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """The service URL from the options, or a kubectl port-forward started on first use."""
        o = self.options
        if o.service_url:
            return o.service_url
        if self._forward is None:
            assert o.service is not None and o.port_forward is not None  # parse_options requires both
            self._forward = PortForward(
                o.service, o.port_forward, o.namespace, context=o.context, kubeconfig=o.kubeconfig
            )
        return self._forward.url

    def describe(self) -> TargetDescription:
        """Context, namespace and workloads; never credentials, and no request to the cluster."""
        o = self.options
        url = o.service_url or f"kubectl port-forward svc/{o.service} :{o.port_forward}"
        details = [
            ("context", o.context or "(current-context)"),
            ("namespace", o.namespace),
            ("deployments", ", ".join(f"{w.deployment}/{w.container}" for w in o.workloads)),
            ("image", o.primary.image),
        ]
        if o.selector is not None:
            details.append(("selector", o.selector.text))
        return TargetDescription(self.name, self.platform, url, tuple((k, self.redact(v)) for k, v in details))

    def releases(self) -> tuple[Release, ...]:
        """The configured releases; without a list, the versions the deployment's history knows."""
        if self.options.releases:
            return tuple(
                Release(r.version, r.description or f"image {self.options.primary.image_for(r.version)}", r.training)
                for r in self.options.releases
            )
        seen = dict.fromkeys(r.version for r in self.history())
        return tuple(Release(v, f"image {self.options.primary.image_for(v)}") for v in seen)

    def current_release(self) -> str:
        """The version of the primary deployment's pod template (its image when off the template)."""
        w = self.options.primary
        return rollout.version_of(w, self.client.deployment(w.deployment).containers)

    def history(self) -> tuple[ReleaseRecord, ...]:
        """Release history from the primary deployment's ReplicaSets, oldest first."""
        w = self.options.primary
        dep = self.client.deployment(w.deployment)
        return history.records(w, rollout.owned_replicasets(self.client, dep))

    def deploy(self, version: str, kind: str = "deploy", note: str = "") -> ReleaseRecord:
        """Set the image of ``version``, wait for the rollout; a failed rollout is undone (unless told to leave it)."""
        return self.deploy_judged(version, kind, note, lambda: None)[0]

    def deploy_judged(
        self, version: str, kind: str, note: str, verdict: Callable[[], str | None]
    ) -> tuple[ReleaseRecord, str | None]:
        """:meth:`deploy`, asking ``verdict`` at every look at the rollouts while they run (the PromQL rollback
        triggers): its first reason stops the wait and comes back, the rollout left for the caller's rollback."""
        check_version(version)
        known = [r.version for r in self.options.releases]
        if known and version not in known:
            raise UsageError(f"unknown release '{version}'; target '{self.name}' lists: {', '.join(known)}")
        if kind not in history.KINDS:
            raise UsageError(f"unknown kind of change '{kind}' (known: {', '.join(history.KINDS)})")
        self.permissions.require("deploy")
        before = self._deployments()
        previous = rollout.version_of(self.options.primary, before[0][1].containers)
        at = rollout.now()
        notes = rollout.stamp(kind, version, previous, note, at)
        changed: list[tuple[Workload, Deployment]] = []
        for workload, dep in before:
            after = rollout.set_image(self.client, workload, dep, version, notes)
            if after.template != dep.template:
                changed.append((workload, dep))
        o = self.options
        try:
            for workload, _ in before:
                _, stopped = rollout.watch_rollout(
                    self.client, workload.deployment, o.rollout_timeout, o.poll_interval, stop=verdict
                )
                if stopped is not None:
                    return ReleaseRecord(version, previous, kind, at, note), f"{workload.deployment}: {stopped}"
        except DeployError as failure:
            if self.options.on_failed_rollout == "leave" or not changed:
                raise DeployError(f"release {version} did not roll out: {failure.message} (left as it is)") from None
            self._restore(changed, previous, version, failure.message)
            raise DeployError(
                f"release {version} did not roll out: {failure.message}; rolled back to {previous}"
            ) from None
        return ReleaseRecord(version, previous, kind, at, note), None

    def _restore(self, changed: list[tuple[Workload, Deployment]], previous: str, failed: str, why: str) -> None:
        notes = rollout.stamp("rollback", previous, failed, f"automatic: {why}", rollout.now())
        for workload, before in changed:
            dep = self.client.deployment(workload.deployment)
            rollout.undo_to(self.client, dep, before.template, before.annotations, notes)
        for workload, _ in changed:
            self._wait(workload.deployment, RollbackError)

    def rollback(self, note: str = "") -> ReleaseRecord:
        """``kubectl rollout undo`` for every deployment, then wait for the rollouts."""
        self.permissions.require("rollback")
        plans = []
        for workload in self.options.workloads:
            dep = self.client.deployment(workload.deployment)
            if dep.paused:
                raise RollbackError(f"deployment {dep.name} is paused: resume it before rolling back")
            plans.append((workload, dep, rollout.previous_revision(self.client, dep)))
        primary, current, target = plans[0]
        from_version = rollout.version_of(primary, current.containers)
        to_version = rollout.version_of(primary, target.containers)
        at = rollout.now()
        notes = rollout.stamp("rollback", to_version, from_version, note, at)
        for _, dep, revision in plans:
            rollout.undo(self.client, dep, revision, notes)
        for workload, _, _ in plans:
            self._wait(workload.deployment, RollbackError)
        return ReleaseRecord(to_version, from_version, "rollback", at, note)

    def instances(self) -> tuple[Instance, ...]:
        """Each deployment, its serving pods, and the Service's endpoints."""
        found: list[Instance] = []
        for workload in self.options.workloads:
            dep = self.client.deployment(workload.deployment)
            replicasets = rollout.owned_replicasets(self.client, dep)
            found.append(health.deployment_instance(dep))
            found.extend(health.pod_instance(workload, p, replicasets) for p in self.pods_of(dep, replicasets))
        if self.options.service:
            found.append(
                health.endpoints_instance(self.options.service, self.client.endpoint_slices(self.options.service))
            )
        return tuple(found)

    def check_database(self, timeout: float = 2.0) -> tuple[bool, str]:
        """The service's own readiness endpoint, which checks its database (the harness has no path to it)."""
        import httpx

        try:
            response = httpx.get(f"{self.base_url}/readyz", timeout=timeout)
        except httpx.HTTPError as exc:
            return False, f"readiness endpoint unreachable: {type(exc).__name__}"
        return response.status_code == 200, f"/readyz answered HTTP {response.status_code} (it checks the database)"

    def testinfra_hosts(self) -> tuple[str, ...]:
        """``kubectl://POD?namespace=NS&container=C`` for every serving pod."""
        o = self.options
        hosts = []
        for workload in o.workloads:
            dep = self.client.deployment(workload.deployment)
            for pod in self.pods_of(dep, rollout.owned_replicasets(self.client, dep)):
                query = {"namespace": o.namespace, "container": workload.container}
                if o.context:
                    query["context"] = o.context
                if o.kubeconfig:
                    query["kubeconfig"] = o.kubeconfig
                hosts.append(f"kubectl://{pod.name}?{urlencode(query)}")
        return tuple(hosts)

    def host_expectations(self) -> HostExpectations:
        """Nothing host-level: pods have no supervisor, release link or private data directories to check."""
        return HostExpectations()

    # -- Scalable -------------------------------------------------------------------------------------------
    def capacity_units(self) -> int:
        """Ready replicas of the primary deployment."""
        return self.client.deployment(self.options.primary.deployment).ready_replicas

    def scale(self, units: int, timeout: float = 30.0) -> int:
        """Set the primary deployment's replicas and wait until exactly that many are available."""
        if units < 0:
            raise UsageError(f"cannot scale to {units} replicas")
        self.permissions.require("scale")
        name = self.options.primary.deployment
        self.client.patch_deployment(name, [{"op": "replace", "path": "/spec/replicas", "value": units}])
        dep = rollout.wait_rollout(self.client, name, timeout, self.options.poll_interval, error=TargetError)
        return dep.available_replicas

    # -- Remediable -----------------------------------------------------------------------------------------------
    def components(self) -> tuple[str, ...]:
        """The deployments :meth:`restart_component` accepts."""
        return tuple(w.deployment for w in self.options.workloads)

    def links(self) -> tuple[str, ...]:
        """None: the cluster's network has no impairments opsready could have added."""
        return ()

    def restart_component(self, name: str, timeout: float = 60.0) -> str:
        """``kubectl rollout restart``: a new template annotation makes every pod be replaced, then wait."""
        if name not in self.components():
            raise UsageError(f"no component '{name}' (this target has: {', '.join(self.components())})")
        self.permissions.require("deploy")
        at = rollout.now()
        dep = self.client.deployment(name)
        ops: list[dict[str, object]] = []
        if not dep.template_annotations:
            ops.append({"op": "add", "path": "/spec/template/metadata/annotations", "value": {}})
        ops.append({"op": "add", "path": "/spec/template/metadata/annotations/" + rollout.RESTARTED_AT, "value": at})
        self.client.patch_deployment(name, ops)
        done = rollout.wait_rollout(self.client, name, timeout, self.options.poll_interval, error=TargetError)
        return f"restarted deployment {name}: {done.available_replicas}/{done.replicas} replicas replaced and available"

    def reset_link(self, name: str, timeout: float = 10.0) -> str:
        """Refused: a kubernetes target has no network links opsready impairs."""
        raise UsageError(f"resetting network links is not supported on platform 'kubernetes' (no link '{name}')")

    # -- capacity checks --------------------------------------------------------------------------------------
    def autoscaling_checks(self, min_floor: int = 2, max_ceiling: int = 100) -> tuple[Observation, ...]:
        """HPA and PodDisruptionBudget checks for every deployment (read-only)."""
        self.permissions.require("capacity")
        hpas = tuple(autoscaler_from(o) for o in self.client.autoscalers())
        budgets = tuple(budget_from(o) for o in self.client.disruption_budgets())
        out: list[Observation] = []
        for workload in self.options.workloads:
            dep = self.client.deployment(workload.deployment)
            out.append(check_autoscaler(hpas, dep, min_floor, max_ceiling))
            out.append(check_disruption_budget(budgets, dep))
        return tuple(out)

    # -- FaultInjectable ------------------------------------------------------------------------------------
    def fault_kinds(self) -> tuple[FaultKind, ...]:
        """Pod termination and scale-to-zero (see :mod:`opsready.kubernetes.faults`)."""
        return kfaults.kinds(self.options)

    def fault(self, spec: FaultSpec, fault_id: str, facts: Facts = ()) -> Fault:
        """A handle on one fault of this target."""
        return kfaults.make(self, spec, fault_id, facts)

    def fault_journal_dir(self) -> Path:
        """Fault journals of this target, under its state directory."""
        return self.state_dir / "faults"

    def fault_residue(self) -> tuple[Observation, ...]:
        """Every deployment runs its replicas and carries no mark of a scale-to-zero fault."""
        return kfaults.residue(self)


def open_target(config: Config, target: TargetConfig) -> KubernetesTarget:
    """Adapter entry point (see :mod:`opsready.targets.registry`): validates the options, contacts nothing."""
    options = parse_options(config, target)
    base = os.environ.get("OPSREADY_STATE_DIR")
    state = Path(base).resolve() if base else config.root / ".opsready"
    kube = KubernetesTarget(target.name, options, state / "kubernetes" / target.name, target.kind)
    kube.monitoring_setting = target.monitoring
    return kube


def _implements(target: KubernetesTarget) -> tuple[Target, FaultInjectable, Scalable, Remediable]:
    """Never called: mypy checks here that the adapter implements the protocols it offers."""
    return target, target, target, target
