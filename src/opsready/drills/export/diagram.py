"""The troubleshooting tree drawn as SVG, made here from the tree's data (no layout engine, no fonts to fetch).

A simple layered layout: a node's layer is the length of the longest path from the root to it, so every arrow
points down; within a layer, nodes are ordered by where their parents are (one barycentre pass), which keeps a
question's answers under it. Questions are boxes, diagnoses rounded boxes coloured by severity that link to the
runbook section the diagnosis names.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import Literal

NodeKind = Literal["question", "diagnosis"]
WIDTH, HEIGHT, GAP_X, GAP_Y, MARGIN = 150, 46, 18, 56, 12
COLOURS = {
    "critical": "#f8d0d0",
    "high": "#fbe0c0",
    "medium": "#fbf2bf",
    "low": "#dcebf8",
    "none": "#d8f0d8",
}


@dataclass(frozen=True)
class Node:
    """A node to draw: its id, kind, the text in its box, a tooltip, a link (diagnoses) and a severity (colour)."""

    id: str
    kind: NodeKind
    label: str
    title: str
    href: str = ""
    severity: str = ""


@dataclass(frozen=True)
class Edge:
    """An arrow from a question to where one of its outcomes leads."""

    source: str
    target: str
    label: str


def layers(root: str, edges: tuple[Edge, ...]) -> dict[str, int]:
    """Each node's layer: the longest path from the root (the tree is acyclic once validated)."""
    children: dict[str, list[str]] = {}
    for edge in edges:
        children.setdefault(edge.source, []).append(edge.target)
    depth = {root: 0}
    # longest path in a DAG: relax in topological order (Kahn's algorithm from the root)
    incoming: dict[str, int] = {}
    for edge in edges:
        incoming[edge.target] = incoming.get(edge.target, 0) + 1
    ready = [root]
    while ready:
        node = ready.pop(0)
        for child in children.get(node, ()):
            depth[child] = max(depth.get(child, 0), depth[node] + 1)
            incoming[child] -= 1
            if incoming[child] == 0:
                ready.append(child)
    return depth


def _positions(root: str, nodes: Mapping[str, Node], edges: tuple[Edge, ...]) -> dict[str, tuple[float, float]]:
    depth = layers(root, edges)
    rows: dict[int, list[str]] = {}
    for node in nodes:
        if node in depth:
            rows.setdefault(depth[node], []).append(node)
    parents: dict[str, list[str]] = {}
    for edge in edges:
        parents.setdefault(edge.target, []).append(edge.source)
    widest = max(len(row) for row in rows.values())
    total = widest * (WIDTH + GAP_X) - GAP_X
    where: dict[str, tuple[float, float]] = {}
    for level in sorted(rows):
        row = rows[level]
        if level:  # under their parents, in the parents' order
            row.sort(key=lambda n: sum(where[p][0] for p in parents[n] if p in where) / max(len(parents[n]), 1))
        span = len(row) * (WIDTH + GAP_X) - GAP_X
        left = MARGIN + (total - span) / 2
        for index, node in enumerate(row):
            where[node] = (left + index * (WIDTH + GAP_X), MARGIN + level * (HEIGHT + GAP_Y))
    return where


def _box(node: Node, x: float, y: float) -> str:
    lines = textwrap.wrap(node.label, 22)[:2] or [node.id]
    fill = COLOURS.get(node.severity, "#ffffff") if node.kind == "diagnosis" else "#eef1f6"
    radius = 12 if node.kind == "diagnosis" else 3
    texts = "".join(
        f'<text x="{x + WIDTH / 2:.0f}" y="{y + HEIGHT / 2 + (i - (len(lines) - 1) / 2) * 14 + 4:.0f}">'
        f"{escape(line)}</text>"
        for i, line in enumerate(lines)
    )
    shape = (
        f'<g class="node {node.kind}" id="tree-{escape(node.id)}"><title>{escape(node.title)}</title>'
        f'<rect x="{x:.0f}" y="{y:.0f}" width="{WIDTH}" height="{HEIGHT}" rx="{radius}" fill="{fill}"/>{texts}</g>'
    )
    return f'<a href="{escape(node.href)}">{shape}</a>' if node.href else shape


def draw(root: str, nodes: tuple[Node, ...], edges: tuple[Edge, ...]) -> str:
    """The tree as one ``<svg>`` element (well-formed XML: it can be parsed on its own)."""
    by_id = {node.id: node for node in nodes}
    where = _positions(root, by_id, edges)
    width = max(x for x, _ in where.values()) + WIDTH + MARGIN
    height = max(y for _, y in where.values()) + HEIGHT + MARGIN
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="tree" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="Troubleshooting decision tree">',
        '<defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" '
        'orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#667"/></marker></defs>',
    ]
    for edge in edges:
        if edge.source not in where or edge.target not in where:
            continue
        (x1, y1), (x2, y2) = where[edge.source], where[edge.target]
        sx, sy, tx, ty = x1 + WIDTH / 2, y1 + HEIGHT, x2 + WIDTH / 2, y2
        lx, ly = sx + (tx - sx) * 0.3, sy + (ty - sy) * 0.3
        parts.append(
            f'<g class="edge"><line x1="{sx:.0f}" y1="{sy:.0f}" x2="{tx:.0f}" y2="{ty:.0f}" marker-end="url(#arrow)"/>'
            f'<text x="{lx:.0f}" y="{ly:.0f}">{escape(edge.label)}</text></g>'
        )
    parts.extend(_box(node, *where[node.id]) for node in nodes if node.id in where)
    parts.append("</svg>")
    return "".join(parts)
