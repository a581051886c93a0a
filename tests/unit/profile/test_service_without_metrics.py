"""A service that is not the orders app, as many are: its version as plain text, no ``/metrics``. The version probe
reads the release it answers, and a deployment's soak is judged without metrics (readiness and the smoke test),
saying why, instead of failing before the switch."""

from __future__ import annotations

from pathlib import Path

from opsready.config import RollbackTriggers
from opsready.probes import http as http_probes
from opsready.probes.http import served_version
from opsready.profile import JsonPath, attach, parse_profile
from opsready.triggers import metric_baseline, watch
from opsready.yamlsrc import parse_yaml
from tests.unit.profile.conftest import SHELF_PROFILE, FakeTarget, Shelf

FIELD = JsonPath("version", ("version",))


def _target(shelf: Shelf, version: str) -> FakeTarget:
    text = SHELF_PROFILE.replace("version: /about\n  version_field: build.tag\n", f"version: {version}\n")
    target = FakeTarget(shelf.url)
    attach(target, parse_profile(parse_yaml(text, "shelf.yaml"), Path("shelf.yaml")))
    return target


def test_the_served_version_is_a_json_field_plain_text_or_a_bare_json_value() -> None:
    """The profile's field of a JSON object; the answer itself when it is one line of text or a bare JSON value (a
    release like 1.10 keeps its spelling); nothing from several lines or an object without the field."""
    assert served_version('{"version": "2.4.1"}', FIELD) == "2.4.1"
    assert served_version("2.4.1\n", FIELD) == "2.4.1"
    assert served_version("2\n", FIELD) == "2"
    assert served_version("1.10", FIELD) == "1.10"
    assert served_version('"2.4.1"', FIELD) == "2.4.1"
    assert served_version('{"build": "x"}', FIELD) == ""
    assert served_version("<html>\n<body>oops</body>\n</html>", FIELD) == ""
    assert served_version("", FIELD) == ""


def test_the_version_probe_reads_a_plain_text_answer_and_refuses_an_error_page(shelf: Shelf) -> None:
    """/live answers 'alive' as plain text: that is the release it names; a 404 is never a release."""
    assert http_probes.version(_target(shelf, "/live"), expect="alive").ok  # type: ignore[arg-type]
    missing = http_probes.version(_target(shelf, "/nowhere"), expect="alive")  # type: ignore[arg-type]
    assert not missing.ok and missing.detail.startswith("HTTP 404"), missing.describe()


def test_a_soak_without_metrics_is_judged_by_readiness_and_says_why(shelf: Shelf) -> None:
    """No /metrics: no baseline (and why), and the soak still watches readiness: quiet when it answers."""
    target = _target(shelf, "/about")
    baseline, why = metric_baseline(target)  # type: ignore[arg-type]
    assert baseline is None and "/metrics answered 404" in why, why
    rules = RollbackTriggers(smoke_test=True, soak=0.2, interval=0.05)
    assert watch(target, rules, None, 0.2) is None  # type: ignore[arg-type]
    assert "GET /ready" in shelf.seen and shelf.seen.count("GET /catalogue") >= 1  # readiness and the smoke test
