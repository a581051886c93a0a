"""The options of a ``platform: kubernetes`` target in opsready.yaml, validated before anything reaches a cluster.

::

    targets:
      kind:
        platform: kubernetes
        context: kind-opsready            # kubeconfig context (default: its current-context)
        kubeconfig: ~/.kube/config        # default: $KUBECONFIG, else ~/.kube/config
        namespace: orders                 # must be listed in safety.kubernetes_namespaces
        deployment: orders-api            # or deployments: [{name, container, image}, ...]
        container: api
        image: registry.example.com/orders:{version}
        service: orders                   # the Service users reach (endpoints, port-forward)
        service_url: http://127.0.0.1:8080   # or port_forward: 80 (kubectl port-forward to a free local port)
        releases: [1.0.0, 1.1.0, 1.2.0]
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from opsready.config import Config, TargetConfig
from opsready.errors import ConfigError, Loc, UsageError, ValidationError
from opsready.kubernetes.safety import Selector, check_name, check_namespace, parse_selector
from opsready.yamlsrc import MapReader

# what a failed rollout leaves behind: rolled back to the previous template, or left for people to inspect
OnFailedRollout = Literal["rollback", "leave"]
ON_FAILED_ROLLOUT: tuple[OnFailedRollout, ...] = get_args(OnFailedRollout)
# an OCI image tag: what a version must be to become one
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_URL = re.compile(r"https?://[^\s/@]+(?::\d+)?(?:/\S*)?")


@dataclass(frozen=True)
class Workload:
    """A Deployment whose container image follows the release version."""

    deployment: str
    container: str
    image: str  # a template with one '{version}'
    loc: Loc
    init_containers: tuple[str, ...] = ()  # init containers that run the same image (migrations)

    def image_for(self, version: str) -> str:
        """The image reference of ``version``."""
        return self.image.replace("{version}", version)

    def version_of(self, image: str) -> str | None:
        """The version an image reference stands for, or None when it does not follow the template."""
        prefix, _, suffix = self.image.partition("{version}")
        if image.startswith(prefix) and image.endswith(suffix) and len(image) > len(prefix) + len(suffix):
            version = image[len(prefix) : len(image) - len(suffix)]
            return version if _TAG.fullmatch(version) else None
        return None


@dataclass(frozen=True)
class KubeReleaseSpec:
    """A version the target may be switched to."""

    version: str
    description: str = ""
    training: bool = False


@dataclass(frozen=True)
class KubeOptions:
    """Everything the Kubernetes adapter needs to know, typed and checked."""

    namespace: str
    allowed_namespaces: tuple[str, ...]
    workloads: tuple[Workload, ...]
    kubeconfig: str | None  # one path or several joined by ':' ($KUBECONFIG style); None: the default
    context: str | None
    context_loc: Loc
    selector: Selector | None
    service: str | None
    service_url: str | None
    port_forward: int | None
    releases: tuple[KubeReleaseSpec, ...]
    rollout_timeout: float
    poll_interval: float
    request_timeout: float
    on_failed_rollout: OnFailedRollout
    loc: Loc

    @property
    def primary(self) -> Workload:
        """The workload whose version is the target's release."""
        return self.workloads[0]

    def kubeconfig_paths(self) -> tuple[Path, ...]:
        """The kubeconfig files that will be read."""
        raw = self.kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"
        return tuple(Path(p).expanduser() for p in raw.split(os.pathsep) if p)


def check_version(version: object) -> str:
    """A version usable as an image tag; anything else is a :class:`UsageError` before a request is made."""
    if not isinstance(version, str) or _TAG.fullmatch(version) is None:
        raise UsageError(f"release {version!r} cannot be an image tag (letters, digits, '_', '.', '-'; at most 128)")
    return version


def _image(r: MapReader, key: str) -> str:
    image = r.string(key)
    if image.count("{version}") != 1 or any(c.isspace() for c in image) or "{" in image.replace("{version}", ""):
        raise ValidationError(
            f"'{key}' must contain '{{version}}' exactly once, like 'registry/orders:{{version}}'", r.loc_of(key)
        )
    return str(image)


def _checked(r: MapReader, key: str, check: Callable[..., str], *args: object) -> str:
    value = r.raw(key)
    try:
        return check(value, *args)
    except UsageError as exc:
        raise ValidationError(exc.message, r.loc_of(key)) from None


def _init_containers(r: MapReader) -> tuple[str, ...]:
    names = r.str_list("init_containers", ())
    for name in names:
        try:
            check_name(name, "init container")
        except UsageError as exc:
            raise ValidationError(exc.message, r.loc_of("init_containers")) from None
    return tuple(names)


def _workloads(r: MapReader) -> tuple[Workload, ...]:
    if r.has("deployments"):
        if r.has("deployment"):
            raise ValidationError("give either 'deployment' or 'deployments', not both", r.loc_of("deployment"))
        found = []
        for item, loc in r.items("deployments"):
            w = MapReader(item, loc, "an entry of 'deployments'")
            found.append(
                Workload(
                    _checked(w, "name", check_name, "deployment"),
                    _checked(w, "container", check_name, "container"),
                    _image(w, "image"),
                    loc,
                    _init_containers(w),
                )
            )
            w.done()
        if not found:
            raise ValidationError("'deployments' must name at least one deployment", r.loc_of("deployments"))
        return tuple(found)
    return (
        Workload(
            _checked(r, "deployment", check_name, "deployment"),
            _checked(r, "container", check_name, "container"),
            _image(r, "image"),
            r.loc_of("deployment"),
            _init_containers(r),
        ),
    )


def _releases(r: MapReader) -> tuple[KubeReleaseSpec, ...]:
    found: list[KubeReleaseSpec] = []
    for item, loc in r.items("releases", []):
        if isinstance(item, str):
            spec = KubeReleaseSpec(item)
        else:
            m = MapReader(item, loc, "an entry of 'releases'")
            spec = KubeReleaseSpec(m.string("version"), m.string("description", ""), m.flag("training", False))
            m.done()
        try:
            check_version(spec.version)
        except UsageError as exc:
            raise ValidationError(exc.message, loc) from None
        found.append(spec)
    return tuple(found)


def _url(r: MapReader) -> str | None:
    url = r.string("service_url", None)
    if url is not None and _URL.fullmatch(url) is None:
        raise ValidationError(
            "'service_url' must be an http(s) URL without credentials, like http://127.0.0.1:8080",
            r.loc_of("service_url"),
        )
    return url.rstrip("/") if url else None


def parse_options(config: Config, target: TargetConfig) -> KubeOptions:
    """Typed options of a kubernetes target; every mistake is a :class:`ConfigError` at its line."""
    try:
        r = target.reader()
        namespace = _checked(r, "namespace", check_namespace, config.safety.kubernetes_namespaces)
        workloads = _workloads(r)
        selector_text = r.string("selector", None)
        selector = None
        if selector_text is not None:
            try:
                selector = parse_selector(selector_text)
            except UsageError as exc:
                raise ValidationError(exc.message, r.loc_of("selector")) from None
        service = _checked(r, "service", check_name, "service") if r.has("service") else None
        service_url = _url(r)
        port_forward = r.integer("port_forward", None, minimum=1)
        if service_url and port_forward:
            raise ValidationError("give either 'service_url' or 'port_forward', not both", r.loc_of("port_forward"))
        if not service_url and not port_forward:
            raise ValidationError("say how users reach the service: 'service_url' or 'port_forward'", r.loc)
        if port_forward and not service:
            raise ValidationError("'port_forward' needs 'service': the Service to forward to", r.loc_of("port_forward"))
        kubeconfig = r.string("kubeconfig", None)
        if kubeconfig:
            kubeconfig = os.pathsep.join(
                str(config.resolve(Path(p).expanduser())) for p in kubeconfig.split(os.pathsep) if p
            )
        options = KubeOptions(
            namespace=namespace,
            allowed_namespaces=config.safety.kubernetes_namespaces,
            workloads=workloads,
            kubeconfig=kubeconfig,
            context=r.string("context", None),
            context_loc=r.loc_of("context"),
            selector=selector,
            service=service,
            service_url=service_url,
            port_forward=port_forward,
            releases=_releases(r),
            rollout_timeout=r.duration("rollout_timeout", 600.0),
            poll_interval=r.duration("poll_interval", 1.0),
            request_timeout=r.duration("request_timeout", 10.0),
            on_failed_rollout=r.choice("on_failed_rollout", ON_FAILED_ROLLOUT, "rollback"),
            loc=target.loc,
        )
        if options.poll_interval <= 0 or options.request_timeout <= 0:
            raise ValidationError("'poll_interval' and 'request_timeout' must be greater than zero", r.loc)
        r.done()
    except ValidationError as exc:
        raise ConfigError(exc.message, exc.loc, exc.hint) from None
    return options
