"""``opsready incident``: classification, escalation, mitigation and review action items of incident response."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from opsready import exitcodes
from opsready.cli.common import config_option, err, handle_errors, load, open_target, out, progress
from opsready.config import Config
from opsready.errors import Loc, UsageError, UserError, ValidationError
from opsready.safety import check_destructive, ensure_running

if TYPE_CHECKING:
    from opsready.incident.files import IncidentFiles


def _files(config: Config, classification: Path | None = None, escalation: Path | None = None) -> IncidentFiles:
    from dataclasses import replace

    from opsready.incident.files import IncidentFiles as Files

    files = Files.of(config)
    if classification is not None:
        files = replace(files, classification=classification.resolve())
    if escalation is not None:
        files = replace(files, escalation=escalation.resolve())
    return files


def _report(problems: tuple[UserError, ...]) -> None:
    for problem in problems:
        err.print(f"[bold red]error:[/bold red] {problem.render()}", markup=True, highlight=False)
    err.print(f"{len(problems)} problem(s); nothing was changed on any target")
    sys.exit(exitcodes.BAD_INPUT)


def _at(value: str | None) -> datetime:
    from opsready.incident.escalation import parse_instant

    if value is None:
        return datetime.now(tz=UTC)
    try:
        return parse_instant(value, Loc("--at"))
    except ValidationError:
        raise UsageError(f"--at must be a UTC time like '2026-12-25 03:00', got {value!r}") from None


classification_option = click.option(
    "--classification",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Classification file (default: runbooks/incident-classification.yaml beside opsready.yaml).",
)
escalation_option = click.option(
    "--escalation",
    "escalation_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Escalation file (default: runbooks/escalation.yaml beside opsready.yaml).",
)
weeks_option = click.option(
    "--weeks", type=click.IntRange(1, 52), default=4, show_default=True, help="Look for rotation gaps this far ahead."
)


@click.group()
def incident() -> None:
    """Incident response: classify, escalate, mitigate, and follow up on reviews."""


@incident.command("check")
@classification_option
@escalation_option
@weeks_option
@config_option
@handle_errors
def check_cmd(
    classification: Path | None,
    escalation_path: Path | None,
    weeks: int,
    config_path: Path | None,
    target_name: str | None,
) -> None:
    """Validate the classification, the escalation file, the notice templates and every incident runbook's
    automated mitigation, without touching any target. Exit code 2 on any problem."""
    from opsready.drills.incident import runbook_problems
    from opsready.incident.files import check_all

    config = load(config_path)
    files = _files(config, classification, escalation_path)
    checked, problems = check_all(files, datetime.now(tz=UTC), weeks)
    problems += runbook_problems(files, config.root)
    if problems or checked is None:
        _report(problems)
        return
    out.print(
        f"{files.classification}: ok ({len(checked.classification.criteria)} criteria over 4 severities)", markup=False
    )
    out.print(
        f"{files.escalation}: ok ({len(checked.escalation.rotations)} rotations, no gap in {weeks} weeks)", markup=False
    )
    out.print(f"{files.templates}: incident notice templates ok", markup=False)
    for plan in checked.mitigations:
        out.print(f"{plan.path}: mitigation ok ({plan.describe()})", markup=False)


@incident.command()
@classification_option
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
@config_option
@handle_errors
def classify(classification: Path | None, as_json: bool, config_path: Path | None, target_name: str | None) -> None:
    """Observe the live target once (read-only) and classify what is seen: severity and evidence."""
    from opsready.incident.classification import load_classification
    from opsready.incident.triage import observe_and_classify

    config = load(config_path)
    files = _files(config, classification)
    model = load_classification(files.classification)
    target = open_target(config, target_name)
    verdict = observe_and_classify(target, model)
    if as_json:
        data = {
            "target": target.name,
            "severity": verdict.severity,
            "evidence": [e.describe() for e in verdict.deciding],
            "matched": [{"severity": e.severity, "criterion": e.criterion.name} for e in verdict.matched],
            "observations": [
                {"probe": o.probe, "ok": o.ok, "value": o.value, "unit": o.unit, "detail": o.detail}
                for o in verdict.observations
            ],
        }
        out.print_json(json.dumps(data))
        return
    out.print(f"target {target.name}: {verdict.summary()}", markup=False)
    if verdict.severity is not None:
        severity = model.severity(verdict.severity)
        out.print(
            f"  {severity.name}: {severity.description}; respond within {severity.response_time / 60:g} min",
            markup=False,
        )
    for evidence in verdict.matched:
        out.print(f"  evidence: {evidence.describe()}", markup=False)
    for observation in verdict.observations:
        out.print(f"  observed: {observation.describe()}", markup=False)


@incident.group()
def escalation() -> None:
    """Check the escalation file and simulate who is paged when."""


@escalation.command("check")
@classification_option
@escalation_option
@weeks_option
@config_option
@handle_errors
def escalation_check(
    classification: Path | None,
    escalation_path: Path | None,
    weeks: int,
    config_path: Path | None,
    target_name: str | None,
) -> None:
    """Every severity has a path, every contact exists and can be reached, timing matches the classification, and
    no rotation leaves a gap in the coming weeks. Exit code 2 on any problem."""
    from opsready.incident.classification import load_classification
    from opsready.incident.escalation import load_escalation
    from opsready.incident.paging import check

    files = _files(load(config_path), classification, escalation_path)
    model = load_escalation(files.escalation)
    problems = check(model, load_classification(files.classification), datetime.now(tz=UTC), weeks)
    if problems:
        _report(problems)
    out.print(
        f"{files.escalation}: ok ({len(model.rotations)} rotations, {len(model.contacts)} contacts, no gap)",
        markup=False,
    )


@escalation.command()
@click.option("--severity", required=True, type=click.Choice(("critical", "high", "medium", "low")))
@click.option("--unacknowledged", default="20m", show_default=True, help="How long nobody acknowledges.")
@click.option("--at", "at", default=None, help="When the incident is classified, UTC (default: now).")
@classification_option
@escalation_option
@config_option
@handle_errors
def simulate(
    *,
    severity: str,
    unacknowledged: str,
    at: str | None,
    classification: Path | None,
    escalation_path: Path | None,
    config_path: Path | None,
    target_name: str | None,
) -> None:
    """Who is paged when, for an incident of SEVERITY nobody acknowledges for a while (read-only)."""
    from opsready.durations import format_duration, parse_duration
    from opsready.incident.classification import load_classification
    from opsready.incident.escalation import load_escalation
    from opsready.incident.paging import check, simulate

    try:
        seconds = parse_duration(unacknowledged, Loc("--unacknowledged"))
    except ValidationError as exc:
        raise UsageError(f"--unacknowledged: {exc.message}") from None
    files = _files(load(config_path), classification, escalation_path)
    model = load_escalation(files.escalation)
    start = _at(at)
    problems = check(model, load_classification(files.classification), start, 1)
    if problems:
        _report(problems)
    pages = simulate(model, severity, seconds, start)
    when = f"{start:%Y-%m-%d %H:%M} UTC"
    out.print(f"a {severity} incident classified {when}, unacknowledged for {format_duration(seconds)}:", markup=False)
    for page in pages:
        out.print(f"  {page.describe()}", markup=False)


@incident.command()
@click.option("--all", "show_all", is_flag=True, help="Also list items that are done.")
@click.option("--json", "as_json", is_flag=True, help="Print the items as JSON.")
@click.option("--reviews", type=click.Path(path_type=Path, file_okay=False), default=None, help="Reviews directory.")
@config_option
@handle_errors
def actions(
    show_all: bool, as_json: bool, reviews: Path | None, config_path: Path | None, target_name: str | None
) -> None:
    """Open action items across the review drafts (owner, due date, where), overdue ones first."""
    from opsready.incident.actions import read_reviews

    files = _files(load(config_path))
    found = read_reviews(reviews or files.reviews)
    today = datetime.now(tz=UTC).date()
    items = [i for r in found for i in r.items if show_all or not i.done]
    items.sort(key=lambda i: (not i.overdue(today), i.due or datetime.max.date(), str(i.path), i.line))
    if as_json:
        data = [
            {
                "path": str(i.path),
                "line": i.line,
                "text": i.text,
                "owner": i.owner,
                "due": i.due.isoformat() if i.due else None,
                "done": i.done,
                "overdue": i.overdue(today),
            }
            for i in items
        ]
        out.print_json(json.dumps(data))
        return
    for item in items:
        flag = "done" if item.done else ("OVERDUE" if item.overdue(today) else "open")
        due = item.due.isoformat() if item.due else "no due date"
        out.print(f"{item.loc}: [{flag}] {item.owner}, {due}: {item.text}", markup=False)
    pending = sum(r.to_complete for r in found)
    out.print(
        f"{sum(1 for i in items if not i.done)} open action item(s) in {len(found)} review(s); "
        f"{pending} section(s) still marked TO COMPLETE"
    )


@incident.command()
@click.argument("runbook_id", metavar="RUNBOOK")
@click.option(
    "--allow-destructive",
    is_flag=True,
    help="Allow it on a real (not disposable) target; any target must be in safety.destructive_targets.",
)
@config_option
@handle_errors
def mitigate(runbook_id: str, allow_destructive: bool, config_path: Path | None, target_name: str | None) -> None:
    """Run the automated mitigation of incident runbook RUNBOOK (its '## Automated mitigation' block)."""
    from opsready.drills.plan import find_incident_runbook
    from opsready.incident.mitigation import load_mitigation, run_mitigation

    config = load(config_path)
    plan = load_mitigation(find_incident_runbook(_files(config), runbook_id))
    check_destructive(config, config.target(target_name), allow_destructive, "a mitigation", entry="incident")
    target = open_target(config, target_name)
    ensure_running("incident", target)
    progress(f"{runbook_id}: {plan.describe()} on target {target.name}")
    for outcome in run_mitigation(plan, target, progress):
        out.print(f"{outcome.action.describe()}: {outcome.detail} ({outcome.seconds:.2f} s)", markup=False)


@incident.command()
@click.argument("component")
@click.option(
    "--allow-destructive",
    is_flag=True,
    help="Allow it on a real (not disposable) target; any target must be in safety.destructive_targets.",
)
@config_option
@handle_errors
def restart(component: str, allow_destructive: bool, config_path: Path | None, target_name: str | None) -> None:
    """Bring COMPONENT back into service: start it if down, else continue it if frozen and restart it."""
    from opsready.targets.remediation import remediation_of

    config = load(config_path)
    check_destructive(config, config.target(target_name), allow_destructive, "a restart", entry="incident")
    target = open_target(config, target_name)
    ensure_running("incident", target)
    out.print(remediation_of(target).restart_component(component))


@incident.command("reset-link")
@click.argument("link")
@click.option(
    "--allow-destructive",
    is_flag=True,
    help="Allow it on a real (not disposable) target; any target must be in safety.destructive_targets.",
)
@config_option
@handle_errors
def reset_link(link: str, allow_destructive: bool, config_path: Path | None, target_name: str | None) -> None:
    """Remove every impairment from network LINK (the sandbox: edge or db)."""
    from opsready.targets.remediation import remediation_of

    config = load(config_path)
    check_destructive(config, config.target(target_name), allow_destructive, "a link reset", entry="incident")
    target = open_target(config, target_name)
    ensure_running("incident", target)
    out.print(remediation_of(target).reset_link(link))
