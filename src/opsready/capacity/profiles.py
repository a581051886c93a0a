"""Load profiles (``loadtests/profiles.yaml``): how many users, how fast they arrive, for how long, at what pace.

::

    version: 1
    profiles:
      planned:                 # the load we plan for
        users: 10
        spawn_rate: 10         # users started per second (default: all at once)
        duration: 8s
        pacing: 2              # tasks per second of each user (0: no wait; absent: 0.5-2 s of think time)
        warmup: 1s             # not judged: users are still arriving
        workers: 1             # locust processes on this machine (more for loads one core cannot drive)
        max_requests: 100000   # the run is stopped once users made this many (seen as samples are flushed:
                               # every half second, so a few more may be made)
      rising:
        pacing: 2
        stages:                # a stepped shape instead of users/duration
          - {duration: 5s, users: 4}
          - {duration: 20s, users: 20, spawn_rate: 20}
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from opsready.errors import Loc, UsageError, ValidationError
from opsready.spelling import did_you_mean
from opsready.yamlsrc import MapReader, load_yaml

MAX_USERS = 10_000
MAX_DURATION = 24 * 3600.0
MAX_WORKERS = 64
DEFAULT_MAX_REQUESTS = 10_000_000


@dataclass(frozen=True)
class Stage:
    """One step of a stepped load: ``users`` for ``seconds``."""

    seconds: float
    users: int
    spawn_rate: float


@dataclass(frozen=True)
class LoadProfile:
    """A load to run: bounded in time (``duration``) and in count (``max_requests``)."""

    name: str
    users: int
    spawn_rate: float
    duration: float
    pacing: float | None = None
    workers: int = 1
    warmup: float = 0.0
    max_requests: int = DEFAULT_MAX_REQUESTS
    stages: tuple[Stage, ...] = ()
    loc: Loc | None = None

    @property
    def offered_rps(self) -> float | None:
        """The requests per second the users offer at most (paced profiles only)."""
        if self.pacing is None or self.pacing <= 0:
            return None
        return self.users * self.pacing

    def adjusted(self, **changes: object) -> LoadProfile:
        """A copy with some fields changed (``users``, ``duration``, ``pacing``, ...), validated again."""
        profile = replace(self, **changes)  # type: ignore[arg-type]
        check(profile)
        return profile


def problems(profile: LoadProfile) -> list[tuple[str, str]]:
    """(key, message) for every bound the profile breaks."""
    name = profile.name
    found = []
    if not 1 <= profile.users <= MAX_USERS:
        found.append(("users", f"profile '{name}': users must be 1 to {MAX_USERS}, got {profile.users}"))
    if profile.spawn_rate <= 0:
        found.append(("spawn_rate", f"profile '{name}': spawn_rate must be greater than 0"))
    if not 0 < profile.duration <= MAX_DURATION:
        found.append(("duration", f"profile '{name}': duration must be more than 0 s and at most 24 h"))
    if profile.pacing is not None and profile.pacing < 0:
        found.append(("pacing", f"profile '{name}': pacing cannot be negative"))
    if not 1 <= profile.workers <= MAX_WORKERS:
        found.append(("workers", f"profile '{name}': workers must be 1 to {MAX_WORKERS}"))
    if profile.warmup >= profile.duration:
        found.append(("warmup", f"profile '{name}': warmup must be shorter than the duration"))
    if profile.max_requests < 1:
        found.append(("max_requests", f"profile '{name}': max_requests must be at least 1"))
    return found


def check(profile: LoadProfile, reader: MapReader | None = None) -> None:
    """Bounds every profile must respect; a :class:`ValidationError` at the offending key (or the profile)."""
    found = problems(profile)
    if found:
        key, message = found[0]
        loc = reader.loc_of(key) if reader is not None else (profile.loc or Loc("<profile>"))
        raise ValidationError(message, loc)


def _stage(item: object, loc: Loc, name: str, index: int) -> Stage:
    r = MapReader(item, loc, f"profiles.{name}.stages[{index}]")
    users = r.integer("users", minimum=1)
    stage = Stage(seconds=r.duration("duration"), users=users, spawn_rate=r.number("spawn_rate", float(users)))
    if stage.seconds <= 0 or stage.spawn_rate <= 0:
        raise ValidationError("a stage needs a duration and a spawn_rate greater than 0", loc)
    r.done()
    return stage


def parse_profile(name: str, r: MapReader) -> LoadProfile:
    """One profile from its YAML mapping."""
    stages = tuple(_stage(item, loc, name, i) for i, (item, loc) in enumerate(r.items("stages", [])))
    if stages:
        for key in ("users", "duration"):
            if r.has(key):
                raise ValidationError(f"profile '{name}': '{key}' comes from the stages; remove it", r.loc_of(key))
        users, duration = max(s.users for s in stages), sum(s.seconds for s in stages)
    else:
        users, duration = r.integer("users", minimum=1), r.duration("duration")
    pacing = r.number("pacing", None)
    profile = LoadProfile(
        name=name,
        users=users,
        spawn_rate=r.number("spawn_rate", float(users)),
        duration=duration,
        pacing=pacing,
        workers=r.integer("workers", 1, minimum=1),
        warmup=r.duration("warmup", 0.0),
        max_requests=r.integer("max_requests", DEFAULT_MAX_REQUESTS, minimum=1),
        stages=stages,
        loc=r.loc,
    )
    r.done()
    check(profile, r)
    return profile


def load_profiles(path: Path) -> dict[str, LoadProfile]:
    """Every profile of a profiles file, validated (mistakes: ``path:line: message``)."""
    r = MapReader(load_yaml(path), Loc(str(path), 1), path.name)
    version = r.integer("version", 1)
    if version != 1:
        raise ValidationError(f"unsupported profiles version {version} (this opsready reads 1)", r.loc_of("version"))
    section = r.map("profiles")
    profiles = {name: parse_profile(name, section.map(name, f"profiles.{name}")) for name in section.names()}
    if not profiles:
        raise ValidationError("'profiles' defines no profile", r.loc_of("profiles"))
    r.done()
    return profiles


def pick(profiles: dict[str, LoadProfile], name: str, path: Path) -> LoadProfile:
    """A profile by name; an unknown one is a :class:`UsageError` listing the known ones."""
    if name not in profiles:
        known = ", ".join(profiles)
        raise UsageError(f"no load profile '{name}' in {path}{did_you_mean(name, tuple(profiles))}; known: {known}")
    return profiles[name]
