"""Who answers a page during a drill: a pluggable responder.

In CI the :class:`AutomaticResponder` acknowledges at once and approves the runbook's automated mitigation; the
timeline records it as ``auto``, so nobody mistakes a CI drill for a person's response time. A game day plugs in a
responder backed by a person at the keyboard (source ``person``). The protocol uses only built-in types, so a
responder can live in any package without importing this one.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Responder(Protocol):
    """Acknowledges pages and approves mitigations."""

    @property
    def name(self) -> str:
        """Who responds, as the timeline and the review name them."""
        ...

    @property
    def source(self) -> str:
        """'auto' for an automatic responder, 'person' for a human one (recorded on the timeline)."""
        ...

    def acknowledge(self, page: str, deadline: float) -> bool:
        """Acknowledge the page (a one-line summary of the incident) before ``deadline`` (monotonic clock);
        False when nobody did in time."""
        ...

    def approve_mitigation(self, plan: str, deadline: float) -> bool:
        """Approve running the automated mitigation (described in ``plan``) before ``deadline``; False declines."""
        ...


class AutomaticResponder:
    """The CI responder: acknowledges every page and approves every mitigation at once, and says it is automatic."""

    def __init__(self, name: str = "automatic responder (CI)") -> None:
        self._name = name
        self.pages: list[str] = []

    @property
    def name(self) -> str:
        """The name recorded on the timeline."""
        return self._name

    @property
    def source(self) -> str:
        """Always 'auto'."""
        return "auto"

    def acknowledge(self, page: str, deadline: float) -> bool:
        """Acknowledge at once (and remember the page, for tests and reports)."""
        self.pages.append(page)
        return True

    def approve_mitigation(self, plan: str, deadline: float) -> bool:
        """Approve at once."""
        return True
