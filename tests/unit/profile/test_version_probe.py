"""A service that is not the orders app, as many are: its version as plain text. The version probe reads the release
it answers (a JSON field, or the answer itself), and never takes an error page for a release."""

from __future__ import annotations

from pathlib import Path

from opsready.probes import http as http_probes
from opsready.probes.http import served_version
from opsready.profile import JsonPath, attach, parse_profile
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
