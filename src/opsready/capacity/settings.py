"""``loadtests/capacity.yaml``: thresholds, the planned load, scaling triggers, the finder and planning inputs.

Everything is validated before any load starts; mistakes are ``path:line: message`` with exit code 2. Paths in it are
relative to the directory of ``opsready.yaml`` (the suite's root).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from opsready.capacity.finder import FinderSettings, parse_finder
from opsready.capacity.plan import PlanningSettings, parse_planning
from opsready.capacity.profiles import LoadProfile, load_profiles, pick
from opsready.capacity.scaling import ScalingPolicy, parse_scaling
from opsready.capacity.thresholds import Thresholds, parse_thresholds
from opsready.config.analysis import PromqlCheck, parse_promql_checks
from opsready.errors import Loc, ValidationError
from opsready.spelling import did_you_mean
from opsready.yamlsrc import MapReader, load_yaml

PROFILE_WORD = "profile"  # 'locustfile: profile': the users play the suite's service profile
JOURNEYS = Path("loadtests/journeys.py")  # the locustfile that plays a profile's journeys


@dataclass(frozen=True)
class CapacitySettings:
    """The whole capacity file, with its paths resolved."""

    path: Path
    locustfile: Path
    profiles_path: Path
    profiles: dict[str, LoadProfile]
    planned_load: str
    thresholds: Thresholds
    scaling: ScalingPolicy | None
    finder: FinderSettings
    planning: PlanningSettings
    plays_profile: bool = False  # 'locustfile: profile': users play the target's service profile (journeys.py)
    locustfile_loc: Loc | None = None
    promql: tuple[PromqlCheck, ...] = ()  # 'prometheus': thresholds judged from the target's Prometheus

    def profile(self, name: str | None = None) -> LoadProfile:
        """A load profile by name (the planned load by default)."""
        return pick(self.profiles, name or self.planned_load, self.profiles_path)


def load_settings(path: Path, root: Path) -> CapacitySettings:
    """Read and validate a capacity file and the profiles file it names."""
    r = MapReader(load_yaml(path), Loc(str(path), 1), path.name)
    version = r.integer("version", 1)
    if version != 1:
        raise ValidationError(
            f"unsupported capacity file version {version} (this opsready reads 1)", r.loc_of("version")
        )
    locustfile = Path(r.string("locustfile", "loadtests/locustfile.py"))
    plays_profile = str(locustfile) == PROFILE_WORD
    if plays_profile:
        locustfile = JOURNEYS  # plays any profile's journeys; the profile is the target's (capacity.journeys)
    profiles_path = Path(r.string("profiles", "loadtests/profiles.yaml"))
    planned = r.string("planned_load")
    thresholds = parse_thresholds(r)
    promql = parse_promql_checks(r, "prometheus", "prometheus")
    scaling_section = r.optional_map("scaling")
    scaling = parse_scaling(scaling_section) if scaling_section is not None else None
    finder = parse_finder(r.optional_map("finder"))
    planning = parse_planning(r.optional_map("planning"))
    r.done()

    def resolve(relative: Path) -> Path:  # paths in the file are relative to the suite's root
        return relative if relative.is_absolute() else root / relative

    if plays_profile and not resolve(locustfile).is_file():
        raise ValidationError(
            f"'locustfile: {PROFILE_WORD}' plays the service profile with {JOURNEYS}, which is not a file",
            r.loc_of("locustfile"),
        )
    resolved_profiles = resolve(profiles_path)
    if not resolved_profiles.is_file():
        raise ValidationError(f"'profiles' names {profiles_path}, which is not a file", r.loc_of("profiles"))
    profiles = load_profiles(resolved_profiles)
    for name, key in ((planned, "planned_load"), (finder.profile, "finder")):
        if name not in profiles:
            known = ", ".join(profiles)
            raise ValidationError(
                f"'{key}' names profile '{name}', which {resolved_profiles.name} does not define"
                f"{did_you_mean(name, tuple(profiles))}; it defines: {known}",
                r.loc_of(key),
            )
    return CapacitySettings(
        path=path,
        locustfile=resolve(locustfile),
        profiles_path=resolved_profiles,
        profiles=profiles,
        planned_load=planned,
        thresholds=thresholds,
        scaling=scaling,
        finder=finder,
        planning=planning,
        plays_profile=plays_profile,
        locustfile_loc=r.loc_of("locustfile"),
        promql=promql,
    )
