"""One proxied connection: two pipes (client -> upstream, upstream -> client) that apply the connection's toxics.

Each pipe reads chunks and forwards them at once while no toxic touches its direction; otherwise chunks go through
a queue stamped with their due time (latency) and are written paced (bandwidth), so byte order is always kept and
latency does not accumulate chunk after chunk.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import sys
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from opsready.sandbox.proxy.toxics import BandwidthToxic, LatencyToxic, ResetToxic, TimeoutToxic, Toxic

CHUNK = 64 * 1024
QUEUE_CHUNKS = 64
CONNECT_TIMEOUT_S = 10.0
CloseMode = Literal["graceful", "abort", "reset"]
Decisions = dict[tuple[Toxic, int], bool]


@dataclass
class Traffic:
    """What a proxy carried: bytes forwarded (counted when written to the other side), client connections
    accepted, and those it could not pass on because its upstream refused or did not answer in time."""

    bytes_up: int = 0
    bytes_down: int = 0
    accepted: int = 0
    upstream_failed: int = 0


@dataclass(frozen=True)
class Effects:
    """What the toxics chosen for one connection do to it."""

    latency_up: tuple[tuple[int, int], ...] = ()
    latency_down: tuple[tuple[int, int], ...] = ()
    rate_up: int | None = None
    rate_down: int | None = None
    reset: bool = False
    blackhole: bool = False

    @classmethod
    def of(cls, toxics: Iterable[Toxic]) -> Effects:
        """Combine the toxics that apply to a connection: latencies add up, the lowest rate wins."""
        up: list[tuple[int, int]] = []
        down: list[tuple[int, int]] = []
        rates: dict[bool, int] = {}
        reset = blackhole = False
        for toxic in toxics:
            if isinstance(toxic, LatencyToxic):
                for is_up in _directions(toxic.direction):
                    (up if is_up else down).append((toxic.latency_ms, toxic.jitter_ms))
            elif isinstance(toxic, BandwidthToxic):
                for is_up in _directions(toxic.direction):
                    rates[is_up] = min(rates.get(is_up, toxic.rate_kbps * 1000), toxic.rate_kbps * 1000)
            elif isinstance(toxic, ResetToxic):
                reset = True
            elif isinstance(toxic, TimeoutToxic):
                blackhole = True
        return cls(tuple(up), tuple(down), rates.get(True), rates.get(False), reset, blackhole)

    def shaped(self, upstream: bool) -> bool:
        """Whether latency or bandwidth toxics touch this direction."""
        return bool(self.latency_up if upstream else self.latency_down) or self.rate(upstream) is not None

    def delay(self, upstream: bool, rng: random.Random) -> float:
        """Seconds to hold the next chunk flowing in this direction."""
        total = 0.0
        for latency_ms, jitter_ms in self.latency_up if upstream else self.latency_down:
            jitter = rng.uniform(-jitter_ms, jitter_ms) if jitter_ms else 0.0
            total += max(0.0, latency_ms + jitter) / 1000.0
        return total

    def rate(self, upstream: bool) -> int | None:
        """Bytes per second allowed in this direction, or None when unlimited."""
        return self.rate_up if upstream else self.rate_down


def _directions(direction: str) -> tuple[bool, ...]:
    return {"upstream": (True,), "downstream": (False,), "both": (True, False)}[direction]


def decide(toxics: tuple[Toxic, ...], previous: Decisions, rng: random.Random) -> Decisions:
    """Whether each toxic applies to one connection; a toxic kept across reloads keeps its earlier decision."""
    out: Decisions = {}
    for toxic in toxics:
        key = (toxic, sum(1 for k in out if k[0] == toxic))
        out[key] = previous[key] if key in previous else rng.random() < toxic.toxicity
    return out


class Link:
    """One client connection and, unless it is blackholed from the start, its upstream connection."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, traffic: Traffic, jitter: random.Random
    ) -> None:
        self.client = (reader, writer)
        self.upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self.traffic = traffic
        self.jitter = jitter
        self.decisions: Decisions = {}
        self.effects = Effects()
        self.blackholed = False
        self.closed = False
        self._done = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._eofs = 0
        self._to_server: _Pipe | None = None

    def update(self, toxics: tuple[Toxic, ...], rng: random.Random) -> None:
        """Apply a (new) set of toxics to this connection: on accept and on every reload."""
        self.decisions = decide(toxics, self.decisions, rng)
        self.effects = Effects.of(toxic for (toxic, _), on in self.decisions.items() if on)
        if self.effects.reset:
            self.close("reset")
        elif self.effects.blackhole:
            self.blackholed = True
        elif self.blackholed:
            self.close("graceful")  # its byte stream has holes in it: only closing is honest

    async def run(self, host: str, port: int) -> None:
        """Connect upstream and forward both ways until both sides are done or the link is closed."""
        try:
            if self.closed:
                return
            if self.blackholed:
                self.start_task(self._discard(self.client[0]))
            else:
                try:
                    async with asyncio.timeout(CONNECT_TIMEOUT_S):
                        opened = await asyncio.open_connection(host, port)
                except (OSError, TimeoutError):
                    self.traffic.upstream_failed += 1  # the client saw its connection aborted
                    self.close("abort")
                    return
                self.upstream = opened
                if self.closed:
                    opened[1].transport.abort()
                    return
                self._to_server = _Pipe(self, self.client[0], opened[1], upstream=True)
                self._to_server.start()
                _Pipe(self, opened[0], self.client[1], upstream=False).start()
            await self._done.wait()
        finally:
            self.close("abort")

    def close(self, mode: CloseMode) -> None:
        """Close both sides: gracefully (FIN after flushing), abort, or reset (RST through SO_LINGER 0)."""
        if self.closed:
            return
        self.closed = True
        writers = [self.client[1]] + ([self.upstream[1]] if self.upstream else [])
        for writer in writers:
            if mode == "reset":
                sock = writer.get_extra_info("socket")
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            if mode == "graceful":
                writer.close()
            else:
                writer.transport.abort()
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        self._done.set()

    def start_task(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run ``coro`` as one of this link's tasks: cancelled on close, and any failure closes the link."""
        task = asyncio.create_task(self._guard(coro))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guard(self, coro: Coroutine[Any, Any, None]) -> None:
        try:
            await coro
        except ConnectionResetError:
            self.close("reset")  # pass a peer's reset on to the other side
        except OSError:
            self.close("abort")
        except Exception as exc:  # a bug must cost one connection, not the proxy
            print(f"proxy: connection failed: {exc!r}", file=sys.stderr, flush=True)
            self.close("abort")

    async def _discard(self, reader: asyncio.StreamReader) -> None:
        while await reader.read(CHUNK):
            pass

    def server_finished(self) -> None:
        """The server sent its last byte (FIN) while a latency or bandwidth toxic holds data on its way to the
        client: release the server now, like a buffering edge, and deliver the rest of its answer from here. A slow
        users' link then costs users time but not the server's capacity (gunicorn's graceful close would keep a sync
        worker until the client's FIN came back through the slow link). Unshaped links stay plain TCP: the close is
        passed on and the client's own close ends the server's side. Not while client data is still on its way."""
        pipe = self._to_server
        if pipe is None or pipe.pending or pipe.finished or self.upstream is None or self.closed or self.blackholed:
            return
        if not self.effects.shaped(upstream=False):
            return
        pipe.finished = True  # from now on the client's bytes have nowhere to go: the server is done
        writer = self.upstream[1]
        if writer.can_write_eof() and not writer.is_closing():
            writer.write_eof()
        self.eof_forwarded()

    def eof_forwarded(self) -> None:
        """One direction ended cleanly; when both have, the link is closed."""
        self._eofs += 1
        if self._eofs == 2 and not self.blackholed:
            self.close("graceful")


class _Pipe:
    """One direction of a link: read, hold for latency, pace for bandwidth, write."""

    def __init__(self, link: Link, src: asyncio.StreamReader, dst: asyncio.StreamWriter, upstream: bool) -> None:
        self.link = link
        self.src = src
        self.dst = dst
        self.upstream = upstream
        self.queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue(QUEUE_CHUNKS)
        self.pending = 0
        self.last_due = 0.0
        self.next_free = 0.0
        self.writing = False
        self.finished = False  # the end of this direction was forwarded early (see Link.server_finished)

    def start(self) -> None:
        """Start forwarding this direction under the link."""
        self.link.start_task(self._read_loop())

    async def _read_loop(self) -> None:
        loop = asyncio.get_running_loop()
        link = self.link
        while True:
            data = await self.src.read(CHUNK)
            if self.finished:
                if not data:
                    return
                continue  # the server already closed: like a closed socket, nothing more reaches it
            if not data and not self.upstream:
                link.server_finished()
            if link.blackholed:
                if not data:
                    return  # a blackhole forwards nothing, not even the end of the stream
                continue
            effects = link.effects
            if self.pending == 0 and not effects.shaped(self.upstream):
                if not data:
                    self._write_eof()
                    return
                await self._write(data)
                continue
            due = max(self.last_due, loop.time() + effects.delay(self.upstream, link.jitter))
            self.last_due = due
            self.pending += 1
            if not self.writing:  # pass-through never needs the writer task: started on first use
                self.writing = True
                link.start_task(self._write_loop())
            await self.queue.put((due, data))
            if not data:
                return

    async def _write_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due, data = await self.queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if self.link.blackholed:
                self.pending -= 1
                if not data:
                    return
                continue
            if not data:
                self._write_eof()
                return
            rate = self.link.effects.rate(self.upstream)
            if rate is None:
                await self._write(data)
            else:
                await self._write_paced(data, rate)
            self.pending -= 1

    async def _write(self, data: bytes) -> None:
        self.dst.write(data)
        if self.upstream:
            self.link.traffic.bytes_up += len(data)
        else:
            self.link.traffic.bytes_down += len(data)
        await self.dst.drain()

    async def _write_paced(self, data: bytes, rate: int) -> None:
        loop = asyncio.get_running_loop()
        piece = max(1, rate // 20)  # about 50 ms of traffic per write keeps the pace smooth
        for start in range(0, len(data), piece):
            chunk = data[start : start + piece]
            now = loop.time()
            if self.next_free > now:
                await asyncio.sleep(self.next_free - now)
            self.next_free = max(now, self.next_free) + len(chunk) / rate
            await self._write(chunk)

    def _write_eof(self) -> None:
        if self.dst.can_write_eof() and not self.dst.is_closing():
            self.dst.write_eof()
        self.link.eof_forwarded()
