"""/metrics: off unless WIKISOCIAL_METRICS=1; loopback (or WIKISOCIAL_METRICS_ALLOW) or the
bearer token; request latency labelled by route pattern; queues, inbox and deliveries read
from the database (or RQ) when scraped."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from wikisocial.config.settings import MIDDLEWARE
from wikisocial.core import metrics, metrics_state
from wikisocial.federation.models import Delivery, DomainHealth, InboxItem

pytestmark = pytest.mark.django_db

DB_TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "inbound", "outbound"],
    }
}


@pytest.fixture
def metrics_on(settings):
    """What WIKISOCIAL_METRICS=1 sets (the settings are read before the first request)."""
    settings.METRICS_ENABLED = True
    settings.MIDDLEWARE = [
        "wikisocial.core.health.OpsEndpointsMiddleware",
        "wikisocial.core.metrics.RequestMetricsMiddleware",
        *[m for m in MIDDLEWARE if m != "wikisocial.core.health.OpsEndpointsMiddleware"],
    ]
    return settings


def scrape(client, **extra) -> dict[str, list]:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    assert response["Cache-Control"] == "no-store"
    families = text_string_to_metric_families(response.content.decode())
    return {family.name: family.samples for family in families}


def value(samples: list, **labels) -> float:
    found = [s.value for s in samples if all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(found) == 1, (labels, samples)
    return found[0]


def test_off_by_default(client):
    assert client.get("/metrics").status_code == 404


def test_loopback_may_read(client, metrics_on):
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200


def test_other_addresses_are_refused(client, metrics_on):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 403
    assert b"wikisocial_" not in response.content


def test_allowed_networks(client, metrics_on, settings):
    import ipaddress

    settings.METRICS_ALLOW = [ipaddress.ip_network("10.0.0.0/8")]
    assert client.get("/metrics", REMOTE_ADDR="10.20.30.40").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403


def test_the_bearer_token_opens_it_from_anywhere(client, metrics_on, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    far = {"REMOTE_ADDR": "203.0.113.9"}
    ok = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"}, **far)
    assert ok.status_code == 200
    wrong = client.get("/metrics", headers={"Authorization": "Bearer s3cret-tokeN"}, **far)
    assert wrong.status_code == 403
    assert client.get("/metrics", **far).status_code == 403


def test_a_request_forwarded_by_an_unknown_proxy_is_not_local(client, metrics_on):
    """Without WIKISOCIAL_BEHIND_PROXY, a proxy on the same machine makes every visitor look
    like 127.0.0.1: a forwarded request doesn't get in by address."""
    forwarded = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    assert client.get("/metrics", **forwarded).status_code == 403


@pytest.mark.parametrize(
    "header",
    ["HTTP_X_REAL_IP", "HTTP_FORWARDED", "HTTP_X_FORWARDED_FOR"],
)
def test_any_forwarding_header_closes_the_address_door(client, metrics_on, header):
    forwarded = {"REMOTE_ADDR": "127.0.0.1", header: "127.0.0.1"}
    assert client.get("/metrics", **forwarded).status_code == 403


def test_behind_our_proxy_only_the_token_opens_it(client, metrics_on, settings):
    """With WIKISOCIAL_BEHIND_PROXY, a same-host proxy that adds no header makes every
    visitor 127.0.0.1, and one passing the client's X-Forwarded-For through lets it choose
    its address: no address is believed."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
    spoofed = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "127.0.0.1"}
    assert client.get("/metrics", **spoofed).status_code == 403
    token = {"Authorization": "Bearer s3cret-token"}
    assert client.get("/metrics", headers=token, **spoofed).status_code == 200


def test_latency_is_labelled_by_route_pattern_not_path(client, metrics_on, user):
    account_id = user.account.pk
    for _ in range(3):
        client.get(f"/api/v1/accounts/{account_id}")
    client.get("/no-such-page-at-all")
    families = scrape(client)
    samples = families["wikisocial_http_request_duration_seconds"]
    routes = {s.labels["route"] for s in samples}
    assert not any(route.endswith(f"/{account_id}") for route in routes), routes
    account_route = next(r for r in routes if r.startswith("api/v1/accounts/<"))
    count = value(
        [s for s in samples if s.name.endswith("_count")],
        route=account_route,
        method="GET",
        status="2xx",
    )
    assert count == 3
    assert "<unmatched>" in routes  # a 404 without a route
    assert not any("metrics" in route for route in routes)  # scrapes are not measured


def test_task_queues_of_the_database_backend(client, metrics_on, settings):
    from django_tasks_db.models import DBTaskResult

    from wikisocial.core.tasks import enqueue_at  # noqa: F401 (the app's tasks are importable)
    from wikisocial.posts.tasks import close_poll

    settings.TASKS = DB_TASKS
    close_poll.using(queue_name="outbound").enqueue(1)
    close_poll.using(queue_name="outbound").enqueue(2)
    close_poll.enqueue(3)
    close_poll.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(4)
    DBTaskResult.objects.filter(queue_name="outbound").update(
        enqueued_at=timezone.now() - timedelta(seconds=90)
    )
    families = scrape(client)
    queued = families["wikisocial_tasks_queued"]
    assert value(queued, queue="outbound") == 2
    assert value(queued, queue="default") == 1
    assert value(queued, queue="inbound") == 0
    assert value(families["wikisocial_tasks_scheduled"], queue="default") == 1
    ages = families["wikisocial_tasks_oldest_age_seconds"]
    assert 89 <= value(ages, queue="outbound") < 200
    assert value(ages, queue="default") < 60
    assert value(ages, queue="inbound") == 0


def test_task_queues_of_the_rq_backend(client, metrics_on, settings):
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/8"
    try:
        connection = redis.Redis.from_url(url, socket_connect_timeout=1)
        connection.ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    from rq import Queue

    prefix = "fixops-metrics-test-"
    names = {name: f"{prefix}{name}" for name in ("default", "inbound", "outbound")}
    settings.RQ_QUEUES = {name: {"URL": url} for name in names}
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": list(names)},
    }
    queues = {name: Queue(name, connection=connection) for name in names}
    try:
        for queue in queues.values():
            queue.empty()
        queues["inbound"].enqueue("builtins.len", "abc")
        queues["inbound"].enqueue("builtins.len", "abcd")
        families = scrape(client)
    finally:
        for queue in queues.values():
            queue.empty()
    queued = families["wikisocial_tasks_queued"]
    assert value(queued, queue="inbound") == 2
    assert value(queued, queue="outbound") == 0
    assert 0 <= value(families["wikisocial_tasks_oldest_age_seconds"], queue="inbound") < 60


def _delivery(n: int, state: str, attempts: int = 0) -> Delivery:
    return Delivery.objects.create(
        activity_id=f"https://here.example/activities/{n}",
        inbox_url=f"https://r{n}.example/inbox",
        body="{}",
        state=state,
        attempts=attempts,
        next_try_at=timezone.now(),
    )


def test_inbox_deliveries_and_failing_domains(client, metrics_on, settings):
    settings.METRICS_TOP_DOMAINS = 2
    now = timezone.now()
    item = InboxItem.objects.create(
        activity_id="https://there.example/a/1",
        activity_type="Create",
        actor_uri="https://there.example/u/x",
        document={},
    )
    InboxItem.objects.filter(pk=item.pk).update(received_at=now - timedelta(minutes=5))
    InboxItem.objects.create(
        activity_id="https://there.example/a/2",
        activity_type="Like",
        actor_uri="https://there.example/u/x",
        document={},
        processed_at=now,
    )
    _delivery(1, Delivery.State.PENDING)
    _delivery(2, Delivery.State.PENDING, attempts=3)
    _delivery(3, Delivery.State.FAILED, attempts=16)
    _delivery(4, Delivery.State.DELIVERED, attempts=1)
    DomainHealth.objects.create(domain="dead.example", consecutive_failures=40, dead=True)
    DomainHealth.objects.create(
        domain="open.example", consecutive_failures=12, open_until=now + timedelta(minutes=5)
    )
    DomainHealth.objects.create(domain="flaky.example", consecutive_failures=2)
    DomainHealth.objects.create(domain="fine.example", consecutive_failures=0)

    families = scrape(client)
    assert value(families["wikisocial_inbox_waiting"]) == 1
    assert 299 <= value(families["wikisocial_inbox_oldest_age_seconds"]) < 400
    deliveries = families["wikisocial_deliveries"]
    assert value(deliveries, state="pending") == 2
    assert value(deliveries, state="failed") == 1
    assert not [s for s in deliveries if s.labels["state"] == "delivered"]
    assert value(families["wikisocial_deliveries_retrying"]) == 1
    domains = families["wikisocial_delivery_domains"]
    assert value(domains, state="failing") == 3
    assert value(domains, state="open") == 1
    assert value(domains, state="dead") == 1
    failures = families["wikisocial_delivery_domain_consecutive_failures"]
    assert {s.labels["domain"]: s.value for s in failures} == {
        "dead.example": 40,
        "open.example": 12,
    }  # the worst two only (METRICS_TOP_DOMAINS)
    circuit = families["wikisocial_delivery_domain_circuit"]
    assert value(circuit, domain="dead.example") == 2
    assert value(circuit, domain="open.example") == 1


def test_a_failing_part_is_reported_not_fatal(client, metrics_on, monkeypatch):
    def broken(now):
        raise RuntimeError("database gone")

    monkeypatch.setattr(
        metrics_state.StateCollector, "parts", (broken, metrics_state.inbox_metrics)
    )
    families = scrape(client)
    assert value(families["wikisocial_metrics_errors"], part="broken") == 1
    assert "wikisocial_inbox_waiting" in families


def test_multiprocess_dir_is_emptied_and_used(tmp_path, monkeypatch):
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "histogram_999.db").write_bytes(b"old run")
    (folder / "README").write_text("the operator's own file")
    monkeypatch.delenv(metrics.MULTIPROC_ENV, raising=False)
    values = __import__("prometheus_client.values", fromlist=["ValueClass"])
    original = values.ValueClass
    try:
        metrics.prepare_multiprocess_dir(folder)
        assert [p.name for p in folder.iterdir()] == ["README"]  # metric files only
        assert metrics.multiprocess_dir() == str(folder)
        assert values.ValueClass is not original
    finally:
        monkeypatch.delenv(metrics.MULTIPROC_ENV, raising=False)
        values.ValueClass = original


def test_multiprocess_dir_is_local_and_per_host_and_port(monkeypatch, settings):
    import socket
    import tempfile
    from pathlib import Path

    monkeypatch.delenv(metrics.MULTIPROC_ENV, raising=False)
    monkeypatch.setattr(socket, "gethostname", lambda: "web-1.internal")
    folder = metrics.multiprocess_dir_for(8000)
    assert folder == Path(tempfile.gettempdir()) / "wikisocial-metrics-web-1.internal-8000"
    assert metrics.multiprocess_dir_for(8001) != folder
    assert not folder.is_relative_to(settings.DATA_DIR)  # may be a shared disk
    monkeypatch.setenv(metrics.MULTIPROC_ENV, "/run/wikisocial/metrics")
    assert metrics.multiprocess_dir_for(8000) == Path("/run/wikisocial/metrics")
