"""Before anything runs: every Gherkin step of every selected scenario must have a definition.

pytest-bdd only finds a missing step when the scenario reaches it, after earlier steps may have deployed or injected
something; checking at collection time keeps a typo from changing the target.
"""

from __future__ import annotations

from typing import Any

import pytest


def scenario_of(item: pytest.Item) -> Any | None:
    """The pytest-bdd scenario template behind a test item, or None for a plain test."""
    try:
        from pytest_bdd.scenario import scenario_wrapper_template_registry
    except ImportError:
        return None
    function = getattr(item, "function", None)
    if function is None:
        return None
    return scenario_wrapper_template_registry.get(function)


def missing_steps(session: pytest.Session, items: list[pytest.Item]) -> list[str]:
    """``features/x.feature:12: no step definition for: When ...`` for each undefined step (deduplicated)."""
    try:
        from pytest_bdd.generation import _find_step_fixturedef
    except ImportError:  # pytest-bdd changed its internals: fall back to its own run-time error
        return []
    fixturemanager = session._fixturemanager
    problems: dict[tuple[str, int], str] = {}
    for item in items:
        template = scenario_of(item)
        if template is None:
            continue
        for step in template.steps:
            key = (template.feature.rel_filename, step.line_number)
            if key in problems:
                continue
            found: object
            try:
                found = _find_step_fixturedef(fixturemanager, item, step)
            except Exception:  # a lookup failure is not ours to judge; pytest-bdd will report it at run time
                found = True
            if not found:
                where = f"{template.feature.rel_filename}:{step.line_number}"
                problems[key] = f"{where}: no step definition for: {step.keyword} {step.name}"
    return sorted(problems.values())
