"""The only place that talks to the Kubernetes API: reads, dry-run-first mutations, and errors without secrets.

The official client is imported lazily. Responses are read as raw JSON and turned into :mod:`models` dataclasses at
once. Every mutating request is sent twice: first with ``dryRun=All`` (admission, validation and quota run, nothing
is persisted), then for real; a refusal at the dry run changes nothing. Errors never carry the client's exception
along (its text holds response headers and bodies): they are rebuilt from status and message, and redacted.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from opsready.errors import EnvironmentProblem, OpsreadyError, TargetError, UsageError
from opsready.kubernetes import models
from opsready.kubernetes.redaction import Redactor
from opsready.kubernetes.safety import Guard

log = logging.getLogger("opsready.kubernetes")
JSON_PATCH = "application/json-patch+json"
ROLE_HINT = "grant the harness the Role in deploy/k8s/role.yaml (kubectl apply -f deploy/k8s/role.yaml -n NAMESPACE)"


@dataclass(frozen=True)
class Mutation:
    """A mutating request as it was sent (for the audit log and the tests)."""

    verb: str
    resource: str
    name: str
    namespace: str


def _status_message(body: object) -> str:
    try:
        data = json.loads(body) if isinstance(body, str | bytes) else None
    except ValueError:
        data = None
    if isinstance(data, Mapping) and isinstance(data.get("message"), str):
        return str(data["message"])
    return ""


def translate(exc: BaseException, what: str, redact: Redactor, host: str) -> OpsreadyError:
    """An opsready error for a failed API call, with nothing of the original exception attached."""
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    if isinstance(exc, ApiException):
        status = exc.status or 0
        detail = redact(_status_message(exc.body) or str(exc.reason or ""))[:300]
        if status == 401:
            return EnvironmentProblem(f"{what}: the Kubernetes API did not accept our credentials (HTTP 401)")
        if status == 403:
            return EnvironmentProblem(f"{what}: forbidden (HTTP 403): {detail}", hint=ROLE_HINT)
        if status == 404:
            return TargetError(f"{what}: not found (HTTP 404)")
        return TargetError(f"{what}: HTTP {status}: {detail}")
    if isinstance(exc, HTTPError | OSError):
        reason = redact(f"{type(exc).__name__}: {exc}")[:300]
        return EnvironmentProblem(f"{what}: cannot reach the Kubernetes API at {host}: {reason}")
    return TargetError(redact(f"{what}: {type(exc).__name__}: {exc}")[:300])


class KubeClient:
    """Reads and dry-run-first writes in one namespace, through an ``ApiClient`` from the official library."""

    def __init__(self, api_client: Any, guard: Guard, redact: Redactor, timeout: float) -> None:
        from opsready.extras import require

        client = require("kubernetes.client", "kubernetes", "kubernetes")

        self.api_client = api_client
        self.namespace = guard.namespace
        self.guard = guard
        self.redact = redact
        self.timeout = timeout
        self.host = redact(str(api_client.configuration.host))
        self.apps = client.AppsV1Api(api_client)
        self.core = client.CoreV1Api(api_client)
        self.discovery = client.DiscoveryV1Api(api_client)
        self.authz = client.AuthorizationV1Api(api_client)
        self.autoscaling = client.AutoscalingV2Api(api_client)
        self.policy = client.PolicyV1Api(api_client)
        self.mutations: list[Mutation] = []

    def close(self) -> None:
        """Release the client's connection pool."""
        self.api_client.close()

    def _call(self, what: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Mapping[str, Any]:
        problem: OpsreadyError | None = None
        try:
            response = call(*args, _preload_content=False, _request_timeout=self.timeout, **kwargs)
            data = json.loads(response.data or b"{}")
        except ValueError:
            problem = TargetError(f"{what}: the API answered something that is not JSON")
        except Exception as exc:  # ApiException, urllib3 and socket errors: translated below without the original
            problem = translate(exc, what, self.redact, self.host)
        if problem is not None:
            raise problem  # raised outside the except block: no __context__ that could carry a credential
        return data if isinstance(data, Mapping) else {}

    # -- reads -----------------------------------------------------------------------------------------------
    def deployment(self, name: str) -> models.Deployment:
        """One Deployment."""
        what = f"read deployment {self.namespace}/{name}"
        return models.deployment_from(self._call(what, self.apps.read_namespaced_deployment, name, self.namespace))

    def replicasets(self, selector: str) -> tuple[models.ReplicaSet, ...]:
        """ReplicaSets matching a label selector."""
        what = f"list replicasets in {self.namespace}"
        data = self._call(what, self.apps.list_namespaced_replica_set, self.namespace, label_selector=selector)
        return tuple(models.replicaset_from(i) for i in models.items(data))

    def pods(self, selector: str) -> tuple[models.Pod, ...]:
        """Pods matching a label selector."""
        what = f"list pods in {self.namespace}"
        data = self._call(what, self.core.list_namespaced_pod, self.namespace, label_selector=selector)
        return tuple(models.pod_from(i) for i in models.items(data))

    def endpoint_slices(self, service: str) -> tuple[models.EndpointSlice, ...]:
        """The EndpointSlices of a Service."""
        what = f"list endpointslices of service {self.namespace}/{service}"
        data = self._call(
            what,
            self.discovery.list_namespaced_endpoint_slice,
            self.namespace,
            label_selector=f"kubernetes.io/service-name={service}",
        )
        return tuple(models.endpoint_slice_from(i) for i in models.items(data))

    def autoscalers(self) -> list[Mapping[str, Any]]:
        """HorizontalPodAutoscalers (autoscaling/v2) of the namespace, as JSON for :mod:`capacity` to read."""
        what = f"list horizontalpodautoscalers in {self.namespace}"
        return models.items(
            self._call(what, self.autoscaling.list_namespaced_horizontal_pod_autoscaler, self.namespace)
        )

    def disruption_budgets(self) -> list[Mapping[str, Any]]:
        """PodDisruptionBudgets (policy/v1) of the namespace, as JSON for :mod:`capacity` to read."""
        what = f"list poddisruptionbudgets in {self.namespace}"
        return models.items(self._call(what, self.policy.list_namespaced_pod_disruption_budget, self.namespace))

    def can(self, verb: str, group: str, resource: str, subresource: str = "") -> tuple[bool, str]:
        """Ask the API server whether our credentials may do ``verb`` on ``resource`` here (SelfSubjectAccessReview)."""
        from kubernetes import client

        attributes = client.V1ResourceAttributes(
            namespace=self.namespace, verb=verb, group=group, resource=resource, subresource=subresource or None
        )
        review = client.V1SelfSubjectAccessReview(
            spec=client.V1SelfSubjectAccessReviewSpec(resource_attributes=attributes)
        )
        data = self._call(f"review access to {verb} {resource}", self.authz.create_self_subject_access_review, review)
        status = data.get("status")
        status = status if isinstance(status, Mapping) else {}
        reason = str(status.get("reason") or status.get("evaluationError") or "")
        return status.get("allowed") is True and status.get("denied") is not True, self.redact(reason)

    # -- mutations -------------------------------------------------------------------------------------------
    def _mutate(self, mutation: Mutation, send: Callable[[str | None], Mapping[str, Any]]) -> Mapping[str, Any]:
        """Dry run, then the real request; both only in the guarded namespace."""
        self.guard.check(mutation.namespace)
        send("All")
        log.info("dry run accepted: %s %s %s/%s", mutation.verb, mutation.resource, mutation.namespace, mutation.name)
        result = send(None)
        self.mutations.append(mutation)
        log.info("applied: %s %s %s/%s", mutation.verb, mutation.resource, mutation.namespace, mutation.name)
        return result

    def patch_deployment(self, name: str, operations: list[dict[str, Any]]) -> models.Deployment:
        """Apply a JSON patch (RFC 6902) to a Deployment."""
        if not operations:
            raise UsageError("an empty patch changes nothing")

        def send(dry_run: str | None) -> Mapping[str, Any]:
            what = f"patch deployment {self.namespace}/{name}" + (" (dry run)" if dry_run else "")
            return self._call(
                what,
                self.apps.patch_namespaced_deployment,
                name,
                self.namespace,
                operations,
                dry_run=dry_run,
                _content_type=JSON_PATCH,
            )

        return models.deployment_from(self._mutate(Mutation("patch", "deployments", name, self.namespace), send))

    def delete_pod(self, name: str, grace_period: int | None = None) -> None:
        """Delete one pod (its ReplicaSet replaces it)."""

        def send(dry_run: str | None) -> Mapping[str, Any]:
            what = f"delete pod {self.namespace}/{name}" + (" (dry run)" if dry_run else "")
            return self._call(
                what,
                self.core.delete_namespaced_pod,
                name,
                self.namespace,
                dry_run=dry_run,
                grace_period_seconds=grace_period,
            )

        self._mutate(Mutation("delete", "pods", name, self.namespace), send)
