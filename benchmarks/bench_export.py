"""`opsready runbooks export`: the offline HTML bundle of the suite's runbooks (goal: under 2 s and under 2 MiB), and
the PDF headless Chromium prints of it, timed apart (Chromium dominates it).

Each run exports the repository's runbooks into a fresh temporary directory, in this process (the command's own start,
about a second of imports, is not counted).

    .venv/bin/python benchmarks/bench_export.py [--runs 5] [--no-pdf]
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from _common import ROOT, summary

from opsready.drills.export import export


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="repetitions")
    parser.add_argument("--no-pdf", action="store_true", help="time the HTML bundle only")
    args = parser.parse_args()
    html_times, pdf_times, sizes, pdf_sizes = [], [], [], []
    pages = 0
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="opsready-bench-export-") as tmp:
            done = export(ROOT, Path(tmp) / "bundle", datetime.now(tz=UTC), pdf=not args.no_pdf)
            html_times.append(done.html_seconds)
            sizes.append(done.html.stat().st_size / 1024 / 1024)
            pages = done.pages
            if done.pdf is not None:
                pdf_times.append(done.pdf_seconds)
                pdf_sizes.append(done.pdf.stat().st_size / 1024 / 1024)
            elif not args.no_pdf:
                print(f"PDF skipped: {done.skipped}")
    print(f"{pages} runbook pages")
    print(summary("HTML bundle (read, validate, render, write)", html_times))
    print(summary("HTML size", sizes, "MiB"))
    if pdf_times:
        print(summary("PDF by headless Chromium", pdf_times))
        print(summary("PDF size", pdf_sizes, "MiB"))


if __name__ == "__main__":
    main()
