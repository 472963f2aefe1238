"""Run the whole test suite the way `make test` and CI do.

1. ruff (lint and format check);
2. pytest on SQLite;
3. pytest on PostgreSQL, at DATABASE_URL or, when unset, postgresql://postgres@127.0.0.1:5432/
   wikisocial. Without a reachable server this pass is skipped with a message, unless
   WIKISOCIAL_REQUIRE_POSTGRES=1 (CI), which makes the skip a failure.

The task-queue tests and the production-layout test also need Redis (WIKISOCIAL_TEST_REDIS_URL,
default redis://127.0.0.1:6379; tests/services.py): without it they are skipped with a message,
unless WIKISOCIAL_REQUIRE_REDIS=1 (CI), which stops the run here at once.

Extra arguments go to pytest (e.g. `tools/test_suite.py -k signup`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/wikisocial"


def banner(text: str) -> None:
    print(f"\n=== {text} ===", flush=True)


def run(cmd: list[str], env: dict[str, str] | None = None) -> int:
    return subprocess.call(cmd, cwd=ROOT, env=env)


def postgres_reachable(url: str) -> str | None:
    """None when we can connect, else the reason."""
    import psycopg

    try:
        # Connect to the maintenance database: the suite creates its own test databases.
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", connect_timeout=3):
            return None
    except Exception as exc:  # any failure means: not usable here
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def redis_reachable(url: str) -> str | None:
    """None when Redis answers at url, else the reason."""
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3).ping()
        return None
    except redis.RedisError as exc:
        return str(exc) or type(exc).__name__


def pytest_cmd(extra: list[str]) -> list[str]:
    # load: tests go to whichever worker is free. A module that starts its own instances does
    # so once per worker that runs its tests: with pytest 9, pytest-xdist 3.8's loadgroup
    # cannot tag node ids any more (pytest keeps them in Node._id), so xdist_group marks
    # group nothing; modules sharing a service by number take one per worker
    # (tests/services.py).
    cpus = os.cpu_count() or 1
    workers = ["-n", str(min(cpus, 4)), "--dist", "load"] if cpus > 1 else []
    return [str(BIN / "pytest"), "-p", "no:cacheprovider", *workers, *extra]


def main() -> int:
    extra = sys.argv[1:]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    require_pg = os.environ.get("WIKISOCIAL_REQUIRE_POSTGRES") == "1"
    pg_url = os.environ.get("DATABASE_URL") or DEFAULT_POSTGRES

    if not extra:
        banner("ruff")
        if run([str(BIN / "ruff"), "check", "."]) or run(
            [str(BIN / "ruff"), "format", "--check", "."]
        ):
            return 1

    redis_url = os.environ.get("WIKISOCIAL_TEST_REDIS_URL") or "redis://127.0.0.1:6379"
    if (reason := redis_reachable(redis_url)) is not None:
        print(f"No Redis at {redis_url}: {reason}; the tests that need it are skipped.", flush=True)
        if os.environ.get("WIKISOCIAL_REQUIRE_REDIS") == "1":
            print("WIKISOCIAL_REQUIRE_REDIS=1: Redis is required.", flush=True)
            return 1

    banner("tests on SQLite")
    if code := run(pytest_cmd(extra), env=env):
        return code

    banner(f"tests on PostgreSQL ({pg_url.split('@')[-1]})")
    reason = postgres_reachable(pg_url)
    if reason is not None:
        message = f"SKIPPED: the PostgreSQL pass, no server at {pg_url.split('@')[-1]}: {reason}"
        print(message + "\n  Set DATABASE_URL to a PostgreSQL server to run it.", flush=True)
        return 1 if require_pg else 0
    return run(pytest_cmd(extra), env={**env, "DATABASE_URL": pg_url})


if __name__ == "__main__":
    sys.exit(main())
