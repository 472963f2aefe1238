"""/health and /ready: answered before any other middleware (no session, code-of-conduct gate,
host check or compression), never cached, and /ready says which check failed."""

from __future__ import annotations

import pytest
from django.db.migrations.recorder import MigrationRecorder

from tests.cli.helpers import free_port
from wikisocial.core import health
from wikisocial.instance.models import CodeOfConduct

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _forget_migration_check():
    """Each test checks the migrations afresh (the process remembers a success)."""
    health._migrated.clear()
    yield
    health._migrated.clear()


def test_health_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"


def test_probes_pass_whatever_the_host_header(client):
    """Load balancers probe by IP address, which ALLOWED_HOSTS does not list."""
    assert client.get("/about", HTTP_HOST="10.1.2.3:8000").status_code == 400
    assert client.get("/health", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/ready", HTTP_HOST="10.1.2.3:8000").status_code == 200


def test_a_member_owing_the_code_of_conduct_is_not_redirected(client, user):
    """The code-of-conduct gate (and the session) never see the probes."""
    CodeOfConduct.objects.create(version=99, text="New rules")
    client.force_login(user)
    assert "code-of-conduct" in client.get("/").get("Location", "")
    response = client.get("/health")
    assert response.status_code == 200
    assert "Set-Cookie" not in response
    assert client.get("/ready").status_code == 200


def test_ready_checks_the_database_and_migrations(client):
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}
    assert response["Cache-Control"] == "no-store"


def test_ready_after_success_costs_one_query(client, django_assert_num_queries):
    client.get("/ready")
    with django_assert_num_queries(1):
        assert client.get("/ready").status_code == 200


def test_ready_is_503_while_a_migration_is_not_applied(client, caplog):
    MigrationRecorder.Migration.objects.filter(app="posts").order_by("-id").first().delete()
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "migrations": "failed"},
        "failed": ["migrations"],
    }
    assert "1 migration(s) not applied" in caplog.text


def test_ready_is_503_when_redis_does_not_answer(client, settings, caplog):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/8"
    response = client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["redis"]
    assert body["checks"] == {"database": "ok", "migrations": "ok", "redis": "failed"}
    assert "readiness check redis failed" in caplog.text
    assert "127.0.0.1" not in response.content.decode()  # reasons stay in the log


def test_ready_with_redis_answering(client, settings):
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/8"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    settings.REDIS_URL = url
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json()["checks"]["redis"] == "ok"


def test_probes_only_read(client):
    assert client.post("/health").status_code == 405
    assert client.post("/ready").status_code == 405
    assert client.head("/health").status_code == 200


def test_a_failing_replica_degrades_without_failing(client, monkeypatch, caplog):
    """A replica outage must not pull every web process out of the load balancer: timeline
    reads fall back to the primary meanwhile (wikisocial/core/db.py)."""
    from wikisocial.core import db

    def unreachable():
        raise ConnectionError("replica.internal:5432 refused")

    checks = {
        "database": lambda: health.check_database("default"),
        "database_replica": unreachable,
        "migrations": health.check_migrations,
    }
    monkeypatch.setattr(health, "readiness_checks", lambda: checks)
    monkeypatch.setattr(db, "_replica_paused_until", 0.0)
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "checks": {"database": "ok", "database_replica": "failed", "migrations": "ok"},
        "degraded": ["database_replica"],
    }
    assert "replica.internal" not in response.content.decode()
    assert "readiness check database_replica failed" in caplog.text
    assert db.replica_paused()  # this process reads from the primary for a while
