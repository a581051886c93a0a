"""Adapters chosen by platform name, imported lazily (like testinfra's backends); third-party platforms arrive
through the ``opsready.platforms`` entry-point group (:mod:`opsready.plugins`)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol

from opsready.errors import ConfigError, PluginError
from opsready.plugins import PLATFORMS_GROUP, load, names
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


def platforms() -> tuple[str, ...]:
    """Every platform name a target may use: the built-in ones, then the installed plugins' (checked, not loaded)."""
    return (*ADAPTERS, *names(PLATFORMS_GROUP, ADAPTERS))


def _opener(platform: str) -> Opener | None:
    plugins = names(PLATFORMS_GROUP, ADAPTERS)  # a plugin taking a built-in name is refused even when unused
    spec = ADAPTERS.get(platform)
    if spec is not None:
        module_name, _, attr = spec.partition(":")
        opener: Opener = getattr(importlib.import_module(module_name), attr)
        return opener
    if platform not in plugins:
        return None
    loaded = load(plugins[platform])
    if not callable(loaded):
        entry = plugins[platform]
        raise PluginError(
            f"plugin {entry.describe()} names {entry.value}, which is not callable: a platform plugin names a "
            "function (config, target) -> Target",
            hint=f"fix or uninstall {entry.package}",
        )
    plugin: Opener = loaded
    return plugin


def open_target(config: Config, name: str | None = None) -> Target:
    """The Target for a configured target name, through the adapter of its platform."""
    target = config.target(name)
    opener = _opener(target.platform)
    if opener is None:
        raise ConfigError(
            f"platform '{target.platform}' has no adapter in this version of opsready "
            f"(available: {', '.join(sorted(platforms()))})",
            target.loc,
        )
    profile = profile_for(config, target.name)  # a bad profile is reported before the target is opened
    opened = opener(config, target)
    attach(opened, profile)
    return opened
