"""Every input file opsready reads, byte-mutated by hypothesis: the valid file loads, and a mutated one either loads
or fails as a user error (``path[:line]: message``, exit code 2), never with another exception.

``make test`` runs a few hundred cases per input type; ``OPSREADY_FUZZ_EXAMPLES=1000 pytest -m fuzz`` is the opt-in
deep run. Loading is a pure read: these loaders open no target, so "nothing touched" holds by construction, and the
test checks that the copy it mutates is the only file written.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsready.errors import OpsreadyError, UserError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("OPSREADY_FUZZ_EXAMPLES", "200"))

pytestmark = pytest.mark.fuzz


def _config(path: Path) -> object:
    from opsready.config import load_config

    return load_config(path)


def _experiment(path: Path) -> object:
    from opsready.chaos.experiment import load_experiment
    from opsready.sandbox.faults.catalog import kinds

    return load_experiment(path, kinds(postgresql=True))


def _plan(path: Path) -> object:
    from opsready.gameday.plan import Catalogue, load_plan

    known = Catalogue(
        experiments=frozenset(p.stem for p in (ROOT / "experiments").glob("*.yaml")),
        runbooks={
            "incident-service-down": ("api-stopped", "api-paused"),
            "incident-database-unavailable": ("db-outage",),
            "incident-feature-not-working": ("worker-stopped",),
            "incident-network-degradation": ("edge-latency",),
            "incident-high-error-rate": ("bad-release",),
            "incident-slow-responses": ("slow-release",),
        },
        severities=("critical", "high", "medium", "low"),
        targets=("sandbox",),
    )
    return load_plan(path, known)


def _classification(path: Path) -> object:
    from opsready.incident.classification import load_classification

    return load_classification(path)


def _escalation(path: Path) -> object:
    from opsready.incident.escalation import load_escalation

    return load_escalation(path)


def _checklist(path: Path) -> object:
    from opsready.deploy.checklist import load_checklist

    return load_checklist(path)


def _capacity(path: Path) -> object:
    from opsready.capacity.settings import load_settings

    return load_settings(path, ROOT)


def _profiles(path: Path) -> object:
    from opsready.capacity.profiles import load_profiles

    return load_profiles(path)


@functools.cache
def _known_runbooks() -> dict[str, Path]:
    from opsready.runbooks.parse import find_runbook_files, read_runbook

    reads = (read_runbook(p) for p in find_runbook_files(ROOT / "runbooks"))
    return {r.declared_id: Path(r.path) for r in reads if r.declared_id}


def _tree(path: Path) -> object:
    from opsready.troubleshooting.load import load_tree

    return load_tree(path, _known_runbooks())


def _runbook(path: Path) -> object:
    from opsready.runbooks.parse import read_runbook

    read = read_runbook(path)
    if read.problems:
        raise read.problems[0]
    return read


def _mitigation(path: Path) -> object:
    from opsready.incident.mitigation import load_mitigation

    return load_mitigation(path)


def _history(path: Path) -> object:
    from opsready.traffic_history import load_history

    return load_history(path)


def _journal(path: Path) -> object:
    """A journal never raises: what it cannot read is collected with its line, for ``opsready recover`` to show."""
    from opsready.chaos.readback import read_journal

    view = read_journal(path)
    for bad in view.unreadable:
        assert bad.line >= 0 and bad.reason
    return view


JOURNAL = (
    '{"record": "run", "run_id": "r1", "pid": 4242, "started": 1.0, "target": "sandbox", "config": "opsready.yaml"}\n'
    '{"record": "intent", "fault": "f1", "kind": "process-stop", "params": {"program": "api"}, "time_limit": 30, '
    '"facts": {}, "at": 2.0}\n'
    '{"record": "applied", "fault": "f1", "at": 2.1}\n'
    '{"record": "reverted", "fault": "f1", "by": "guard", "at": 3.0}\n'
    '{"record": "closed", "at": 3.1}\n'
)


@dataclass(frozen=True)
class Input:
    """One input type: a valid file of it and the loader opsready uses."""

    name: str
    source: str  # a file of the repository, or "" for a built-in sample
    load: Callable[[Path], object]
    sample: str = ""


INPUTS = (
    Input("opsready.yaml", "opsready.yaml", _config),
    Input("experiment", "experiments/db-lock.yaml", _experiment),
    Input("game-day plan", "gamedays/q4-2026.yaml", _plan),
    Input("classification", "runbooks/incident-classification.yaml", _classification),
    Input("escalation", "runbooks/escalation.yaml", _escalation),
    Input("checklist", "runbooks/checklists/pre-deploy.yaml", _checklist),
    Input("capacity thresholds", "loadtests/capacity.yaml", _capacity),
    Input("load profiles", "loadtests/profiles.yaml", _profiles),
    Input("troubleshooting tree", "runbooks/troubleshooting-tree.yaml", _tree),
    Input("runbook front matter", "runbooks/rollback.md", _runbook),
    Input("incident runbook mitigation", "runbooks/incidents/service-down.md", _mitigation),
    Input("traffic history", "loadtests/traffic-history.csv", _history),
    Input("journal", "", _journal, JOURNAL),
)


def _valid_bytes(spec: Input) -> bytes:
    return (ROOT / spec.source).read_bytes() if spec.source else spec.sample.encode()


def _place(tmp: Path, spec: Input, data: bytes) -> Path:
    """The file where the loader expects it: opsready.yaml resolves its paths beside itself, so it gets the suite."""
    name = Path(spec.source).name if spec.source else "run.jsonl"
    if spec.name == "opsready.yaml":
        for part in ("runbooks", "experiments", "loadtests", "gamedays", "features"):
            link = tmp / part
            if not link.exists():
                link.symlink_to(ROOT / part)
    path = tmp / name
    path.write_bytes(data)
    return path


def _load_error(spec: Input, path: Path) -> OpsreadyError | None:
    """What loading raised on purpose (None when the file loaded); any other exception propagates and fails."""
    try:
        spec.load(path)
    except OpsreadyError as exc:
        return exc
    return None


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """The file with one to four byte-level mutations: flip, insert, delete, truncate, or a non-UTF-8 byte."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(("replace", "insert", "delete", "truncate", "invalid")))
        at = draw(st.integers(0, max(len(out) - 1, 0)))
        if op == "replace" and out:
            out[at] = draw(st.integers(0, 255))
        elif op == "insert":
            out[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete" and out:
            out[at : at + draw(st.integers(1, 16))] = b""
        elif op == "truncate":
            del out[at:]
        elif op == "invalid":
            out[at:at] = draw(st.sampled_from((b"\xff", b"\xc3", b"\xe2\x82", b"\x80", b"\xed\xa0\x80")))
    return bytes(out)


@pytest.mark.parametrize("spec", INPUTS, ids=[i.name for i in INPUTS])
def test_the_shipped_file_loads(spec: Input, tmp_path: Path) -> None:
    """The unmutated file is valid: the fuzzing starts from a file that passes."""
    spec.load(_place(tmp_path, spec, _valid_bytes(spec)))


@pytest.mark.parametrize("spec", INPUTS, ids=[i.name for i in INPUTS])
def test_a_mutated_file_loads_or_is_a_user_error_at_its_path(
    spec: Input, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Every mutation: loads, or raises a UserError (exit code 2) naming the file; never another exception."""
    original = _valid_bytes(spec)
    workdir = tmp_path_factory.mktemp("fuzz")
    path = _place(workdir, spec, original)
    before = sorted(p.name for p in workdir.iterdir())

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=EXAMPLES <= 200,  # make test: the same cases every run; the deep run explores
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
    @given(mutated(original))
    def check(data: bytes) -> None:
        path.write_bytes(data)
        error = _load_error(spec, path)
        if error is not None:
            assert isinstance(error, UserError), f"{type(error).__name__} is not a user error: {error}"
            assert error.exit_code == 2
            rendered = error.render()
            assert "Traceback" not in rendered
            assert str(path) in rendered or path.name in rendered, f"the error does not name the file: {rendered}"

    check()
    assert sorted(p.name for p in workdir.iterdir()) == before, "loading wrote a file"
    shutil.rmtree(workdir)


def test_a_non_utf8_byte_is_reported_at_its_line_and_column(tmp_path: Path) -> None:
    """A Latin-1 byte in line 3 of a checklist: path:3, the byte and its column, exit code 2."""
    from opsready.deploy.checklist import load_checklist

    path = tmp_path / "pre-deploy.yaml"
    path.write_bytes(b"name: pre-deploy\nitems:\n  - name: caf\xe9\n    probe: readiness\n")
    with pytest.raises(UserError) as caught:
        load_checklist(path)
    assert caught.value.exit_code == 2
    assert str(caught.value).startswith(f"{path}:3: not UTF-8 text: byte e9 at column 14")
