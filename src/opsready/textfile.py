"""Reading the user's text files: every input opsready reads (configuration, experiments, plans, runbooks, templates,
traffic histories, feature files) comes through :func:`read_text`, so a byte that is not UTF-8 is a
``path:line`` error with the offending byte named, never a traceback."""

from __future__ import annotations

from pathlib import Path

from opsready.errors import Loc, UserError, ValidationError


def decode(data: bytes, path: str, encoding: str = "utf-8") -> str:
    """Decode a user file's bytes; an invalid byte is a :class:`ValidationError` at its line and column."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        bad = data[exc.start : exc.end].hex(" ")
        raise ValidationError(
            f"not UTF-8 text: byte {bad} at column {column}", Loc(path, line), hint="save the file as UTF-8"
        ) from None


def read_text(path: Path | str, what: str = "file", encoding: str = "utf-8") -> str:
    """Read a user's text file; a missing, unreadable or non-UTF-8 file is a :class:`UserError` naming it."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{what} not found: {p}") from None
    except IsADirectoryError:
        raise UserError(f"{what} is a directory, not a file: {p}") from None
    except OSError as exc:
        raise UserError(f"cannot read {what} {p}: {exc.strerror}") from None
    return decode(data, str(p), encoding)
