"""Remediation a target may support: the operator's first moves in an incident, as platform operations.

An optional protocol beside :class:`~opsready.targets.protocol.Target` (which already offers ``rollback``): bring a
component back into service and return a network link to pass-through. Incident runbooks name these moves in their
automated mitigation; code reaches them through :func:`remediation_of` and never learns which platform it drives.
Every operation returns once its effect is confirmed by the platform, and says what it did.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from opsready.errors import UsageError


@runtime_checkable
class Remediable(Protocol):
    """A target whose components can be restarted and whose network links can be reset."""

    def components(self) -> tuple[str, ...]:
        """Names of the components :meth:`restart_component` accepts (read-only)."""
        ...

    def links(self) -> tuple[str, ...]:
        """Names of the network links :meth:`reset_link` accepts (read-only)."""
        ...

    def restart_component(self, name: str, timeout: float = 60.0) -> str:
        """Bring ``name`` back into service: start it when it is down, restart it fresh when it runs (a frozen
        process included); returns once it runs again, with a sentence saying what was done."""
        ...

    def reset_link(self, name: str, timeout: float = 10.0) -> str:
        """Remove every impairment (latency, resets, blackholes, a stopped listener) from link ``name``; returns once
        the link passes traffic through again, with a sentence saying what was removed."""
        ...


def remediation_of(target: object) -> Remediable:
    """``target`` as :class:`Remediable`, or a :class:`UsageError` naming what the platform lacks."""
    if not isinstance(target, Remediable):
        platform = getattr(target, "platform", type(target).__name__)
        raise UsageError(f"platform '{platform}' offers no remediation (restart a component, reset a link)")
    return target
