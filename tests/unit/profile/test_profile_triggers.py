"""Rollback triggers for a service without metrics: the error-rate and latency triggers judge from opsready's own
traffic (the profile's journeys), never from metric names the service does not export. A small real HTTP service with
releases; a bad release is rolled back by the traffic-judged trigger, a healthy one is not."""

from __future__ import annotations

import http.server
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from opsready.config import load_config
from opsready.deploy.procedure import Procedures
from opsready.profile import attach, parse_profile
from opsready.targets.protocol import Release, ReleaseRecord
from opsready.timeline import Timeline
from opsready.yamlsrc import parse_yaml
from tests.unit.profile.serve import serving

PROFILE = """\
version: 1
service: shop
endpoints: {health: /live, readiness: /ready, version: /about, version_field: tag, page: /shop}
journeys:
  browse:
    steps:
      - request: GET /shop
        expect: {status: 200, contains: "shop"}
smoke:
  journeys: [browse]
  runs: 2
"""

SUITE = """\
version: 1
targets:
  sandbox: {platform: sandbox, ports: auto}
deployment:
  pre_checklist: pre.yaml
  post_checklist: post.yaml
rollback_triggers:
  error_rate_above: 5%
  p95_latency_above: 300ms
  soak: 3s
  interval: 250ms
  min_requests: 10
"""

CHECKLIST = """\
checklist: {name}
items:
  - name: Service is ready
    probe: readiness
    mandatory: true
"""


@dataclass
class Shop:
    """A service whose releases behave differently: '-errors' answers 500 to users, '-slow' takes 0.6 s."""

    url: str = ""
    release: str = "1.0"
    history: list[str] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)


def _handler(shop: Shop) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self, status: int, body: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            shop.seen.append(path)
            if path in {"/live", "/ready"}:
                return self._answer(200, "ok")
            if path == "/about":
                return self._answer(200, json.dumps({"tag": shop.release}))
            if path == "/shop":
                if shop.release.endswith("-errors"):
                    return self._answer(500, "broken")
                if shop.release.endswith("-slow"):
                    time.sleep(0.6)
                return self._answer(200, "the shop")
            return self._answer(404, "no")  # /metrics too: this service exports none

        def log_message(self, format: str, *args: object) -> None:
            return None

    return Handler


@dataclass
class ShopTarget:
    """The target protocol's deploy side over the shop: releases switch at once, rollback to the previous."""

    shop: Shop
    name: str = "shop"
    platform: str = "test"
    kind: str = "disposable"

    __hash__ = object.__hash__

    @property
    def base_url(self) -> str:
        return self.shop.url

    def releases(self) -> tuple[Release, ...]:
        return tuple(Release(v) for v in ("1.0", "2.0", "2.0-errors", "2.0-slow"))

    def current_release(self) -> str:
        return self.shop.release

    def _record(self, version: str, previous: str, kind: str, note: str) -> ReleaseRecord:
        return ReleaseRecord(version, previous, kind, datetime.now(tz=UTC).isoformat(), note)

    def deploy(self, version: str, kind: str = "deploy", note: str = "") -> ReleaseRecord:
        previous = self.shop.release
        self.shop.history.append(previous)
        self.shop.release = version
        return self._record(version, previous, kind, note)

    def rollback(self, note: str = "") -> ReleaseRecord:
        previous = self.shop.release
        self.shop.release = self.shop.history.pop()
        return self._record(self.shop.release, previous, "rollback", note)


@pytest.fixture
def shop() -> Iterator[Shop]:
    """The shop on a free loopback port, stopped after the test."""
    state = Shop()
    with serving(_handler(state)) as url:
        state.url = url
        yield state


def _procedures(shop: Shop, tmp_path: Path, lines: list[str]) -> Procedures:
    (tmp_path / "opsready.yaml").write_text(SUITE)
    for name in ("pre", "post"):
        (tmp_path / f"{name}.yaml").write_text(CHECKLIST.format(name=name))
    target = ShopTarget(shop)
    attach(target, parse_profile(parse_yaml(PROFILE, "shop.yaml"), Path("shop.yaml")))
    config = load_config(tmp_path / "opsready.yaml")
    return Procedures(config, target, Timeline("deploy"), lines.append)  # type: ignore[arg-type]


@pytest.mark.parametrize(("release", "trigger"), [("2.0-errors", "error_rate"), ("2.0-slow", "latency")])
def test_a_bad_release_without_metrics_is_rolled_back_by_the_traffic_judged_trigger(
    shop: Shop, tmp_path: Path, release: str, trigger: str
) -> None:
    """opsready's own requests saw the failures (or the wait): the trigger fires, says so, and 1.0 serves again."""
    lines: list[str] = []
    procedures = _procedures(shop, tmp_path, lines)
    outcome = procedures.deploy(release)
    assert outcome.result == "rolled_back" and outcome.trigger is not None, outcome
    detect = next(m.describe() for m in procedures.timeline.measurements if m.name == "time to detect")
    print(f"{release}: {outcome.trigger.evidence}; {detect}")  # the measured figures
    assert outcome.trigger.trigger == trigger and outcome.trigger.judged_by == "traffic", outcome.trigger
    assert "(from traffic)" in outcome.trigger.evidence and outcome.judged_by == "traffic"
    assert any("judged from opsready's own traffic" in line for line in lines), lines
    assert shop.release == "1.0"
    assert "/metrics" not in shop.seen  # no metric name was assumed: nothing scraped
    assert shop.seen.count("/shop") >= 10  # the journeys opsready played, at least min_requests of them


def test_a_healthy_release_without_metrics_is_kept(shop: Shop, tmp_path: Path) -> None:
    """The same traffic sees nothing wrong: the release stays, and the traffic stopped with the soak."""
    lines: list[str] = []
    outcome = _procedures(shop, tmp_path, lines).deploy("2.0")
    assert outcome.result == "succeeded" and outcome.trigger is None, outcome
    assert outcome.judged_by == "traffic" and shop.release == "2.0"
    assert "/metrics" not in shop.seen  # no metric name was assumed: nothing scraped
    sent = shop.seen.count("/shop")
    assert sent >= 10, sent
    time.sleep(0.5)
    assert shop.seen.count("/shop") == sent  # opsready's traffic ended with the soak
