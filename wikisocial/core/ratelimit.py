"""A small rate limiter on Django's cache: at most ``limit`` hits per key in a window.

The window is fixed and starts at a key's first hit (``cache.add``); later hits only count up
(``cache.incr``). That is approximate (a burst across a window's edge can reach twice the
limit) and good enough to slow down password guessing and mail bombing. With the default
LocMemCache every web process counts on its own; set REDIS_URL to share the counts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import BaseCache, cache
from django.http import HttpRequest

__all__ = ["Limit", "client_ip", "count_hit", "hit", "over_limit"]

PREFIX = "ratelimit"


@dataclass(frozen=True)
class Limit:
    """``count`` hits per ``seconds``."""

    count: int
    seconds: int


def _cache_key(key: str) -> str:
    # Keys hold what people typed (names, addresses): hash them so that any text is a valid,
    # short cache key and no address is kept in the cache in the clear.
    return f"{PREFIX}:{hashlib.sha256(key.encode()).hexdigest()}"


def count_hit(key: str, window_seconds: int, *, using: BaseCache | None = None) -> int:
    """Count one hit for ``key`` and return how many there have been in its window."""
    store = using if using is not None else cache
    name = _cache_key(key)
    if store.add(name, 1, window_seconds):
        return 1
    try:
        return store.incr(name)
    except ValueError:  # the window ended between add and incr: this hit opens a new one
        store.add(name, 1, window_seconds)
        return 1


def hit(key: str, limit: int, window_seconds: int, *, using: BaseCache | None = None) -> bool:
    """Count one hit for ``key``; True while it is within ``limit`` hits in the window,
    False once it is over. ``using`` is the cache to count in (the default cache)."""
    return count_hit(key, window_seconds, using=using) <= limit


def over_limit(scope: str, limit: Limit, *keys: str) -> bool:
    """Count a hit under each of ``keys`` (empty ones are skipped) in ``scope``; True when any
    of them is over ``limit``. Every key is counted, even after one is found over."""
    results = [hit(f"{scope}:{key}", limit.count, limit.seconds) for key in keys if key]
    return not all(results)


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind our reverse proxy (WIKISOCIAL_BEHIND_PROXY,
    which sets SECURE_PROXY_SSL_HEADER) the last address in X-Forwarded-For, the one our proxy
    added. Earlier entries come from the client and could be anything."""
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR", "")
