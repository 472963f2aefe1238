"""How other servers and clients find us: WebFinger (RFC 7033) turns ``acct:name@domain`` or
an actor URL into the actor's id, host-meta (RFC 6415) points older software at WebFinger, and
NodeInfo describes the server (software, protocols, usage).

Every document here is public and read-only: GET and HEAD only, ``Access-Control-Allow-Origin:
*`` so web clients can read them, and no CSRF check (a POST gets 405, not 403)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import quoteattr

import orjson
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

import wikisocial
from wikisocial.accounts.models import Account
from wikisocial.federation.jsonld import ACTIVITY_JSON
from wikisocial.federation.urls_util import absolute, actor_id, instance_actor_id
from wikisocial.instance.models import InstanceSettings, RegistrationMode
from wikisocial.posts.models import Post

JRD = "application/jrd+json; charset=utf-8"
JSON = "application/json; charset=utf-8"
XRD = "application/xrd+xml; charset=utf-8"
PROFILE_PAGE = "http://webfinger.net/rel/profile-page"
NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/{version}"
NODEINFO_VERSIONS = ("2.0", "2.1")
SOFTWARE_NAME = "wikisocial"  # NodeInfo requires ^[a-z0-9-]+$
USAGE_CACHE_KEY = "nodeinfo:usage"
USAGE_CACHE_SECONDS = 5 * 60
DEFAULT_PORTS = {"http": "80", "https": "443"}


class BadResource(ValueError):
    """The resource is missing, malformed or names something on another server (400)."""


# --- responses ------------------------------------------------------------------------------


def _json(document: dict, content_type: str = JSON, status: int = 200) -> HttpResponse:
    response = HttpResponse(orjson.dumps(document), status=status, content_type=content_type)
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _error(message: str, status: int) -> HttpResponse:
    return _json({"error": message}, status=status)


def _webfinger_url() -> str:
    return absolute(reverse("discovery:webfinger"))


# --- WebFinger ------------------------------------------------------------------------------


def _username_from_acct(resource: str) -> str:
    """``acct:name@domain`` (RFC 7565; ``acct:@name@domain`` and a group's ``acct:!name@domain``
    tolerated) → name."""
    user, at, host = resource[len("acct:") :].rpartition("@")
    user = unquote(user).removeprefix("@").removeprefix("!")
    if not (at and user and host) or "@" in user or not user.isprintable() or " " in user:
        raise BadResource("resource must look like acct:name@domain")
    if host.lower() != settings.DOMAIN.lower():
        raise BadResource("resource is not on this server")
    return user


def _host(scheme: str, netloc: str) -> str:
    """host[:port] as settings.DOMAIN spells it: lower case, without the scheme's default port."""
    netloc = netloc.lower()
    default = DEFAULT_PORTS[scheme]
    return netloc.removesuffix(f":{default}")


def _target_from_url(resource: str) -> tuple[str, str]:
    """An actor URL → ("instance", "") or ("account", username)."""
    try:
        parts = urlsplit(resource)
    except ValueError as e:
        raise BadResource("resource is not a valid URL") from e
    if not parts.netloc:
        raise BadResource("resource is not a valid URL")
    if _host(parts.scheme.lower(), parts.netloc) != settings.DOMAIN.lower():
        raise BadResource("resource is not on this server")
    try:
        match = resolve(unquote(parts.path) or "/")
    except Resolver404:
        raise Http404 from None
    if match.view_name == "federation:instance-actor":
        return "instance", ""
    if match.view_name == "web:profile":
        return "account", match.kwargs["username"]
    if match.view_name == "communities:group" and "@" not in match.kwargs["handle"]:
        return "account", match.kwargs["handle"]  # a group of ours (hidden ones stay unknown)
    raise Http404


def _target(resource: str) -> tuple[str, str]:
    """What a WebFinger resource names: ("instance", "") or ("account", username). Raises
    BadResource (400) or Http404."""
    if not resource:
        raise BadResource("the resource parameter is required")
    if not resource.isprintable():
        raise BadResource("resource must be an acct: URI or an actor URL")
    scheme = resource.partition(":")[0].lower()
    if scheme in ("http", "https"):
        return _target_from_url(resource)
    if scheme != "acct":
        raise BadResource("resource must be an acct: URI or an actor URL")
    name = _username_from_acct(resource)
    if name.lower() == settings.DOMAIN.lower():
        return "instance", ""  # Mastodon's convention: the instance actor is domain@domain
    return "account", name


def _descriptor(target: tuple[str, str]) -> dict:
    kind, username = target
    if kind == "instance":
        actor, profile = instance_actor_id(), absolute(reverse("web:about"))
        subject = f"acct:{settings.DOMAIN}@{settings.DOMAIN}"
    else:
        try:
            account = Account.objects.visible_to(None).local().get(username__iexact=username)
        except Account.DoesNotExist:
            raise Http404 from None
        actor = profile = actor_id(account)
        subject = f"acct:{account.username}@{settings.DOMAIN}"
    return {
        "subject": subject,
        "aliases": list(dict.fromkeys([actor, profile])),
        "links": [
            {"rel": "self", "type": ACTIVITY_JSON, "href": actor},
            {"rel": PROFILE_PAGE, "type": "text/html", "href": profile},
        ],
    }


@csrf_exempt
@require_safe
def webfinger(request: HttpRequest) -> HttpResponse:
    """RFC 7033: the JRD of a local account or the instance actor. ``rel`` parameters, if any,
    keep only the links with those relations (§4.3)."""
    try:
        descriptor = _descriptor(_target(request.GET.get("resource", "").strip()))
    except BadResource as e:
        return _error(str(e), 400)
    except Http404:
        return _error("no such account here", 404)
    if rels := request.GET.getlist("rel"):
        descriptor["links"] = [link for link in descriptor["links"] if link["rel"] in rels]
    return _json(descriptor, JRD)


# --- host-meta ------------------------------------------------------------------------------


def _lrdd_template() -> str:
    return _webfinger_url() + "?resource={uri}"


@csrf_exempt
@require_safe
def host_meta(request: HttpRequest) -> HttpResponse:
    """RFC 6415 XRD whose ``lrdd`` template is our WebFinger endpoint."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template={quoteattr(_lrdd_template())}/>\n'
        "</XRD>\n"
    )
    response = HttpResponse(body, content_type=XRD)
    response["Access-Control-Allow-Origin"] = "*"
    return response


@csrf_exempt
@require_safe
def host_meta_json(request: HttpRequest) -> HttpResponse:
    return _json({"links": [{"rel": "lrdd", "template": _lrdd_template()}]})


# --- NodeInfo -------------------------------------------------------------------------------


def _count_usage() -> dict:
    """Visible local accounts, those active (logged in or posted) within 30 and 180 days, and
    local posts that are not deleted and not boosts. One query each."""
    now = timezone.now()

    def active_within(days: int) -> Q:
        since = now - timedelta(days=days)
        return Q(user__last_login__gte=since) | Q(last_post_at__gte=since)

    users = (
        Account.objects.visible_to(None)
        .local()
        .aggregate(
            total=Count("pk"),
            activeMonth=Count("pk", filter=active_within(30)),
            activeHalfyear=Count("pk", filter=active_within(180)),
        )
    )
    posts = Post.objects.filter(local=True, deleted_at__isnull=True, boost_of__isnull=True)
    return {"users": users, "localPosts": posts.count()}


def _usage() -> dict:
    return cache.get_or_set(USAGE_CACHE_KEY, _count_usage, USAGE_CACHE_SECONDS)


def _nodeinfo_document(version: str) -> dict:
    instance = InstanceSettings.current()
    return {
        "version": version,
        "software": {"name": SOFTWARE_NAME, "version": wikisocial.__version__},
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": instance.registration_mode == RegistrationMode.OPEN,
        "usage": _usage(),
        "metadata": {"nodeName": instance.name, "nodeDescription": instance.description},
    }


@csrf_exempt
@require_safe
def nodeinfo_links(request: HttpRequest) -> HttpResponse:
    """/.well-known/nodeinfo: where each NodeInfo version we serve lives."""
    links = [
        {
            "rel": NODEINFO_SCHEMA.format(version=version),
            "href": absolute(reverse("discovery:nodeinfo", kwargs={"version": version})),
        }
        for version in NODEINFO_VERSIONS
    ]
    return _json({"links": links})


@csrf_exempt
@require_safe
def nodeinfo(request: HttpRequest, version: str) -> HttpResponse:
    if version not in NODEINFO_VERSIONS:
        return _error("unknown NodeInfo version", 404)
    profile = NODEINFO_SCHEMA.format(version=version) + "#"
    return _json(_nodeinfo_document(version), f'application/json; profile="{profile}"')
