"""The asyncio TCP fault proxy: listens, forwards to one upstream, and applies the toxics of its state file.

The state file is read on start and on SIGHUP; after each (re)read the proxy applies the toxics to new and existing
connections and then writes the status file beside it. Started with a reconcile command and toxics in its state file,
the proxy holds them (pass-through, status generation 0) until that command has reconciled them with the fault
journals (reverting those whose fault is over), then applies what is left: a restart never brings a finished fault
back. SIGTERM and SIGINT close the listener and every connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from opsready.errors import EnvironmentProblem, ValidationError
from opsready.sandbox.proxy.control import ProxyStatus, read_state, status_path, write_json_atomic
from opsready.sandbox.proxy.link import Link, Traffic
from opsready.sandbox.proxy.toxics import DownToxic, ProxyState, describe

REFRESH_S = 0.5
RECONCILE_TIMEOUT = 60.0


@dataclass(frozen=True)
class Address:
    """A host and port, written ``host:port``."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"

    @classmethod
    def parse(cls, text: str) -> Address:
        """Parse ``host:port`` (``[::1]:port`` for IPv6); a ValueError says what is wrong."""
        host, sep, port = text.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"expected host:port, got {text!r}")
        return cls(host.strip("[]"), int(port))


class ProxyServer:
    """One named fault proxy between ``listen`` and ``upstream``, driven by ``state_file``."""

    def __init__(
        self,
        name: str,
        listen: Address,
        upstream: Address,
        state_file: Path,
        *,
        seed: int | None = None,
        out: TextIO | None = None,
        reconcile: Sequence[str] = (),
    ) -> None:
        self.name = name
        self.listen = listen
        self.upstream = upstream
        self.state_file = state_file
        self.status_file = status_path(state_file)
        self.out = out or sys.stdout
        self.state = ProxyState()
        self.error: str | None = None
        self.links: set[Link] = set()
        self.traffic = Traffic()
        self._decide = random.Random(seed)
        # Separate streams, so a seed fixes which connections are hit whatever the traffic does.
        self._jitter = random.Random(None if seed is None else seed + 1)
        self._server: asyncio.Server | None = None
        self._stop = asyncio.Event()
        self._reload_wanted = asyncio.Event()
        self._last_status: tuple[object, ...] = ()
        self.reconcile = tuple(reconcile)

    @property
    def down(self) -> bool:
        """Whether a ``down`` toxic is applied: the proxy must not listen."""
        return any(isinstance(t, DownToxic) for t in self.state.toxics)

    def log(self, message: str) -> None:
        """One line to the proxy's log (stdout), flushed at once."""
        print(f"{self.name}: {message}", file=self.out, flush=True)

    async def run(self) -> None:
        """Serve until SIGTERM or SIGINT; a port that cannot be bound at start is an EnvironmentProblem."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stop.set)
        loop.add_signal_handler(signal.SIGHUP, self._reload_wanted.set)
        self._read_state()
        helpers: list[asyncio.Task[None]] = []
        if self.reconcile and self.state.toxics:
            # Toxics left in the state file belong to faults the journals may say are over: hold them (generation
            # 0, pass-through) until the reconcile has reverted those, then apply what is left.
            self.log(f"holding {describe(self.state.toxics)} of generation {self.state.generation} until reconciled")
            self.state = ProxyState(generation=0)
            helpers.append(asyncio.create_task(self._reconciler()))
        if not self.down and not await self._start_listening():
            raise EnvironmentProblem(f"{self.name}: {self.error}")
        self.log(f"proxy {self.listen} -> {self.upstream}, generation {self.state.generation}: {self._describe()}")
        self._write_status()
        helpers += [asyncio.create_task(self._reloader()), asyncio.create_task(self._refresher())]
        try:
            await self._stop.wait()
        finally:
            for task in helpers:
                task.cancel()
            self._shutdown()
            await asyncio.gather(*helpers, return_exceptions=True)
        self.log("stopped")

    def _describe(self) -> str:
        return "down (not listening)" if self.down else describe(self.state.toxics)

    def _read_state(self) -> bool:
        try:
            state = read_state(self.state_file)
        except ValidationError as exc:
            self.error = str(exc)
            self.log(f"state file rejected, keeping generation {self.state.generation}: {exc}")
            return False
        self.error = None
        self.state = state
        return True

    async def _reconciler(self) -> None:
        """Run the reconcile command (it reverts through this proxy, by SIGHUP), then re-read the state file."""
        try:
            child = await asyncio.create_subprocess_exec(*self.reconcile)  # its output goes to the proxy's log
        except OSError as exc:
            self.log(f"cannot run the reconcile ({exc}): applying the state file as it is")
        else:
            try:
                self.log(f"reconcile exited with {await asyncio.wait_for(child.wait(), RECONCILE_TIMEOUT)}")
            except TimeoutError:
                self.log(f"the reconcile did not finish in {RECONCILE_TIMEOUT:g} s: applying the state file as it is")
                with contextlib.suppress(ProcessLookupError):
                    child.kill()
            except asyncio.CancelledError:  # the proxy stops: so does its reconcile
                with contextlib.suppress(ProcessLookupError):
                    child.kill()
                raise
        self._reload_wanted.set()

    async def _reloader(self) -> None:
        while True:
            await self._reload_wanted.wait()
            self._reload_wanted.clear()  # signals that arrive while we reload coalesce into one more reload
            previous = self.state
            if self._read_state():
                if self.state != previous:
                    self.log(f"generation {self.state.generation}: {self._describe()}")
                await self._apply()
            self._write_status()

    async def _apply(self) -> None:
        toxics = self.state.toxics
        if self.down:
            if self._server is not None:
                self._server.close()
                self._server = None
            for link in list(self.links):
                link.close("abort")
            return
        for link in list(self.links):
            link.update(toxics, self._decide)
        if self._server is None:
            await self._start_listening()

    async def _start_listening(self) -> bool:
        try:
            self._server = await asyncio.start_server(
                self._accept, self.listen.host, self.listen.port, reuse_address=True, backlog=512
            )
        except OSError as exc:
            self.error = f"cannot listen on {self.listen}: {exc.strerror or exc}"
            self.log(self.error)
            return False
        return True

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        link = Link(reader, writer, self.traffic, self._jitter)
        if self.down or self._stop.is_set():
            writer.transport.abort()  # accepted just before the listener closed
            return
        self.links.add(link)
        self.traffic.accepted += 1
        try:
            link.update(self.state.toxics, self._decide)
            await link.run(self.upstream.host, self.upstream.port)
        finally:
            self.links.discard(link)

    async def _refresher(self) -> None:
        # Keeps the counters in the status file current, and retries a listen that failed after `down` was removed.
        while True:
            await asyncio.sleep(REFRESH_S)
            if not self.down and self._server is None and await self._start_listening():
                self.error = None
                self.log(f"listening again on {self.listen}")
            self._write_status(only_if_changed=True)

    def status(self) -> ProxyStatus:
        """The proxy's current status, as written to the status file."""
        return ProxyStatus(
            name=self.name,
            generation=self.state.generation,
            pid=os.getpid(),
            listening=self._server is not None,
            toxics=self.state.toxics,
            connections=len(self.links),
            bytes_up=self.traffic.bytes_up,
            bytes_down=self.traffic.bytes_down,
            error=self.error,
        )

    def _write_status(self, only_if_changed: bool = False) -> None:
        status = self.status()
        key = tuple(status.to_dict().values())
        if only_if_changed and key == self._last_status:
            return
        try:
            write_json_atomic(self.status_file, status.to_dict(), fsync=False)
        except OSError as exc:
            self.log(f"cannot write status {self.status_file}: {exc.strerror or exc}")
            return
        self._last_status = key

    def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for link in list(self.links):
            link.close("abort")


def serve(
    name: str,
    listen: Address,
    upstream: Address,
    state_file: Path,
    *,
    seed: int | None = None,
    reconcile: Sequence[str] = (),
    metrics_port: int = 0,
) -> None:
    """Run one proxy in this process until SIGTERM or SIGINT (``reconcile``: a command run first, see above;
    ``metrics_port``: serve its /metrics there)."""
    proxy = ProxyServer(name, listen, upstream, state_file, seed=seed, reconcile=reconcile)
    if metrics_port:
        from opsready.sandbox.service.exporter import proxy_registry
        from opsready.sandbox.service.exporter import serve as serve_metrics

        try:
            serve_metrics(proxy_registry(proxy), metrics_port)
        except OSError as exc:
            raise EnvironmentProblem(f"{name}: cannot serve /metrics on port {metrics_port}: {exc}") from None
    asyncio.run(proxy.run())
