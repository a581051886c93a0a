"""The release-candidate gate: which releases it moves between, when it refuses, and what it leaves serving.

The gate's feature files name no release: the candidate comes from the command line and the previous release from
the target (the one it serves now). Before anything changes, :func:`plan_candidate` refuses (exit code REFUSED) a
candidate the target does not know, one only some hosts have, a target that serves no release (nothing to roll back
to), or a candidate that already serves (unless only the drills are asked for). After the run, :func:`leave` leaves
the candidate serving when the gate is ready, the previous release when it is not.
"""

from __future__ import annotations

from dataclasses import dataclass

from opsready.errors import OpsreadyError, Refused, UsageError
from opsready.targets.protocol import HasReleasePresence, Say, Target, quiet

DRILLS_ONLY_FLAG = "--drills-only"


@dataclass(frozen=True)
class CandidatePlan:
    """What one release-candidate gate run does: deploy ``candidate`` over ``previous``, or only run the drills."""

    target: str
    candidate: str
    previous: str  # the release that served before the candidate ("" when only the drills run and none is known)
    drills_only: bool = False

    def describe(self) -> str:
        """'candidate 1.1.0 over 1.0.0 on target sandbox' (what the reports and the terminal say)."""
        if self.drills_only:
            return f"candidate {self.candidate} already serving on target {self.target}: drills only"
        return f"candidate {self.candidate} over {self.previous} on target {self.target}"


def _serving(target: Target) -> str:
    try:
        return target.current_release().strip()
    except OpsreadyError as exc:
        raise Refused(
            f"target '{target.name}' serves no release it can name ({exc.message}): there is no previous release "
            "to roll back to; nothing was deployed",
            hint="deploy a release the usual way first, then gate the candidate",
        ) from None


def _previous_of(target: Target, candidate: str) -> str:
    """The release that served before ``candidate`` by the target's history ("" when it does not say)."""
    for record in reversed(target.history()):
        if record.version == candidate and record.previous and record.previous != candidate:
            return record.previous
    return ""


def plan_candidate(target: Target, candidate: str, drills_only: bool = False) -> CandidatePlan:
    """The plan for gating ``candidate`` on ``target``, or :class:`Refused` saying why not (read-only)."""
    name = target.name
    candidate = candidate.strip()
    if not candidate:
        raise UsageError("--candidate needs a release name")
    known = tuple(r.version for r in target.releases())
    if candidate not in known:
        raise Refused(
            f"candidate {candidate} is unknown on target '{name}' (it knows: {', '.join(known) or 'no release'}); "
            "nothing was deployed",
            hint="build and ship the candidate to the target first, or check its name",
        )
    if isinstance(target, HasReleasePresence):
        presence = target.release_presence(candidate)
        missing = [host for host, present in presence if not present]
        if missing:
            have = [host for host, present in presence if present]
            raise Refused(
                f"candidate {candidate} is present on only some hosts of target '{name}': on "
                f"{', '.join(have) or 'none'}, missing on {', '.join(missing)}; nothing was deployed",
                hint="ship the candidate to every host, then run the gate again",
            )
    serving = _serving(target)
    if not serving:
        raise Refused(
            f"target '{name}' serves no release: there is no previous release to roll back to; nothing was deployed"
        )
    if serving == candidate:
        if not drills_only:
            raise Refused(
                f"candidate {candidate} already serves on target '{name}': there is nothing to deploy and no "
                f"rollback to rehearse; nothing was changed",
                hint=f"to run only the platform-neutral drills against it, add {DRILLS_ONLY_FLAG}",
            )
        return CandidatePlan(name, candidate, _previous_of(target, candidate), drills_only=True)
    if drills_only:
        raise UsageError(
            f"{DRILLS_ONLY_FLAG} is for a candidate that already serves; target '{name}' serves {serving}, "
            f"not {candidate}"
        )
    return CandidatePlan(name, candidate, serving)


def leave(target: Target, plan: CandidatePlan, ready: bool, say: Say = quiet) -> str:
    """Leave the candidate serving when the gate is ready, the previous release when it is not; returns a line
    saying which serves (a drills-only run changes nothing)."""
    serving = target.current_release()
    if plan.drills_only:
        return f"{serving} serves on target {plan.target} (drills only: nothing was changed)"
    wanted = plan.candidate if ready else plan.previous
    verdict = "ready" if ready else "not ready"
    if serving != wanted:
        kind = "deploy" if ready else "rollback"
        say(f"candidate gate {verdict}: switching {serving} -> {wanted}")
        target.deploy(wanted, kind, f"release-candidate gate: {verdict}")
    which = "the candidate" if ready else "the previous release"
    return f"{wanted} ({which}) serves on target {plan.target}: the candidate gate is {verdict}"
