"""What every sandbox fault shares: its sandbox, spec, id and facts, and access to supervised programs."""

from __future__ import annotations

import contextlib
import time
from typing import Any

from opsready.errors import TargetError
from opsready.observation import Observation
from opsready.sandbox.manager import Sandbox
from opsready.sandbox.supervisor import Supervisor
from opsready.targets.faults import Facts, FaultBase, FaultSpec


class SandboxFault(FaultBase):
    """Base of the sandbox's faults; subclasses implement describe, inject, revert and verify_reverted."""

    def __init__(self, sandbox: Sandbox, spec: FaultSpec, fault_id: str, facts: Facts = ()) -> None:
        super().__init__(spec, fault_id, facts)
        self.sandbox = sandbox

    @property
    def where(self) -> str:
        """The sandbox, for messages: 'sandbox in /path/state'."""
        return f"sandbox in {self.sandbox.layout.state}"

    @property
    def placement(self) -> str:
        """'on the sandbox in /path/state'."""
        return f"on the {self.where}"

    def up(self) -> bool:
        """Whether the sandbox runs at all (a sandbox that is down holds no running fault)."""
        return self.sandbox.is_up()

    def supervisor(self) -> Supervisor:
        """Control of the sandbox's supervisord."""
        return self.sandbox.supervisor()

    def program(self, name: str) -> dict[str, Any]:
        """supervisord's view of one program."""
        return self.supervisor().info(name)

    def running_pid(self, name: str) -> int:
        """The pid of a RUNNING program, or a :class:`TargetError` saying its state."""
        info = self.program(name)
        if info["statename"] != "RUNNING" or not info["pid"]:
            raise TargetError(f"'{name}' is {info['statename']} on the {self.where}, not RUNNING")
        return int(info["pid"])

    def ensure_running(self, name: str, timeout: float) -> None:
        """Start ``name`` if supervisord has given up on it or it is stopped, and wait until it is RUNNING."""
        deadline = time.monotonic() + timeout
        sup = self.supervisor()
        state = "?"
        while time.monotonic() < deadline:
            state = sup.info(name)["statename"]
            if state == "RUNNING":
                return
            if state in ("STOPPED", "EXITED", "FATAL"):
                # raced with an automatic restart, or it failed to start: look again either way
                with contextlib.suppress(TargetError):
                    sup.call("startProcess", name, True)
            time.sleep(0.05)
        raise TargetError(f"'{name}' did not run again within {timeout:g} s (state {state}) on the {self.where}")

    def observe_running(self, name: str, probe: str) -> Observation:
        """An observation that a program is RUNNING."""
        state = self.program(name)["statename"]
        return Observation(probe, state == "RUNNING", state, "", f"'{name}' is {state}")
