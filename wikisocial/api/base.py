"""How a client-API endpoint is declared, authenticated, fed its parameters and answered.

Each endpoint is a small function decorated with :func:`endpoint`::

    @endpoint("GET", "v1/statuses/<id>", auth=OPTIONAL, scope="read:statuses",
              summary="One status", tag="statuses")
    def get_status(request, id):
        post = visible_post(request, id)
        return statuses.one(post, request.account)

The decorator records the endpoint in :data:`REGISTRY`, from which ``urls.py`` builds the URL
patterns (with and without a trailing slash, one view per path dispatching on the method) and
``openapi.py`` the OpenAPI description. The view returns a dict or list (200 JSON) or a
:class:`Reply`; it raises :class:`ApiError` for a client error. Every answer is JSON, errors
as ``{"error": "..."}``, with Mastodon's rate-limit headers.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import orjson
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.models import AccessToken

from wikisocial.accounts.actions import login_refusal_code
from wikisocial.accounts.models import Account
from wikisocial.api import scopes
from wikisocial.api.params import BadParams, Invalid, Params, read
from wikisocial.core.pagination import Cursor, cursor_from
from wikisocial.core.ratelimit import count_hit

logger = logging.getLogger(__name__)

# Who may call an endpoint.
USER = "user"  # a token acting for a user
APP = "app"  # any valid token, also one an app holds for itself (client_credentials)
OPTIONAL = "optional"  # anyone; a token, if given, must be valid
NONE = "none"  # anyone; no token is looked at

# Mastodon's general limit: 300 requests per 5 minutes per account (or address).
RATE_LIMIT = 300
RATE_WINDOW = 300

# Mastodon's messages, which clients show.
INVALID_TOKEN = "The access token is invalid"  # noqa: S105 (a message)
NOT_FOUND = "Record not found"
NEEDS_USER = "This method requires an authenticated user"
OUT_OF_SCOPE = "This action is outside the authorized scopes"
REFUSALS = {
    "rejected": "Your login is currently disabled",
    "disabled": "Your login is currently disabled",
    "unconfirmed": "Your login is missing a confirmed e-mail address",
    "pending": "Your login is currently pending approval",
}


class ApiError(Exception):
    """A client error: ``{"error": message, **extra}`` with ``status``."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


def not_found() -> ApiError:
    return ApiError(404, NOT_FOUND)


def unprocessable(error: ValidationError) -> ApiError:
    """A domain ValidationError as Mastodon's 422 "Validation failed: ..." with details."""
    if hasattr(error, "error_dict"):
        details = {k: [str(m) for m in v[0].messages] for k, v in error.error_dict.items()}
        text = "; ".join(m for messages in details.values() for m in messages)
        return ApiError(422, f"Validation failed: {text}", details=details)
    return ApiError(422, f"Validation failed: {'; '.join(error.messages)}")


@dataclass
class Reply:
    """A response other than a plain 200: another status, headers, or no JSON body."""

    data: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Param:
    """A documented parameter: ``type`` is an OpenAPI type (string, integer, boolean,
    number, array, object, or "file")."""

    name: str
    type: str = "string"
    description: str = ""
    required: bool = False
    items: str = "string"
    enum: tuple[str, ...] = ()


@dataclass
class Endpoint:
    method: str
    path: str
    view: Callable[..., Any]
    auth: str
    scope: str | None
    params: tuple[Param, ...]
    summary: str
    tag: str
    paginated: bool


REGISTRY: list[Endpoint] = []

# Pagination parameters, documented on every paginated endpoint.
PAGE_PARAMS = (
    Param("max_id", description="Items older than this id"),
    Param("since_id", description="Items newer than this id"),
    Param("min_id", description="Items immediately newer than this id"),
    Param("limit", "integer", "How many items (clamped to the endpoint's maximum)"),
)


def json_response(data: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(
        orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS),
        status=status,
        content_type="application/json; charset=utf-8",
    )


def error_response(status: int, message: str, **extra: Any) -> HttpResponse:
    return json_response({"error": message, **extra}, status)


def _token_value(request: HttpRequest) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        kind, _space, value = header.partition(" ")
        return value.strip() if kind.lower() == "bearer" else ""
    value = request.GET.get("access_token")
    if value is None and request.method == "POST":
        value = request.POST.get("access_token")
    return value


def find_token(raw: str) -> AccessToken | None:
    """The live access token whose value is ``raw`` (tokens are stored as checksums)."""
    checksum = hashlib.sha256(raw.encode()).hexdigest()
    token = (
        AccessToken.objects.select_related("user", "user__account", "application")
        .filter(token_checksum=checksum)
        .first()
    )
    if token is None or token.is_expired():
        return None
    return token


def authenticate(request: HttpRequest, auth: str) -> None:
    """Set ``request.token`` and ``request.account`` (None for anonymous callers and app
    tokens) or raise 401/422. ``request.user`` becomes the token's user, or anonymous: the API
    acts on bearer tokens only, never on the session cookie a browser sends along."""
    request.token = None
    request.account = None
    request.user = AnonymousUser()
    if auth == NONE:
        return
    raw = _token_value(request)
    if raw is None:
        if auth in (USER, APP):
            raise ApiError(401, INVALID_TOKEN)
        return
    token = find_token(raw) if raw else None
    if token is None:
        raise ApiError(401, INVALID_TOKEN)
    if token.user is not None:
        refusal = login_refusal_code(token.user)
        if refusal is not None:
            raise ApiError(401, REFUSALS[refusal])
        request.user = token.user
        request.account = token.user.account
    elif auth == USER:
        raise ApiError(422, NEEDS_USER)
    request.token = token


def check_scope(request: HttpRequest, scope: str | None) -> None:
    token = request.token
    if scope is None or token is None:
        return
    if not scopes.covers(token.scope.split(), scope):
        raise ApiError(403, OUT_OF_SCOPE)


def _rate_headers(request: HttpRequest) -> dict[str, str]:
    """Count this request against its account (or address) and say where it stands."""
    from wikisocial.core.ratelimit import client_ip

    who = f"account:{request.account.pk}" if request.account else f"ip:{client_ip(request)}"
    window_start = int(datetime.now(UTC).timestamp()) // RATE_WINDOW * RATE_WINDOW
    used = count_hit(f"api:{who}:{window_start}", RATE_WINDOW)
    reset = datetime.fromtimestamp(window_start, UTC) + timedelta(seconds=RATE_WINDOW)
    headers = {
        "X-RateLimit-Limit": str(RATE_LIMIT),
        "X-RateLimit-Remaining": str(max(0, RATE_LIMIT - used)),
        "X-RateLimit-Reset": reset.isoformat().replace("+00:00", "Z"),
    }
    if used > RATE_LIMIT:
        raise _Throttled(headers)
    return headers


class _Throttled(Exception):
    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers


def _has_nul(value: Any) -> bool:
    """Whether a NUL character hides anywhere in ``value`` (PostgreSQL can't store one, and no
    text a person writes contains one)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _refuse_nul(params: dict[str, Any]) -> None:
    """A 422 naming the first parameter with a NUL in it (as a validation error would)."""
    for name, value in params.items():
        if _has_nul(name) or _has_nul(value):
            message = "may not contain NUL characters"
            raise ApiError(422, f"Validation failed: {name} {message}", details={name: [message]})


def _run(request: HttpRequest, ep: Endpoint, kwargs: dict[str, Any]) -> HttpResponse:
    headers: dict[str, str] = {}
    try:
        authenticate(request, ep.auth)
        check_scope(request, ep.scope)
        if settings.API_RATE_LIMITS:
            headers = _rate_headers(request)
        request.params = Params(read(request))
        _refuse_nul({**kwargs, **request.params.data})
        result = ep.view(request, **kwargs)
    except _Throttled as throttled:
        response = error_response(429, "Too many requests")
        headers = throttled.headers
    except ApiError as error:
        response = error_response(error.status, error.message, **error.extra)
    except Invalid as error:
        response = error_response(422, f"Validation failed: {error.name} {error.message}")
    except BadParams as error:
        response = error_response(400, str(error))
    except ValidationError as error:
        err = unprocessable(error)
        response = error_response(err.status, err.message, **err.extra)
    else:
        if isinstance(result, HttpResponse):
            response = result
        elif isinstance(result, Reply):
            response = (
                json_response(result.data, result.status)
                if result.data is not None or result.status == 200
                else HttpResponse(status=result.status)
            )
            headers = {**headers, **result.headers}
        else:
            response = json_response(result)
    for name, value in headers.items():
        response[name] = value
    return response


def endpoint(
    method: str,
    path: str,
    *,
    auth: str = USER,
    scope: str | None = None,
    params: tuple[Param, ...] = (),
    summary: str = "",
    tag: str = "",
    paginated: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a client-API endpoint (see the module's docstring)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        REGISTRY.append(
            Endpoint(
                method=method,
                path=path,
                view=view,
                auth=auth,
                scope=scope,
                params=params + (PAGE_PARAMS if paginated else ()),
                summary=summary or (view.__doc__ or "").strip().split("\n")[0],
                tag=tag or path.split("/")[1],
                paginated=paginated,
            )
        )
        return view

    return decorator


# Browser apps (Elk, Phanpy, Mastodon's own web app elsewhere) call the API across origins. It is
# safe to let every origin in: the API reads bearer tokens only, never the session cookie.
CORS_REQUEST_HEADERS = "Authorization, Content-Type, Idempotency-Key"
CORS_EXPOSED_HEADERS = (
    "Link, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Idempotency-Key"
)


def with_cors(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = CORS_EXPOSED_HEADERS
    return response


def dispatcher(endpoints: list[Endpoint]) -> Callable[..., HttpResponse]:
    """One Django view for one path, choosing the endpoint by method."""
    by_method = {ep.method: ep for ep in endpoints}
    if "GET" in by_method and "HEAD" not in by_method:
        by_method["HEAD"] = by_method["GET"]

    allow = ", ".join(sorted(by_method))

    @csrf_exempt
    def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        ep = by_method.get(request.method or "")
        if request.method == "OPTIONS":
            response = HttpResponse(status=200)
            response["Access-Control-Allow-Methods"] = allow
            response["Access-Control-Allow-Headers"] = CORS_REQUEST_HEADERS
            response["Access-Control-Max-Age"] = "86400"
        elif ep is None:
            response = error_response(405, "Method not allowed")
        else:
            response = _run(request, ep, kwargs)
        response["Allow"] = allow
        return with_cors(response)

    return view


# --- pagination -------------------------------------------------------------------------


def cursor(request: HttpRequest, *, default: int = 20, maximum: int = 40) -> Cursor:
    return cursor_from(request.GET, default=default, maximum=maximum)


def link_header(request: HttpRequest, next_max_id: Any, prev_min_id: Any) -> dict[str, str]:
    """Mastodon's ``Link`` header: the older page (``rel="next"``, ``max_id``) and the newer
    one (``rel="prev"``, ``min_id``), keeping the request's other query parameters."""
    if next_max_id is None and prev_min_id is None:
        return {}
    kept = [
        (key, value)
        for key, values in request.GET.lists()
        for value in values
        if key not in ("max_id", "min_id", "since_id", "access_token")
    ]
    base = settings.SITE_URL + request.path
    links = []
    if next_max_id is not None:
        links.append(f'<{base}?{urlencode([*kept, ("max_id", next_max_id)])}>; rel="next"')
    if prev_min_id is not None:
        links.append(f'<{base}?{urlencode([*kept, ("min_id", prev_min_id)])}>; rel="prev"')
    return {"Link": ", ".join(links)}


def paged(request: HttpRequest, data: list, next_max_id: Any, prev_min_id: Any) -> Reply:
    """A page of ``data`` with its Link header."""
    return Reply(data, headers=link_header(request, next_max_id, prev_min_id))


def viewer(request: HttpRequest) -> Account | None:
    return request.account
