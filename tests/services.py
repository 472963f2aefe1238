"""Services some tests need beyond the database: Redis. Without it those tests are skipped with
a message saying what is missing, unless WIKISOCIAL_REQUIRE_REDIS=1 (CI, `.ci/run`), which
turns the skip into a failure, as WIKISOCIAL_REQUIRE_POSTGRES=1 does for PostgreSQL.

Each test module that uses Redis for the task queues has a database number of its own
(REDIS_DBS, ``redis_url(module)``) and flushes only that one: RQ's keys carry no prefix we
could set, so two modules sharing a number would empty each other's queues. The
WIKISOCIAL_TEST_REDIS_URL (default redis://127.0.0.1:6379) says where the server is; a
database number N in it moves the whole block to N, N+1, … (to run beside other users of the
same server), still one number per module.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import pytest

REDIS_BASE = "redis://127.0.0.1:6379"
# The database number of each module (streaming tests use 13 and 14 for pub/sub, rate limits
# 15: apart from these).
REDIS_DBS = {"worker": 11, "layout": 12}


def redis_url(module: str) -> str:
    """The Redis URL of test module ``module`` (a key of REDIS_DBS)."""
    parts = urlsplit(os.environ.get("WIKISOCIAL_TEST_REDIS_URL", REDIS_BASE).rstrip("/"))
    base = parts.path.strip("/")
    offset = list(REDIS_DBS).index(module)
    number = int(base) + offset if base.isdigit() else REDIS_DBS[module]
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
