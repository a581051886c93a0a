"""Fixtures of the incident unit tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.incident.incident_helpers import ROOT


@pytest.fixture
def root() -> Path:
    """The repository, where the shipped runbooks live."""
    return ROOT
