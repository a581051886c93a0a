""" "Data intact": a count and a checksum of the service's data, from an endpoint or an SQL query.

The SQL query's database URL is read from the environment variable the profile names, at the moment of the count,
and never leaves this module: a failure names the variable, never its value.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from opsready.errors import ProbeError, UsageError
from opsready.profile.model import DataCheck, Profile

_WATERMARK = re.compile(r":watermark\b")


@dataclass(frozen=True)
class DataCount:
    """How many records the service held, the checksum over them, and up to which key (None: no watermark)."""

    count: int
    checksum: str
    watermark: object = None

    def describe(self) -> str:
        """'25 records, checksum 3f2a..., up to 25'."""
        upto = f", up to {self.watermark}" if self.watermark is not None else ""
        return f"{self.count} records, checksum {self.checksum[:12]}{upto}"


def _check(profile: Profile) -> DataCheck:
    if profile.data is None:
        raise UsageError(
            f"{profile.where()} says nothing about the service's data: add a 'data:' section (docs/profile.md)"
        )
    return profile.data


def _from_endpoint(check: DataCheck, base_url: str, upto: object, timeout: float) -> DataCount:
    import httpx

    assert check.count is not None and check.checksum is not None
    params = {check.watermark_param: str(upto)} if upto is not None and check.watermark_param else {}
    url = f"{base_url}{check.endpoint}"
    try:
        response = httpx.get(url, params=params, timeout=timeout)
        response.raise_for_status()
        document = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ProbeError(
            f"counting the data at GET {check.endpoint} ({check.loc}): {type(exc).__name__}: {exc}"
        ) from None
    values: list[object] = []
    for path in (check.count, check.checksum, check.watermark):
        if path is None:
            values.append(None)
            continue
        found, value = path.find(document)
        if not found:
            raise ProbeError(f"GET {check.endpoint}: JSON path '{path.text}' matches nothing ({check.loc})")
        values.append(value)
    count, checksum, watermark = values
    if not isinstance(count, int | str) or not str(count).isdigit():
        raise ProbeError(f"GET {check.endpoint}: the count '{check.count.text}' is {count!r}, not a number")
    return DataCount(int(str(count)), str(checksum), watermark)


def _from_sql(check: DataCheck, upto: object, timeout: float) -> DataCount:
    assert check.sql is not None
    url = os.environ.get(check.sql.url_env, "")
    if not url:
        raise UsageError(f"the data check's database URL is not set: export {check.sql.url_env} ({check.sql.loc})")
    params = {"watermark": upto}
    try:
        if url.startswith("sqlite:///"):
            import sqlite3

            with sqlite3.connect(url.removeprefix("sqlite:///"), timeout=timeout) as db:
                row = db.execute(check.sql.query, params).fetchone()
        elif url.startswith(("postgresql://", "postgres://")):
            import psycopg

            query = _WATERMARK.sub("%(watermark)s", check.sql.query.replace("%", "%%"))
            with psycopg.connect(url, connect_timeout=max(1, int(timeout))) as db:
                row = db.execute(query, params).fetchone()
        else:
            raise UsageError(f"${check.sql.url_env} must be a postgresql:// or sqlite:/// URL ({check.sql.loc})")
    except UsageError:
        raise
    except Exception as exc:  # any driver error; its text may quote the URL, so it is not shown
        raise ProbeError(
            f"the data check's query on the database at ${check.sql.url_env} failed: {type(exc).__name__} "
            f"({check.sql.loc})"
        ) from None
    if row is None or len(row) < 2:
        raise ProbeError(f"the data check's query must answer one row (count, checksum[, watermark]) ({check.sql.loc})")
    return DataCount(int(row[0]), str(row[1]), row[2] if len(row) > 2 else None)


def count_data(profile: Profile, base_url: str, upto: object = None, timeout: float = 5.0) -> DataCount:
    """Count the service's data as the profile says; ``upto``: only what existed at an earlier count's watermark."""
    check = _check(profile)
    if check.sql is not None:
        return _from_sql(check, upto, timeout)
    return _from_endpoint(check, base_url, upto, timeout)


def data_intact(profile: Profile, base_url: str, before: DataCount) -> tuple[bool, str]:
    """Whether every record counted ``before`` is still there, unchanged: (ok, what was seen)."""
    after = count_data(profile, base_url, upto=before.watermark)
    if after.count != before.count:
        return False, f"records before {before.count}, after {after.count}"
    if after.checksum != before.checksum:
        return (
            False,
            f"{before.count} records, but their checksum changed ({before.checksum[:12]} -> {after.checksum[:12]})",
        )
    return True, f"{after.count} records, same checksum"
