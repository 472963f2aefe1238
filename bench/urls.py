"""The site's URLs plus the floors: the cheapest Django views that answer the same number of
bytes as the page being measured, through the same server, middleware and database
connection. A scenario's ``floor_ratio`` is its p50 over its floor's p50."""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

MAX_BYTES = 4 * 1024 * 1024


def floor(request: HttpRequest) -> HttpResponse:
    """``?bytes=N`` bytes of JSON (or HTML with ``?html=1``), after one trivial query so the
    floor pays for a database round trip as every real page does."""
    size = min(int(request.GET.get("bytes", "1024")), MAX_BYTES)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    if request.GET.get("html"):
        body = b"<!doctype html><p>" + b"x" * max(0, size - 18)
        return HttpResponse(body, content_type="text/html; charset=utf-8")
    body = b'{"x":"' + b"x" * max(0, size - 8) + b'"}'
    return HttpResponse(body, content_type="application/json")


urlpatterns = [
    path("bench/floor", floor),
    path("", include("wikisocial.config.urls")),
]
