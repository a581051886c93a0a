"""Notices rendered from the team's Jinja2 templates: one helper for incident and maintenance communications.

A family of notices (``incident``, ``maintenance``) has its kinds, one template per kind named
``<family>-<kind>.md.j2``, and a closed set of fields, each with a sample value. Templates are checked by rendering
each once with the samples, before anything touches a target: a syntax error, a field the family does not have or a
missing file is a ``path:line`` :class:`~opsready.errors.ValidationError`. A field the family has but the caller gave
no value for is named in the error too; :meth:`Notices.write` fills such fields with ``n/a`` on purpose, so a notice
never shows a sample value as if it were measured.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType

from opsready.errors import Loc, UsageError, ValidationError
from opsready.spelling import did_you_mean

NOT_AVAILABLE = "n/a"


def _line_of(path: Path, name: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if re.search(r"\b" + re.escape(name) + r"\b", line):
            return number
    return 0


@dataclass(frozen=True)
class Notices:
    """One family of notice templates: its kinds and its fields (name -> sample value)."""

    family: str
    kinds: tuple[str, ...]
    fields: Mapping[str, str]

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", MappingProxyType(dict(self.fields)))

    def template_path(self, templates_dir: Path, kind: str) -> Path:
        """Where the template of a notice kind lives."""
        return templates_dir / f"{self.family}-{kind}.md.j2"

    def render(self, templates_dir: Path, kind: str, values: Mapping[str, str]) -> str:
        """Render one notice with ``values``; every mistake is a :class:`ValidationError` at its line."""
        import jinja2

        if kind not in self.kinds:
            raise ValidationError(f"unknown {self.family} notice '{kind}' (known: {', '.join(self.kinds)})")
        unknown = sorted(set(values) - set(self.fields))
        if unknown:
            raise UsageError(f"not fields of {self.family} notices: {', '.join(unknown)} ({self._known()})")
        path = self.template_path(templates_dir, kind)
        if not path.is_file():
            raise ValidationError(f"{self.family} notice template not found: {path}", Loc(str(path)))
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates_dir)),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            autoescape=False,  # plain-text notices, not HTML
        )
        try:
            return str(env.get_template(path.name).render(**values))
        except jinja2.TemplateSyntaxError as exc:
            raise ValidationError(f"template syntax error: {exc.message}", Loc(str(path), exc.lineno or 0)) from None
        except jinja2.UndefinedError as exc:
            raise self._missing(path, str(exc)) from None
        except jinja2.TemplateError as exc:
            raise ValidationError(f"template error: {exc.message}", Loc(str(path))) from None

    def _known(self) -> str:
        return f"fields: {', '.join(sorted(self.fields))}"

    def _missing(self, path: Path, message: str) -> ValidationError:
        match = re.search(r"'(\w+)' is undefined", message)
        if match is None:
            return ValidationError(f"{message} ({self._known()})", Loc(str(path)))
        name = match.group(1)
        loc = Loc(str(path), _line_of(path, name))
        if name in self.fields:
            return ValidationError(f"no value was given for the field '{name}' of this notice", loc)
        hint = did_you_mean(name, tuple(self.fields))
        return ValidationError(f"'{name}' is not a field of {self.family} notices{hint} ({self._known()})", loc)

    def check_templates(self, templates_dir: Path) -> None:
        """Render every kind once with the sample values, so a broken template fails before any work starts."""
        for kind in self.kinds:
            self.render(templates_dir, kind, self.fields)

    def write(self, templates_dir: Path, out_dir: Path, kind: str, name: str, values: Mapping[str, str]) -> Path:
        """Render a notice into ``out_dir`` as ``<UTC stamp>-<name>-<kind>.md`` (fields without a value: n/a)."""
        text = self.render(templates_dir, kind, {**dict.fromkeys(self.fields, NOT_AVAILABLE), **values})
        out_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = out_dir / f"{stamp}-{name}-{kind}.md"
        path.write_text(text, encoding="utf-8")
        return path
