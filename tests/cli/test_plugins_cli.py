"""Plugins from installed packages: the example plugin (tests/data/toyplugin) installed into a temporary virtualenv
without a network, its fault kind through the guard, the dead-man watchdog and ``opsready recover``; and broken,
ambiguous and shadowing plugins refused with their package named (exit 2)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import opsready

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "toyplugin"
SOURCE = Path(opsready.__file__).resolve().parents[1]  # the opsready under test (its src/ directory)
CONTROL = {"name": "opsready", "provider": {"type": "python", "module": "opsready.chaos.control"}}


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv that sees this opsready and its dependencies, with the example plugin pip-installed."""
    root = tmp_path_factory.mktemp("plugin-venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True)
    python = root / "venv" / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # the opsready under test first, then the dependencies installed beside the interpreter running the tests
    Path(purelib, "_opsready_under_test.pth").write_text(
        f"{SOURCE}\n{sysconfig.get_paths()['purelib']}\n", encoding="utf-8"
    )
    shutil.copytree(EXAMPLE, root / "toyplugin")
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-index", "--no-build-isolation"]
    subprocess.run([*pip, "--no-deps", "--quiet", str(root / "toyplugin")], check=True, env=_clean_env())
    return python


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "OPSREADY_CONFIG")}
    env["PIP_NO_INDEX"] = "1"
    return {**env, **extra}


def _cli(python: Path, *args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-m", "opsready.cli", *args],
        cwd=cwd,
        env=env or _clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    """A suite whose one target is the plugin's platform: a directory the flag-file fault raises flags in."""
    (tmp_path / "opsready.yaml").write_text(
        "version: 1\ntargets:\n  toy:\n    platform: toy\n    kind: disposable\n    directory: box\n"
        "safety:\n  destructive_targets: [toy]\n",
        encoding="utf-8",
    )
    (tmp_path / "box" / "flags").mkdir(parents=True)
    return tmp_path


def _experiment(suite: Path, time_limit: str, hold: float = 0.0) -> Path:
    inject: dict[str, Any] = {
        "type": "action",
        "name": "raise-flag",
        "provider": {
            "type": "python",
            "module": "opsready.chaos.actions",
            "func": "inject",
            "arguments": {"name": "flag", "kind": "flag-file", "params": {"flag": "down"}, "time_limit": time_limit},
        },
    }
    if hold:
        inject["pauses"] = {"after": hold}
    steady = {"type": "python", "module": "opsready.chaos.probes", "func": "toy_flags"}
    data = {
        "title": "a flag is raised and lowered",
        "controls": [CONTROL],
        "steady-state-hypothesis": {
            "title": "no flag",
            "probes": [{"type": "probe", "name": "no-flag", "tolerance": True, "provider": steady}],
        },
        "method": [
            inject,
            {
                "type": "probe",
                "name": "flag-seen",
                "provider": {
                    "type": "python",
                    "module": "opsready.chaos.probes",
                    "func": "detect",
                    "arguments": {"probe": "toy_flags", "within": "5 seconds", "interval": "50ms"},
                },
            },
            {
                "type": "action",
                "name": "lower-flag",
                "provider": {
                    "type": "python",
                    "module": "opsready.chaos.actions",
                    "func": "revert",
                    "arguments": {"name": "flag"},
                },
            },
        ],
        "rollbacks": [
            {
                "type": "action",
                "name": "revert-every-fault",
                "provider": {"type": "python", "module": "opsready.chaos.actions", "func": "revert_all"},
            }
        ],
    }
    path = suite / "flag.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _records(suite: Path) -> list[dict[str, Any]]:
    found = []
    for path in sorted((suite / "box" / "faults").glob("*.jsonl")):
        if path.name == "index.jsonl":
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
    return found


def _wait(what: str, check: Any, timeout: float) -> float:
    """Poll ``check`` until it is true; the time it took (an AssertionError naming ``what`` after ``timeout``)."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what}: not within {timeout:g} s")
        time.sleep(0.05)
    return time.monotonic() - started


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


@pytest.fixture
def harness(venv: Path, suite: Path) -> Iterator[list[subprocess.Popen[str]]]:
    """Harness processes a test starts (in sessions of their own); killed with their watchdogs at the end."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    for record in _records(suite):  # only this suite's watchdogs: their command line names its journals
        pid = record.get("pid") if record.get("record") == "armed" else None
        argv = _cmdline(pid) if isinstance(pid, int) else []
        if isinstance(pid, int) and str(suite) in " ".join(argv) and "opsready.chaos.watchdog" in argv:
            os.kill(pid, signal.SIGKILL)


def _start(venv: Path, suite: Path, experiment: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(venv), "-m", "opsready.cli", "experiment", "run", str(experiment)],
        cwd=suite,
        env=_clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def test_lists_the_installed_plugins_with_their_package(venv: Path, tmp_path: Path) -> None:
    """`opsready plugins` shows each entry point's name, group, package and version, and loads them all."""
    done = _cli(venv, "plugins", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = {tuple(line.split()[:4]) for line in done.stdout.splitlines()}
    assert ("toy", "opsready.platforms", "opsready-toy", "0.1.0") in rows
    assert ("toy_flags", "opsready.probes", "opsready-toy", "0.1.0") in rows
    assert ("flag-file", "opsready.faults", "opsready-toy", "0.1.0") in rows


def test_plugin_fault_goes_through_the_guard(venv: Path, suite: Path) -> None:
    """The plugin's fault kind is offered on its platform, injected under an armed watchdog, detected by the plugin's
    probe and reverted and verified by the harness."""
    kinds = _cli(venv, "experiment", "faults", cwd=suite)
    assert kinds.returncode == 0, kinds.stderr
    assert "flag-file (process)" in kinds.stdout
    done = _cli(venv, "experiment", "run", str(_experiment(suite, "30 seconds")), cwd=suite)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "detected: toy_flags: FAILED 1 flags (raised: down)" in done.stderr
    records = [r["record"] for r in _records(suite)]
    assert records.index("armed") < records.index("applied") < records.index("reverted")
    assert next(r for r in _records(suite) if r["record"] == "reverted")["by"] == "harness"
    assert not (suite / "box" / "flags" / "down").exists()


def test_watchdog_loads_the_plugin_and_reverts_after_sigkill(
    venv: Path, suite: Path, harness: list[subprocess.Popen[str]]
) -> None:
    """SIGKILL of the harness while the plugin's fault is applied: its dead-man watchdog, a process of its own that
    loaded the plugin itself, reverts it at the time limit."""
    proc = _start(venv, suite, _experiment(suite, "4 seconds", hold=60))
    harness.append(proc)
    flag = suite / "box" / "flags" / "down"
    _wait("the flag raised", lambda: flag.exists() and "applied" in [r["record"] for r in _records(suite)], 60)
    os.killpg(proc.pid, signal.SIGKILL)
    killed = time.time()
    applied = next(r for r in _records(suite) if r["record"] == "applied")
    _wait("the flag lowered by the watchdog", lambda: not flag.exists(), 30)
    lowered = time.time()
    reverted = [r for r in _records(suite) if r["record"] == "reverted"]
    assert [r["by"] for r in reverted] == ["dead-man"]
    assert lowered >= applied["deadline"] - 0.1  # not before its time limit: the watchdog, not anything else
    late = lowered - applied["deadline"]
    print(f"killed {killed - applied['t']:.2f} s after injection; reverted {late:.2f} s after the deadline")


def test_recover_reverts_the_plugin_fault_after_sigkill_of_both(
    venv: Path, suite: Path, harness: list[subprocess.Popen[str]]
) -> None:
    """SIGKILL of the harness and of its watchdog: `opsready recover` loads the plugin and reverts the fault from the
    journal; a second run finds nothing to do."""
    proc = _start(venv, suite, _experiment(suite, "120 seconds", hold=60))
    harness.append(proc)
    flag = suite / "box" / "flags" / "down"
    _wait("the flag raised", lambda: flag.exists() and "applied" in [r["record"] for r in _records(suite)], 60)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    pid = next(r["pid"] for r in _records(suite) if r["record"] == "armed")
    assert "opsready.chaos.watchdog" in _cmdline(pid) and str(suite) in " ".join(_cmdline(pid))
    os.kill(pid, signal.SIGKILL)
    _wait("the watchdog gone", lambda: not _cmdline(pid) or Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z", 10)
    assert flag.exists()
    done = _cli(venv, "recover", cwd=suite)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "reverted flag (flag-file)" in done.stdout
    assert not flag.exists()
    assert [r["by"] for r in _records(suite) if r["record"] == "reverted"] == ["recover"]
    again = _cli(venv, "recover", cwd=suite)
    assert again.returncode == 0 and "nothing to recover" in again.stdout


def _dist(site: Path, package: str, entry_points: str) -> None:
    """An installed distribution as pip writes it: its dist-info with METADATA and entry_points.txt."""
    info = site / f"{package.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(entry_points, encoding="utf-8")


def _sandbox_suite(tmp_path: Path) -> Path:
    config = tmp_path / "opsready.yaml"
    config.write_text(
        f"version: 1\ntargets:\n  sandbox:\n    platform: sandbox\n    state_dir: {tmp_path / 'state'}\n",
        encoding="utf-8",
    )
    return config


def _with_site(site: Path) -> dict[str, str]:
    return _clean_env(PYTHONPATH=f"{SOURCE}{os.pathsep}{site}")


def test_a_plugin_that_fails_to_import_is_named(tmp_path: Path) -> None:
    """A platform plugin whose module is missing: `opsready plugins` exits 2 naming its package and the failure."""
    site = tmp_path / "site"
    _dist(site, "opsready-ghost", "[opsready.platforms]\nghost = opsready_ghost_missing.adapter:open_target\n")
    done = _cli(Path(sys.executable), "plugins", cwd=tmp_path, env=_with_site(site))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "opsready-ghost 1.0" in done.stderr and "ModuleNotFoundError" in done.stderr
    assert "Traceback" not in done.stderr


def test_two_plugins_with_one_name_are_refused(tmp_path: Path) -> None:
    """Two packages naming one probe: every command that loads probes exits 2 naming both packages."""
    site = tmp_path / "site"
    _dist(site, "opsready-twin-a", "[opsready.probes]\ntwin = opsready_twin_a:PROBE\n")
    _dist(site, "opsready-twin-b", "[opsready.probes]\ntwin = opsready_twin_b:PROBE\n")
    done = _cli(Path(sys.executable), "plugins", cwd=tmp_path, env=_with_site(site))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "two plugins are named 'twin'" in done.stderr
    assert "opsready-twin-a 1.0" in done.stderr and "opsready-twin-b 1.0" in done.stderr


def test_a_plugin_shadowing_a_built_in_platform_is_refused(tmp_path: Path) -> None:
    """A package registering platform 'sandbox': `opsready config check` exits 2 naming it, whatever it would do."""
    site = tmp_path / "site"
    _dist(site, "opsready-shadow", "[opsready.platforms]\nsandbox = opsready_shadow:open_target\n")
    config = _sandbox_suite(tmp_path)
    done = _cli(Path(sys.executable), "config", "check", "--config", str(config), cwd=tmp_path, env=_with_site(site))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "'sandbox' (opsready.platforms) from package opsready-shadow 1.0" in done.stderr
    assert "built-in" in done.stderr
    assert not (tmp_path / "state").exists()  # nothing was created
    plain = _with_site(tmp_path)
    without = _cli(Path(sys.executable), "config", "check", "--config", str(config), cwd=tmp_path, env=plain)
    assert without.returncode == 0, without.stderr  # the same configuration without the plugin is fine
