"""The sandbox's TLS edge: terminates TLS with the sandbox's certificate and forwards to the plain edge proxy.

``python -m opsready.sandbox.tlsedge --listen H:P --upstream H:P --cert C --key K``. SIGHUP loads the certificate
files again into the same SSL context, so new handshakes present the renewed certificate while open connections
carry on; SIGTERM and SIGINT close the listener and every connection.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import ssl
import sys
from collections.abc import Sequence
from pathlib import Path

CHUNK = 64 * 1024
CONNECT_TIMEOUT = 10.0


def _address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected host:port, got {text!r}")
    return host, int(port)


def _log(message: str) -> None:
    print(f"tls-edge: {message}", flush=True)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError, ssl.SSLError):
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
    with contextlib.suppress(ConnectionError, OSError, RuntimeError, ssl.SSLError):
        if writer.can_write_eof():
            writer.write_eof()


class TlsEdge:
    """One TLS listener in front of one upstream."""

    def __init__(self, listen: tuple[str, int], upstream: tuple[str, int], cert: Path, key: Path) -> None:
        self.listen = listen
        self.upstream = upstream
        self.cert = cert
        self.key = key
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert, key)
        self.writers: set[asyncio.StreamWriter] = set()

    def reload(self) -> None:
        """Present the certificate now on disk to new handshakes (a bad file keeps the old one and says so)."""
        try:
            self.context.load_cert_chain(self.cert, self.key)
        except (OSError, ssl.SSLError) as exc:
            _log(f"certificate reload failed, keeping the previous one: {exc}")
            return
        _log(f"certificate reloaded from {self.cert}")

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        try:
            up_reader, up_writer = await asyncio.wait_for(asyncio.open_connection(*self.upstream), CONNECT_TIMEOUT)
        except (OSError, TimeoutError):
            writer.close()
            self.writers.discard(writer)
            return
        self.writers.add(up_writer)
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            for w in (writer, up_writer):
                w.close()
                self.writers.discard(w)

    async def run(self) -> None:
        """Serve until SIGTERM or SIGINT."""
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        loop.add_signal_handler(signal.SIGHUP, self.reload)
        server = await asyncio.start_server(self._serve, *self.listen, ssl=self.context, reuse_address=True)
        _log(f"listening on {self.listen[0]}:{self.listen[1]} -> {self.upstream[0]}:{self.upstream[1]}")
        await stop.wait()
        server.close()
        for writer in list(self.writers):
            writer.transport.abort()
        _log("stopped")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the TLS edge until SIGTERM; exit code 2 when it cannot listen or read its certificate."""
    parser = argparse.ArgumentParser(prog="python -m opsready.sandbox.tlsedge", description=__doc__)
    parser.add_argument("--listen", required=True, type=_address, help="host:port to accept TLS clients on")
    parser.add_argument("--upstream", required=True, type=_address, help="host:port of the plain edge")
    parser.add_argument("--cert", required=True, type=Path, help="PEM certificate")
    parser.add_argument("--key", required=True, type=Path, help="PEM private key")
    args = parser.parse_args(argv)
    try:
        asyncio.run(TlsEdge(args.listen, args.upstream, args.cert, args.key).run())
    except (OSError, ssl.SSLError) as exc:
        print(f"tls-edge: cannot start: {exc}", file=sys.stderr, flush=True)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
