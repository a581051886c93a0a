"""The automated mitigation block of incident runbooks: read from the Markdown the operators read, every action
validated at its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsready.errors import ValidationError
from opsready.incident.mitigation import load_mitigation, parse_mitigation

RUNBOOK = """---
id: x
---

# X

## Steps

1. Do it: `opsready incident mitigate x`.

## Automated mitigation

```yaml
{block}
```

## Contacts

- Primary: someone
"""


def _line(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n") + 1


def test_every_shipped_incident_runbook_has_a_valid_mitigation(root: Path) -> None:
    """Six incident runbooks, each with actions the drill can run."""
    plans = {p.stem: load_mitigation(p) for p in sorted((root / "runbooks" / "incidents").glob("*.md"))}
    assert {k: v.describe() for k, v in plans.items()} == {
        "database-unavailable": "restart postgres",
        "feature-not-working": "restart worker",
        "high-error-rate": "roll back (error rate above 5 % since the last release)",
        "network-degradation": "reset the edge link",
        "service-down": "restart api",
        "slow-responses": "roll back (p95 latency above 300 ms since the last release)",
    }


def test_actions_keep_their_order_and_lines() -> None:
    """Several actions run in the order written; each knows its line for later errors."""
    text = RUNBOOK.format(block="- reset-link: edge\n- restart: api\n- rollback: release broke it")
    plan = parse_mitigation(text, "x.md")
    assert [(a.kind, a.argument) for a in plan.actions] == [
        ("reset-link", "edge"),
        ("restart", "api"),
        ("rollback", "release broke it"),
    ]
    assert [a.loc.line for a in plan.actions] == [
        _line(text, "- reset-link"),
        _line(text, "- restart"),
        _line(text, "- rollback"),
    ]


@pytest.mark.parametrize(
    ("block", "fragment", "message"),
    [
        ("- restrat: api", "- restrat", "did you mean 'restart'"),
        ("- restart: 3", "- restart", "needs a name as a string"),
        ("- restart: api\n  rollback: x", "- restart", "one 'kind: argument' pair"),
        ("[]", "[]", "non-empty list"),
        ("- restart: [api", "- restart", "invalid YAML"),
    ],
)
def test_bad_actions_are_reported_at_their_line(block: str, fragment: str, message: str) -> None:
    """Misspelt or malformed actions stop before anything runs, at their line of the runbook."""
    text = RUNBOOK.format(block=block)
    with pytest.raises(ValidationError) as caught:
        parse_mitigation(text, "x.md")
    assert message in caught.value.message
    assert caught.value.loc is not None and caught.value.loc.line == _line(text, fragment)


def test_a_runbook_without_the_section_or_block_says_so() -> None:
    """No section, a section without a YAML block, and an unclosed block are each named."""
    with pytest.raises(ValidationError, match="no '## Automated mitigation' section"):
        parse_mitigation("# X\n\n## Steps\n\n1. x\n", "x.md")
    with pytest.raises(ValidationError, match="has no ```yaml block") as caught:
        parse_mitigation("# X\n\n## Automated mitigation\n\nrestart the api\n\n## Contacts\n", "x.md")
    assert caught.value.loc is not None and caught.value.loc.line == 3
    with pytest.raises(ValidationError, match="not closed"):
        parse_mitigation("# X\n\n## Automated mitigation\n\n```yaml\n- restart: api\n", "x.md")
