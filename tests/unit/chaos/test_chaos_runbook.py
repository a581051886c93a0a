"""Runbook coverage of the chaos experiments, and runbooks/chaos-faults.md itself."""

from __future__ import annotations

import re
from pathlib import Path

from opsready.runbooks import runbook_index

ROOT = Path(__file__).resolve().parents[3]


def test_every_experiment_is_linked_from_a_runbook() -> None:
    """Each experiments/*.yaml is rehearsed by some runbook (its `experiments:`), and every link names a file."""
    index = runbook_index(ROOT / "runbooks")
    linked = {name for runbook in index.values() for name in runbook.experiments}
    shipped = {p.stem for p in (ROOT / "experiments").glob("*.yaml")}
    assert shipped <= linked, f"experiments no runbook links: {sorted(shipped - linked)}"
    chaos = index["chaos-faults"]
    assert set(chaos.experiments) <= shipped, f"chaos-faults links missing files: {set(chaos.experiments) - shipped}"


def test_chaos_runbook_follows_the_template() -> None:
    """Category, the targets its drills assert, and placeholder contacts for the three roles."""
    runbook = runbook_index(ROOT / "runbooks")["chaos-faults"]
    assert runbook.category == "troubleshooting"
    assert runbook.target("detect_within") == 60 and runbook.target("healthy_within") == 60
    for role in ("primary", "escalation", "emergency"):
        contact = runbook.contact(role)
        assert contact is not None and "[" in contact.who, role


def test_chaos_runbook_names_only_real_commands() -> None:
    """Every `opsready ...` command it tells people to run exists."""
    from opsready.cli.main import cli

    text = (ROOT / "runbooks" / "chaos-faults.md").read_text(encoding="utf-8")
    commands = set(re.findall(r"`opsready ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?", text))
    assert ("recover", "") in commands
    for name, sub in commands:
        group = cli.commands.get(name)
        assert group is not None, name
        subcommands = getattr(group, "commands", None)
        if sub and subcommands is not None:
            assert sub in subcommands, f"opsready {name} {sub}"
