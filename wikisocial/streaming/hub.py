"""The streaming process's side: one :class:`Hub` per process shares one broker subscription
among all connections, and hands each message to the connections that want it.

Each connection has an :class:`Inbox` (a bounded queue: a client that cannot keep up is
disconnected rather than let the queue grow) and one :class:`Listener` per stream it reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from wikisocial.streaming.brokers import KEEP_ALIVE, Source, close_connections, in_thread
from wikisocial.streaming.filtering import Screened, screen

logger = logging.getLogger(__name__)

INBOX_SIZE = 500  # messages waiting for one connection before it is dropped as too slow
# Events on public streams that are checked against each viewer's blocks and mutes.
FILTERED_EVENTS = frozenset({"update", "status.update"})

Item = tuple[tuple[str, ...], str, str]  # stream, event, payload


class Closed(Exception):
    """The inbox was closed: the connection ends."""


_CLOSED = object()


class Inbox:
    """What one connection has yet to send."""

    def __init__(self, size: int = INBOX_SIZE) -> None:
        self._queue: asyncio.Queue = asyncio.Queue(size)
        self.closed = False
        self.reason = ""

    def put(self, item: Item) -> None:
        if self.closed:
            return
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            self.close("too slow")

    def close(self, reason: str = "") -> None:
        """End the connection: what was waiting is dropped and the reader wakes up."""
        if self.closed:
            return
        self.closed = True
        self.reason = reason
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(_CLOSED)

    async def get(self, timeout: float) -> Item | None:
        """The next item; None after ``timeout`` seconds without one; Closed when closed."""
        try:
            item = await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None
        if item is _CLOSED:
            self._queue.put_nowait(_CLOSED)  # every later get() sees it too
            raise Closed(self.reason)
        return item


@dataclass(eq=False)
class Listener:
    """One stream of one connection."""

    viewer_id: int
    stream: tuple[str, ...]
    inbox: Inbox
    filtered: bool = False


@dataclass(eq=False)
class Hub:
    source: Source
    keep_alive_every: float = KEEP_ALIVE
    listeners: dict[str, set[Listener]] = field(default_factory=dict)
    _keeper: asyncio.Task | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    started: bool = False

    async def start(self) -> None:
        await self.source.start(self.deliver)
        self._keeper = asyncio.create_task(self._keep_alive(), name="streaming-keep-alive")
        self.started = True

    def close_all(self, reason: str) -> None:
        for listeners in list(self.listeners.values()):
            for listener in listeners:
                listener.inbox.close(reason)

    async def stop(self) -> None:
        """Close every connection, then the broker subscription."""
        self.close_all("shutting down")
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
        await self.source.stop()
        await close_connections()  # token checks and filtering used the database too
        self.started = False

    async def add(self, listener: Listener, channels: Iterable[str]) -> None:
        """Start giving ``listener`` what arrives on ``channels``. Returns once the broker
        knows this process listens, so anything published afterwards arrives."""
        channels = list(channels)
        async with self._lock:
            new = [channel for channel in channels if channel not in self.listeners]
            if new:
                await self.source.listen(new)  # when this fails, nothing has changed here
            for channel in channels:
                self.listeners.setdefault(channel, set()).add(listener)

    async def remove(self, listener: Listener, channels: Iterable[str]) -> None:
        async with self._lock:
            empty = []
            for channel in channels:
                group = self.listeners.get(channel)
                if group is None:
                    continue
                group.discard(listener)
                if not group:
                    del self.listeners[channel]
                    empty.append(channel)
            if empty:
                with contextlib.suppress(Exception):
                    await self.source.forget(empty)

    async def deliver(self, channel: str, event: str, payload: str) -> None:
        listeners = list(self.listeners.get(channel, ()))
        if not listeners:
            return
        screened = Screened()
        if event in FILTERED_EVENTS:
            viewers = {item.viewer_id for item in listeners if item.filtered}
            if viewers:
                screened = await in_thread(screen)(payload, viewers)
        for item in listeners:
            if not item.filtered:
                item.inbox.put((item.stream, event, payload))
            elif item.viewer_id not in screened.hidden:
                mine = screened.payloads.get(item.viewer_id, payload)
                item.inbox.put((item.stream, event, mine))

    @property
    def connections(self) -> int:
        return len({item.inbox for group in self.listeners.values() for item in group})

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(self.keep_alive_every)
            try:
                await self.source.keep_alive(list(self.listeners))
            except Exception:
                logger.exception("streaming: renewing the listened channels failed")
