"""Escalation: who is on call (turns, shifts past midnight, stand-ins for absent people), gaps found exactly, who is
paged when, and the checks against the classification, each reported at its line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from opsready.errors import ValidationError
from opsready.incident.classification import Classification, load_classification
from opsready.incident.escalation import Escalation, load_escalation
from opsready.incident.oncall import gaps, on_call
from opsready.incident.paging import check, simulate

MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # the shipped file's handoff


@pytest.fixture
def classification(root: Path) -> Classification:
    return load_classification(root / "runbooks" / "incident-classification.yaml")


@pytest.fixture
def shipped(root: Path) -> Escalation:
    return load_escalation(root / "runbooks" / "escalation.yaml")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "escalation.yaml"
    path.write_text(text)
    return path


def test_members_take_turns_from_the_handoff(shipped: Escalation) -> None:
    """A weekly rotation hands over every Monday 09:00 UTC, in the order of its members, before the anchor too."""
    primary = shipped.rotation("primary")
    assert primary is not None
    who = [on_call(shipped, primary, MONDAY + timedelta(weeks=w, hours=1)) for w in (-1, 0, 1, 2, 3)]
    assert [o.contact if o else None for o in who] == ["casey", "alex", "blake", "casey", "alex"]
    just_before = on_call(shipped, primary, MONDAY + timedelta(weeks=1) - timedelta(seconds=1))
    assert just_before is not None and just_before.contact == "alex"


def test_shifts_cover_nights_past_midnight_and_weekends(shipped: Escalation) -> None:
    """The team lead's shifts: office hours, nights into the next morning, weekend days."""
    lead = shipped.rotation("team-lead")
    assert lead is not None
    cases = {
        datetime(2026, 12, 1, 10, 0, tzinfo=UTC): ("weekday-office-hours", "dana"),  # Tuesday morning
        datetime(2026, 12, 1, 23, 0, tzinfo=UTC): ("nights", "erin"),  # Tuesday night
        datetime(2026, 12, 2, 3, 0, tzinfo=UTC): ("nights", "erin"),  # Wednesday 03:00, Tuesday's night shift
        datetime(2026, 12, 5, 12, 0, tzinfo=UTC): ("weekend-days", "dana"),  # Saturday noon
        datetime(2026, 12, 14, 10, 0, tzinfo=UTC): ("weekday-office-hours", "erin"),  # two weeks on: next turn
    }
    for at, (shift, contact) in cases.items():
        covering = on_call(shipped, lead, at)
        assert covering is not None and (covering.shift, covering.contact) == (shift, contact), at


def test_an_absent_member_is_replaced_by_the_next_of_the_shift(shipped: Escalation) -> None:
    """Dana's holiday: Erin covers the night shift that was Dana's turn, and the stand-in is named."""
    lead = shipped.rotation("team-lead")
    assert lead is not None
    before = on_call(shipped, lead, datetime(2026, 12, 22, 23, 0, tzinfo=UTC))
    assert before is not None and (before.shift, before.contact, before.replaces) == ("nights", "dana", "")
    covering = on_call(shipped, lead, datetime(2026, 12, 24, 23, 0, tzinfo=UTC))
    assert covering is not None and (covering.contact, covering.replaces) == ("erin", "dana")


def test_the_shipped_file_passes_every_check_for_months(shipped: Escalation, classification: Classification) -> None:
    """Every severity has a path, contacts exist and are reachable, no gap in the next 12 weeks."""
    assert check(shipped, classification, datetime(2026, 11, 27, tzinfo=UTC), weeks=12) == ()


def test_who_is_paged_for_a_critical_incident_unacknowledged_for_20_minutes(shipped: Escalation) -> None:
    """The story's question, answered from the rotations at each page's own moment."""
    start = datetime(2026, 12, 25, 3, 0, tzinfo=UTC)
    pages = simulate(shipped, "critical", 20 * 60, start)
    assert [(p.after, p.contact, p.via) for p in pages] == [
        (0.0, "alex", "page"),
        (0.0, "erin", "phone"),
        (300.0, "blake", "page"),
        (600.0, "gale", "phone"),
        (900.0, "head-of-ops", "phone"),
    ]
    assert pages[1].note.endswith("replacing dana who is unavailable")
    assert pages[0].address == "+1 555 0100" and pages[2].at == start + timedelta(minutes=5)


def test_acknowledging_stops_the_escalation(shipped: Escalation) -> None:
    """Acknowledged after 7 minutes: only the steps due by then page."""
    pages = simulate(shipped, "critical", 7 * 60, MONDAY)
    assert [p.step for p in pages] == [1, 2, 3]
    assert [p.step for p in simulate(shipped, "high", 0, MONDAY)] == [1]


def test_gaps_are_found_exactly(tmp_path: Path, root: Path) -> None:
    """Without the night shift, nobody covers 20:00-08:00: each gap is reported from its first to its last minute."""
    text = (root / "runbooks" / "escalation.yaml").read_text()
    text = text.replace("        days: [mon, tue, wed, thu, fri, sat, sun]\n", "        days: [mon]\n")
    model = load_escalation(write(tmp_path, text))
    lead = model.rotation("team-lead")
    assert lead is not None
    found = gaps(model, lead, datetime(2026, 12, 1, 0, 0, tzinfo=UTC), datetime(2026, 12, 2, 12, 0, tzinfo=UTC))
    # Monday's night shift still covers Tuesday morning; Tuesday 20:00 to Wednesday 08:00 nobody does
    assert [(g.start, g.end) for g in found] == [
        (datetime(2026, 12, 1, 20, 0, tzinfo=UTC), datetime(2026, 12, 2, 8, 0, tzinfo=UTC))
    ]
    assert found[0].reason == "no shift covers this time"


LATE_OLD = "    - after: 30 minutes\n      notify: [secondary]\n      via: page\n    - after: 2 hours\n"
LATE_NEW = "    - after: 150 minutes\n      notify: [secondary]\n      via: page\n    - after: 3 hours\n"
HIGH_OLD = (
    "  high:                                # response 1 hour, escalation 2 hours\n"
    "    - after: 0 minutes\n      notify: [primary]\n      via: page\n    - after: 30 minutes"
)
HIGH_NEW = "  high:\n    - after: 90 minutes\n      notify: [primary]\n      via: page\n    - after: 2 hours"

PROBLEMS = [
    # (replace, with, a unique part of the line reported, message fragment)
    ("members: [alex, blake, casey]", "members: [alex, blake, casy]", "casy]", "unknown contact 'casy'"),
    ("  - contact: dana\n", "  - contact: dona\n", "contact: dona", "unknown contact 'dona'"),
    ("notify: [incident-commander]", "notify: [incident-comander]", "incident-comander", "neither a rotation"),
    ("notify: [head-of-ops]\n      via: phone", "notify: [head-of-ops]\n      via: pager", "via: pager", "by page"),
    ("  low:", "  lo:", "  lo:", "unknown severity 'lo'"),
    ("  low:", "  lo:", "escalation:  ", "'low' has no escalation path"),
    (LATE_OLD, LATE_NEW, "after: 150 minutes", "later than the 2 h 0 min"),
    (HIGH_OLD, HIGH_NEW, "after: 90 minutes", "later than its response time"),
    ("    to: 2026-12-27\n", "    to: 2027-02-27\n", "  team-lead:", "nobody on call"),
]


@pytest.mark.parametrize("case", PROBLEMS, ids=[c[3] for c in PROBLEMS])
def test_check_reports_each_problem_at_its_line(
    tmp_path: Path, root: Path, classification: Classification, case: tuple[str, ...]
) -> None:
    """Cross-checks of the escalation file: every problem at its line."""
    old, new, where, message = case
    text = (root / "runbooks" / "escalation.yaml").read_text()
    assert old in text, old
    broken = text.replace(old, new, 1).replace("via: pager", "via: page")
    if message == "nobody on call":  # both team leads away: a gap
        broken = broken.replace(
            "unavailable:", "unavailable:\n  - contact: erin\n    from: 2026-12-24\n    to: 2026-12-27"
        )
    model = load_escalation(write(tmp_path, broken))
    problems = check(model, classification, datetime(2026, 12, 20, tzinfo=UTC), weeks=2)
    found = [p for p in problems if message in p.message]
    assert found, [p.message for p in problems]
    marked = text.replace(old, new, 1)
    line = marked[: marked.index(where)].count("\n") + 1
    assert found[0].loc is not None and found[0].loc.line == line, (found[0].loc, line, found[0].message)


SYNTAX = [
    ('from: "08:00"', "from: 8", "from: 8", "write times in quotes"),
    (
        'to: "20:00"\n        members: [dana, erin]\n      - name: nights',
        "to: 20:00\n        members: [dana, erin]\n      - name: nights",
        "to: 20:00",
        "write times in quotes",
    ),
    ("days: [sat, sun]", "days: [sat, sunday]", "days: [sat, sunday]", "unknown day 'sunday'"),
    ("    - after: 5 minutes\n", "    - after: 5 minuts\n", "5 minuts", "unknown unit 'minuts'"),
    ("    - after: 15 minutes\n", "    - after: 1 minute\n", "after: 1 minute", "time order"),
    ("      via: slack\n", "      via: pigeon\n", "via: pigeon", "must be one of"),
    (
        'handoff: "2026-11-30 09:00"      # a Monday',
        'handoff: "next monday"      # a Monday',
        "next monday",
        'a time like "2026-11-30 09:00"',
    ),
    ("timezone: UTC ", "timezone: Europe/Berln ", "timezone: Europe/Berln", "did you mean 'Europe/Berlin'"),
    ('    slack: "@alex"\n', '    slak: "@alex"\n', "slak", "did you mean 'slack'"),
    (
        "    every: 1 week\n    members: [frankie, gale]",
        "    every: 1 week\n    members: [frankie, gale]\n    shifts: []",
        "  incident-commander:",
        "not both",
    ),
]


@pytest.mark.parametrize("case", SYNTAX, ids=[c[3] for c in SYNTAX])
def test_bad_escalation_file_is_reported_at_its_line(tmp_path: Path, root: Path, case: tuple[str, ...]) -> None:
    """Structure mistakes stop the load at their line."""
    old, new, where, message = case
    text = (root / "runbooks" / "escalation.yaml").read_text()
    assert old in text, old
    broken = text.replace(old, new, 1)
    path = write(tmp_path, broken)
    with pytest.raises(ValidationError) as caught:
        load_escalation(path)
    assert message in caught.value.message, caught.value.message
    line = broken[: broken.index(where)].count("\n") + 1
    assert caught.value.loc is not None and caught.value.loc.line == line, (caught.value.loc, line)


BERLIN = """\
version: 1
timezone: Europe/Berlin
contacts:
  ana: {name: Ana, page: "1"}
  ben: {name: Ben, page: "2"}
rotations:
  office:
    handoff: "2026-03-23 09:00"     # a Monday, 09:00 on Berlin's clocks (CET, UTC+1)
    every: 1 week
    shifts:
      - days: [mon, tue, wed, thu, fri]
        from: "08:00"
        to: "20:00"
        members: [ana, ben]
escalation:
  critical:
    - after: 0 minutes
      notify: [office]
      via: page
"""


def test_shifts_and_handoffs_keep_to_the_teams_clocks_across_daylight_saving_time(tmp_path: Path) -> None:
    """Europe/Berlin moves from UTC+1 to UTC+2 on 2026-03-29: the 08:00 shift start and the 09:00 handoff move an
    hour earlier in UTC with it, as the team's clocks do."""
    model = load_escalation(write(tmp_path, BERLIN))
    office = model.rotation("office")
    assert office is not None and model.timezone == "Europe/Berlin"

    def who(*at: int) -> str | None:
        found = on_call(model, office, datetime(*at, tzinfo=UTC))  # type: ignore[misc]
        return found.contact if found else None

    assert who(2026, 3, 23, 6, 59) is None  # 07:59 CET: before the shift
    assert who(2026, 3, 23, 7, 0) == "ben"  # 08:00 CET: the shift starts, an hour before the first handoff
    assert who(2026, 3, 23, 8, 0) == "ana"  # 09:00 CET: the first turn, ana's
    assert who(2026, 3, 30, 6, 0) == "ana"  # 08:00 CEST, a week on: before the 09:00 handoff
    assert who(2026, 3, 30, 7, 0) == "ben"  # 09:00 CEST: handed over (an hour earlier in UTC than a week before)
    assert who(2026, 3, 30, 18, 0) is None  # 20:00 CEST: the shift is over
    found = gaps(model, office, datetime(2026, 3, 30, 17, 0, tzinfo=UTC), datetime(2026, 3, 31, 7, 0, tzinfo=UTC))
    assert [(g.start.hour, g.end.hour) for g in found] == [(20, 8)]  # told on Berlin's clocks
    assert "Mon 2026-03-30 20:00 CEST to Tue 2026-03-31 08:00 CEST" in found[0].describe()
