"""Services some tests need beyond the database: Redis. Without it those tests are skipped with
a message saying what is missing, unless WIKISOCIAL_REQUIRE_REDIS=1 (CI, `.ci/run`), which
turns the skip into a failure, as WIKISOCIAL_REQUIRE_POSTGRES=1 does for PostgreSQL.

Each test module that uses Redis for the task queues has database numbers of its own
(``redis_url(module)``), one per xdist worker, and flushes only its own: RQ's keys carry no
prefix we could set, so two modules, or one module's tests on two workers, sharing a number
would empty and take each other's queues. (pytest-xdist cannot keep a module's tests on one
worker with pytest 9: its xdist_group marks group nothing, see tools/test_suite.py.) The
WIKISOCIAL_TEST_REDIS_URL (default redis://127.0.0.1:6379) says where the server is; a
database number N in it moves the whole block to N, N+1, … (to run beside other users of the
same server). Two test runs at once on one machine still share the numbers.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import pytest

REDIS_BASE = "redis://127.0.0.1:6379"
# The modules, and the database numbers they take in turn per xdist worker (gw0: 3 and 4,
# gw1: 5 and 6 …); other tests use 2 and 8 (settings only, metrics), 13 and 14 (streaming),
# 15 (rate limits).
REDIS_MODULES = ("worker", "layout")
REDIS_SLOTS = (3, 4, 5, 6, 7, 9, 10, 11)


def redis_url(module: str) -> str:
    """The Redis URL of test module ``module`` (one of REDIS_MODULES) on this xdist worker."""
    parts = urlsplit(os.environ.get("WIKISOCIAL_TEST_REDIS_URL", REDIS_BASE).rstrip("/"))
    base = parts.path.strip("/")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    slot = (int(worker) if worker.isdigit() else 0) * len(REDIS_MODULES)
    slot += REDIS_MODULES.index(module)
    number = int(base) + slot if base.isdigit() else REDIS_SLOTS[slot % len(REDIS_SLOTS)]
    return urlunsplit(parts._replace(path=f"/{number}"))


def require_redis(url: str) -> None:
    """Skip the test (fail it with WIKISOCIAL_REQUIRE_REDIS=1) when no Redis answers at url."""
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        reason = f"no Redis at {url}: {exc}"
        if os.environ.get("WIKISOCIAL_REQUIRE_REDIS") == "1":
            pytest.fail(f"{reason}; WIKISOCIAL_REQUIRE_REDIS=1 requires the Redis tests")
        pytest.skip(f"{reason} (set WIKISOCIAL_TEST_REDIS_URL to a Redis server to run it)")


def flush_redis(url: str) -> None:
    """Empty this test database number (only it: the server may serve others)."""
    import redis

    redis.Redis.from_url(url, socket_timeout=5).flushdb()


def postgres_url() -> str | None:
    """DATABASE_URL when the suite runs on PostgreSQL (its PostgreSQL pass), else None."""
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://", "pgsql://")) else None
