"""A walk for people (the path, the evidence at each node, the diagnosis, the runbook and the remedy) and for
tools (JSON, schema ``opsready.diagnosis/1``)."""

from __future__ import annotations

import json
from typing import Any

from opsready.troubleshooting.walk import StepOutcome, Walk

SCHEMA = "opsready.diagnosis/1"
_OUTCOMES: dict[StepOutcome, str] = {
    "ok": "ok",
    "failed": "failed",
    "hung": "HUNG",
    "error": "could not observe",
    "cut": "CUT OFF",
}


def to_dict(walk: Walk) -> dict[str, Any]:
    """The walk as plain data for ``--json`` and the evidence bundle."""
    diagnosis = walk.diagnosis
    leaf: dict[str, Any] | None = None
    if diagnosis is not None:
        leaf = {
            "id": diagnosis.id,
            "diagnosis": diagnosis.text,
            "category": diagnosis.category,
            "severity": diagnosis.severity,
            "healthy": diagnosis.healthy,
            "evidence": list(diagnosis.evidence),
            "runbook": {"id": diagnosis.runbook.id, "anchor": diagnosis.runbook.anchor, "link": str(diagnosis.runbook)},
            "remedy": {"action": diagnosis.remedy.action, "command": walk.remedy_command()},
        }
    culprit = walk.culprit
    return {
        "schema": SCHEMA,
        "tree": walk.tree,
        "target": {"name": walk.target, "platform": walk.platform, "base_url": walk.base_url},
        "started": walk.started,
        "seconds": round(walk.seconds, 3),
        "time_limit": walk.time_limit,
        "complete": walk.complete,
        "path": list(walk.path()),
        "steps": [
            {
                "node": s.node,
                "question": s.question,
                "probe": s.probe,
                "outcome": s.outcome,
                "answer": s.answer,
                "evidence": s.evidence,
                "next": s.next,
                "seconds": round(s.seconds, 3),
            }
            for s in walk.steps
        ],
        "not_applicable": [
            {"node": n.node, "question": n.question, "probe": n.probe, "reasons": list(n.reasons), "next": n.next}
            for n in walk.not_applicable
        ],
        "diagnosis": leaf,
        "culprit": None
        if culprit is None
        else {"pgid": culprit.pgid, "command": culprit.command, "measure": culprit.measure},
    }


def to_json(walk: Walk) -> str:
    """The walk as indented JSON."""
    return json.dumps(to_dict(walk), indent=2) + "\n"


def to_text(walk: Walk) -> str:
    """The walk as an operator reads it."""
    lines = [f"Diagnosing target '{walk.target}' ({walk.base_url or 'no URL: is it up?'}) with {walk.tree}", ""]
    for number, step in enumerate(walk.steps, start=1):
        outcome = _OUTCOMES[step.outcome] + (f": {step.answer}" if step.answer else "")
        lines.append(f"{number:2d}. {step.question}")
        lines.append(f"    {step.evidence}")
        lines.append(f"    -> {outcome} ({step.seconds:.2f} s), next: {step.next}")
    lines.append("")
    if walk.not_applicable:
        lines.append(f"Not applicable on platform '{walk.platform}' (these questions were not asked):")
        lines += [f"  - {n.node} ({n.probe}): {'; '.join(n.reasons)}" for n in walk.not_applicable]
        lines.append("")
    diagnosis = walk.diagnosis
    if diagnosis is None:
        where = walk.steps[-1].node if walk.steps else "the root"
        lines.append(f"No diagnosis: the time limit of {walk.time_limit:g} s ran out at '{where}'.")
        lines.append("The steps above are the evidence so far; collect more with --collect DIR.")
    else:
        severity = "" if diagnosis.healthy else f", severity {diagnosis.severity}"
        lines.append(f"Diagnosis: {diagnosis.id} ({diagnosis.category}{severity})")
        lines.append(f"  {diagnosis.text}")
        if walk.culprit is not None:
            culprit = walk.culprit
            lines.append(f"  Culprit: process group {culprit.pgid} ({culprit.measure}): {culprit.command}")
        if diagnosis.evidence:
            lines.append(f"  Evidence to collect: {', '.join(diagnosis.evidence)} (opsready diagnose --collect DIR)")
        lines.append(f"  Runbook: {diagnosis.runbook} ({diagnosis.runbook.id})")
        command = walk.remedy_command()
        lines.append(f"  Remedy: {command}" if command else "  Remedy: none needed")
    lines.append(f"Walked in {walk.seconds:.2f} s (time limit {walk.time_limit:g} s); the target was only observed.")
    return "\n".join(lines) + "\n"
