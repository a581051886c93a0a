"""The orders api through Flask's test client, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from opsready.errors import EnvironmentProblem
from opsready.sandbox.service.app import create_app
from opsready.sandbox.service.db import session
from opsready.sandbox.service.orders import fulfil_due
from opsready.sandbox.service.releases import RELEASES_DIR

Client = Callable[..., FlaskClient]

DEAD_URL = "sqlite:////nonexistent-opsready-dir/orders.db"


def test_healthz_answers_without_the_database() -> None:
    """Liveness says ok and the version even when the database cannot be opened."""
    client = create_app(RELEASES_DIR / "1.0.0", db_url=DEAD_URL).test_client()
    response = client.get("/healthz")
    assert (response.status_code, response.json) == (200, {"status": "ok", "version": "1.0.0"})


def test_readyz_is_ready_on_a_migrated_database(client_for: Client) -> None:
    """Database answers and the schema is new enough: 200."""
    response = client_for("1.2.0").get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready", "version": "1.2.0", "schema": 2}


def test_readyz_refuses_a_schema_older_than_the_release_needs(client_for: Client) -> None:
    """1.2.0 on a database migrated for 1.1.0 only: 503 and a reason that says to migrate."""
    client_for("1.1.0")
    response = client_for("1.2.0", migrated=False).get("/readyz")
    assert response.status_code == 503
    assert response.json is not None
    assert response.json["status"] == "not ready"
    assert "schema 1 is older than the 2" in response.json["reason"]


def test_readyz_without_a_database_is_503() -> None:
    """An unavailable database makes the api not ready, with the reason."""
    response = create_app(RELEASES_DIR / "1.0.0", db_url=DEAD_URL).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json is not None
    assert response.json["reason"].startswith("database unavailable")


def test_never_ready_defect(client_for: Client) -> None:
    """1.3.0-unready is never ready, whatever the database says; it still serves orders."""
    client = client_for("1.3.0-unready")
    response = client.get("/readyz")
    assert (response.status_code, response.json) == (
        503,
        {"status": "not ready", "reason": "release defect: never ready"},
    )
    assert client.post("/orders", json={"item": "tea", "quantity": 1}).status_code == 201


def test_version_reports_release_and_database_schema(client_for: Client) -> None:
    """/version: the release, the schema in the database, the schema the release needs, training flag."""
    client_for("1.2.0")
    body = client_for("1.1.0").get("/version").json
    assert body is not None
    assert {k: body[k] for k in ("version", "schema", "release_schema", "training")} == {
        "version": "1.1.0",
        "schema": 2,
        "release_schema": 1,
        "training": False,
    }
    assert "release-header" in body["features"]
    training = client_for("1.3.0-errors").get("/version").json
    assert training is not None
    assert (training["training"], training["defects"]) == (True, {"error_every": 3})


def test_version_still_answers_when_the_database_is_down() -> None:
    """Which release answers matters most during an outage: schema is null, status 200."""
    response = create_app(RELEASES_DIR / "1.1.0", db_url=DEAD_URL).test_client().get("/version")
    assert response.status_code == 200
    assert response.json is not None
    assert (response.json["version"], response.json["schema"]) == ("1.1.0", None)


def test_release_header_from_1_1_0_on(client_for: Client) -> None:
    """1.1.0 names itself in every response; 1.0.0 does not."""
    assert "X-Opsready-Release" not in client_for("1.0.0").get("/healthz").headers
    assert client_for("1.1.0").get("/products").headers["X-Opsready-Release"] == "1.1.0"


def test_products_catalogue() -> None:
    """A small static catalogue, no database needed."""
    body = create_app(RELEASES_DIR / "1.0.0", db_url=DEAD_URL).test_client().get("/products").json
    assert body is not None
    assert len(body["products"]) == 5
    assert {"sku", "name", "price_cents"} <= set(body["products"][0])


def test_place_and_read_orders(client_for: Client) -> None:
    """POST creates a pending order; GET by id and the list return it."""
    client = client_for("1.1.0")
    response = client.post("/orders", json={"item": "tea", "quantity": 2})
    assert response.status_code == 201
    order = response.json
    assert order is not None
    assert {k: order[k] for k in ("item", "quantity", "status")} == {"item": "tea", "quantity": 2, "status": "pending"}
    assert order["created_at"].endswith("+00:00")
    assert client.get(f"/orders/{order['id']}").json == order
    assert client.get("/orders/999999").status_code == 404
    client.post("/orders", json={"item": "mug", "quantity": 1})
    assert [o["item"] for o in client.get("/orders?status=pending&limit=1").json or []] == ["tea"]
    assert [o["item"] for o in client.get("/orders").json or []] == ["tea", "mug"]
    assert client.get("/orders?status=fulfilled").json == []


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"quantity": 1},
        {"item": "", "quantity": 1},
        {"item": "tea"},
        {"item": "tea", "quantity": 0},
        {"item": "tea", "quantity": -3},
        {"item": "tea", "quantity": "2"},
        {"item": "tea", "quantity": True},
        {"item": "tea", "quantity": 1.5},
    ],
)
def test_bad_orders_are_400_with_a_json_error(client_for: Client, body: object) -> None:
    """Bad input never reaches the database."""
    client = client_for("1.0.0")
    response = client.post("/orders", json=body) if body is not None else client.post("/orders", data="not json")
    assert response.status_code == 400
    assert response.json is not None
    assert response.json["error"]
    assert client.get("/orders/stats").json["total"] == 0  # type: ignore[index]


@pytest.mark.parametrize("query", ["status=lost", "limit=0", "limit=many", "limit=501"])
def test_bad_list_queries_are_400(client_for: Client, query: str) -> None:
    """Unknown status, silly limits: 400."""
    assert client_for("1.1.0").get(f"/orders?{query}").status_code == 400


def test_priority_from_1_2_0_and_1_1_0_on_the_migrated_schema(client_for: Client) -> None:
    """1.2.0 stores a priority; 1.1.0 keeps working on schema 2 and its orders get the default."""
    new = client_for("1.2.0")
    express = new.post("/orders", json={"item": "kettle", "quantity": 1, "priority": "express"}).json
    assert express is not None
    assert express["priority"] == "express"
    assert new.post("/orders", json={"item": "tea", "quantity": 1, "priority": "urgent"}).status_code == 400
    old = client_for("1.1.0")
    legacy = old.post("/orders", json={"item": "tea", "quantity": 3, "priority": "express"})
    assert legacy.status_code == 201
    assert legacy.json is not None
    assert "priority" not in legacy.json  # 1.1.0 knows nothing about priorities
    assert old.get(f"/orders/{express['id']}").status_code == 200
    assert new.get(f"/orders/{legacy.json['id']}").json["priority"] == "normal"  # type: ignore[index]


def test_stats_checksum_survives_fulfilment_and_release_changes(client_for: Client, db_url: str) -> None:
    """The checksum depends on (id, item, quantity) only, and every release computes the same one."""
    old = client_for("1.1.0")
    for item, quantity in (("tea", 1), ("mug", 2), ("kettle", 1)):
        old.post("/orders", json={"item": item, "quantity": quantity})
    before = old.get("/orders/stats").json
    assert before is not None
    assert (before["total"], before["pending"], before["fulfilled"]) == (3, 3, 0)
    assert before["oldest_pending_age_s"] >= 0
    new = client_for("1.2.0")
    assert new.get("/orders/stats").json == {
        **before,
        "oldest_pending_age_s": pytest.approx(before["oldest_pending_age_s"], abs=5),
    }
    with session(db_url) as db:
        assert fulfil_due(db, older_than=time.time(), now=time.time()) == 3
    after = old.get("/orders/stats").json
    assert after is not None
    assert (after["pending"], after["fulfilled"], after["oldest_pending_age_s"]) == (0, 3, None)
    assert after["checksum"] == before["checksum"]
    new.post("/orders", json={"item": "tea", "quantity": 1})
    assert new.get("/orders/stats").json["checksum"] != before["checksum"]  # type: ignore[index]


def test_error_every_fails_exactly_every_third_post(client_for: Client) -> None:
    """1.3.0-errors: POSTs 3, 6, 9 of this process fail with 500, and those orders are not stored."""
    client = client_for("1.3.0-errors")
    statuses = [client.post("/orders", json={"item": "tea", "quantity": 1}).status_code for _ in range(9)]
    assert statuses == [201, 201, 500] * 3
    assert client.get("/orders/stats").json["total"] == 6  # type: ignore[index]
    assert client.get("/orders").status_code == 200  # reads are not affected


def test_latency_defect_slows_only_order_endpoints(client_for: Client) -> None:
    """1.3.0-slow: order endpoints take at least 400 ms more; health and stats do not."""
    client = client_for("1.3.0-slow")
    started = time.perf_counter()
    created = client.post("/orders", json={"item": "tea", "quantity": 1})
    assert time.perf_counter() - started >= 0.4
    for path in (f"/orders/{created.json['id']}", "/orders"):  # type: ignore[index]
        started = time.perf_counter()
        assert client.get(path).status_code == 200
        assert time.perf_counter() - started >= 0.4
    started = time.perf_counter()
    client.get("/healthz")
    client.get("/orders/stats")
    assert time.perf_counter() - started < 0.4


def test_unavailable_database_is_503_fast() -> None:
    """Order endpoints answer 503 with a JSON error when the database cannot be reached."""
    client = create_app(RELEASES_DIR / "1.0.0", db_url=DEAD_URL).test_client()
    response = client.post("/orders", json={"item": "tea", "quantity": 1})
    assert response.status_code == 503
    assert response.json is not None
    assert response.json["error"].startswith("database unavailable")


def test_unknown_route_is_a_json_404(client_for: Client) -> None:
    """Errors are JSON too."""
    response = client_for("1.0.0").get("/nope")
    assert response.status_code == 404
    assert response.json is not None
    assert "error" in response.json


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_use_route_templates_and_count_orders(client_for: Client) -> None:
    """Requests are counted by route template (not raw path), timed in 5 ms..2 s buckets; orders are counted."""
    client = client_for("1.1.0")
    before = _samples(client.get("/metrics").get_data(as_text=True))
    order_id = client.post("/orders", json={"item": "tea", "quantity": 1}).json["id"]  # type: ignore[index]
    client.get(f"/orders/{order_id}")
    client.get(f"/orders/{order_id}")
    client.get("/orders/424242")
    client.get("/no/such/page")
    response = client.get("/metrics")
    assert response.content_type.startswith("text/plain")
    after = _samples(response.get_data(as_text=True))

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    total = "opsready_http_requests_total"
    assert delta(total, method="GET", endpoint="/orders/<id>", status="200") == 2
    assert delta(total, method="GET", endpoint="/orders/<id>", status="404") == 1
    assert delta(total, method="POST", endpoint="/orders", status="201") == 1
    assert delta(total, method="GET", endpoint="unmatched", status="404") == 1
    assert not any("424242" in str(labels) for _, labels in after)
    assert delta("opsready_orders_created_total") == 1
    histogram = "opsready_http_request_duration_seconds_bucket"
    assert delta(histogram, endpoint="/orders/<id>", le="+Inf") == 3
    assert {le for (name, labels) in after if name == histogram for key, le in labels if key == "le"} >= {
        "0.005",
        "2.0",
    }


def test_create_app_needs_a_database_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without OPSREADY_DB_URL the app refuses to start with a clear message."""
    monkeypatch.delenv("OPSREADY_DB_URL", raising=False)
    with pytest.raises(EnvironmentProblem, match="OPSREADY_DB_URL"):
        create_app(RELEASES_DIR / "1.0.0")
    monkeypatch.setenv("OPSREADY_DB_URL", f"sqlite:///{tmp_path}/orders.db")
    assert create_app(RELEASES_DIR / "1.0.0").test_client().get("/healthz").status_code == 200
