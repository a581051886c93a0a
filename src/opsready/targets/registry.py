"""Adapters chosen by platform name, imported lazily (like testinfra's backends)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol

from opsready.errors import ConfigError
from opsready.profile import attach, profile_for

if TYPE_CHECKING:
    from opsready.config import Config, TargetConfig
    from opsready.targets.protocol import Target

ADAPTERS: dict[str, str] = {
    "sandbox": "opsready.sandbox.adapter:open_target",
    "kubernetes": "opsready.kubernetes.adapter:open_target",
    "hosts": "opsready.hosts.adapter:open_target",
}


class Opener(Protocol):
    """An adapter's entry point."""

    def __call__(self, config: Config, target: TargetConfig) -> Target: ...


def open_target(config: Config, name: str | None = None) -> Target:
    """The Target for a configured target name, through the adapter of its platform."""
    target = config.target(name)
    spec = ADAPTERS.get(target.platform)
    if spec is None:
        raise ConfigError(
            f"platform '{target.platform}' has no adapter in this version of opsready "
            f"(available: {', '.join(sorted(ADAPTERS))})",
            target.loc,
        )
    module_name, _, attr = spec.partition(":")
    profile = profile_for(config, target.name)  # a bad profile is reported before the target is opened
    opener: Opener = getattr(importlib.import_module(module_name), attr)
    opened = opener(config, target)
    attach(opened, profile)
    return opened
