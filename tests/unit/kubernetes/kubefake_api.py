"""The API-server half of the fake cluster: kmock's stateful emulator plus what kube-apiserver does that the adapter
depends on (see :mod:`kubefake` for the whole picture)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp.web
import attrs
import jsonpatch
import kmock
from kmock._internal import enums  # the emulator's own request classification

DEPLOYMENTS = kmock.resource("apps", "v1", "deployments")
SSAR = kmock.resource("authorization.k8s.io", "v1", "selfsubjectaccessreviews")
ALL = "*"


@dataclass(frozen=True)
class Seen:
    """A request as it reached the server."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    body: Any
    authorization: str

    @property
    def dry_run(self) -> bool:
        """Whether it was sent as a server-side dry run."""
        return ("dryRun", "All") in self.query

    @property
    def mutating(self) -> bool:
        """Whether it could change state (an access review changes nothing)."""
        if self.method in ("PATCH", "PUT", "DELETE"):
            return True
        return self.method == "POST" and "selfsubjectaccessreviews" not in self.path


def _status(code: int, reason: str, message: str) -> aiohttp.web.Response:
    body = {"apiVersion": "v1", "kind": "Status", "status": "Failure", "code": code, "reason": reason}
    return aiohttp.web.json_response({**body, "message": message}, status=code)


def matches_selector(selector: str, labels: Mapping[str, str]) -> bool:
    """Whether labels satisfy an equality-only selector (what the adapter sends)."""
    for part in filter(None, (p.strip() for p in selector.split(","))):
        key, _, value = part.replace("==", "=").partition("=")
        if labels.get(key.strip()) != value.strip():
            return False
    return True


def _merge(base: Any, patch: Any) -> Any:
    if not isinstance(base, dict) or not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merge(out.get(key), value)
    return out


@attrs.define(kw_only=True)
class ApiServer(kmock.KubernetesEmulator):
    """kmock's emulator plus the API-server behaviour listed in the module docstring."""

    token: str = ""
    grants: set[tuple[str, str, str]] | str = ALL  # (verb, group, resource[/subresource]) or ALL
    seen: list[Seen] = attrs.field(factory=list)
    # an admission policy: a message refuses the request (HTTP 403), at the dry run as for real
    admission: Callable[[Seen], str | None] | None = None

    def _record(self, request: kmock.Request) -> Seen:
        query = tuple(sorted(request.params.items()))
        seen = Seen(
            request.method.value, request.url.path, query, request.data, request.headers.get("Authorization", "")
        )
        self.seen.append(seen)
        return seen

    async def _handle(self, request: kmock.Request) -> aiohttp.web.StreamResponse:
        seen = self._record(request)
        if self.token and seen.authorization != f"Bearer {self.token}":
            return _status(401, "Unauthorized", "Unauthorized")
        if request.resource == SSAR and request.action == enums.action.CREATE:
            return aiohttp.web.json_response(self._review(request.data), status=201)
        if self.admission is not None and seen.mutating:
            refusal = self.admission(seen)
            if refusal:
                return _status(403, "Forbidden", refusal)
        if request.resource is None:
            return await super()._handle(request)
        async with self._lock:
            if request.action == enums.action.LIST:
                return self._list(request)
            if request.action == enums.action.UPDATE:
                return self._patch(request, seen.dry_run)
            if request.action == enums.action.DELETE and seen.dry_run:
                key = (request.resource, request.namespace, request.name)
                if key not in self.objects or self.objects[key].deleted:
                    return _status(404, "NotFound", f"{request.name} not found")
                return aiohttp.web.json_response(self.objects[key].raw)
        return await super()._handle(request)

    def _review(self, body: Mapping[str, Any]) -> dict[str, Any]:
        attrs = body.get("spec", {}).get("resourceAttributes", {})
        resource = attrs.get("resource", "") + (f"/{attrs['subresource']}" if attrs.get("subresource") else "")
        allowed = self.grants == ALL or (attrs.get("verb", ""), attrs.get("group", ""), resource) in self.grants
        return {**body, "status": {"allowed": allowed, "reason": "granted by test" if allowed else ""}}

    def _list(self, request: kmock.Request) -> aiohttp.web.Response:
        selector = request.params.get("labelSelector", "")
        found = [
            obj.raw
            for (resource, namespace, _), obj in self.objects.items()
            if resource == request.resource and namespace == request.namespace and not obj.deleted
        ]
        found = [o for o in found if matches_selector(selector, o.get("metadata", {}).get("labels") or {})]
        return aiohttp.web.json_response({"kind": "List", "metadata": {"resourceVersion": "1"}, "items": found})

    def _patch(self, request: kmock.Request, dry_run: bool) -> aiohttp.web.Response:
        key = (request.resource, request.namespace, request.name)
        if key not in self.objects or self.objects[key].deleted:
            return _status(404, "NotFound", f"{request.name} not found")
        old = self.objects[key].raw
        try:
            if isinstance(request.data, list):
                new = jsonpatch.apply_patch(old, request.data, in_place=False)
            else:
                new = _merge(old, request.data)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
            return _status(422, "Invalid", f"the patch cannot be applied: {exc}")
        if request.resource == DEPLOYMENTS and new.get("spec") != old.get("spec"):
            meta = new.setdefault("metadata", {})
            meta["generation"] = int(meta.get("generation", 1)) + 1
        if not dry_run:
            self.objects[key].history.append(new)
        return aiohttp.web.json_response(new)
