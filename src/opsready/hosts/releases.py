"""Releases on one host, over its SSH connection: which are installed, which runs, switching, and the history file.

Two strategies (:mod:`opsready.hosts.options`): a releases directory with a ``current`` symlink that is replaced
atomically (``ln -sfn`` to a new name, then ``mv -T`` over the link) followed by a reload command; or the user's own
``deploy``/``rollback``/``list``/``current`` commands with ``{version}``. Every command runs under the connection's
time limit, through ``sudo -n`` when the target says so, and a failure is a HostError naming the host and the step.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import asdict

from opsready.errors import HostError
from opsready.hosts.connection import HostConnection, RemoteResult
from opsready.hosts.options import CommandReleases, LinkReleases, ReleaseStrategy
from opsready.targets.protocol import ReleaseRecord


class HostReleases:
    """The release operations of one host."""

    def __init__(self, conn: HostConnection, strategy: ReleaseStrategy, sudo: bool) -> None:
        self.conn = conn
        self.strategy = strategy
        self.sudo = sudo

    @property
    def host(self) -> str:
        """The host's name."""
        return self.conn.name

    def step(self, what: str, command: str, timeout: float | None = None) -> RemoteResult:
        """Run ``command`` as the step ``what``; a failure or timeout is a HostError naming the host and the step."""
        wrapped = f"sudo -n sh -c {shlex.quote(command)}" if self.sudo else command
        try:
            return self.conn.check(wrapped, timeout)
        except HostError as exc:
            prefix = f"host {self.host}: "
            message = exc.message[len(prefix) :] if exc.message.startswith(prefix) else exc.message
            raise HostError(f"{what} failed: {message}", self.host, hint=exc.hint) from None

    def installed(self) -> tuple[str, ...]:
        """The releases present on the host, sorted by name."""
        s = self.strategy
        if isinstance(s, LinkReleases):
            command = f"find {shlex.quote(s.dir)} -mindepth 1 -maxdepth 1 -type d -printf '%f\\n'"
        else:
            command = s.list
        out = self.step("listing releases", command).stdout
        return tuple(sorted({line.strip() for line in out.splitlines() if line.strip()}))

    def current(self) -> str:
        """The release the host is switched to (the ``current`` link's target, or the ``current`` command's output)."""
        s = self.strategy
        if isinstance(s, LinkReleases):
            target = self.step("reading the current link", f"readlink {shlex.quote(s.current)}").stdout.strip()
            parent, _, name = target.rstrip("/").rpartition("/")
            if parent.rstrip("/") != s.dir.rstrip("/") or not name:
                raise HostError(f"{s.current} points at {target!r}, which is not a release under {s.dir}", self.host)
            return name
        lines = self.step("asking for the current release", s.current).stdout.strip().splitlines()
        if not lines:
            raise HostError("the 'current' command printed nothing", self.host)
        return lines[-1].strip()

    def switch(self, version: str, rollback: bool = False) -> None:
        """Make ``version`` the host's release and reload the service (``version`` is a validated release name)."""
        s = self.strategy
        if isinstance(s, LinkReleases):
            release, link = shlex.quote(f"{s.dir}/{version}"), shlex.quote(s.current)
            staged = shlex.quote(f"{s.current}.opsready-new")
            self.step(
                f"switching the current link to {version}",
                f"test -d {release} && ln -sfn {release} {staged} && mv -T {staged} {link}",
            )
            self.step(f"reloading the service on {version}", s.reload)
            return
        assert isinstance(s, CommandReleases)
        template = s.rollback if rollback else s.deploy
        self.step(f"{'rollback' if rollback else 'deploy'} to {version}", template.replace("{version}", version))

    def history(self) -> tuple[ReleaseRecord, ...]:
        """The host's release history, oldest first (empty when it has none yet)."""
        path = shlex.quote(self.strategy.history_file)
        out = self.step("reading the release history", f"if test -f {path}; then cat {path}; fi").stdout
        records = []
        for number, line in enumerate(out.splitlines(), 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                records.append(ReleaseRecord(**{k: data[k] for k in ("version", "previous", "kind", "at", "note")}))
            except (ValueError, KeyError, TypeError):
                raise HostError(
                    f"line {number} of {self.strategy.history_file} is not a release record", self.host
                ) from None
        return tuple(records)

    def record(self, entry: ReleaseRecord) -> None:
        """Append ``entry`` to the host's history."""
        line = shlex.quote(json.dumps(asdict(entry), sort_keys=True))
        self.step("recording the release", f"printf '%s\\n' {line} >> {shlex.quote(self.strategy.history_file)}")
