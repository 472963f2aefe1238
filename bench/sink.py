"""A loopback sink for the delivery benchmark: many inboxes, each on its own port (so each is
its own domain to our delivery code, with its own circuit breaker), that behave like the
servers out there: most answer at once, some slowly, some hang until the client gives up.
Dead inboxes are ports where nothing listens (the benchmark picks them; the sink never binds
them), so connecting is refused.

    .venv/bin/python -m bench.sink --fast 80 --slow 7 --hang 7 [--slow-seconds 1]

The first line on stdout is JSON: ``{"fast": [ports], "slow": [...], "hang": [...]}``. On
SIGTERM (or SIGINT) the sink prints a second line, ``{"received": {"fast": n, ...}}``: POSTs
whose body arrived, per kind, then exits. One asyncio loop, so it stays cheap beside the
workers it measures; open connections are capped (``--max-connections``) and every read is
bounded in size and time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys

MAX_HEAD = 16 * 1024
MAX_BODY = 2 * 1024 * 1024
IDLE_SECONDS = 30.0  # a keep-alive connection with nothing more to say is closed
ANSWER = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"
BUSY = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class Sink:
    """Counts what each kind of inbox received; answers as its kind says."""

    def __init__(self, slow_seconds: float, hang_seconds: float, max_connections: int) -> None:
        self.slow_seconds = slow_seconds
        self.hang_seconds = hang_seconds
        self.max_connections = max_connections
        self.open = 0
        self.received = {"fast": 0, "slow": 0, "hang": 0}

    async def handle(
        self, kind: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if self.open >= self.max_connections:
            writer.write(BUSY)
            with contextlib.suppress(OSError):
                await writer.drain()
            writer.close()
            return
        self.open += 1
        try:
            while await self._one_request(kind, reader, writer):
                pass
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            pass
        except asyncio.CancelledError:  # the sink is stopping: end quietly, not as cancelled
            pass
        finally:
            self.open -= 1
            writer.close()

    async def _one_request(
        self, kind: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Read one request and answer it; False when the connection should close."""
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IDLE_SECONDS)
        length, close = _parse_head(head)
        if length > MAX_BODY:
            return False
        await asyncio.wait_for(reader.readexactly(length), IDLE_SECONDS)
        self.received[kind] += 1
        if kind == "hang":
            await asyncio.sleep(self.hang_seconds)  # the client's timeout cuts it first
            return False
        if kind == "slow":
            await asyncio.sleep(self.slow_seconds)
        writer.write(ANSWER)
        await writer.drain()
        return not close


def _parse_head(head: bytes) -> tuple[int, bool]:
    """Content-Length and whether the client asked to close, from a request head."""
    if len(head) > MAX_HEAD:
        raise asyncio.LimitOverrunError("head too long", len(head))
    length, close = 0, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip() or b"0")
        elif name == b"connection":
            close = value.strip().lower() == b"close"
    return length, close


async def serve(counts: dict[str, int], sink: Sink) -> None:
    """Bind the inboxes (port 0: the system picks), say where they are, run until told."""
    servers: dict[str, list[asyncio.Server]] = {}
    for kind, count in counts.items():
        servers[kind] = [
            await asyncio.start_server(
                lambda r, w, kind=kind: sink.handle(kind, r, w),
                "127.0.0.1",
                0,
                limit=MAX_HEAD,
                backlog=512,
            )
            for _ in range(count)
        ]
    ports = {k: [s.sockets[0].getsockname()[1] for s in v] for k, v in servers.items()}
    print(json.dumps(ports), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    for server in (s for group in servers.values() for s in group):
        server.close()
    print(json.dumps({"received": sink.received}), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", type=int, default=80, help="inboxes that answer 202 at once")
    parser.add_argument("--slow", type=int, default=7, help="inboxes that answer late")
    parser.add_argument("--hang", type=int, default=7, help="inboxes that never answer")
    parser.add_argument("--slow-seconds", type=float, default=1.0)
    parser.add_argument("--hang-seconds", type=float, default=60.0)
    parser.add_argument("--max-connections", type=int, default=4000)
    args = parser.parse_args(argv)
    if min(args.fast, args.slow, args.hang) < 0 or args.fast + args.slow + args.hang > 5000:
        sys.exit("sink: between 0 and 5,000 inboxes in all")
    counts = {"fast": args.fast, "slow": args.slow, "hang": args.hang}
    sink = Sink(args.slow_seconds, args.hang_seconds, args.max_connections)
    asyncio.run(serve(counts, sink))


if __name__ == "__main__":
    main()
