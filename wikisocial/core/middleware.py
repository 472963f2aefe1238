"""Cross-cutting request guards."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.gzip import GZipMiddleware
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


class RequestSizeLimitMiddleware:
    """Refuse bodies over MAX_REQUEST_BYTES (413) before anything reads them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.MAX_REQUEST_BYTES
        if length > limit:
            logger.info("refused %s %s: body of %d bytes", request.method, request.path, length)
            message = _("The request is too large (the limit is %(mb)d MB).") % {
                "mb": limit // (1024 * 1024)
            }
            if request.path.startswith("/api/") or "json" in request.headers.get("Accept", ""):
                return JsonResponse({"error": message}, status=413)
            html = render_to_string("web/error.html", {"message": message, "status": 413})
            return HttpResponse(html, status=413)
        return self.get_response(request)


# Text worth compressing; images, video and audio are compressed already.
_COMPRESSIBLE = ("text/", "application/json", "application/activity+json", "application/ld+json")
_COMPRESSIBLE += ("application/javascript", "application/xml", "application/xrd+xml")
_COMPRESSIBLE += ("application/jrd+json", "image/svg+xml")


class TextGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware (with its padding against BREACH) for text only: pages, JSON,
    CSS and scripts shrink to a third or less; pictures would only cost time."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if not response.get("Content-Type", "").startswith(_COMPRESSIBLE):
            return response
        return super().process_response(request, response)


class SignedInboxMiddleware:
    """POSTs to an ActivityPub inbox (``/inbox``, ``/@name/inbox``, ``/actor/inbox``) go
    straight to their view, past sessions, locale, CSRF (the view is exempt), authentication,
    messages, frame options, htmx and the code-of-conduct gate: none of them applies to a
    server-to-server request, whose only credential is its HTTP signature, which the view
    checks (with the Host, through ALLOWED_HOSTS). That stack was a fifth of an inbox
    request's CPU in bench/scenarios/inbox.py. The URL conf still decides which view a path
    is; anything that is not the inbox view takes the usual way."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from wikisocial.federation.inbox import inbox

        self.get_response = get_response
        self.inbox = inbox

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST" or not request.path_info.endswith("/inbox"):
            return self.get_response(request)
        request.get_host()  # a Host not in ALLOWED_HOSTS is a 400 before anything is read
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        if match.func is not self.inbox:
            return self.get_response(request)
        request.resolver_match = match
        # No "SELECT 1" before the first query (CONN_HEALTH_CHECKS): it was one of six round
        # trips per activity. A connection that died since the last request fails this one
        # (500, which senders retry) and is closed when the request ends (Django closes a
        # connection that had errors), so the next request gets a new one.
        connection.health_check_done = True
        return match.func(request, *match.args, **match.kwargs)
