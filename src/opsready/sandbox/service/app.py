"""The orders api: a Flask app built for one release directory, served by gunicorn from the ``current`` link.

Liveness never touches the database; readiness does (and checks the schema); order endpoints fail fast with 503 when
the database is unavailable. Training releases misbehave exactly as their ``release.yaml`` says, so drills and tests
can predict the damage: ``error_every: N`` fails every Nth ``POST /orders`` of each worker process with 500,
``latency_ms: M`` delays the order endpoints by M ms, ``never_ready: true`` keeps ``/readyz`` at 503. Any release can
also carry a *synthetic flaw* a drill injects for a while (:mod:`opsready.sandbox.service.flaws`).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import flask
from werkzeug.exceptions import HTTPException

from opsready.errors import EnvironmentProblem
from opsready.sandbox.service import metrics
from opsready.sandbox.service.db import DatabaseError, parse_db_url, session
from opsready.sandbox.service.flaws import FlawWatch, flaws_dir
from opsready.sandbox.service.migrate import current_version
from opsready.sandbox.service.orders import PRIORITIES, STATUSES, create_order, get_order, list_orders, order_stats
from opsready.sandbox.service.releases import ReleaseInfo, load_release

READY_TIMEOUT = 1.0
MAX_LIMIT = 500
MAX_QUANTITY = 1_000_000
PRODUCTS = (
    {"sku": "tea-earl-grey", "name": "Earl Grey tea, 250 g", "price_cents": 850},
    {"sku": "coffee-beans", "name": "Coffee beans, 1 kg", "price_cents": 2400},
    {"sku": "mug-blue", "name": "Blue mug", "price_cents": 1200},
    {"sku": "kettle", "name": "Electric kettle", "price_cents": 3900},
    {"sku": "biscuits", "name": "Butter biscuits", "price_cents": 350},
)


def _json(data: Any, status: int = 200) -> flask.Response:
    response = flask.jsonify(data)
    response.status_code = status
    return response


class BadInput(Exception):
    """A request body or query the api refuses with 400."""


class _Service:
    """The views of one release; per-process state (the defect counter) lives here."""

    def __init__(self, release: ReleaseInfo, db_url: str) -> None:
        self.release = release
        self.db_url = db_url
        self.priority = "priority" in release.features
        self._lock = threading.Lock()
        self._posts = 0

    def _slow_down(self) -> None:
        if self.release.defects.latency_ms:
            time.sleep(self.release.defects.latency_ms / 1000)

    def healthz(self) -> flask.Response:
        return _json({"status": "ok", "version": self.release.version})

    def readyz(self) -> flask.Response:
        release = self.release
        if release.defects.never_ready:
            return _json({"status": "not ready", "reason": "release defect: never ready"}, 503)
        try:
            with session(self.db_url, app_name="opsready-api") as db:
                db.query("SELECT 1", timeout=READY_TIMEOUT)
                schema = current_version(db, timeout=READY_TIMEOUT)
        except DatabaseError as exc:
            return _json({"status": "not ready", "reason": exc.message}, 503)
        if schema < release.schema:
            reason = f"database schema {schema} is older than the {release.schema} this release needs (run migrations)"
            return _json({"status": "not ready", "reason": reason, "schema": schema}, 503)
        return _json({"status": "ready", "version": release.version, "schema": schema})

    def version(self) -> flask.Response:
        release = self.release
        try:
            with session(self.db_url, app_name="opsready-api") as db:
                schema: int | None = current_version(db, timeout=READY_TIMEOUT)
        except DatabaseError:
            schema = None  # still say which release answers: that matters most when the database is down
        return _json(
            {
                "version": release.version,
                "schema": schema,
                "release_schema": release.schema,
                "training": release.training,
                "description": release.description,
                "features": list(release.features),
                "defects": dict(release.defects.as_pairs()),
            }
        )

    def products(self) -> flask.Response:
        return _json({"products": list(PRODUCTS)})

    def create(self) -> flask.Response:
        every = self.release.defects.error_every
        if every:
            with self._lock:
                self._posts += 1
                failing = self._posts % every == 0
            if failing:
                return _json({"error": "internal error (release defect: error_every)"}, 500)
        self._slow_down()
        body = flask.request.get_json(silent=True)
        if not isinstance(body, dict):
            raise BadInput("the body must be a JSON object")
        item, quantity = body.get("item"), body.get("quantity")
        if not isinstance(item, str) or not item.strip() or len(item) > 200:
            raise BadInput("'item' must be a non-empty string of at most 200 characters")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 0 < quantity <= MAX_QUANTITY:
            raise BadInput(f"'quantity' must be an integer from 1 to {MAX_QUANTITY}")
        priority = None
        if self.priority:
            priority = body.get("priority", "normal")
            if priority not in PRIORITIES:
                raise BadInput(f"'priority' must be one of: {', '.join(PRIORITIES)}")
        with session(self.db_url, app_name="opsready-api") as db:
            order = create_order(db, item, quantity, time.time(), priority)
        metrics.ORDERS_CREATED.inc()
        return _json(order.to_json(), 201)

    def show(self, id: int) -> flask.Response:  # named like the route's <id>, which the metric label shows
        self._slow_down()
        with session(self.db_url, app_name="opsready-api") as db:
            order = get_order(db, id, with_priority=self.priority)
        if order is None:
            return _json({"error": f"no order {id}"}, 404)
        return _json(order.to_json())

    def index(self) -> flask.Response:
        self._slow_down()
        args = flask.request.args
        status = args.get("status") or None
        if status is not None and status not in STATUSES:
            raise BadInput(f"'status' must be one of: {', '.join(STATUSES)}")
        try:
            limit = int(args.get("limit", "50"))
        except ValueError:
            raise BadInput("'limit' must be an integer") from None
        if not 0 < limit <= MAX_LIMIT:
            raise BadInput(f"'limit' must be from 1 to {MAX_LIMIT}")
        with session(self.db_url, app_name="opsready-api") as db:
            orders = list_orders(db, status=status, limit=limit, with_priority=self.priority)
        return _json([order.to_json() for order in orders])

    def stats(self) -> flask.Response:
        upto_arg = flask.request.args.get("upto")
        if upto_arg is not None and not upto_arg.isdigit():
            return _json({"error": "upto must be a non-negative integer"}, 400)
        upto = int(upto_arg) if upto_arg is not None else None
        with session(self.db_url, app_name="opsready-api") as db:
            return _json(order_stats(db, time.time(), upto).to_json())

    def metrics(self) -> flask.Response:
        body, content_type = metrics.render()
        return flask.Response(body, content_type=content_type)


def create_app(release_dir: Path, *, db_url: str | None = None) -> flask.Flask:
    """The orders api of the release in ``release_dir``, on ``db_url`` (default: ``$OPSREADY_DB_URL``)."""
    release = load_release(release_dir)
    url = db_url or os.environ.get("OPSREADY_DB_URL", "")
    if not url:
        raise EnvironmentProblem("OPSREADY_DB_URL is not set: the api needs to know its database")
    parse_db_url(url)
    service = _Service(release, url)
    app = flask.Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    metrics.instrument(app, release.version, release.training)
    # installed releases live in <state>/releases/<version>: the sandbox's synthetic flaws sit beside them
    flaws = FlawWatch(flaws_dir(release_dir.resolve().parent.parent), release.version)

    @app.before_request
    def synthetic_flaw() -> flask.Response | None:
        failing, delay = flaws.judge(flask.request.path)
        if delay:
            time.sleep(delay)
        if failing:
            return _json({"error": "internal error (synthetic flaw injected by a drill)"}, 500)
        return None

    routes = (
        ("/healthz", "GET", service.healthz),
        ("/readyz", "GET", service.readyz),
        ("/version", "GET", service.version),
        ("/metrics", "GET", service.metrics),
        ("/products", "GET", service.products),
        ("/orders", "POST", service.create),
        ("/orders", "GET", service.index),
        ("/orders/stats", "GET", service.stats),
        ("/orders/<int:id>", "GET", service.show),
    )
    for rule, method, view in routes:
        app.add_url_rule(rule, endpoint=f"{method} {rule}", view_func=view, methods=[method])

    @app.errorhandler(BadInput)
    def bad_input(exc: BadInput) -> flask.Response:
        return _json({"error": str(exc)}, 400)

    @app.errorhandler(DatabaseError)
    def database_error(exc: DatabaseError) -> flask.Response:
        if exc.unavailable:
            return _json({"error": exc.message}, 503)
        return _json({"error": exc.message}, 500)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> flask.Response:
        app.logger.exception("unexpected error on %s %s", flask.request.method, flask.request.path)
        return _json({"error": f"internal error: {type(exc).__name__}"}, 500)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> flask.Response:
        return _json({"error": exc.description}, exc.code or 500)

    if "release-header" in release.features:

        @app.after_request
        def release_header(response: flask.Response) -> flask.Response:
            response.headers["X-Opsready-Release"] = release.version
            return response

    return app
