"""The operations endpoints on a real `wikisocial serve` with two worker processes: /health and
/ready over HTTP (503 while a migration is missing), /metrics adding up both processes'
request counts (prometheus-client's multi-process mode), and JSON access-log lines."""

from __future__ import annotations

import contextlib
import json
import subprocess
import tempfile
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.cli.helpers import (
    PG_SCHEMES,
    WIKISOCIAL,
    clean_env,
    free_port,
    fresh_databases,
    http_get,
    kill_group,
    run_cli,
    wait_for_http,
)


def _forget_last_migration(env: dict[str, str], data: Path) -> tuple[str, str]:
    """Delete the newest row of django_migrations (as if a migration were pending); return
    (app, name) to put it back."""
    sql_last = "SELECT app, name FROM django_migrations ORDER BY id DESC LIMIT 1"
    url = env.get("DATABASE_URL", "")
    if url.startswith(PG_SCHEMES):
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            app, name = conn.execute(sql_last).fetchone()
            conn.execute("DELETE FROM django_migrations WHERE app=%s AND name=%s", (app, name))
        return app, name
    import sqlite3

    with sqlite3.connect(data / "wikisocial.sqlite3") as conn:
        app, name = conn.execute(sql_last).fetchone()
        conn.execute("DELETE FROM django_migrations WHERE app=? AND name=?", (app, name))
    return app, name


def _restore_migration(env: dict[str, str], data: Path, app: str, name: str) -> None:
    sql = "INSERT INTO django_migrations (app, name, applied) VALUES ({0}, {0}, CURRENT_TIMESTAMP)"
    url = env.get("DATABASE_URL", "")
    if url.startswith(PG_SCHEMES):
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.format("%s"), (app, name))
        return
    import sqlite3

    with sqlite3.connect(data / "wikisocial.sqlite3") as conn:
        conn.execute(sql.format("?"), (app, name))


def _about_count(port: int) -> float:
    status, body = http_get(port, "/metrics")
    assert status == 200, body
    for family in text_string_to_metric_families(body.decode()):
        if family.name == "wikisocial_http_request_duration_seconds":
            return sum(
                s.value
                for s in family.samples
                if s.name.endswith("_count") and s.labels["route"] == "about"
            )
    return 0.0


@pytest.fixture
def served(tmp_path):
    """A migrated instance served by `wikisocial serve --workers 2` with metrics and JSON
    logs on: yields (port, env, data dir, log path)."""
    urls, drop = fresh_databases("fixopsops", ["ops"])
    data = tmp_path / "data"
    port = free_port()
    extra = {
        "SECRET_KEY": "ops-test",
        "WIKISOCIAL_DOMAIN": f"localhost:{port}",
        "WIKISOCIAL_METRICS": "1",
        "WIKISOCIAL_LOG_FORMAT": "json",
        # The operator's choice of folder is kept (else a local one per host and port).
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    if "ops" in urls:
        # PostgreSQL: with the connection pool, which must not cross Granian's fork.
        extra["DATABASE_URL"] = urls["ops"]
        extra["WIKISOCIAL_DB_POOL_SIZE"] = "3"
    env = clean_env(data, **extra)
    log = tmp_path / "serve.log"
    proc = None
    try:
        migrated = run_cli(["migrate", "-v0"], data, env=env, timeout=300)
        assert migrated.returncode == 0, migrated.stderr
        with log.open("w") as out:
            proc = subprocess.Popen(
                [*WIKISOCIAL, "serve", "--port", str(port), "--workers", "2", "--threads", "2"],
                env=env,
                cwd=tempfile.gettempdir(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for_http(proc, port, "/health", timeout=60, log=log)
        yield port, env, data, log
    finally:
        if proc is not None:
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=15)
            kill_group(proc)
        drop()


def test_probes_metrics_and_logs_over_http(served):
    port, env, data, log = served
    status, body = http_get(port, "/health")
    assert (status, json.loads(body)) == (200, {"status": "ok"})

    app, name = _forget_last_migration(env, data)
    status, body = http_get(port, "/ready")
    assert status == 503
    assert json.loads(body)["failed"] == ["migrations"]
    _restore_migration(env, data, app, name)
    status, body = http_get(port, "/ready")
    assert status == 200, body

    folder = data.parent / "metrics"
    sent = 0
    for _ in range(300):  # new connections until both worker processes have answered some
        assert http_get(port, "/about")[0] == 200
        sent += 1
        if sent >= 10 and len(list(folder.glob("histogram_*.db"))) >= 2:
            break
    assert len(list(folder.glob("histogram_*.db"))) >= 2, sorted(folder.iterdir())
    # Whichever process answers the scrape, it counts every request of both.
    assert {_about_count(port) for _ in range(6)} == {sent}

    status, _ = http_get(port, "/metrics", headers={"X-Forwarded-For": "203.0.113.5"})
    assert status == 403
    status, _ = http_get(port, "/auth/confirm/SeCrEt-t0ken?code=0auth-c0de")
    assert status == 400
    assert "SeCrEt-t0ken" not in log.read_text() and "0auth-c0de" not in log.read_text()

    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("logger") == "wikisocial.access"]
    assert len([a for a in access if a["route"] == "about"]) == sent
    assert all(a["level"] == "INFO" and a["request_id"] for a in access)
    assert not [a for a in access if a["path"] in ("/health", "/ready", "/metrics")]
    (confirm,) = [a for a in access if a["route"] == "auth/confirm/<str:token>"]
    assert confirm["path"] == "/auth/confirm/<redacted>"
