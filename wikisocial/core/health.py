"""/health, /ready and /metrics: the endpoints load balancers, orchestrators and Prometheus
call every few seconds.

They are answered by :class:`OpsEndpointsMiddleware`, the first middleware, before anything
else runs: no ALLOWED_HOSTS check (a load balancer probes by IP address), no session, CSRF,
locale, code-of-conduct gate, rate limit or compression, and nothing is cached. So a probe
costs a function call (``/health``) or a ``SELECT 1`` (``/ready``), and a browser's session
cookie can't turn one into a redirect.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

_NO_STORE = {"Cache-Control": "no-store"}

# Set once the migrations were seen applied: a running process's code never gains new ones,
# so the (slow) migration graph is loaded until then only.
_migrated: set[str] = set()
_redis_clients: dict[str, object] = {}


def live(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Touches nothing else, so a slow database never gets
    healthy web processes restarted."""
    return JsonResponse({"status": "ok"}, headers=_NO_STORE)


def check_database(alias: str) -> None:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")


def check_migrations(alias: str = "default") -> None:
    if alias in _migrated:
        return
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[alias])
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        raise RuntimeError(f"{len(pending)} migration(s) not applied")
    _migrated.add(alias)


def check_redis(url: str) -> None:
    import redis

    client = _redis_clients.get(url)
    if client is None:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        _redis_clients[url] = client
    client.ping()


def readiness_checks() -> dict[str, Callable[[], None]]:
    """What must work for this process to serve requests, by name."""
    checks: dict[str, Callable[[], None]] = {}
    for alias in settings.DATABASES:
        name = "database" if alias == "default" else f"database_{alias}"
        checks[name] = lambda alias=alias: check_database(alias)
    checks["migrations"] = check_migrations
    if settings.REDIS_URL:
        checks["redis"] = lambda: check_redis(settings.REDIS_URL)
    return checks


# Checks whose failure degrades the service without stopping it: timeline reads fall back to
# the primary (wikisocial/core/db.py), so a replica outage must not pull every web process
# out of the load balancer.
OPTIONAL_CHECKS = {"database_replica"}


def _replica_failed(exc: Exception) -> None:
    from wikisocial.core.db import pause_replica

    pause_replica(exc)


def ready(request: HttpRequest) -> HttpResponse:
    """Readiness: every check passes (200), or 503 naming the ones that failed; a failed
    optional check (the replica) answers 200 with ``"status": "degraded"``. Reasons go to
    the log only: they may name internal hosts."""
    results, failed, degraded = {}, [], []
    for name, check in readiness_checks().items():
        if failed and name == "migrations" and "database" in failed:
            results[name] = "skipped"
            continue
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # any failure means "not ready"; the log says which
            logger.warning("readiness check %s failed: %s", name, exc)
            results[name] = "failed"
            if name in OPTIONAL_CHECKS:
                degraded.append(name)
                _replica_failed(exc)
            else:
                failed.append(name)
    status = "unavailable" if failed else "degraded" if degraded else "ok"
    body: dict[str, object] = {"status": status, "checks": results}
    if failed:
        body["failed"] = failed
    if degraded:
        body["degraded"] = degraded
    response = JsonResponse(body, status=503 if failed else 200, headers=_NO_STORE)
    response._has_been_logged = True  # logged above; not again as a server error per probe
    return response


def _only_get(view: Callable[[HttpRequest], HttpResponse]) -> Callable:
    def guarded(request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
        return view(request)

    return guarded


def ops_views() -> dict[str, Callable[[HttpRequest], HttpResponse]]:
    views = {"/health": _only_get(live), "/ready": _only_get(ready)}
    if settings.METRICS_ENABLED:
        from wikisocial.core.metrics import metrics_view

        views["/metrics"] = metrics_view
    return views


class OpsEndpointsMiddleware:
    """Answers /health, /ready and (with WIKISOCIAL_METRICS=1) /metrics before any other
    middleware; every other request passes through untouched."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.views = ops_views()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = self.views.get(request.path_info)
        if view is None:
            return self.get_response(request)
        return view(request)
