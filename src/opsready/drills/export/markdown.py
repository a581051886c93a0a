"""Runbook Markdown to HTML for the bundle (markdown-it-py, CommonMark with tables, raw HTML off), with every internal
link rewritten to an anchor of the one page, and a link that resolves to nothing reported at its ``path:line``.

Links between runbooks (``../rollback.md#steps``) become ``#rb-rollback--steps``; a section anchor is made as GitHub
makes it ('## Rollback triggers' -> ``rollback-triggers``), so links that work on the forge work in the bundle.
Links to the classification, escalation and troubleshooting-tree files point at the bundle's sections for them.
Links with a scheme (``https:``, ``mailto:``) are left as they are: they need a network anyway. Images beside the
runbooks are inlined as ``data:`` URIs; an image from the network is refused, as the page could not show it.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.token import Token

from opsready.errors import Loc, ValidationError

_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:")
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
}
MAX_IMAGE = 512 * 1024  # the whole page stays well under 2 MiB
# the data files the bundle shows as sections of its own
DATA_SECTIONS = {
    "incident-classification.yaml": "severities",
    "escalation.yaml": "escalation",
    "troubleshooting-tree.yaml": "troubleshooting-tree",
}


@dataclass(frozen=True)
class Source:
    """A Markdown file to render: where it is, its page id in the bundle, its body and the body's first line."""

    path: Path
    page: str
    body: str
    first_line: int  # 1-based line of the body's first line in the file


@dataclass(frozen=True)
class Rendered:
    """A page's HTML, its plain text (for the search) and its section anchors."""

    html: str
    text: str
    anchors: frozenset[str]


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def slug(text: str) -> str:
    """A heading's anchor as GitHub makes it: lowercase, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def _heading_text(inline: Token) -> str:
    return "".join(child.content for child in inline.children or () if child.type in ("text", "code_inline"))


def _slugs(tokens: list[Token]) -> dict[int, str]:
    """Token index of each heading_open -> its unique anchor (a repeated heading gets -1, -2, ... as on GitHub)."""
    seen: dict[str, int] = {}
    found: dict[int, str] = {}
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            base = slug(_heading_text(tokens[index + 1]))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found[index] = base if count == 0 else f"{base}-{count}"
    return found


def _line_of(href: str, block: Token | None, source: Source) -> int:
    """The file line that holds the link: the block's line range searched for the target as written."""
    if block is None or block.map is None:
        return source.first_line
    lines = source.body.splitlines()
    begin, end = block.map
    for offset in range(begin, min(end, len(lines))):
        if href in lines[offset] or unquote(href) in lines[offset]:
            return source.first_line + offset
    return source.first_line + begin


class Renderer:
    """Renders a set of Markdown files that link to each other, checking every internal link."""

    def __init__(self, sources: tuple[Source, ...]) -> None:
        self._md = _parser()
        self._sources = sources
        self._tokens = {s.path.resolve(): self._md.parse(s.body) for s in sources}
        self._pages = {s.path.resolve(): s.page for s in sources}
        self._anchors = {path: frozenset(_slugs(tokens).values()) for path, tokens in self._tokens.items()}

    def anchors(self, path: Path) -> frozenset[str]:
        """The section anchors of a source file."""
        return self._anchors[path.resolve()]

    def _target(self, href: str, source: Source) -> str | None:
        """The bundle anchor an internal link points to, or None when it resolves to nothing."""
        file_part, _, fragment = href.partition("#")
        fragment = unquote(fragment)
        here = source.path.resolve()
        target = here if not file_part else (here.parent / unquote(file_part)).resolve()
        if target not in self._pages:
            section = DATA_SECTIONS.get(target.name)
            if section is not None and target.exists() and not fragment:
                return section
            return None
        page = self._pages[target]
        if not fragment:
            return page
        return f"{page}--{fragment}" if fragment in self._anchors[target] else None

    def render(self, source: Source) -> Rendered:
        """The page's HTML with anchors on headings and links rewritten; a broken link raises ValidationError."""
        tokens = self._tokens[source.path.resolve()]
        for index, anchor in _slugs(tokens).items():
            tokens[index].attrSet("id", f"{source.page}--{anchor}")
        text: list[str] = []
        block: Token | None = None
        for token in tokens:
            if token.map is not None:
                block = token
            if token.type in ("fence", "code_block"):
                text.append(token.content)
            if token.type != "inline":
                continue
            text.extend(c.content for c in token.children or () if c.type in ("text", "code_inline"))
            for child in token.children or ():
                if child.type == "image":
                    child.attrSet("src", self._image(str(child.attrGet("src") or ""), block, source))
                if child.type != "link_open":
                    continue
                href = str(child.attrGet("href") or "")
                if _SCHEME.match(href) or href.startswith("//"):
                    child.attrSet("rel", "noreferrer")
                    continue
                landing = self._target(href, source)
                if landing is None:
                    line = _line_of(href, block, source)
                    raise ValidationError(
                        f"broken internal link '{href}': {self._why(href, source)}",
                        Loc(str(source.path), line),
                        hint="link to a runbook file (relative path) and, optionally, one of its section anchors",
                    )
                child.attrSet("href", f"#{landing}")
        html = self._md.renderer.render(tokens, self._md.options, {})
        return Rendered(html, " ".join(" ".join(text).split()), self._anchors[source.path.resolve()])

    def _image(self, src: str, block: Token | None, source: Source) -> str:
        """An image beside the runbooks, inlined as a data: URI; one from the network or missing is refused."""
        if src.startswith("data:"):
            return src
        loc = Loc(str(source.path), _line_of(src, block, source))
        if _SCHEME.match(src) or src.startswith("//"):
            raise ValidationError(
                f"image '{src}' is on the network: the export must show it without one",
                loc,
                hint="keep the image beside the runbook and link it by a relative path",
            )
        path = (source.path.resolve().parent / unquote(src.partition("#")[0])).resolve()
        mime = IMAGE_TYPES.get(path.suffix.lower())
        if not path.is_file():
            raise ValidationError(f"broken image '{src}': no file {path.name} there", loc)
        if mime is None or path.stat().st_size > MAX_IMAGE:
            raise ValidationError(
                f"image '{src}' cannot be inlined: {', '.join(IMAGE_TYPES)} files up to {MAX_IMAGE // 1024} KiB", loc
            )
        return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"

    def _why(self, href: str, source: Source) -> str:
        file_part, _, fragment = href.partition("#")
        target = source.path.resolve() if not file_part else (source.path.resolve().parent / unquote(file_part))
        target = target.resolve()
        if target not in self._pages:
            if target.exists():
                return f"{target.name} is not a runbook in the export"
            return f"no file {target.name} there"
        return f"no section '#{unquote(fragment)}' in {target.name}"
