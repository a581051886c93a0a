"""The step library as Markdown, generated from the code (docs/steps.md), so the document cannot drift.

``python -m opsready.bdd._catalog > docs/steps.md`` writes it; ``tests/unit/bdd/test_steps_catalog.py`` fails when
docs/steps.md differs from what this prints. Every step of :mod:`opsready.bdd` is listed with its docstring, by
module (one module per area) in source order.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from dataclasses import dataclass

HEADER = """\
# The step library

Generated from the code by `python -m opsready.bdd._catalog > docs/steps.md`; a unit test fails when this page is
stale. Every step below is available to any feature file of a suite (the plugin loads the library). Steps speak of
*the service*: what its users do, its smoke test and what "data intact" means come from the service profile
(docs/profile.md), so the same steps drive the sandbox's orders service and your own. `{name}` marks a parameter; a
`{count:d}` is a whole number.
"""


@dataclass(frozen=True)
class StepDoc:
    """One step definition: its keyword, its text, its docstring, and where it is defined."""

    keyword: str
    text: str
    doc: str
    module: str
    line: int


def _area(module: str) -> str:
    import sys

    doc = inspect.getdoc(sys.modules[module]) or ""
    return doc.splitlines()[0] if doc else module


def step_docs() -> tuple[StepDoc, ...]:
    """Every step of the library, by module name and then source line."""
    from pytest_bdd.steps import step_function_context_registry

    import opsready.bdd

    prefix = f"{opsready.bdd.__name__}."
    for info in pkgutil.iter_modules(opsready.bdd.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(prefix + info.name)
    found = {
        StepDoc(
            keyword=context.type or "step",
            text=context.parser.name,
            doc=(inspect.getdoc(context.step_func) or "").replace("\n", " "),
            module=context.step_func.__module__,
            line=context.step_func.__code__.co_firstlineno,
        )
        for context in list(step_function_context_registry.values())
        if context.step_func.__module__.startswith(prefix)
    }
    return tuple(sorted(found, key=lambda s: (s.module, s.line, s.keyword, s.text)))


def markdown() -> str:
    """The page: one section per module of the library, one bullet per step text."""
    lines = [HEADER]
    module = ""
    for step in step_docs():
        if step.module != module:
            module = step.module
            lines += ["", f"## {_area(module)}", "", f"`{module}`", ""]
        keyword = step.keyword.capitalize()
        lines.append(f"- **{keyword}** `{step.text}`" + (f": {step.doc}" if step.doc else ""))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
