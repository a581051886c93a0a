"""``eventually``: retry an assertion until it holds, for state that converges (a restarted process, a drained pool)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(check: Callable[[], T], timeout: float = 10.0, interval: float = 0.2) -> T:
    """Call ``check`` until it returns without an AssertionError, within ``timeout`` seconds; return its value.

    The last AssertionError is re-raised with the number of attempts, so a failure says what was last seen.
    """
    deadline = time.monotonic() + timeout
    attempts = 0
    while True:
        attempts += 1
        try:
            return check()
        except AssertionError as exc:
            if time.monotonic() >= deadline:
                raise AssertionError(f"not true after {timeout:.1f} s ({attempts} attempts): {exc}") from exc
        time.sleep(interval)
