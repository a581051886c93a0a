"""The service profile's journeys as a capacity run's users: what locust is told when loadtests/capacity.yaml says
``locustfile: profile``.

The locust subprocess runs ``loadtests/journeys.py``; it learns the profile from ``OPSREADY_PROFILE`` (the target's
profile file: its own ``profile:`` in opsready.yaml, else the suite's) and whether it may write from
``OPSREADY_TARGET_KIND``. Endpoint thresholds must then name the journeys' steps as statistics name them
(``METHOD endpoint``); one that names no step would never be measured, so it is refused at its line before any load.
"""

from __future__ import annotations

from opsready.capacity.settings import PROFILE_WORD, CapacitySettings
from opsready.errors import ValidationError
from opsready.profile import Profile, kind_of, profile_of


def step_names(profile: Profile) -> tuple[str, ...]:
    """'METHOD endpoint' of every step (and cleanup step) of the profile's journeys, in order, each once."""
    names = [f"{s.method} {s.endpoint}" for j in profile.journeys for s in (*j.steps, *j.cleanup)]
    return tuple(dict.fromkeys(names))


def locust_env(settings: CapacitySettings, target: object) -> dict[str, str]:
    """The environment locust needs to play ``target``'s profile; empty when the capacity file names a locustfile."""
    if not settings.plays_profile:
        return {}
    profile = profile_of(target)
    where = settings.locustfile_loc
    if profile.path is None:
        name = getattr(target, "name", "the target")
        raise ValidationError(
            f"'locustfile: {PROFILE_WORD}' plays the service profile, but opsready.yaml names none for {name} "
            "('profile:', docs/profile.md)",
            where,
        )
    known = step_names(profile)
    for threshold in settings.thresholds.items:
        if threshold.endpoint is not None and threshold.endpoint not in known:
            raise ValidationError(
                f"endpoint '{threshold.endpoint}' is no step of {profile.where()}'s journeys; "
                f"they are: {', '.join(known)}",
                threshold.expr.loc,
            )
    return {"OPSREADY_PROFILE": str(profile.path.resolve()), "OPSREADY_TARGET_KIND": kind_of(target)}
