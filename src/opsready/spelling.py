"""Suggestions for misspelt names in error messages: ``unknown probe 'latncy' (did you mean 'latency'?)``."""

from __future__ import annotations

import difflib
from collections.abc import Sequence


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    """A ' (did you mean X?)' suffix when ``word`` is close to one of ``choices``, else ''."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
