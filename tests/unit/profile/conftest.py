"""A small real HTTP service that is not the orders app: a bookshelf with other paths and no metrics."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.unit.profile.serve import serving


@dataclass
class Shelf:
    """The service's state, visible to the test: books by key, and every request as 'METHOD path'."""

    url: str = ""
    books: dict[int, str] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)
    next_key: int = 1
    lock: threading.Lock = field(default_factory=threading.Lock)

    def summary(self, until: int | None) -> dict[str, object]:
        """The count and digest of the books up to a key."""
        with self.lock:
            keys = sorted(k for k in self.books if until is None or k <= until)
            digest = hashlib.sha256(json.dumps([(k, self.books[k]) for k in keys]).encode()).hexdigest()
            return {"stats": {"n": len(keys), "digest": digest}, "newest": keys[-1] if keys else None}


def _handler(shelf: Shelf) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self, status: int, body: object = None) -> None:
            data = b"" if body is None else (body.encode() if isinstance(body, str) else json.dumps(body).encode())
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _route(self) -> None:
            url = urlsplit(self.path)
            shelf.seen.append(f"{self.command} {url.path}")
            parts = url.path.strip("/").split("/")
            if self.command == "GET" and url.path == "/live":
                return self._answer(200, "alive")
            if self.command == "GET" and url.path == "/ready":
                return self._answer(200, {"ready": True})
            if self.command == "GET" and url.path == "/about":
                return self._answer(200, {"build": {"tag": "7.1"}})
            if self.command == "GET" and url.path == "/catalogue":
                return self._answer(200, {"shelves": [{"name": "fiction", "size": 3}]})
            if self.command == "GET" and url.path == "/api/summary":
                until = parse_qs(url.query).get("until")
                return self._answer(200, shelf.summary(int(until[0]) if until else None))
            if self.command == "POST" and url.path == "/api/books":
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if not isinstance(body.get("title"), str):
                    return self._answer(400, {"error": "title"})
                with shelf.lock:
                    key, shelf.next_key = shelf.next_key, shelf.next_key + 1
                    shelf.books[key] = body["title"]
                return self._answer(201, {"book": {"key": key, "title": body["title"]}})
            if len(parts) == 3 and parts[:2] == ["api", "books"] and parts[2].isdigit():
                key = int(parts[2])
                if key not in shelf.books:
                    return self._answer(404, {"error": "no such book"})
                if self.command == "DELETE":
                    with shelf.lock:
                        del shelf.books[key]
                    return self._answer(204)
                return self._answer(200, {"book": {"key": key, "title": shelf.books[key]}})
            return self._answer(404, {"error": f"nothing at {url.path}"})

        do_GET = do_POST = do_DELETE = _route

        def log_message(self, format: str, *args: object) -> None:
            return None

    return Handler


@pytest.fixture
def shelf() -> Iterator[Shelf]:
    """The bookshelf service on a free loopback port, stopped after the test."""
    state = Shelf()
    with serving(_handler(state)) as url:
        state.url = url
        yield state


SHELF_PROFILE = """\
version: 1
service: bookshelf
endpoints:
  health: /live
  readiness: /ready
  version: /about
  version_field: build.tag
  page: /catalogue
journeys:
  look:
    steps:
      - request: GET /catalogue
        expect: {status: 200, json: "shelves[0].name"}
  shelve:
    weight: 2
    steps:
      - request: POST /api/books
        json: {title: "book-{n}"}
        expect: {status: 201, json: {book.title: "book-{n}"}}
        capture: {key: book.key}
      - request: GET /api/books/{key}
        expect: {status: 200, contains: "book-"}
    cleanup:
      - request: DELETE /api/books/{key}
        expect: {status: 204}
  keep:
    weight: 0
    writes: true
    steps:
      - request: POST /api/books
        json: {title: "kept-{n}"}
        expect: {status: 201}
smoke:
  journeys: [look, shelve]
  runs: 2
data:
  endpoint: /api/summary
  count: stats.n
  checksum: $.stats.digest
  watermark: newest
  watermark_param: until
"""


@dataclass
class FakeTarget:
    """The least a probe needs of a target: a URL and a kind (hashable, so a profile can be attached)."""

    base_url: str
    kind: str = "disposable"

    __hash__ = object.__hash__
