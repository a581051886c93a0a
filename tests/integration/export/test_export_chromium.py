"""The exported runbooks in a real browser with the network shut out: the page renders from file://, its search
finds a runbook by a word of its body, every internal link lands on an element, and the console stays silent; the
printed PDF has a page per part and the runbooks' text.

Chromium gets the export's offline flags (a proxy that does not exist for every host, loopback included, and a
resolver that resolves nothing); a control shows those flags keep even a server on this machine out of reach.
Uses Debian's chromium and poppler-utils (``make test`` installs them when missing); without them the tests skip.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import re
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from opsready.drills.export import export
from opsready.drills.export.pdf import FLAGS, OFFLINE, find_chromium
from opsready.runbooks import load_runbooks

ROOT = Path(__file__).resolve().parents[3]
GIF = (  # a 1x1 image
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
pytestmark = pytest.mark.skipif(
    find_chromium() is None, reason="chromium is not installed (make test installs Debian's chromium when run as root)"
)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if "id" in values:
            self.ids.add(values["id"])
        if values.get("href", "").startswith("#"):
            self.hrefs.append(values["href"])


def dump_dom(url: str, profile: Path, flags: tuple[str, ...] = FLAGS) -> tuple[str, tuple[str, ...]]:
    """The DOM after load of ``url`` with the network shut out, and the console lines; at most 90 s."""
    binary = find_chromium()
    assert binary is not None
    command = [binary, *flags, "--enable-logging=stderr", "--v=0", f"--user-data-dir={profile}", "--dump-dom", url]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        dom, stderr = process.communicate(timeout=90)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 0, stderr[-2000:]
    return dom, tuple(line for line in stderr.splitlines() if ":CONSOLE" in line)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The suite's runbooks exported with the PDF."""
    directory = tmp_path_factory.mktemp("export") / "bundle"
    done = export(ROOT, directory, datetime.now(tz=UTC))
    assert done.pdf is not None, done.skipped
    return directory


@pytest.fixture
def local_server() -> Iterator[str]:
    """A web server on loopback that answers every request (the control's would-be network)."""

    class Pixel(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/gif")
            self.send_header("Content-Length", str(len(GIF)))
            self.end_headers()
            self.wfile.write(GIF)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Pixel)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_the_offline_flags_keep_even_a_local_server_out_of_reach(tmp_path: Path, local_server: str) -> None:
    """Control: a page that loads an image from a live server on this machine gets an error, not the image."""
    page = tmp_path / "probe.html"
    page.write_text(
        '<!DOCTYPE html><link rel="icon" href="data:,"><p id="net">waiting</p>'
        f"<img src=\"{local_server}\" onerror=\"document.getElementById('net').textContent='blocked'\" "
        "onload=\"document.getElementById('net').textContent='reached'\">"
    )
    dom, _ = dump_dom(page.as_uri(), tmp_path / "profile")
    assert '<p id="net">blocked</p>' in dom
    # and the control can tell: without the offline flags the same page reaches the server
    online = tuple(flag for flag in FLAGS if flag not in OFFLINE)
    dom, _ = dump_dom(page.as_uri(), tmp_path / "profile-online", online)
    assert '<p id="net">reached</p>' in dom


def test_the_page_renders_and_its_links_resolve(exported: Path, tmp_path: Path) -> None:
    """Loaded from file:// offline: every part is there, every internal link names an element, nothing logged."""
    dom, console = dump_dom((exported / "runbooks.html").as_uri(), tmp_path / "profile")
    assert console == (), "\n".join(console)
    links = _Links()
    links.feed(dom)
    for part in ("contents", "severities", "escalation", "troubleshooting-tree", "rb-rollback", "rb-readme"):
        assert part in links.ids
    assert len(links.hrefs) > 100
    assert sorted({h for h in links.hrefs if h[1:] not in links.ids}) == []
    assert dom.count('<article class="runbook"') == len(list((ROOT / "runbooks").rglob("*.md")))


def test_the_search_finds_a_runbook_by_a_word_of_its_body(exported: Path, tmp_path: Path) -> None:
    """#search=pg_dump runs the inline search: the backup runbook is found (the word is in its body only)."""
    title = re.search(r"^title: (.+)$", (ROOT / "runbooks/maintenance/database-backup.md").read_text(), re.M)
    assert title is not None and "pg_dump" not in title.group(1)
    dom, console = dump_dom((exported / "runbooks.html").as_uri() + "#search=pg_dump", tmp_path / "profile")
    assert console == (), "\n".join(console)
    results = dom[dom.index('<ul id="results"') : dom.index("</ul>", dom.index('<ul id="results"'))]
    assert f'<a href="#rb-database-backup" class="hit">{title.group(1)}</a>' in results
    assert "pg_dump" in results  # the snippet around the hit
    # a word in no runbook finds nothing, and says so
    dom, _ = dump_dom((exported / "runbooks.html").as_uri() + "#search=zyxwvutsrq", tmp_path / "profile2")
    assert 'class="hit"' not in dom
    assert "No runbook contains zyxwvutsrq" in dom


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed (pdftotext, pdfinfo)")
def test_the_pdf_has_a_page_per_part_and_the_runbooks_text(exported: Path) -> None:
    """pdfinfo counts at least one A4 page per runbook and part; pdftotext finds every title, the table, a contact."""
    pdf = exported / "runbooks.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, timeout=60, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    runbooks = list((ROOT / "runbooks").rglob("*.md"))
    assert pages >= len(runbooks) + 3  # each runbook and the severity, escalation and tree parts start a page
    assert re.search(r"^Page size:\s+[\d.]+ x [\d.]+ pts \(A4\)", info, re.M), info
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, timeout=60, check=True).stdout
    flat = " ".join(text.split())
    for runbook in load_runbooks(ROOT / "runbooks"):
        assert " ".join(runbook.title.split()) in flat, runbook.path
    assert "Severity levels" in flat
    assert "System completely unavailable" in flat
    assert "Alex Morgan" in flat
    assert "Search every runbook" not in flat  # the search box is not printed
