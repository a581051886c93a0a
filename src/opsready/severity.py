"""Incident severities, most severe first: one vocabulary for runbooks, classification, escalation and game days."""

from __future__ import annotations

from typing import Literal, get_args

SeverityName = Literal["critical", "high", "medium", "low"]
SEVERITIES: tuple[SeverityName, ...] = get_args(SeverityName)
