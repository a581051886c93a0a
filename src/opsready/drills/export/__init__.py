"""``opsready runbooks export``: every runbook, the severity table, escalation contacts and rota, and the
troubleshooting tree as one page that needs no network and no opsready install, and a printable PDF of it.

- :mod:`.gather`: read and validate the suite's runbooks and incident files (composition: it combines the runbooks,
  incident and troubleshooting packages, hence its place on this floor);
- :mod:`.markdown`: runbook Markdown to HTML, internal links rewritten and checked;
- :mod:`.diagram`: the decision tree as SVG; :mod:`.page`: the page; :mod:`.pdf`: the PDF through Chromium.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from opsready.drills.export.gather import gather
from opsready.drills.export.page import render_page
from opsready.drills.export.pdf import find_chromium, print_pdf
from opsready.errors import Loc, UsageError

HTML = "runbooks.html"
PDF = "runbooks.pdf"


@dataclass(frozen=True)
class Exported:
    """What an export wrote and how long each part took; ``pdf`` is None when it was skipped (``skipped`` says why)."""

    html: Path
    pdf: Path | None
    skipped: str
    pages: int
    html_seconds: float
    pdf_seconds: float


def check_directory(directory: Path) -> None:
    """Refuse a directory that exists and holds anything (nothing is ever overwritten), or a path that is a file."""
    if directory.is_dir():
        if any(directory.iterdir()):
            raise UsageError(
                "export directory exists and is not empty (nothing was written)",
                Loc(str(directory)),
                hint="name a new or empty directory",
            )
    elif directory.exists():
        raise UsageError("export path exists and is not a directory (nothing was written)", Loc(str(directory)))


def export(root: Path, directory: Path, now: datetime, *, weeks: int = 4, pdf: bool = True) -> Exported:
    """Validate everything, then write ``directory``/runbooks.html and, with Chromium, runbooks.pdf."""
    check_directory(directory)
    started = time.perf_counter()
    bundle = gather(root, now, weeks)
    html = render_page(bundle)
    directory.mkdir(parents=True, exist_ok=True)
    page = directory / HTML
    page.write_text(html, encoding="utf-8")
    html_seconds = time.perf_counter() - started
    if not pdf:
        return Exported(page, None, "not asked for (--no-pdf)", len(bundle.pages), html_seconds, 0.0)
    binary = find_chromium()
    if binary is None:
        return Exported(page, None, "chromium is not installed", len(bundle.pages), html_seconds, 0.0)
    started = time.perf_counter()
    print_pdf(binary, page, directory / PDF)
    return Exported(page, directory / PDF, "", len(bundle.pages), html_seconds, time.perf_counter() - started)
