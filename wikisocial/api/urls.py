"""URL patterns built from the endpoints the view modules declare (see ``api/base.py``)."""

from __future__ import annotations

import re
from collections import defaultdict

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, re_path
from django.views.decorators.csrf import csrf_exempt

from wikisocial.api import openapi
from wikisocial.api.base import REGISTRY, Endpoint, dispatcher, error_response, with_cors
from wikisocial.api.views import load_all

load_all()


def _django_path(api_path: str) -> str:
    return re.sub(r"<(\w+)>", r"<str:\1>", api_path)


def _patterns() -> list[URLPattern]:
    by_path: dict[str, list[Endpoint]] = defaultdict(list)
    for ep in REGISTRY:
        by_path[ep.path].append(ep)
    patterns = []
    # Literal paths before the ones with parameters: v1/accounts/lookup before v1/accounts/<id>.
    for api_path in sorted(by_path, key=lambda p: ("<" in p, p)):
        view = dispatcher(by_path[api_path])
        route = _django_path(api_path)
        patterns.append(path(route, view))
        patterns.append(path(route + "/", view))  # Mastodon.py asks for /api/v1/instance/
    return patterns


@csrf_exempt
def _unknown(request: HttpRequest, rest: str = "") -> HttpResponse:
    return with_cors(error_response(404, "Record not found"))


urlpatterns = [
    *_patterns(),
    path("openapi.json", openapi.description, name="api-openapi"),
    re_path(r"^(?P<rest>.*)$", _unknown),
]
