"""What a probe returns. Core: below both the probes that make observations and the targets that report them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Observation:
    """One read-only observation: did the check pass, what was measured, and the evidence."""

    probe: str
    ok: bool
    value: float | str | None = None
    unit: str = ""
    detail: str = ""
    at: float = field(default_factory=time.monotonic)

    def describe(self) -> str:
        """'readiness: ok (HTTP 200 ready)'."""
        shown = ""
        if isinstance(self.value, float):
            shown = f" {self.value:.4g}{self.unit}"
        elif self.value is not None:
            shown = f" {self.value}{self.unit}"
        return f"{self.probe}: {'ok' if self.ok else 'FAILED'}{shown}" + (f" ({self.detail})" if self.detail else "")
