"""docs/steps.md is the step library as the code defines it: regenerate it when a step changes."""

from __future__ import annotations

from pathlib import Path

from opsready.bdd._catalog import markdown, step_docs

ROOT = Path(__file__).resolve().parents[3]


def test_docs_steps_md_is_generated_from_the_current_step_library() -> None:
    """The page equals what the generator prints now (run `python -m opsready.bdd._catalog > docs/steps.md`)."""
    stale = (ROOT / "docs" / "steps.md").read_text(encoding="utf-8") != markdown()
    assert not stale, "docs/steps.md is stale: run `python -m opsready.bdd._catalog > docs/steps.md`"


def test_every_step_has_a_docstring_and_the_service_steps_are_there() -> None:
    """A step without a docstring would be a bare line in the page; the steps that speak of any service exist."""
    docs = step_docs()
    assert len(docs) > 50
    assert not [s.text for s in docs if not s.doc]
    texts = {s.text for s in docs}
    assert {"the service's smoke test passes", "no data was lost", "the data is counted"} <= texts
    assert not [t for t in texts if any(w.startswith("order") for w in t.split())], (
        "a step of the library names the orders service"
    )
