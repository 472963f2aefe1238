from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from wikisocial.instance.models import CodeOfConduct

EXEMPT_PREFIXES = (
    "/auth/",
    "/settings/code-of-conduct",
    "/about",
    "/static/",
    "/media/",
    "/api/",
    "/oauth/",
    "/.well-known/",
    "/i18n/",
)


def current_code_version() -> int:
    def load() -> int:
        current = CodeOfConduct.current()
        return current.version if current else 0

    return cache.get_or_set("coc:current-version", load, 30)


class CodeOfConductMiddleware:
    """When a new version of the code of conduct is published, people who accepted an older
    one are asked to read and accept it before going on (page views only; the API and the
    log-out page stay reachable). The accepted version is remembered in the session."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method == "GET"
            and request.user.is_authenticated
            and not request.path.startswith(EXEMPT_PREFIXES)
        ):
            current = current_code_version()
            if current and request.session.get("coc_version", 0) < current:
                accepted = request.user.coc_acceptances.filter(version__version=current).exists()
                if not accepted:
                    query = urlencode({"next": request.get_full_path()})
                    return HttpResponseRedirect(f"{reverse('accounts:accept-coc')}?{query}")
                request.session["coc_version"] = current
        return self.get_response(request)
