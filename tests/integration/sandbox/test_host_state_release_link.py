"""On a real sandbox: the host-state check fails when the ``current`` link disagrees with the release history."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import pytest

from opsready.bdd.hoststate import release_link
from opsready.targets.protocol import Target


def test_the_release_link_check_fails_when_the_link_leaves_the_history(host: Any, target: Target) -> None:
    """The link is switched behind the history's back to another release directory; the check names both; the
    link is restored afterwards and the check passes again."""
    facts = target.host_expectations().release_link
    assert facts is not None
    link = Path(facts[0])
    original = os.readlink(link)
    release_link(host, target)  # agrees before the change
    stray = link.parent / "releases" / f"host-state-test-{secrets.token_hex(3)}"
    stray.mkdir()
    swap = link.with_name(f".current.test-{stray.name}")
    try:
        swap.symlink_to(os.path.join("releases", stray.name))
        os.replace(swap, link)  # atomically, as a hand-made switch would
        with pytest.raises(AssertionError, match=f"-> .*/releases/{stray.name}, but the release history says"):
            release_link(host, target)
    finally:
        swap.unlink(missing_ok=True)
        back = link.with_name(".current.test-restore")
        back.unlink(missing_ok=True)
        back.symlink_to(original)
        os.replace(back, link)
        stray.rmdir()
    assert os.readlink(link) == original
    release_link(host, target)
