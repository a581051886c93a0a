"""Synthetic flaws: only the processes serving the flawed release apply it, to user requests only, with the share
asked for, and they stop as soon as the flaw file is gone."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from opsready.sandbox.service.app import create_app
from opsready.sandbox.service.flaws import Flaw, flaw_file, read_flaws, write_flaw
from opsready.sandbox.service.releases import RELEASES_DIR

DEAD_URL = "sqlite:////nonexistent-opsready-dir/orders.db"  # /products and /healthz need no database


def installed(state: Path, version: str) -> Path:
    """A release installed the way the sandbox installs it: <state>/releases/<version>."""
    target = state / "releases" / version
    shutil.copytree(RELEASES_DIR / version, target)
    return target


def statuses(app_dir: Path, path: str, n: int) -> list[int]:
    client = create_app(app_dir, db_url=DEAD_URL).test_client()
    return [client.get(path).status_code for _ in range(n)]


def test_the_flawed_release_fails_its_share_of_user_requests_and_no_other_release_does(tmp_path: Path) -> None:
    """30% of 1.1.0's /products fail with 500 (evenly: 3 in every 10); 1.0.0 beside it answers every one."""
    candidate, previous = installed(tmp_path, "1.1.0"), installed(tmp_path, "1.0.0")
    write_flaw(tmp_path, Flaw("run-1", "1.1.0", 0.3, 0))
    flawed = statuses(candidate, "/products", 100)
    assert flawed.count(500) == 30 and set(flawed) == {200, 500}
    assert all(flawed[i : i + 10].count(500) == 3 for i in range(0, 100, 10))
    assert statuses(previous, "/products", 50) == [200] * 50


def test_operational_endpoints_are_never_flawed(tmp_path: Path) -> None:
    """Health and version keep answering, so the deployment's own probes still work on a flawed release."""
    candidate = installed(tmp_path, "1.1.0")
    write_flaw(tmp_path, Flaw("run-1", "1.1.0", 1.0, 0))
    assert statuses(candidate, "/healthz", 20) == [200] * 20
    assert statuses(candidate, "/products", 5) == [500] * 5


def test_the_flaw_ends_when_its_file_is_removed(tmp_path: Path) -> None:
    """The same process stops failing on its next request once the revert deleted the file."""
    candidate = installed(tmp_path, "1.1.0")
    path = write_flaw(tmp_path, Flaw("run-1", "1.1.0", 1.0, 0))
    client = create_app(candidate, db_url=DEAD_URL).test_client()
    assert client.get("/products").status_code == 500
    path.unlink()
    assert [client.get("/products").status_code for _ in range(10)] == [200] * 10


def test_unreadable_flaw_files_are_ignored(tmp_path: Path) -> None:
    """A half-written or foreign file never breaks the api."""
    flaw_file(tmp_path, "bad").parent.mkdir(parents=True)
    flaw_file(tmp_path, "bad").write_text("{not json", encoding="utf-8")
    write_flaw(tmp_path, Flaw("good", "1.1.0", 0.5, 10))
    assert read_flaws(tmp_path / "flaws") == (Flaw("good", "1.1.0", 0.5, 10),)


def test_a_latency_flaw_makes_the_release_answer_late(tmp_path: Path) -> None:
    """latency 80 ms: every user request of the flawed release waits at least that long, and still succeeds."""
    candidate = installed(tmp_path, "1.1.0")
    write_flaw(tmp_path, Flaw("slow", "1.1.0", 0.0, 80))
    client = create_app(candidate, db_url=DEAD_URL).test_client()
    for _ in range(3):
        started = time.monotonic()
        assert client.get("/products").status_code == 200
        assert time.monotonic() - started >= 0.08
