"""The soak's figures (``soak/figures.py``): adding trials up per interruption, the goal check, the table."""

from __future__ import annotations

from soak.figures import (
    Cycles,
    Part,
    Trial,
    as_json,
    cycles_row,
    goals_missed,
    markdown,
    matrix_rows,
)


def _trial(interruption: str = "SIGINT", **changes: object) -> Trial:
    fields: dict[str, object] = {
        "kind": "db-lock",
        "interruption": interruption,
        "n": 0,
        "phase": "during the fault",
        "seconds": 2.0,
        "faults_left": 0,
        "latency": 0.5,
        "processes_left": 0,
        "problems": (),
    }
    fields.update(changes)
    return Trial(**fields)  # type: ignore[arg-type]


def _cycles(**changes: object) -> Cycles:
    fields: dict[str, object] = {
        "requested": 10,
        "done": 10,
        "orders_before": 100,
        "checksum_before": "a" * 64,
        "checksum_before_after": "a" * 64,
        "orders_expected": 120,
        "checksum_expected": "b" * 64,
        "orders_after": 120,
        "checksum_after": "b" * 64,
        "orders_kept": 120,
        "worst_switch": 0.4,
        "processes_before": 8,
        "processes_after": 8,
        "problems": (),
    }
    fields.update(changes)
    return Cycles(**fields)  # type: ignore[arg-type]


PARTS = [Part("interruption matrix", 3, 3, 100.0, 10.0), Part("deploy/rollback cycles", 10, 10, 100.0, 5.0)]


def test_rows_add_up_per_interruption_and_overall() -> None:
    trials = [
        _trial("SIGINT", latency=0.3),
        _trial("SIGINT", latency=None, faults_left=1, problems=("not reverted: f",)),
        _trial("SIGKILL + dead-man", latency=1.2, processes_left=2, problems=("process 7 alive",)),
    ]
    rows = {row.label: row for row in matrix_rows(trials)}
    assert list(rows) == ["SIGINT", "SIGKILL + dead-man", "interruption matrix"]  # interruptions in their order
    assert (rows["SIGINT"].trials, rows["SIGINT"].faults_left, rows["SIGINT"].worst_latency) == (2, 1, 0.3)
    total = rows["interruption matrix"]
    assert (total.trials, total.faults_left, total.processes_left, total.problems) == (3, 1, 2, 2)
    assert total.worst_latency == 1.2 and total.orders_lost is None


def test_a_clean_run_meets_every_goal() -> None:
    rows = [*matrix_rows([_trial(), _trial("SIGTERM"), _trial("SIGKILL + recover", latency=1.99)])]
    rows.append(cycles_row(_cycles()))
    assert goals_missed(rows, PARTS) == []
    assert "Every goal met." in markdown(rows, PARTS, _cycles())


def test_each_goal_missed_is_named() -> None:
    trials = [_trial(latency=2.0), _trial("SIGTERM", faults_left=1, problems=("x",))]
    rows = [*matrix_rows(trials), cycles_row(_cycles(orders_kept=119, processes_after=9))]
    missed = "\n".join(goals_missed(rows, PARTS))
    assert "SIGINT: worst revert latency 2.00 s (goal < 2 s)" in missed  # 2 s itself is not under 2 s
    assert "SIGTERM: 1 fault(s) left (goal 0)" in missed
    assert "deploy/rollback cycles: 1 order(s) lost (goal 0)" in missed
    assert "deploy/rollback cycles: 1 process(es) left (goal 0)" in missed


def test_a_part_stopped_by_its_bound_misses_the_goal_and_says_how_far_it_got() -> None:
    parts = [Part("interruption matrix", 3500, 1200, 18000.0, 18001.0, "wall-time bound of 18000 s reached")]
    missed = goals_missed(matrix_rows([_trial()]), parts)
    assert missed == ["interruption matrix: 1200 of 3500 done: wall-time bound of 18000 s reached"]
    assert "1,200 of 3,500 in 18001 s (bound 18000 s, stopped: wall-time bound" in markdown([], parts)


def test_fewer_sandbox_processes_after_the_cycles_is_not_a_leftover() -> None:
    assert cycles_row(_cycles(processes_after=7)).processes_left == 0


def test_the_json_holds_every_trial_and_the_orders_lost() -> None:
    data = as_json([], PARTS, [_trial()], _cycles(orders_kept=118))
    assert data["schema"] == "opsready.soak/1"
    assert data["cycles"]["orders_lost"] == 2 and len(data["trials"]) == 1
    assert data["goals_missed"] == []  # no rows given: only the parts are checked


def test_the_slowest_kind_and_the_trials_with_a_clock_step_are_shown() -> None:
    trials = [_trial(kind="bad-release", latency=1.5), _trial(latency=None, clock_step=8.5), _trial(latency=0.2)]
    row = matrix_rows(trials)[0]
    assert (row.worst_latency, row.slowest, row.clock_steps) == (1.5, "bad-release", 1)
    table = markdown([row], PARTS)
    assert "| 1.50 s (bad-release) |" in table and "not counted in 1 trial(s)" in table


def test_every_interruption_gets_its_trials_and_the_kinds_take_turns() -> None:
    """50 trials of each interruption; over 14 kinds each kind meets each interruption 3 or 4 times."""
    from collections import Counter

    from soak.figures import INTERRUPTIONS
    from soak.matrix import cells

    kinds = tuple(f"kind-{n}" for n in range(14))
    todo = cells(kinds, 50)
    assert len(todo) == 50 * len(INTERRUPTIONS)
    assert Counter(c.interruption for c in todo) == dict.fromkeys(INTERRUPTIONS, 50)
    pairs = Counter((c.kind, c.interruption) for c in todo)
    assert set(pairs.values()) <= {3, 4} and len(pairs) == 14 * len(INTERRUPTIONS)
    assert [c.interruption for c in todo[: len(INTERRUPTIONS)]] == list(INTERRUPTIONS)  # a round first
