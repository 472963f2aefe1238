"""Structured logs and the access log.

With WIKISOCIAL_LOG_FORMAT=json every log line is one JSON object (time, level, logger,
message, the request id, any ``extra`` fields, the exception's traceback) that a log
collector (Loki, Elasticsearch, journald's JSON output …) can index without parsing prose.
The access log (logger ``wikisocial.access``) writes one line per request with the route
pattern, status and duration, and the request id that also goes back in ``X-Request-ID`` so
a reverse proxy's log and ours can be joined.

Some paths carry secrets (``auth/confirm/<token>``, ``auth/password/reset/<uidb64>/<token>``):
no log line ever holds a raw path, only :func:`safe_path`'s, with those parts replaced, and
never the query string (OAuth callbacks carry ``code`` and ``access_token`` there).
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime

import orjson
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, ResolverMatch, resolve

access_logger = logging.getLogger("wikisocial.access")

# The id of the request being handled in this thread (or task), for every log line it writes.
request_id: ContextVar[str] = ContextVar("wikisocial_request_id", default="")

# What a request id from outside may look like: a proxy's or load balancer's token (nginx's
# $request_id is 32 hex digits; others use UUIDs). Anything else is replaced, never logged.
_INCOMING_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

# URL parts whose name contains one of these are secrets (tokens, keys, user ids of reset links,
# codes): never logged. Matched case-insensitively as substrings.
SECRET_PARTS = ("token", "key", "secret", "uid", "code")
REDACTED = "<redacted>"

# LogRecord's own attributes; everything else on a record came from ``extra``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def _jsonable(value: object) -> object:
    if isinstance(value, HttpRequest):  # django.request's ``extra``: its repr has the path
        return f"{value.method} {safe_path(value)}"
    return str(value)


class JsonFormatter(logging.Formatter):
    """One JSON object per line (orjson): time (UTC, ISO 8601), level, logger, message, the
    request id when there is one, the ``extra`` fields, and ``exception`` (the traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, tz=UTC)
        entry: dict[str, object] = {
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        current = request_id.get()
        if current:
            entry["request_id"] = current
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return orjson.dumps(entry, default=_jsonable, option=orjson.OPT_NON_STR_KEYS).decode()


def route_of(request: HttpRequest) -> str:
    """The URL pattern that answered ``request`` (``api/v1/statuses/<id>``), never the path
    itself: a bounded set of values, fit for metric labels and log aggregation."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "<unmatched>"
    return match.route or match.view_name or "<unnamed>"


def is_secret_name(name: str) -> bool:
    lowered = name.lower()
    return any(part in lowered for part in SECRET_PARTS)


def _match_of(request: HttpRequest) -> ResolverMatch | None:
    """The request's URL match; resolved here when a middleware answered before the view was
    found (a redirect, a 413), so those paths are redacted too."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match
    try:
        return resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return None


def safe_path(request: HttpRequest, match: ResolverMatch | None = None) -> str:
    """``request.path`` with every URL part whose name is a secret (:data:`SECRET_PARTS`)
    replaced by ``<redacted>``; the route pattern instead when such a part can't be found in
    the path as given (a converter changed it). Never the query string."""
    path = request.path
    match = match or _match_of(request)
    if match is None:
        return path
    secrets = [str(v) for k, v in match.kwargs.items() if is_secret_name(k) and str(v)]
    for value in sorted(secrets, key=len, reverse=True):
        if value not in path:
            return "/" + (match.route or "<unnamed>")
        path = path.replace(value, REDACTED)
    return path


class RedactPathFilter(logging.Filter):
    """For ``django.request`` (``Not Found: /path`` …): writes :func:`safe_path` in place of
    the path in the message's arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if isinstance(request, HttpRequest) and isinstance(record.args, tuple):
            safe = safe_path(request)
            record.args = tuple(safe if arg == request.path else arg for arg in record.args)
        return True


def incoming_request_id(request: HttpRequest) -> str:
    """X-Request-ID from the proxy when it looks like an id, else a new one."""
    given = request.headers.get("X-Request-ID", "")
    if _INCOMING_ID.fullmatch(given):
        return given
    return os.urandom(16).hex()  # 128 random bits, as a UUID has, at a tenth of the cost


class AccessLogMiddleware:
    """One INFO line per request on ``wikisocial.access`` (method, route, path with secrets
    redacted and no query string, status, duration, request id), and the request id in the
    answer's X-Request-ID header. Installed first, so its time covers the other middleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        rid = incoming_request_id(request)
        token = request_id.set(rid)
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = rid
            self._log(request, response.status_code, started)
            return response
        finally:
            request_id.reset(token)

    def _log(self, request: HttpRequest, status: int, started: float) -> None:
        duration_ms = round((time.perf_counter() - started) * 1000, 2)
        match = _match_of(request)
        route = (match.route or match.view_name or "<unnamed>") if match else "<unmatched>"
        path = safe_path(request, match)
        access_logger.info(
            "%s %s %s %.1f ms",
            request.method,
            path,
            status,
            duration_ms,
            extra={
                "method": request.method,
                "route": route,
                "path": path,
                "status": status,
                "duration_ms": duration_ms,
            },
        )
