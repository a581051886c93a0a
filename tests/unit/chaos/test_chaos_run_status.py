"""An experiment's status is chaostoolkit's word for the run, or 'unknown': never a free string."""

from __future__ import annotations

import pytest

from opsready.chaos.runner import RUN_STATUSES, _status


@pytest.mark.parametrize("status", ["completed", "failed", "aborted", "interrupted"])
def test_chaostoolkit_statuses_are_kept(status: str) -> None:
    """The four statuses chaostoolkit writes in its journal come through as they are."""
    assert _status(status) == status


@pytest.mark.parametrize("value", [None, "", "exploded", 3])
def test_anything_else_is_unknown(value: object) -> None:
    """A journal without a status, or with one we do not know, reads as 'unknown' (which is not 'completed')."""
    assert _status(value) == "unknown"
    assert "unknown" in RUN_STATUSES
