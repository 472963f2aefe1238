"""Structured logs (WIKISOCIAL_LOG_FORMAT=json) and the access log (WIKISOCIAL_ACCESS_LOG)."""

from __future__ import annotations

import io
import json
import logging

import pytest

from wikisocial.config.settings import MIDDLEWARE
from wikisocial.core.logs import JsonFormatter, request_id


@pytest.fixture
def json_lines():
    """A logger writing JSON lines into a buffer: lines() parses what was written."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger("wikisocial.test_logs")
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    yield log, lambda: [json.loads(line) for line in out.getvalue().splitlines()]
    log.removeHandler(handler)


def test_one_json_object_per_line(json_lines):
    log, lines = json_lines
    log.info("delivered %s to %s", "a1", "example.org", extra={"domain": "example.org", "n": 3})
    log.warning("two\nlines")
    first, second = lines()
    assert first["message"] == "delivered a1 to example.org"
    assert first["level"] == "INFO"
    assert first["logger"] == "wikisocial.test_logs"
    assert first["time"].endswith("Z") and "T" in first["time"]
    assert first["domain"] == "example.org" and first["n"] == 3
    assert "request_id" not in first
    assert second["message"] == "two\nlines"


def test_exceptions_and_odd_extras(json_lines):
    log, lines = json_lines
    try:
        raise ValueError("bad value")
    except ValueError:
        log.exception("it failed", extra={"thing": object(), "path": b"/x"})
    (entry,) = lines()
    assert entry["level"] == "ERROR"
    assert "Traceback" in entry["exception"] and "ValueError: bad value" in entry["exception"]
    assert entry["thing"].startswith("<object object")


def test_the_request_id_goes_on_every_line(json_lines):
    log, lines = json_lines
    token = request_id.set("abc123")
    try:
        log.info("inside a request")
    finally:
        request_id.reset(token)
    assert lines()[0]["request_id"] == "abc123"


@pytest.fixture
def access_log_on(settings):
    settings.MIDDLEWARE = [
        MIDDLEWARE[0],
        "wikisocial.core.logs.AccessLogMiddleware",
        *MIDDLEWARE[1:],
    ]


@pytest.mark.django_db
def test_one_access_line_per_request(client, access_log_on, caplog):
    caplog.set_level(logging.INFO, logger="wikisocial.access")
    response = client.get("/about", headers={"X-Request-ID": "from-proxy-42"})
    assert response.status_code == 200
    assert response["X-Request-ID"] == "from-proxy-42"
    (record,) = [r for r in caplog.records if r.name == "wikisocial.access"]
    assert record.levelno == logging.INFO
    assert record.method == "GET" and record.path == "/about" and record.status == 200
    assert record.route == "about"
    assert record.duration_ms > 0
    assert record.getMessage().startswith("GET /about 200 ")
    entry = json.loads(JsonFormatter().format(record))
    assert entry["route"] == "about" and entry["status"] == 200


@pytest.mark.django_db
def test_a_request_id_is_made_when_missing_or_odd(client, access_log_on):
    made = client.get("/about")["X-Request-ID"]
    assert len(made) == 32 and int(made, 16) >= 0
    odd = client.get("/about", headers={"X-Request-ID": "a b\x01<script>"})["X-Request-ID"]
    assert len(odd) == 32 and "<" not in odd


@pytest.mark.django_db
def test_probes_are_not_in_the_access_log(client, access_log_on, caplog):
    caplog.set_level(logging.INFO, logger="wikisocial.access")
    client.get("/health")
    assert not [r for r in caplog.records if r.name == "wikisocial.access"]


def test_the_setting_picks_the_formatter():
    from django.conf import settings

    assert settings.LOGGING["formatters"]["json"]["()"] == "wikisocial.core.logs.JsonFormatter"
    assert settings.LOGGING["handlers"]["stderr"]["formatter"] == settings.LOG_FORMAT


# --- secrets in paths are never logged -------------------------------------------------------

CONFIRM_TOKEN = "Ab3dEf-confirm-9xYz"
RESET_UID, RESET_TOKEN = "MTIzNA", "c2x9ab-0123456789abcdef0123"


def _access_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "wikisocial.access"]


def _rendered(records: list[logging.LogRecord]) -> str:
    """Every way the records are written: the plain message and the JSON line."""
    return "\n".join(r.getMessage() + JsonFormatter().format(r) for r in records)


@pytest.mark.django_db
def test_confirm_and_reset_links_are_redacted(client, access_log_on, caplog):
    from django.urls import reverse

    caplog.set_level(logging.INFO)
    confirm = reverse("accounts:confirm-email", kwargs={"token": CONFIRM_TOKEN})
    reset = reverse(
        "accounts:password-reset-confirm", kwargs={"uidb64": RESET_UID, "token": RESET_TOKEN}
    )
    assert client.get(confirm).status_code == 400  # an unknown token
    client.get(reset)
    first, second = _access_lines(caplog)
    assert first.path == "/auth/confirm/<redacted>"
    assert first.route == "auth/confirm/<str:token>"
    assert second.path == "/auth/password/reset/<redacted>/<redacted>"
    assert second.route == "auth/password/reset/<uidb64>/<token>"
    everything = _rendered(caplog.records)  # django.request's "Bad Request: …" too
    for secret in (CONFIRM_TOKEN, RESET_UID, RESET_TOKEN):
        assert secret not in everything
        assert secret not in caplog.text


@pytest.mark.django_db
def test_query_strings_are_never_logged(client, access_log_on, caplog):
    """An OAuth redirect back carries the code (or, implicit flow, the token) in the query."""
    caplog.set_level(logging.INFO, logger="wikisocial.access")
    client.get("/about?code=oauth-code-123&state=s&access_token=tok-456")
    client.get("/no-such-callback?code=oauth-code-123&token=tok-456")
    records = _access_lines(caplog)
    assert [r.path for r in records] == ["/about", "/no-such-callback"]
    everything = _rendered(records)
    assert "oauth-code-123" not in everything and "tok-456" not in everything


@pytest.mark.django_db
def test_a_request_answered_before_the_view_is_redacted_too(client, access_log_on, caplog):
    """A middleware that answers first (here the request-size limit) leaves no resolver
    match on the request: the path is resolved for the log."""
    from django.urls import reverse

    caplog.set_level(logging.INFO, logger="wikisocial.access")
    confirm = reverse("accounts:confirm-email", kwargs={"token": CONFIRM_TOKEN})
    response = client.generic(
        "POST", confirm, b"x", CONTENT_LENGTH=str(10**12), content_type="text/plain"
    )
    assert response.status_code == 413
    (record,) = _access_lines(caplog)
    assert record.path == "/auth/confirm/<redacted>"
    assert CONFIRM_TOKEN not in _rendered([record])


def test_a_request_in_extra_is_written_without_its_secret(rf):
    from wikisocial.core.logs import safe_path

    request = rf.get(f"/auth/confirm/{CONFIRM_TOKEN}?code=x")
    assert safe_path(request) == "/auth/confirm/<redacted>"
    record = logging.LogRecord("django.request", logging.WARNING, "", 0, "%s", ("x",), None)
    record.request = request
    assert json.loads(JsonFormatter().format(record))["request"] == ("GET /auth/confirm/<redacted>")


def test_secret_names():
    from wikisocial.core.logs import is_secret_name

    for name in ("token", "uidb64", "api_key", "client_secret", "code", "AccessToken"):
        assert is_secret_name(name), name
    for name in ("id", "username", "tag", "path"):
        assert not is_secret_name(name), name
