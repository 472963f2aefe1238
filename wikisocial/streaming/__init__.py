"""Mastodon's streaming API (``/api/v1/streaming``): events published by the web and worker
processes after a commit, carried by a broker (Redis pub/sub, or a database table when there is
no Redis) to a small ASGI server that holds the clients' SSE and WebSocket connections."""

from wikisocial.streaming.brokers import publish

__all__ = ["publish"]
