"""Steps of the troubleshooting drills (runbooks/troubleshooting/*.md): inject a fault, walk the decision tree,
assert the diagnosis, apply the remedy its runbook prescribes, and walk again until the target is healthy.

Faults go through the chaos package's guard (journaled, a dead-man watchdog each, reverted on every outcome when the
scenario ends), so a drill never leaves one behind. The walk is the same code ``opsready diagnose`` runs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from pytest_bdd import given, parsers, then, when

from opsready.bdd.common import Drill
from opsready.config import Config
from opsready.drills.faults import DrillFaults
from opsready.errors import Loc, OpsreadyError
from opsready.targets.protocol import Target
from opsready.timeline import Timeline

if TYPE_CHECKING:
    from opsready.troubleshooting.model import Tree
    from opsready.troubleshooting.walk import Walk

FAULT_TIME_LIMIT = 120.0  # the dead-man watchdog reverts a fault after this, should the run die


@dataclass
class Troubleshooting:
    """What the steps of one troubleshooting scenario hand to each other."""

    faults: dict[str, str] = field(default_factory=dict)  # fault name -> fault id
    walks: list[Walk] = field(default_factory=list)
    before: tuple[Any, ...] | None = None

    @property
    def walk(self) -> Walk:
        """The latest walk."""
        assert self.walks, "the system was not diagnosed in this scenario"
        return self.walks[-1]


@pytest.fixture
def trouble() -> Troubleshooting:
    """The scenario's troubleshooting state."""
    return Troubleshooting()


@pytest.fixture(scope="session")
def troubleshooting_tree(opsready_config: Config) -> Tree:
    """The validated decision tree beside opsready.yaml."""
    from opsready.drills.troubleshooting import check_tree_at, tree_path

    tree, problems = check_tree_at(tree_path(opsready_config))
    if problems or tree is None:
        pytest.fail("\n".join(p.render() for p in problems), pytrace=False)
    return tree


@pytest.fixture
def fault_session(
    opsready_config: Config, target: Target, timeline: Timeline, pytestconfig: pytest.Config
) -> Iterator[DrillFaults]:
    """The scenario's faults; every fault is reverted and verified when the scenario ends."""
    from opsready.bdd.common import entry_point
    from opsready.safety import check_destructive

    allowed = bool(pytestconfig.getoption("opsready_allow_destructive"))
    try:
        check_destructive(opsready_config, target, allowed, entry=entry_point(pytestconfig))
    except OpsreadyError as exc:
        pytest.fail(exc.render(), pytrace=False)
    faults = DrillFaults(opsready_config, target, timeline, "troubleshooting drill")
    try:
        yield faults
    finally:
        faults.close()


def _params(text: str) -> dict[str, object]:
    from opsready.yamlsrc import parse_yaml

    params: dict[str, object] = {}
    for item in text.replace(",", " ").split():
        if item == "-":  # an Examples cell for a fault without parameters
            continue
        key, _, value = item.partition("=")
        params[key] = parse_yaml(value, "fault parameters")
    return params


@when(parsers.parse('the fault "{kind}" is injected with "{params}"'))
@when(parsers.parse('the fault "{kind}" is injected'))
def inject(fault_session: DrillFaults, trouble: Troubleshooting, kind: str, params: str = "") -> None:
    """Inject one fault of the target's fault kinds through the chaos guard (journaled, always reverted)."""
    from opsready.targets.faults import parse_fault_spec

    spec = parse_fault_spec(fault_session.kinds(), kind, _params(params), FAULT_TIME_LIMIT, Loc(kind))
    name = f"{kind}-{len(trouble.faults) + 1}"
    trouble.faults[name] = fault_session.inject(name, spec)


@given(parsers.parse("no component crashed in the last {seconds:d} seconds"))
def stable(target: Target, seconds: int) -> None:
    """Wait (at most that long) until no component exited unexpectedly within the window: earlier drills of the
    session may have crashed one on purpose, and a fresh crash is a finding, not a healthy system."""
    from opsready.eventually import eventually
    from opsready.probes.components import restarts

    def settled() -> None:
        observation = restarts(target, float(seconds))
        assert observation.ok, observation.describe()

    eventually(settled, timeout=seconds + 5.0, interval=1.0)


@when(parsers.parse("users see failed requests within {seconds:d} seconds"))
def users_affected(drill: Drill, seconds: int) -> None:
    """The fault has reached users: the background traffic saw a failed request."""
    from opsready.eventually import eventually

    assert drill.traffic is not None, "no background traffic in this scenario"
    traffic = drill.traffic

    def failed() -> None:
        report = traffic.snapshot()
        assert report.failed > 0, f"users saw no failure yet ({report.describe()})"

    eventually(failed, timeout=seconds, interval=0.2)


@when(parsers.parse('the "{component}" runs again within {seconds:d} seconds'))
def runs_again(target: Target, component: str, seconds: int) -> None:
    """The platform restarted the component by itself and the target is ready again."""
    from opsready.eventually import eventually
    from opsready.probes.readiness import wait_healthy

    def running() -> None:
        found = {i.name: i for i in target.instances()}
        assert component in found and found[component].running, f"{component}: {found.get(component)}"

    eventually(running, timeout=seconds)
    wait_healthy(target, seconds)


def _snapshot(target: Target) -> tuple[Any, ...]:
    """What a read-only diagnosis must leave as it found it: the data, release, processes, faults in place."""
    from opsready.errors import OpsreadyError
    from opsready.profile import count_data, profile_of
    from opsready.targets.diagnostics import diagnostics_of
    from opsready.targets.faults import faults_of

    try:
        counted = count_data(profile_of(target), diagnostics_of(target).direct_url())
        orders = (counted.count, counted.watermark, counted.checksum)
    except OpsreadyError as exc:
        pytest.fail(f"cannot count the data directly at the service: {exc}", pytrace=False)
    instances = tuple((i.name, i.state, i.pid) for i in target.instances())
    residue = tuple(o.describe() for o in faults_of(target).fault_residue())
    return (target.current_release(), len(target.history()), orders, instances, residue)


def _walk(tree: Tree, target: Target) -> Walk:
    from opsready.drills.troubleshooting import diagnose

    return diagnose(tree, target)


def _shown(result: Walk) -> str:
    from opsready.troubleshooting.render import to_text

    return to_text(result)


@when("the state of the target is noted")
def state_noted(target: Target, trouble: Troubleshooting) -> None:
    """The data's count and checksum, release, history, processes, faults in place, to compare after the diagnosis."""
    trouble.before = _snapshot(target)


@when("the system is diagnosed")
def diagnosed(troubleshooting_tree: Tree, target: Target, trouble: Troubleshooting, timeline: Timeline) -> None:
    """Walk the tree against the target, as ``opsready diagnose`` does (read-only)."""
    result = _walk(troubleshooting_tree, target)
    trouble.walks.append(result)
    if result.diagnosis is not None:
        timeline.mark("classified", f"{result.diagnosis.id} after {result.seconds:.2f} s")


@then(parsers.parse('the diagnosis is "{leaf}"'))
def diagnosis_is(trouble: Troubleshooting, leaf: str) -> None:
    """The walk reached this diagnosis."""
    result = trouble.walk
    found = result.diagnosis.id if result.diagnosis is not None else None
    assert found == leaf, f"diagnosed {found!r}, expected {leaf!r}:\n{_shown(result)}"


@then(parsers.parse('the system is diagnosed as "{leaf}" within {seconds:d} seconds'))
def diagnosed_within(  # noqa: PLR0917  # pytest resolves fixtures from positional parameters only
    troubleshooting_tree: Tree, target: Target, trouble: Troubleshooting, timeline: Timeline, leaf: str, seconds: int
) -> None:
    """Walk again until the tree reaches this diagnosis (a remedy takes effect, a symptom shows)."""
    deadline = time.monotonic() + seconds
    while True:
        result = _walk(troubleshooting_tree, target)
        trouble.walks.append(result)
        if result.diagnosis is not None and result.diagnosis.id == leaf:
            late = time.monotonic() - deadline
            assert late <= 0, f"diagnosed {leaf!r}, but {late:.1f} s after the {seconds} s allowed"
            timeline.mark("recovered" if result.healthy else "classified", f"diagnosed {leaf}")
            return
        if time.monotonic() >= deadline:
            found = result.diagnosis.id if result.diagnosis else None
            pytest.fail(f"still diagnosed {found!r} after {seconds} s, expected {leaf!r}:\n{_shown(result)}")


@then("the diagnosis blames the fault's process")
def blames_fault(trouble: Troubleshooting) -> None:
    """The culprit the diagnosis names is the process group holding the injected fault, and nothing else."""
    import psutil

    culprit = trouble.walk.culprit
    assert culprit is not None, f"no culprit named:\n{_shown(trouble.walk)}"
    groups = set()
    for proc in psutil.process_iter(["cmdline"]):
        argv = proc.info["cmdline"] or []
        if "--fault-id" in argv and argv[argv.index("--fault-id") + 1] in trouble.faults.values():
            groups.add(proc.pid)  # a holder leads its own process group
    assert culprit.pgid in groups, f"blamed pgid {culprit.pgid} ({culprit.command}); the fault's groups: {groups}"


@then(parsers.parse('the diagnosis names "{component}"'))
def names_component(trouble: Troubleshooting, component: str) -> None:
    """The evidence on the path names the component."""
    evidence = " ".join(s.evidence for s in trouble.walk.steps)
    assert component in evidence, f"'{component}' not in the evidence:\n{_shown(trouble.walk)}"


@then("the diagnosis finished within its time limit")
def within_limit(trouble: Troubleshooting) -> None:
    """A diagnosis was reached, within the tree's time limit (a hung probe cost at most its timeout)."""
    result = trouble.walk
    assert result.complete, f"no diagnosis within {result.time_limit:g} s:\n{_shown(result)}"
    assert result.seconds <= result.time_limit + 1.0, f"walked {result.seconds:.1f} s, limit {result.time_limit:g} s"


@then("the diagnosis changed nothing on the target")
def changed_nothing(target: Target, trouble: Troubleshooting) -> None:
    """The data's count and checksum, release, history, processes, faults in place are as before the diagnosis."""
    assert trouble.before is not None, "the state of the target was not noted before the diagnosis"
    assert _snapshot(target) == trouble.before


@when("the remedy its runbook prescribes is applied")
def remedy_applied(opsready_config: Config, target: Target, trouble: Troubleshooting, timeline: Timeline) -> None:
    """The remedy of the diagnosis (the tree guarantees its runbook prescribes it), applied like an operator would."""
    from opsready.drills.troubleshooting import apply_prescribed

    result = trouble.walk
    assert result.diagnosis is not None, f"no diagnosis to remedy:\n{_shown(result)}"
    done = apply_prescribed(opsready_config, target, result, timeline)
    timeline.mark("mitigated", done.done)


@then("users are served again")
def served_again(target: Target) -> None:
    """Users get answers through the public URL and the user's path works end to end."""
    from opsready.probes import http, paths

    for observation in (paths.availability(target), http.smoke(target, runs=1)):
        assert observation.ok, observation.describe()


__all__ = ["Troubleshooting", "fault_session", "trouble", "troubleshooting_tree"]
