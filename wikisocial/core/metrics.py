"""Prometheus metrics at /metrics (WIKISOCIAL_METRICS=1): who may read them, and the request
latency histogram.

Request latency is measured in each web process by :class:`RequestMetricsMiddleware`. Granian
runs several processes; prometheus-client's multi-process mode has each write its numbers to
files in one folder (PROMETHEUS_MULTIPROC_DIR, which ``wikisocial serve`` sets and empties at
start), and /metrics adds them up, whichever process answers. What the database (or Redis)
knows is read at scrape time by :mod:`wikisocial.core.metrics_state`.

The label values are bounded: the route is the URL pattern, never the path; the status is its
class (2xx …).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from wikisocial.core.logs import route_of

logger = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

_histogram: Any = None


# --- the folder of the multi-process mode ----------------------------------------------------


def multiprocess_dir_for(port: int) -> Path:
    """Where ``wikisocial serve --port PORT`` keeps its metric files: PROMETHEUS_MULTIPROC_DIR
    when the operator set it, else a folder of the local temporary directory named by host
    name and port. Never the data folder: it may be a disk shared by several machines, and
    two servers on the same port would empty and overwrite each other's files."""
    preset = os.environ.get(MULTIPROC_ENV, "").strip()
    if preset:
        return Path(preset)
    host = "".join(c if c.isalnum() or c in "-_." else "_" for c in socket.gethostname())
    return Path(tempfile.gettempdir()) / f"wikisocial-metrics-{host or 'host'}-{port}"


def prepare_multiprocess_dir(folder: Path) -> None:
    """Empty ``folder`` of metric files (``*.db``; nothing else, as the operator may have
    chosen it) and point prometheus-client at it, before the web server starts its worker
    processes (they inherit the environment). Numbers of a previous run would otherwise be
    added to this one's."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.db"):
        old.unlink(missing_ok=True)
    os.environ[MULTIPROC_ENV] = str(folder)
    values = sys.modules.get("prometheus_client.values")
    if values is not None:  # imported before the variable was set: switch it over
        values.ValueClass = values.get_value_class()


def multiprocess_dir() -> str:
    folder = os.environ.get(MULTIPROC_ENV, "")
    return folder if folder and os.path.isdir(folder) else ""


# --- request latency -------------------------------------------------------------------------


def request_histogram() -> Any:
    """The latency histogram, made on first use, in the process that uses it (the
    multi-process mode decides where values live when a metric is made)."""
    global _histogram
    if _histogram is None:
        from prometheus_client import Histogram

        _histogram = Histogram(
            "wikisocial_http_request_duration_seconds",
            "Time to answer a request, by route pattern, method and status class.",
            ["route", "method", "status"],
            buckets=_BUCKETS,
            registry=None,
        )
    return _histogram


class RequestMetricsMiddleware:
    """Times each request into the latency histogram (installed when WIKISOCIAL_METRICS=1)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.histogram = request_histogram()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in _METHODS else "other"
        status = f"{response.status_code // 100}xx"
        self.histogram.labels(route_of(request), method, status).observe(
            time.perf_counter() - started
        )
        return response


# --- the /metrics view -----------------------------------------------------------------------


# Headers a proxy adds: REMOTE_ADDR is then the proxy's address, not the client's.
_FORWARDING = ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED")


def _from_allowed_address(request: HttpRequest) -> bool:
    """Whether REMOTE_ADDR is in WIKISOCIAL_METRICS_ALLOW, for a request that came straight
    from the client. Behind a proxy (WIKISOCIAL_BEHIND_PROXY, which sets
    SECURE_PROXY_SSL_HEADER) or with any forwarding header, the address proves nothing: a
    proxy on the same machine makes every visitor 127.0.0.1, and X-Forwarded-For may be the
    client's own words passed through. Those requests need the token."""
    if settings.SECURE_PROXY_SSL_HEADER:
        return False
    if any(header in request.META for header in _FORWARDING):
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOW)


def _has_token(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def may_read(request: HttpRequest) -> bool:
    """The bearer token (WIKISOCIAL_METRICS_TOKEN), or an allowed client address
    (WIKISOCIAL_METRICS_ALLOW, loopback by default) when no proxy stands between."""
    return _has_token(request) or _from_allowed_address(request)


def render() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format: the request histogram (added up over every
    process of this server in the multi-process mode) and the database's state."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector

    from wikisocial.core.metrics_state import StateCollector

    registry = CollectorRegistry(auto_describe=False)
    folder = multiprocess_dir()
    if folder:
        MultiProcessCollector(registry, path=folder)
    else:
        registry.register(request_histogram())
    registry.register(StateCollector())
    return generate_latest(registry), CONTENT_TYPE_LATEST


def metrics_view(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
    if not may_read(request):
        logger.info("refused /metrics to %s", request.META.get("REMOTE_ADDR", ""))
        response = HttpResponse(
            "Forbidden: /metrics needs the bearer token or an allowed address.\n",
            status=403,
            content_type="text/plain; charset=utf-8",
            headers={"Cache-Control": "no-store"},
        )
        response._has_been_logged = True  # logged above, at INFO
        return response
    body, content_type = render()
    return HttpResponse(body, content_type=content_type, headers={"Cache-Control": "no-store"})
