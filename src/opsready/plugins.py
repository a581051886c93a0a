"""Third-party plugins: platform adapters, probes and fault kinds other packages ship through entry points.

Like pytest's ``pytest11`` and testinfra's backends, a package declares what it adds in its own metadata::

    [project.entry-points."opsready.platforms"]
    toy = "opsready_toy.adapter:open_target"      # an Opener: (Config, TargetConfig) -> Target

    [project.entry-points."opsready.probes"]
    toy_flag = "opsready_toy.probes:FLAG"          # a ProbeSpec named like the entry point

    [project.entry-points."opsready.faults"]
    flag-file = "opsready_toy.faults:FLAG_FILE"    # a FaultPlugin whose kind is named like the entry point

Nothing is imported until a group is needed, and then only the entry points of that group. A plugin that fails to
import, two plugins of one group with one name, or a plugin taking a built-in name is a :class:`PluginError` naming
the package (exit code 2): opsready never picks one of two silently. ``opsready plugins`` lists what is installed.
See docs/plugins.md.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from typing import Literal, TypeVar

from opsready.errors import PluginError

Group = Literal["opsready.platforms", "opsready.probes", "opsready.faults"]
PLATFORMS_GROUP: Group = "opsready.platforms"
PROBES_GROUP: Group = "opsready.probes"
FAULTS_GROUP: Group = "opsready.faults"
GROUPS: tuple[Group, ...] = (PLATFORMS_GROUP, PROBES_GROUP, FAULTS_GROUP)
T = TypeVar("T")


@dataclass(frozen=True)
class Installed:
    """One entry point of an installed package: its name in its group, the object it names, and its package."""

    name: str
    group: Group
    value: str  # module:attribute
    package: str
    version: str

    def describe(self) -> str:
        """'toy (opsready.platforms) from opsready-toy 0.1.0'."""
        return f"'{self.name}' ({self.group}) from package {self.package} {self.version}"


@functools.cache
def installed(group: Group) -> tuple[Installed, ...]:
    """Every entry point of ``group`` installed, by package metadata alone (nothing is imported), in name order."""
    seen: dict[tuple[str, str, str], Installed] = {}
    for point in metadata.entry_points(group=group):
        dist = point.dist
        package = dist.metadata["Name"] if dist is not None else "an unknown package"
        version = dist.version if dist is not None else "?"
        entry = Installed(point.name, group, point.value, str(package), str(version))
        # one distribution seen twice on sys.path (an editable install and a source path) is one plugin
        seen.setdefault((entry.name, entry.value, entry.package.lower()), entry)
    return tuple(sorted(seen.values(), key=lambda e: (e.name, e.package)))


def names(group: Group, builtins: Iterable[str] = ()) -> dict[str, Installed]:
    """The plugins of ``group`` by name, checked: no two with one name, none taking a built-in name."""
    taken = set(builtins)
    found: dict[str, Installed] = {}
    for entry in installed(group):
        if entry.name in taken:
            raise PluginError(
                f"plugin {entry.describe()} takes the name of a built-in one; a plugin cannot replace it",
                hint=f"rename the entry point, or uninstall {entry.package}",
            )
        if entry.name in found:
            first = found[entry.name]
            raise PluginError(
                f"two plugins are named '{entry.name}' in {group}: package {first.package} {first.version} "
                f"and package {entry.package} {entry.version}",
                hint="uninstall one of them: opsready cannot tell which one is meant",
            )
        found[entry.name] = entry
    return found


def load(entry: Installed) -> object:
    """Import the object one entry point names; any failure is a :class:`PluginError` naming its package."""
    module, _, attr = entry.value.partition(":")
    try:
        loaded: object = __import__(module, fromlist=["_"])
        for part in attr.split(".") if attr else ():
            loaded = getattr(loaded, part)
    except Exception as exc:  # whatever a third party's import raises, the user must learn which package broke
        raise PluginError(
            f"plugin {entry.describe()} failed to load {entry.value}: {type(exc).__name__}: {exc}",
            hint=f"fix or uninstall {entry.package}",
        ) from None
    return loaded


def load_as(entry: Installed, kind: type[T], what: str) -> T:
    """Load an entry point and check that it is a ``kind`` (a :class:`PluginError` naming the package if not)."""
    loaded = load(entry)
    if not isinstance(loaded, kind):
        raise PluginError(
            f"plugin {entry.describe()} names {entry.value}, which is a {type(loaded).__name__}, not {what}",
            hint=f"fix or uninstall {entry.package}",
        )
    return loaded


def forget() -> None:
    """Read the installed entry points afresh next time (after installing or removing a package in-process)."""
    installed.cache_clear()
