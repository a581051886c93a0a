"""The safety allowlist: a command or drill that changes the target (faults, load, scaling, remedies) runs only on a
target listed in ``safety.destructive_targets``, and on one that is not a sandbox only with explicit consent."""

from __future__ import annotations

from opsready.config import Config
from opsready.errors import UsageError
from opsready.targets.protocol import Target


def check_destructive(config: Config, target: Target, allow_destructive: bool, what: str = "injecting faults") -> None:
    """Refuse ``what`` on ``target`` unless it is allowlisted (and, when it is not a sandbox, allowed explicitly)."""
    if target.name not in config.safety.destructive_targets:
        raise UsageError(
            f"refused: target '{target.name}' is not in safety.destructive_targets of {config.path.name}",
            hint=f"add it there if {what} may change it",
        )
    if target.platform != "sandbox" and not allow_destructive:
        raise UsageError(f"refused: {what} on {target.platform} target '{target.name}' needs --allow-destructive")
