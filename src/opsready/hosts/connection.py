"""One SSH connection to one host, through testinfra's ssh backend, with the safety rules of the ``hosts`` platform.

- Host keys are checked: ``StrictHostKeyChecking yes`` against the configured known_hosts file only; a changed or
  unknown host key is a :class:`~opsready.errors.HostError`, never a prompt or a silent accept.
- Every remote command has a time limit. testinfra has none, so each command runs under ``timeout`` on the host;
  ``ConnectTimeout`` bounds the connection and ``ServerAlive*`` a link that dies mid-command, and the ssh process
  itself is killed here when it outlives the command's limit + the connect timeout + ``HANG_GRACE``: a hang is a
  HostError naming the host, never a wait without end.
- Logins are by key only (``BatchMode``, no password or keyboard-interactive), and no error quotes the ssh command line,
  a key path or key material (:func:`redact`).

The settings are written to an ssh_config file of our own that ``Include``-s the user's after them: ssh keeps the
first value it reads, so the user's file can add hosts, users and keys but cannot turn host-key checking off.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from opsready.errors import ConfigError, HostError
from opsready.hosts.messages import explain_ssh_failure, redact
from opsready.hosts.spec import HostSpec

TIMED_OUT = 124  # the exit status of coreutils `timeout` when it stopped the command
DIR_PREFIX = "ors-ssh-"
# seconds added to a command's limit before this machine gives up on ssh itself (connect, the host's own
# `timeout -k 2`, the answer's way back)
HANG_GRACE = 5.0
OWNER = "owner"  # in each connection's directory: the pid and start time of the process that made it


@dataclass(frozen=True)
class SshSettings:
    """How to reach hosts: the known_hosts file is required; the rest has safe defaults."""

    known_hosts: Path
    ssh_config: Path | None = None
    identity_file: Path | None = None
    connect_timeout: float = 5.0
    command_timeout: float = 30.0
    # ssh multiplexing: one TCP connection and login per host, reused by every command (None: a login per command).
    control_persist: float | None = 60.0
    # Where the control sockets live (None: a private directory per connection, removed on close).
    control_dir: Path | None = None


@dataclass(frozen=True)
class RemoteResult:
    """What one remote command did."""

    host: str
    command: str
    exit_status: int
    stdout: str
    stderr: str

    @property
    def succeeded(self) -> bool:
        """True when the command exited 0."""
        return self.exit_status == 0


def ssh_config_text(settings: SshSettings, control_dir: Path) -> str:
    """The ssh_config our connections use: the safety settings first, then the user's own file."""
    lines = [
        "StrictHostKeyChecking yes",
        f"UserKnownHostsFile {_quoted(settings.known_hosts)}",
        "GlobalKnownHostsFile /dev/null",
        "UpdateHostKeys no",
        "BatchMode yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        f"ConnectTimeout {max(1, round(settings.connect_timeout))}",
        "ServerAliveInterval 2",
        "ServerAliveCountMax 3",
        "LogLevel ERROR",
    ]
    if settings.control_persist is not None:
        lines += [
            "ControlMaster auto",
            f"ControlPath {_quoted(control_dir / '%C', tokens=True)}",
            f"ControlPersist {max(1, round(settings.control_persist))}",
        ]
    else:
        lines.append("ControlMaster no")
    if settings.ssh_config is not None:
        lines.append(f"Include {_quoted(settings.ssh_config.resolve())}")
    return "\n".join(lines) + "\n"


class HostConnection:
    """An open line to one host: run commands with a time limit, or use testinfra's modules through :attr:`host`."""

    def __init__(self, spec: HostSpec, settings: SshSettings) -> None:
        self.spec = spec
        self.settings = settings
        # A short private directory: control socket paths must fit in 108 bytes.
        sweep_orphan_dirs()
        self._dir = Path(tempfile.mkdtemp(prefix=DIR_PREFIX))
        _write_owner(self._dir)
        self.config_path = self._dir / "ssh_config"
        self.config_path.write_text(ssh_config_text(settings, settings.control_dir or self._dir), encoding="utf-8")
        # Run by close(); for a connection never closed, when it is collected or at the latest when Python exits.
        self._release = weakref.finalize(
            self, _release, self.config_path, spec, settings.control_persist is not None, self._dir
        )
        self._backend = _backend_class()(
            spec.backend_spec,
            ssh_config=str(self.config_path),
            ssh_identity_file=str(settings.identity_file) if settings.identity_file else None,
            timeout=max(1, round(settings.connect_timeout)),
            controlpersist=0,  # ours comes from the config file, with a ControlPath we clean up
        )
        self._backend.command_timeout = settings.command_timeout
        self._closed = False

    @property
    def name(self) -> str:
        """The host's name as the target lists it."""
        return self.spec.name

    @property
    def host(self) -> Any:
        """testinfra's Host over this connection (its modules' commands get the same time limit)."""
        import testinfra.host

        return testinfra.host.Host(self._backend)

    def run(self, command: str, timeout: float | None = None) -> RemoteResult:
        """Run a shell command on the host; HostError when it cannot be reached or the command outlives ``timeout``."""
        if self._closed:
            raise HostError("connection already closed", self.name)
        # the limit goes with the call, not through the backend's attribute: a fault's revert may run in the guard's
        # reverter thread while the main thread uses the same connection
        out = self._backend.run_within(command, self.settings.command_timeout if timeout is None else timeout)
        return RemoteResult(self.name, command, out.rc, out.stdout, out.stderr)

    def check(self, command: str, timeout: float | None = None) -> RemoteResult:
        """Run a command that must succeed; a non-zero exit is a HostError naming the host and the command."""
        result = self.run(command, timeout)
        if not result.succeeded:
            detail = redact(result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "", self._secrets())
            raise HostError(
                f"`{redact(command, self._secrets())}` exited {result.exit_status}" + (f": {detail}" if detail else ""),
                self.name,
            )
        return result

    def close(self) -> None:
        """End the shared ssh connection (the control master) and remove our files; safe to call twice."""
        self._closed = True
        self._release()

    def __enter__(self) -> HostConnection:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _secrets(self) -> tuple[str, ...]:
        return tuple(str(p) for p in (self.settings.identity_file, self.settings.ssh_config, self._dir) if p)


def connect(spec: HostSpec, settings: SshSettings) -> HostConnection:
    """Open a connection and prove it with one command, so a bad host fails here and not in the middle of a step."""
    conn = HostConnection(spec, settings)
    try:
        conn.check("true")
    except BaseException:
        conn.close()
        raise
    return conn


def _release(config_path: Path, spec: HostSpec, multiplexed: bool, directory: Path) -> None:
    """End the host's ssh master (if one runs: else ssh says so, which is fine) and remove our directory."""
    if multiplexed:
        subprocess.run(
            ["ssh", "-F", str(config_path), "-O", "exit", "-p", str(spec.port), spec.host],
            capture_output=True,
            timeout=10,
            check=False,
        )
    shutil.rmtree(directory, ignore_errors=True)


def _write_owner(directory: Path) -> None:
    from opsready.processes import ProcessIdentity

    me = ProcessIdentity.of(os.getpid())
    (directory / OWNER).write_text(f"{os.getpid()} {me.started if me else 0!r}\n", encoding="utf-8")


def sweep_orphan_dirs() -> list[Path]:
    """Remove the directories of connections whose process is gone without closing them (SIGKILL: a dead-man
    watchdog or a harness killed with its faults applied); their master connections, if any still runs, end at
    ``ControlPersist``. Only directories with an owner file, whose owner is not running, are touched."""
    from opsready.processes import ProcessIdentity

    removed = []
    for directory in Path(tempfile.gettempdir()).glob(f"{DIR_PREFIX}*"):
        try:
            pid, started = (directory / OWNER).read_text(encoding="utf-8").split()
            live = ProcessIdentity.of(int(pid))
        except (OSError, ValueError):
            continue
        if live is None or repr(live.started) != started:
            shutil.rmtree(directory, ignore_errors=True)
            removed.append(directory)
    return removed


def _quoted(path: Path, tokens: bool = False) -> str:
    """``path`` as one ssh_config argument, quoted if it has a space; ``%`` (ssh expands it) and ``"`` refused."""
    text = str(path)
    bad = [c for c in ('"', "\n", "%") if c in (text[:-2] if tokens else text)]
    if bad:
        raise ConfigError(f"path {text!r} cannot be used in an ssh_config: it contains {bad[0]!r}")
    return f'"{text}"' if " " in text else text


def _backend_class() -> Any:
    """testinfra's ssh backend, with a time limit on every command and ssh failures turned into HostError."""
    from testinfra.backend.ssh import SshBackend

    class TimedSshBackend(SshBackend):  # type: ignore[misc]  # testinfra ships no types
        command_timeout: float = 30.0

        def run(self, command: str, *args: str, **kwargs: Any) -> Any:
            return self.run_within(self.get_command(command, *args), self.command_timeout, built=True)

        def run_within(self, command: str, timeout: float, built: bool = False) -> Any:
            inner = command if built else self.get_command(command)
            limit = max(0.1, float(timeout))
            wrapped = f"timeout -k 2 {limit:g} sh -c {shlex.quote(inner)}"
            out = self._ssh_bounded(wrapped, limit + self.timeout + HANG_GRACE)
            if out.rc == 255:  # ssh's own failure, explained on its stderr
                raise explain_ssh_failure(self.host.name, out.stderr or "", self._identity())
            if out.rc == TIMED_OUT:
                shown = redact(inner if len(inner) <= 80 else inner[:77] + "...", self._identity())
                raise HostError(f"`{shown}` did not finish within {limit:g} s and was stopped", self.host.name)
            return out

        def _ssh_bounded(self, command: str, limit: float) -> Any:
            """``run_ssh`` with a time limit on this machine too: the ``timeout`` on the host bounds the command, but
            not a link that hangs (a host whose network drops our packets, a stuck control master); after
            ``limit`` the ssh process group we started is killed and the hang is a HostError naming the host."""
            cmd, cmd_args = self._build_ssh_command(command)
            line = self.quote(" ".join(cmd), *cmd_args)
            proc = subprocess.Popen(
                self.encode(line),
                shell=True,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # a group of its own, so a hang is ended with everything ssh started
            )
            try:
                stdout, stderr = proc.communicate(timeout=limit)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)  # the group of the shell we just started, nobody else's
                proc.communicate()
                raise HostError(
                    f"no answer over SSH within {limit:g} s: the connection hung and was stopped",
                    self.host.name,
                    hint="check that the host is up and that nothing drops its SSH port",
                ) from None
            out = self.result(proc.returncode, self.encode(line), stdout, stderr)
            out.command = self.encode(command)
            return out

        def _identity(self) -> tuple[str, ...]:
            return tuple(p for p in (self.ssh_identity_file, self.ssh_config) if p)

    return TimedSshBackend
