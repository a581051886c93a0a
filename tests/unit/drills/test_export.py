"""The runbook bundle of `opsready runbooks export`: built from the suite's real runbooks, every internal link lands
on an element of the page, the search index holds the runbooks' body words, the tree's SVG is well-formed XML with
every node, nothing asks for the network; a broken link or a used directory is refused at its place, nothing written."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from opsready.drills.export import HTML, export
from opsready.drills.export.diagram import Edge, Node, draw, layers
from opsready.drills.export.gather import human
from opsready.errors import UsageError, ValidationError
from opsready.incident.escalation import load_escalation
from opsready.incident.oncall import schedule

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)


class _Page(HTMLParser):
    """Ids, internal hrefs, resource references and the search index of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.resources: list[str] = []
        self.metas: list[dict[str, str]] = []
        self.index = ""
        self._in_index = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if "id" in values:
            self.ids.add(values["id"])
        if values.get("href", "").startswith("#"):
            self.hrefs.append(values["href"])
        for key in ("src", "data", "poster"):
            if key in values:
                self.resources.append(values[key])
        if tag == "link":
            self.resources.append(values.get("href", ""))
        if tag == "meta":
            self.metas.append(values)
        self._in_index = tag == "script" and values.get("id") == "search-index"

    def handle_data(self, data: str) -> None:
        if self._in_index:
            self.index += data

    def handle_endtag(self, tag: str) -> None:
        self._in_index = False


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, _Page]:
    """The suite's runbooks exported once (no PDF), parsed."""
    directory = tmp_path_factory.mktemp("export") / "bundle"
    done = export(ROOT, directory, NOW, pdf=False)
    assert done.pdf is None
    text = done.html.read_text(encoding="utf-8")
    parsed = _Page()
    parsed.feed(text)
    return done.html, text, parsed


def _runbook_files() -> list[Path]:
    return sorted(p for p in (ROOT / "runbooks").rglob("*.md") if p.name != "README.md")


def test_every_runbook_is_a_section_of_the_page(page: tuple[Path, str, _Page]) -> None:
    """Each runbook file's id is an article of the page, with its title; the README comes first."""
    _, text, parsed = page
    ids = [re.search(r"^id: (\S+)$", p.read_text(), re.M) for p in _runbook_files()]
    assert all(ids)
    for match in ids:
        assert match is not None
        assert f"rb-{match.group(1)}" in parsed.ids
    assert text.index('id="rb-readme"') < text.index('id="rb-deployment"')
    assert len(ids) >= 20


def test_every_internal_link_resolves(page: tuple[Path, str, _Page]) -> None:
    """Every href="#..." names an element of the page (runbook links, section anchors, tree nodes, contents)."""
    _, _, parsed = page
    assert len(parsed.hrefs) > 100
    dangling = sorted({h for h in parsed.hrefs if h[1:] not in parsed.ids and not h.startswith("#search=")})
    assert dangling == []
    # a runbook's relative link was rewritten to the runbook's own section anchor
    assert "#rb-troubleshooting-performance--the-database" in parsed.hrefs


def test_the_search_index_holds_body_words(page: tuple[Path, str, _Page]) -> None:
    """The inline index has an entry per runbook holding words of its body, not only its title."""
    _, _, parsed = page
    entries = {e["id"]: e for e in json.loads(parsed.index)}
    assert "pg_dump" in entries["rb-database-backup"]["text"]
    assert "pg_dump" not in entries["rb-database-backup"]["title"]
    assert "supervisorctl" in entries["rb-troubleshooting-api"]["text"]
    # rendered text, not Markdown: no backticks or link syntax
    assert "`" not in entries["rb-troubleshooting-api"]["text"]
    assert len(entries) == len(_runbook_files()) + 1


def test_the_tree_is_well_formed_svg_with_every_node(page: tuple[Path, str, _Page]) -> None:
    """The SVG parses as XML on its own and draws one box per question and diagnosis of the tree."""
    _, text, _ = page
    svg = text[text.index("<svg") : text.index("</svg>") + 6]
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    tree = (ROOT / "runbooks" / "troubleshooting-tree.yaml").read_text()
    nodes = re.findall(r"^  ([a-z0-9-]+):$", tree, re.M)
    drawn = {g.get("id") for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class", "").startswith("node")}
    assert drawn == {f"tree-{n}" for n in nodes}
    assert len(root.findall(".//{http://www.w3.org/2000/svg}rect")) == len(nodes)


def test_the_page_needs_no_network_and_fits_a_phone(page: tuple[Path, str, _Page]) -> None:
    """No resource is fetched from anywhere (a CSP forbids it too), a viewport is set, and it is under 2 MiB."""
    path, text, parsed = page
    assert parsed.resources == ["data:,"]  # the favicon, inline
    assert not re.search(r"url\((?!#)", text)
    assert "@import" not in text
    csp = next(m["content"] for m in parsed.metas if m.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp
    assert any(m.get("name") == "viewport" for m in parsed.metas)
    assert path.stat().st_size < 2 * 1024 * 1024
    assert "@media (max-width" in text


def test_the_severity_table_and_rota_are_there(page: tuple[Path, str, _Page]) -> None:
    """The four severities with their response times, every contact with a phone link, the rotations' turns."""
    _, text, _ = page
    for severity, response in (
        ("critical", "15 minutes"),
        ("high", "1 hour"),
        ("medium", "4 hours"),
        ("low", "24 hours"),
    ):
        assert re.search(rf"<strong>{severity}</strong></td><td>[^<]+</td><td>{response}", text), severity
    assert 'href="tel:+15550100"' in text
    assert 'id="rotation-primary"' in text
    # from 2026-12-02 the primary is alex until the Monday handoff, then blake
    assert "<td>Wed 2026-12-02 11:00</td><td>Mon 2026-12-07 09:00</td><td>Alex Morgan" in text


def _suite(tmp_path: Path) -> Path:
    suite = tmp_path / "suite"
    shutil.copytree(ROOT / "runbooks", suite / "runbooks")
    return suite


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("(performance.md#the-database)", "(performance.md#the-databse)", "no section '#the-databse'"),
        ("(performance.md#the-database)", "(perfomance.md)", "no file perfomance.md"),
    ],
)
def test_a_broken_link_is_refused_at_its_line(tmp_path: Path, old: str, new: str, message: str) -> None:
    """A link to a missing section or file: path:line of the link, and no directory written."""
    suite = _suite(tmp_path)
    runbook = suite / "runbooks" / "troubleshooting" / "database.md"
    lines = runbook.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if old in text)
    runbook.write_text(runbook.read_text().replace(old, new))
    with pytest.raises(ValidationError) as caught:
        export(suite, tmp_path / "out", NOW, pdf=False)
    assert str(caught.value.loc) == f"{runbook}:{line}"
    assert message in caught.value.message
    assert not (tmp_path / "out").exists()


def test_an_image_beside_the_runbook_is_inlined_and_one_from_the_network_refused(tmp_path: Path) -> None:
    """A local PNG becomes a data: URI in the page; an https: image is an error at its line."""
    suite = _suite(tmp_path)
    runbook = suite / "runbooks" / "rollback.md"
    (suite / "runbooks" / "flow.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    original = runbook.read_text()
    runbook.write_text(original + "\n![the flow](flow.png)\n")
    done = export(suite, tmp_path / "out", NOW, pdf=False)
    assert '<img src="data:image/png;base64,iVBORw0KGgpmYWtl" alt="the flow"' in done.html.read_text()
    runbook.write_text(original + "\n![the flow](https://example.com/flow.png)\n")
    with pytest.raises(ValidationError, match="is on the network") as caught:
        export(suite, tmp_path / "out2", NOW, pdf=False)
    assert str(caught.value.loc) == f"{runbook}:{len(original.splitlines()) + 2}"


def test_a_used_directory_is_refused_and_left_alone(tmp_path: Path) -> None:
    """A directory with anything in it is refused before anything is read; its files are untouched."""
    directory = tmp_path / "out"
    directory.mkdir()
    (directory / HTML).write_text("mine")
    with pytest.raises(UsageError, match="exists and is not empty") as caught:
        export(ROOT, directory, NOW, pdf=False)
    assert caught.value.exit_code == 2
    assert str(caught.value.loc) == str(directory)
    assert (directory / HTML).read_text() == "mine"
    assert sorted(p.name for p in directory.iterdir()) == [HTML]


def test_layers_point_every_arrow_down() -> None:
    """A node is drawn below every parent, even one reached by a longer path, and the SVG parses."""
    edges = (Edge("a", "b", "ok"), Edge("a", "c", "failed"), Edge("b", "c", "ok"), Edge("c", "d", "ok"))
    assert layers("a", edges) == {"a": 0, "b": 1, "c": 2, "d": 3}
    nodes = (
        Node("a", "question", "a <&>", "Is it?"),
        Node("b", "question", "b", "b?"),
        Node("c", "question", "c", "c?"),
        Node("d", "diagnosis", "d", "d", "#x", "high"),
    )
    svg = ET.fromstring(draw("a", nodes, edges))
    ys = {}
    for group in svg.iter("{http://www.w3.org/2000/svg}g"):
        rect = group.find("{http://www.w3.org/2000/svg}rect")
        if rect is not None:
            ys[group.get("id")] = float(rect.get("y", "0"))
    assert ys["tree-a"] < ys["tree-b"] < ys["tree-c"] < ys["tree-d"]


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (0, "immediately"),
        (90, "1 minute 30 seconds"),
        (900, "15 minutes"),
        (3600, "1 hour"),
        (172800, "48 hours"),
        (4 * 86400 + 6 * 3600, "4 days 6 hours"),
    ],
)
def test_durations_read_as_people_say_them(seconds: float, said: str) -> None:
    """The severity table and escalation steps say '15 minutes', not '15 min 0 s'."""
    assert human(seconds) == said


def test_the_rota_covers_a_day_off_with_the_next_member() -> None:
    """Over Christmas Dana is away: her team-lead turns go to Erin, marked as covering for her, with no gap."""
    escalation = load_escalation(ROOT / "runbooks" / "escalation.yaml")
    rotation = escalation.rotation("team-lead")
    assert rotation is not None
    turns = schedule(escalation, rotation, datetime(2026, 12, 23, tzinfo=UTC), datetime(2026, 12, 29, tzinfo=UTC))
    covered = [t for t in turns if t.replaces == "dana"]
    assert covered
    assert {t.contact for t in covered} == {"erin"}
    assert all(t.start.date().isoformat() >= "2026-12-24" and t.end.date().isoformat() <= "2026-12-28" for t in covered)
    assert all(a.end == b.start for a, b in itertools.pairwise(turns))
