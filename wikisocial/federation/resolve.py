"""Finding accounts and posts by what people type: ``@user@domain`` (WebFinger, then the actor
document) or a URL (the ActivityPub document behind it), and the search that uses both.

Everything here answers from our own tables first; the network is asked only for what we don't
know yet (or an account last fetched more than a day ago, when asked). Our own domain never
leaves the machine. Failures are logged and give None: a lookup never raises to a view."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import unquote, urlencode, urlsplit

import orjson
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from wikisocial.accounts.models import Account, User
from wikisocial.core.http import (
    ACTIVITYPUB_ACCEPT,
    FetchError,
    fetch_activitypub,
    is_activitypub_content_type,
    safe_request,
)
from wikisocial.core.markup import normalize_hashtag
from wikisocial.core.ratelimit import Limit, over_limit
from wikisocial.federation.actors import (
    ACTOR_TYPES,
    ActorError,
    fetch_actor,
    host_of,
    instance_signer,
    store_actor,
)
from wikisocial.federation.jsonld import type_of
from wikisocial.posts.models import Hashtag, Post

logger = logging.getLogger(__name__)

FRESH_FOR = timedelta(days=1)
MAX_QUERY = 500
RESULTS = 20
# Lookups that may reach other servers, per account (the search box is not a crawler).
LOOKUP_LIMIT = Limit(20, 60)
JRD_ACCEPT = "application/jrd+json, application/json;q=0.9"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
DOMAIN = re.compile(rf"^(?:{_LABEL}\.)*{_LABEL}(?::[0-9]{{1,5}})?$")
# ``@user@domain``; ``!group@domain`` is how Lemmy and Mbin write a group's handle.
HANDLE = re.compile(r"^[@!]?(?P<user>[^@\s/]{1,255})@(?P<domain>[^@\s/]{1,260})$")
PROFILE_PATH = re.compile(r"^/@(?P<user>[^@/]{1,255})/?$")


class ResolveError(Exception):
    """A handle or URL could not be turned into an account or a post; the message says why."""


# --- handles ---------------------------------------------------------------------------------


def is_own_domain(domain: str) -> bool:
    return domain.lower() == settings.DOMAIN.lower()


def normalize_domain(domain: str) -> str | None:
    """host[:port] as our tables spell it (lower case, IDNA), or None when it isn't one."""
    domain = domain.strip().lower().rstrip(".")
    host, colon, port = domain.partition(":")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    domain = f"{host}{colon}{port}"
    return domain if DOMAIN.match(domain) and len(host) <= 253 else None


def split_handle(handle: str) -> tuple[str, str]:
    """``name`` → (name, ""), ``name@domain`` → (name, domain); our own domain is local ("").
    The inverse of ``Account.url_handle``."""
    name, _at, domain = handle.removeprefix("@").partition("@")
    if not domain or is_own_domain(domain):
        return name, ""
    return name, domain.lower()


def parse_handle(query: str) -> tuple[str, str] | None:
    """``@user@domain``, ``!group@domain`` or ``user@domain`` → (user, domain); None for
    anything else."""
    match = HANDLE.match(query.strip())
    if match is None:
        return None
    domain = normalize_domain(match["domain"])
    return (match["user"], domain) if domain else None


def _scheme(domain: str) -> str:
    """https, except for instances side by side in development (localhost, or a port)."""
    dev_like = ":" in domain or domain.split(":")[0].endswith("localhost")
    return "http" if settings.DEV_FEDERATION and dev_like else "https"


def _self_link(document: object) -> str | None:
    """The actor URL in a WebFinger JRD: the ``self`` link with an ActivityPub type."""
    links = document.get("links") if isinstance(document, dict) else None
    candidates = [
        link
        for link in (links if isinstance(links, list) else [])
        if isinstance(link, dict)
        and link.get("rel") == "self"
        and isinstance(link.get("href"), str)
        and link["href"].startswith(("https://", "http://"))
    ]
    typed = [c for c in candidates if is_activitypub_content_type(str(c.get("type", "")))]
    untyped = [c for c in candidates if "type" not in c]
    chosen = (typed or untyped or [None])[0]
    return chosen["href"] if chosen else None


def webfinger(username: str, domain: str) -> str:
    """The actor URL of ``username@domain``, asked of that domain's WebFinger endpoint.
    Raises ResolveError (or FetchError when the request itself fails)."""
    if normalize_domain(domain) != domain.lower():
        raise ResolveError(f"not a domain: {domain!r}")
    resource = urlencode({"resource": f"acct:{username}@{domain}"})
    url = f"{_scheme(domain)}://{domain}/.well-known/webfinger?{resource}"
    response = safe_request("GET", url, headers={"Accept": JRD_ACCEPT}, max_bytes=100_000)
    if response.status != 200:
        raise ResolveError(f"WebFinger at {domain} answered {response.status}")
    try:
        document = orjson.loads(response.body)
    except orjson.JSONDecodeError as exc:
        raise ResolveError(f"WebFinger at {domain} did not answer JSON") from exc
    actor_url = _self_link(document)
    if actor_url is None:
        raise ResolveError(f"WebFinger at {domain} gave no ActivityPub actor for {username}")
    return actor_url


def _known_handle(username: str, domain: str) -> Account | None:
    return Account.objects.filter(domain=domain, username__iexact=username).first()


def _fresh(account: Account) -> bool:
    return account.fetched_at is not None and timezone.now() - account.fetched_at < FRESH_FOR


def _refetch(account: Account) -> Account:
    """The account fetched again from its id; the stored one when that fails."""
    try:
        return store_actor(fetch_activitypub(account.uri, signer=instance_signer))
    except (FetchError, ActorError) as exc:
        logger.info("could not refresh %s: %s", account.handle, exc)
        return account


def resolve_handle(
    username: str, domain: str, *, refresh: bool = False, fetch: bool = True
) -> Account | None:
    """The account ``username@domain``: ours without asking anyone; a remote one we know from
    our tables (fetched again first when ``refresh`` and it is over a day old); else found
    with WebFinger and its actor document, and stored. ``fetch=False`` stays off the network.
    None when there is no such account or its server can't be reached."""
    if not domain or is_own_domain(domain):
        return Account.objects.local().filter(username__iexact=username).first()
    known = _known_handle(username, domain)
    if known is not None:
        stale = refresh and fetch and known.deleted_at is None and not _fresh(known)
        return _refetch(known) if stale and known.uri else known
    if not fetch:
        return None
    try:
        return fetch_actor(webfinger(username, domain))
    except (FetchError, ResolveError, ActorError) as exc:
        logger.info("could not resolve @%s@%s: %s", username, domain, exc)
        return None


# --- URLs ------------------------------------------------------------------------------------


def _on_this_site(url: str) -> Account | Post | None:
    """What one of our own URLs names: a profile or a group (local or remote) or a post."""
    from wikisocial.federation.objects import our_route

    match = our_route(url)
    if match is None:
        return None
    if match.view_name == "web:profile":
        name, domain = split_handle(match.kwargs["username"])
        return _known_handle(name, domain)
    if match.view_name == "communities:group":
        name, domain = split_handle(match.kwargs["handle"])
        return _known_handle(name, domain)
    if match.view_name == "web:post":
        name, domain = split_handle(match.kwargs["username"])
        post = Post.objects.select_related("author").filter(pk=match.kwargs["post_id"]).first()
        author = post.author if post else None
        if author and author.domain == domain and author.username.lower() == name.lower():
            return post
    return None


def _known_url(url: str) -> Account | Post | None:
    account = Account.objects.filter(uri=url).first()
    if account is None:
        account = Account.objects.filter(domain=host_of(url), remote_url=url).first()
    if account is not None:
        return account
    return Post.objects.select_related("author").filter(uri=url, local=False).first()


def _claimed_id(url: str) -> str | None:
    """The id a document says it has, when it is served from another URL on the same server
    (Mastodon serves /@user and /@user/1 as JSON whose ids are /users/user…)."""
    response = safe_request(
        "GET", url, headers={"Accept": ACTIVITYPUB_ACCEPT}, signer=instance_signer
    )
    try:
        document = orjson.loads(response.body)
    except orjson.JSONDecodeError:
        return None
    claimed = document.get("id") if isinstance(document, dict) else None
    if isinstance(claimed, str) and host_of(claimed) == host_of(response.final_url):
        return claimed
    return None


def _fetch_document(url: str) -> dict:
    try:
        return fetch_activitypub(url, signer=instance_signer)
    except FetchError as exc:
        if exc.reason != "id_mismatch":
            raise
    claimed = _claimed_id(url)
    if claimed is None or claimed == url:
        raise ResolveError(f"{url} is not served under its own id")
    return fetch_activitypub(claimed, signer=instance_signer)


def _fetch_url(url: str) -> Account | Post:
    from wikisocial.federation.objects import post_from_document

    document = _fetch_document(url)
    if type_of(document) in ACTOR_TYPES:
        return store_actor(document)
    # The document came from its own id (checked by fetch_activitypub): as fetch_post would.
    return post_from_document(document)


def _profile_handle(url: str) -> tuple[str, str] | None:
    """https://domain/@user → (user, domain): the usual profile address, found by WebFinger."""
    parts = urlsplit(url)
    match = PROFILE_PATH.match(parts.path)
    domain = normalize_domain(parts.netloc)
    return (unquote(match["user"]), domain) if match and domain else None


def resolve_url(url: str, *, fetch: bool = True) -> Account | Post | None:
    """The account or post at ``url``: one of ours, one we hold by its id, or fetched (signed
    by the instance actor) and stored. None when it can't be had."""
    url = url.strip()
    if not url.startswith(("https://", "http://")) or len(url) > 500:
        return None
    try:
        host = host_of(url)
    except ValueError:
        return None
    if is_own_domain(host):
        return _on_this_site(url)
    known = _known_url(url)
    if known is not None or not fetch:
        return known
    if (handle := _profile_handle(url)) and (account := resolve_handle(*handle)):
        return account
    from wikisocial.federation.objects import ObjectError

    try:
        return _fetch_url(url)
    except (FetchError, ResolveError, ActorError, ObjectError, ValidationError) as exc:
        logger.info("could not resolve %s: %s", url, exc)
        return None


# --- search ----------------------------------------------------------------------------------


@dataclass
class SearchResults:
    """What a search found. ``kind`` is "handle", "url", "hashtag" or "text"; ``remote`` says
    whether the lookup could ask other servers (``limited``: not now, too many lookups)."""

    query: str
    kind: str
    accounts: list[Account] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    hashtags: list[Hashtag] = field(default_factory=list)
    remote: bool = False
    limited: bool = False

    @property
    def empty(self) -> bool:
        return not (self.accounts or self.posts or self.hashtags)


def _viewer_account(user: User | AnonymousUser | None) -> Account | None:
    if user is None or not user.is_authenticated:
        return None
    return getattr(user, "account", None)


def _may_fetch(viewer: Account | None, results: SearchResults) -> bool:
    """Only people logged in make us ask other servers, and only so often."""
    if viewer is None:
        return False
    if over_limit("remote-lookup", LOOKUP_LIMIT, f"account:{viewer.pk}"):
        results.limited = True
        return False
    results.remote = True
    return True


def _show(found: Account | Post | None, user, viewer: Account | None, results) -> None:
    """Add what was found, if this viewer may see it."""
    from wikisocial.timelines.queries import with_related

    if isinstance(found, Account):
        results.accounts = list(Account.objects.visible_to(user).filter(pk=found.pk))
    elif isinstance(found, Post):
        visible = Post.objects.visible_to(viewer).filter(pk=found.pk)
        results.posts = list(with_related(visible))


def _text_search(text: str, user) -> list[Account]:
    name = text.removeprefix("@")
    if not name:
        return []
    matches = Account.objects.visible_to(user).filter(
        Q(username__istartswith=name) | Q(display_name__icontains=name)
    )
    exact = Case(When(username__iexact=name, then=Value(0)), default=Value(1))
    ordered = matches.order_by(exact, "domain", "-followers_count", "pk")  # local first
    return list(ordered[:RESULTS])


def search(query: str, user: User | AnonymousUser | None) -> SearchResults:
    """Search for ``query`` as ``user`` sees things: a handle or URL is looked up (on its
    server when we don't know it and the viewer is logged in), ``#tag`` finds hashtags, other
    text finds accounts by name. Only what ``user`` may see comes back."""
    query = query.strip()[:MAX_QUERY]
    viewer = _viewer_account(user)
    if query.startswith(("https://", "http://")):
        results = SearchResults(query, "url")
        found = resolve_url(query, fetch=False)
        if found is None and _may_fetch(viewer, results):
            found = resolve_url(query)
        _show(found, user, viewer, results)
    elif handle := parse_handle(query):
        results = SearchResults(query, "handle")
        found = resolve_handle(*handle, fetch=False)
        stale = found is not None and not found.is_local and not _fresh(found)
        if (found is None or stale) and _may_fetch(viewer, results):
            found = resolve_handle(*handle, refresh=True)
        _show(found, user, viewer, results)
    elif query.startswith("#"):
        results = SearchResults(query, "hashtag")
        name = normalize_hashtag(query[1:])
        if name:
            tags = Hashtag.objects.filter(name__startswith=name).order_by("name")
            results.hashtags = list(tags[:RESULTS])
    else:
        results = SearchResults(query, "text", accounts=_text_search(query, user))
    return results
