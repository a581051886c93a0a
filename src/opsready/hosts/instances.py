"""Each app host's own instance, asked directly over HTTP (never through the balancer): health, readiness, version."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from opsready.errors import HostError
from opsready.hosts.options import HostEntry, HostsOptions


@dataclass(frozen=True)
class InstanceState:
    """What one instance answered: health and readiness (HTTP 200 or not), its version, and why when not."""

    host: str
    url: str
    healthy: bool
    ready: bool
    version: str | None
    detail: str = ""

    @property
    def serving(self) -> bool:
        """Healthy and ready."""
        return self.healthy and self.ready


def _get(url: str, timeout: float) -> tuple[int, str]:
    """(status, body) of a GET; status 0 with the reason when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # http(s): checked in options
            return response.status, response.read(4096).decode("utf-8", "replace").strip()
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except (urllib.error.URLError, OSError) as exc:
        return 0, str(getattr(exc, "reason", exc))


def probe(options: HostsOptions, entry: HostEntry) -> InstanceState:
    """Ask the instance on ``entry`` for /healthz, /readyz and /version once."""
    base = options.instance_url(entry)
    t = options.http_timeout
    health, why = _get(base + options.health_path, t)
    ready, _ = _get(base + options.readiness_path, t) if health else (0, "")
    status, version = _get(base + options.version_path, t) if health else (0, "")
    detail = "" if health == 200 else f"{options.health_path}: {health or why}"
    if health == 200 and ready != 200:
        detail = f"{options.readiness_path}: {ready}"
    return InstanceState(entry.name, base, health == 200, ready == 200, version if status == 200 else None, detail)


def wait_serving(options: HostsOptions, entry: HostEntry, version: str) -> InstanceState:
    """Wait until the instance on ``entry`` is ready and reports ``version``; HostError naming the host otherwise."""
    deadline = time.monotonic() + options.ready_within
    while True:
        state = probe(options, entry)
        if state.serving and state.version == version:
            return state
        if time.monotonic() > deadline:
            seen = state.detail or f"it reports version {state.version!r}"
            raise HostError(
                f"checking the instance failed: not ready on {version} within {options.ready_within:g} s ({seen})",
                entry.name,
            )
        time.sleep(0.2)
