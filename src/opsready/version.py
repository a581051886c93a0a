"""The installed version of opsready, read from the package metadata (pyproject.toml is its one source)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("opsready")
except PackageNotFoundError:  # a source tree on sys.path without an install: say so rather than guess a number
    __version__ = "0+unknown"
