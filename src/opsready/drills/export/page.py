"""The bundle as one self-contained HTML page: styles, the tree's SVG, the search index and its script inline."""

from __future__ import annotations

import json

import jinja2

from opsready.drills.export.model import Bundle

TEMPLATE = "runbooks.html.j2"


def search_index(bundle: Bundle) -> str:
    """The pages' ids, titles and words as JSON, safe inside a ``<script>`` element."""
    entries = [{"id": p.id, "title": p.title, "path": p.path, "text": p.text} for p in bundle.pages]
    # '</' would end the script element early; '<!--' could open a comment state
    return json.dumps(entries, ensure_ascii=False).replace("</", "<\\/").replace("<!--", "<\\!--")


def render_page(bundle: Bundle) -> str:
    """The whole page."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("opsready.drills.export", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
    )
    names = {c.id: c.name for c in bundle.contacts}
    return env.get_template(TEMPLATE).render(bundle=bundle, index=search_index(bundle), names=names)
