"""``runbooks/coverage.yaml``: the checked list of the story's operational scenarios and incident classes.

Completeness is measured against it: each item names the runbooks that cover it. Unknown keys, a duplicate item id
and a runbook id that no runbook declares are ``path:line`` errors, so the list cannot silently drift from the
runbooks it names.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from opsready.errors import Loc, ValidationError
from opsready.runbooks.model import ID_PATTERN
from opsready.yamlsrc import MapReader, load_yaml

CATALOGUE_FILE = "coverage.yaml"
ItemKind = Literal["scenario", "incident class"]
_SECTIONS: tuple[tuple[str, ItemKind], ...] = (("scenarios", "scenario"), ("incident_classes", "incident class"))


@dataclass(frozen=True)
class CatalogueItem:
    """One operational scenario or incident class, and the runbooks that cover it."""

    id: str
    kind: ItemKind
    title: str
    runbooks: tuple[str, ...]
    loc: Loc


@dataclass(frozen=True)
class Catalogue:
    """The checked list as read from ``coverage.yaml``."""

    path: str
    items: tuple[CatalogueItem, ...]


def _item(data: object, loc: Loc, kind: ItemKind, known: Collection[str] | None) -> CatalogueItem:
    r = MapReader(data, loc, f"{kind} in the coverage list")
    item_id = r.string("id")
    if not ID_PATTERN.match(item_id):
        raise ValidationError(f"'id' must be kebab-case, got '{item_id}'", r.loc_of("id"))
    title = r.string("title").strip()
    if not title:
        raise ValidationError("'title' must not be empty", r.loc_of("title"))
    runbooks = r.str_list("runbooks")
    if known is not None:
        for rid in runbooks:
            if rid not in known:
                raise ValidationError(
                    f"{kind} '{item_id}' names runbook '{rid}', which no runbook declares", r.loc_of("runbooks")
                )
    r.done()
    return CatalogueItem(item_id, kind, title, runbooks, r.loc)


def read_catalogue(path: Path, known_runbooks: Collection[str] | None = None) -> Catalogue:
    """Read and validate the list; the first mistake raises a ValidationError at its line."""
    where = str(path)
    r = MapReader(load_yaml(path), Loc(where, 1), "the coverage list")
    version = r.integer("version")
    if version != 1:
        raise ValidationError(f"unsupported coverage list version {version} (expected 1)", r.loc_of("version"))
    items: list[CatalogueItem] = []
    seen: dict[str, Loc] = {}
    for key, kind in _SECTIONS:
        for data, loc in r.items(key, []):
            item = _item(data, loc, kind, known_runbooks)
            if item.id in seen:
                raise ValidationError(f"duplicate item id '{item.id}' (first at {seen[item.id]})", item.loc)
            seen[item.id] = item.loc
            items.append(item)
    r.done()
    return Catalogue(where, tuple(items))
