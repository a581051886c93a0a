"""Platform ``toy``: a directory stands for the system under test; a flag file in ``flags/`` stands for a problem."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from opsready.config import Config, TargetConfig, TargetKind
from opsready.errors import UsageError
from opsready.observation import Observation
from opsready.targets.faults import Facts, Fault, FaultKind, FaultSpec
from opsready.targets.protocol import (
    HostExpectations,
    Instance,
    Release,
    ReleaseRecord,
    Say,
    TargetDescription,
    quiet,
)


@dataclass
class ToyTarget:
    """A directory: running while it exists; its faults are journaled in ``faults/`` inside it."""

    name: str
    kind: TargetKind
    directory: Path
    platform: str = "toy"

    @property
    def base_url(self) -> str:
        """No service to reach: a toy."""
        return "http://127.0.0.1:9"

    @property
    def flags(self) -> Path:
        """Where faults raise their flags."""
        return self.directory / "flags"

    def is_running(self) -> bool:
        """The directory exists."""
        return self.directory.is_dir()

    def start(self, say: Say = quiet) -> None:
        """Create the directory."""
        self.flags.mkdir(parents=True, exist_ok=True)

    def stop(self, say: Say = quiet, purge: bool = False) -> None:
        """Nothing runs."""

    def close(self) -> None:
        """Nothing is held."""

    def describe(self) -> TargetDescription:
        """The directory."""
        return TargetDescription(self.name, self.platform, self.base_url, (("directory", str(self.directory)),))

    def releases(self) -> tuple[Release, ...]:
        """None."""
        return ()

    def current_release(self) -> str:
        """None."""
        return "none"

    def history(self) -> tuple[ReleaseRecord, ...]:
        """None."""
        return ()

    def deploy(self, version: str, kind: str = "deploy", note: str = "") -> ReleaseRecord:
        """A toy has no releases."""
        raise UsageError("the toy platform has no releases")

    def rollback(self, note: str = "") -> ReleaseRecord:
        """A toy has no releases."""
        raise UsageError("the toy platform has no releases")

    def instances(self) -> tuple[Instance, ...]:
        """One component: the directory."""
        return (Instance("directory", "RUNNING" if self.is_running() else "STOPPED"),)

    def check_database(self, timeout: float = 2.0) -> tuple[bool, str]:
        """No database."""
        return True, "no database"

    def testinfra_hosts(self) -> tuple[str, ...]:
        """This machine."""
        return ("local://",)

    def host_expectations(self) -> HostExpectations:
        """Nothing in particular."""
        return HostExpectations()

    # FaultInjectable: the platform offers no kinds of its own; the flag-file plugin adds one
    def fault_kinds(self) -> tuple[FaultKind, ...]:
        """None of its own."""
        return ()

    def fault(self, spec: FaultSpec, fault_id: str, facts: Facts = ()) -> Fault:
        """None of its own."""
        raise UsageError(f"the toy platform has no fault kind '{spec.kind}' of its own")

    def fault_journal_dir(self) -> Path:
        """Beside the flags."""
        return self.directory / "faults"

    def fault_residue(self) -> tuple[Observation, ...]:
        """Nothing of its own."""
        return ()


def open_target(config: Config, target: TargetConfig) -> ToyTarget:
    """The entry point of platform ``toy``: option ``directory`` (relative to opsready.yaml)."""
    reader = target.reader()
    directory = config.resolve(Path(reader.string("directory")))
    reader.done()
    return ToyTarget(target.name, target.kind, directory)
