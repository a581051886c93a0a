"""The synthetic-flaw fault: one release's api processes fail a share of user requests (or answer late) until reverted.

The flaw is tied to the release, not to the service: it lives in a flaw file that only the processes serving that
release apply (:mod:`opsready.sandbox.service.flaws`). A real rollback therefore ends what users see while the fault is
still applied and journaled; the revert deletes the file.
"""

from __future__ import annotations

from pathlib import Path

from opsready.errors import UsageError
from opsready.observation import Observation
from opsready.sandbox.faults.base import SandboxFault
from opsready.sandbox.service.flaws import Flaw, flaw_file, write_flaw
from opsready.targets.faults import Facts


class SyntheticFlaw(SandboxFault):
    """Write a flaw file for one installed release; the revert deletes it."""

    @property
    def path(self) -> Path:
        """This fault's flaw file."""
        return flaw_file(self.sandbox.layout.state, self.fault_id)

    @property
    def flaw(self) -> Flaw:
        """The flaw this fault stands for."""
        return Flaw(
            self.fault_id,
            self.spec.text("release"),
            self.spec.number("error_share"),
            round(self.spec.number("latency") * 1000),
        )

    def describe(self) -> str:
        """What would happen."""
        f = self.flaw
        return (
            f"synthetic flaw on release {f.release} of the {self.where}: {f.error_share:.0%} of its user requests fail "
            f"with HTTP 500, {f.latency_ms} ms added (only processes serving {f.release}); the revert deletes it"
        )

    def prepare(self) -> Facts:
        """The release must be installed, and the flaw must do something."""
        f = self.flaw
        installed = (
            {p.name for p in self.sandbox.layout.releases.iterdir()} if self.sandbox.layout.releases.is_dir() else set()
        )
        if f.release not in installed:
            known = ", ".join(sorted(installed)) or "none"
            raise UsageError(f"release {f.release} is not installed on the {self.where} (installed: {known})")
        if not f.error_share and not f.latency_ms:
            raise UsageError("a synthetic flaw needs error_share above 0% or latency above 0 s: this one does nothing")
        return (("file", str(self.path)),)

    def inject(self, deadline: float) -> None:
        """Write the flaw file; the release's processes apply it from their next request."""
        write_flaw(self.sandbox.layout.state, self.flaw)

    def revert(self, timeout: float) -> None:
        """Delete the flaw file (harmless when it is gone)."""
        Path(self.facts.get("file") or self.path).unlink(missing_ok=True)

    def verify_reverted(self) -> Observation:
        """The flaw file is gone."""
        path = Path(self.facts.get("file") or self.path)
        gone = not path.exists()
        return Observation("synthetic flaw removed", gone, None, "", f"{path.name} {'gone' if gone else 'still there'}")
