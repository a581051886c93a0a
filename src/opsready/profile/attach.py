"""Which profile a target serves: attached when the registry opens it, else the suite's (or the built-in one).

Probes receive a target, not a configuration; :func:`profile_of` lets them ask what its users do. A target opened
outside the registry (a test's own) gets the profile the suite found from the working directory gives a target of its
name, or the built-in one when the suite names no such target.
"""

from __future__ import annotations

import functools
import weakref
from pathlib import Path

from opsready.errors import ConfigError
from opsready.profile.model import Journey, Profile, builtin_profile

_attached: weakref.WeakKeyDictionary[object, Profile] = weakref.WeakKeyDictionary()
_pinned: dict[int, tuple[object, Profile]] = {}  # targets that cannot be weakly referenced (kept alive: rare)


def attach(target: object, profile: Profile) -> None:
    """Remember that ``target`` serves ``profile``."""
    try:
        _attached[target] = profile
    except TypeError:  # unhashable, or without __weakref__ (a plugin's target with __slots__)
        _pinned[id(target)] = (target, profile)


def profile_of(target: object) -> Profile:
    """The profile attached to ``target``; else the suite's for a target the suite names; else the built-in one."""
    try:
        return _attached[target]
    except (KeyError, TypeError):
        pinned = _pinned.get(id(target))
        if pinned is not None and pinned[0] is target:
            return pinned[1]
    from opsready.config import find_config

    try:
        path = find_config()
    except ConfigError:
        return builtin_profile()
    name = getattr(target, "name", None)
    return _suite_profile(path, path.stat().st_mtime_ns, name if isinstance(name, str) else None)


@functools.lru_cache(maxsize=8)
def _suite_profile(path: Path, mtime_ns: int, name: str | None) -> Profile:
    from opsready.config import load_config
    from opsready.profile.load import profile_for

    config = load_config(path)
    if name not in {t.name for t in config.targets}:
        return builtin_profile()  # a target the suite does not name does not serve the suite's service
    return profile_for(config, name)


def kind_of(target: object) -> str:
    """'disposable' or 'real' (a target that does not say is treated as real: writing journeys are held back)."""
    return str(getattr(target, "kind", "real"))


def traffic_of(target: object) -> tuple[Journey, ...]:
    """The journeys background traffic plays against ``target`` (its profile's, as its kind allows)."""
    return profile_of(target).traffic(kind_of(target))
