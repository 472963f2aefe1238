"""Cross-cutting request guards."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
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
