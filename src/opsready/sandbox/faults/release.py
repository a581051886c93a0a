"""The bad-release fault: deploy one of the sandbox's flawed training releases; the revert switches back."""

from __future__ import annotations

from opsready.errors import TargetError, UsageError
from opsready.observation import Observation
from opsready.sandbox import rollout
from opsready.sandbox.faults.base import SandboxFault
from opsready.targets.faults import Facts


def training_releases() -> tuple[str, ...]:
    """The shipped releases that are flawed on purpose."""
    return tuple(r.version for r in rollout.shipped() if r.training)


class BadRelease(SandboxFault):
    """Deploy a training release with the sandbox's own graceful switch; revert to the release that served before."""

    @property
    def release(self) -> str:
        """The flawed release."""
        return self.spec.text("release")

    def describe(self) -> str:
        """What would happen."""
        return (
            f"deploy training release {self.release} on the {self.where} (graceful switch); "
            "the revert switches back to the release that served before"
        )

    def prepare(self) -> Facts:
        """Remember the release to return to; it must be a good one."""
        current = self.sandbox.current_release()
        if not current:
            raise TargetError(f"the {self.where} has no current release")
        if current in training_releases():
            raise UsageError(f"the {self.where} already serves training release {current}: deploy a good one first")
        return (("previous", current),)

    def inject(self, deadline: float) -> None:
        """Switch to the flawed release."""
        rollout.switch(self.sandbox, self.release, "deploy", f"chaos fault {self.fault_id}")

    def revert(self, timeout: float) -> None:
        """Switch back unless the previous release already serves."""
        previous = self.facts["previous"]
        if self.sandbox.current_release() == previous:
            return
        if not self.up():
            raise TargetError(f"the {self.where} is down: start it, then revert again to return to {previous}")
        rollout.switch(self.sandbox, previous, "rollback", f"chaos revert {self.fault_id}")

    def verify_reverted(self) -> Observation:
        """The previous release is current and the service itself says so."""
        import httpx

        previous = self.facts["previous"]
        current = self.sandbox.current_release()
        if current != previous:
            return Observation("release restored", False, current, "", f"current is {current}, not {previous}")
        if not self.up():
            return Observation("release restored", True, current, "", "current link restored; the sandbox is down")
        try:
            served = httpx.get(f"{self.sandbox.base_url}/version", timeout=2.0).json().get("version")
        except (httpx.HTTPError, ValueError) as exc:
            return Observation("release restored", False, current, "", f"/version: {type(exc).__name__}")
        return Observation("release restored", served == previous, str(served), "", f"serving {served}")
