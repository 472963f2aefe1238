"""Search (Mastodon's v2, and the old v1 shape): accounts by name, hashtags by prefix, the
viewer's own posts by their words, and ``@user@domain`` or a URL looked up, on its server with
``resolve=true``.

What may be searched follows Mastodon's defaults without a search engine: posts only for
people logged in, and only among the posts they wrote, were mentioned in, liked or bookmarked
(Mastodon's ``searchable_by``), each one checked with the one visibility rule. A lookup on
another server needs a user token and counts against that person's lookup limit
(``federation.resolve``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Q, QuerySet, Value, When
from django.http import HttpRequest

from wikisocial.accounts.models import Account, User
from wikisocial.api import serializers
from wikisocial.api.base import OPTIONAL, ApiError, Param, cursor, endpoint
from wikisocial.api.views.tags import tag_entities
from wikisocial.core.markup import normalize_hashtag
from wikisocial.federation import resolve
from wikisocial.posts.models import Bookmark, Hashtag, Like, Mention, Post
from wikisocial.social.models import Follow
from wikisocial.timelines.queries import hashtags_known_to

TYPES = ("accounts", "statuses", "hashtags")
NO_QUERY = "param is missing or the value is empty: q"
RESOLVE_NEEDS_USER = (
    "Search queries that resolve remote resources are not supported without authentication"
)
OFFSET_NEEDS_USER = "Search queries pagination is not supported without authentication"
PARAMS = (
    Param("q", description="What to look for", required=True),
    Param("type", description="Only this kind of result", enum=TYPES),
    Param("resolve", "boolean", "Look up a handle or URL on its server (needs a user token)"),
    Param("following", "boolean", "Only accounts the viewer follows"),
    Param("account_id", description="Only statuses by this account"),
    Param("exclude_unreviewed", "boolean", "Ignored: hashtags are not reviewed here"),
    Param("max_id", description="Statuses older than this id"),
    Param("min_id", description="Statuses newer than this id"),
    Param("limit", "integer", "Results per kind (default 20, max 40)"),
    Param("offset", "integer", "Skip this many (with type; needs a user token)"),
)


@dataclass
class Search:
    """One search as asked."""

    query: str
    kind: str  # "" for every kind
    viewer: Account | None
    limit: int
    offset: int
    resolve: bool
    following: bool
    account_id: int | None
    max_id: int | None
    min_id: int | None

    @property
    def user(self) -> User | None:
        return self.viewer.user if self.viewer is not None else None

    def wants(self, kind: str) -> bool:
        return self.kind in ("", kind)


@dataclass
class Found:
    accounts: list[Account] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    hashtags: list[Hashtag] = field(default_factory=list)


def _read(request: HttpRequest) -> Search:
    params = request.params
    query = params.str("q").strip()[: resolve.MAX_QUERY]
    if not query:
        raise ApiError(400, NO_QUERY)
    viewer = request.account
    wants_resolve = params.bool("resolve")
    if viewer is None and wants_resolve:
        raise ApiError(401, RESOLVE_NEEDS_USER)
    if viewer is None and "offset" in params:
        raise ApiError(401, OFFSET_NEEDS_USER)
    kind = params.str("type")
    page = cursor(request, default=20, maximum=40)
    return Search(
        query=query,
        kind=kind,
        viewer=viewer,
        limit=page.limit,
        # Mastodon skips only within one kind of result.
        offset=max(0, params.int("offset") or 0) if kind else 0,
        resolve=wants_resolve,
        following=params.bool("following"),
        account_id=params.id("account_id"),
        max_id=page.max_id,
        min_id=page.min_id,
    )


# --- finding -------------------------------------------------------------------------------


def _followed_only(accounts: QuerySet, search: Search) -> QuerySet:
    if not search.following or search.viewer is None:
        return accounts
    followed = Follow.objects.filter(follower=search.viewer).values("target_id")
    return accounts.filter(pk__in=followed)


def _accounts_named(search: Search) -> list[Account]:
    """Accounts whose username starts with the words, or whose display name holds them: an
    exact username first, then ours before other servers', then the most followed."""
    name = search.query.removeprefix("@")
    matches = Account.objects.visible_to(search.user).filter(
        Q(username__istartswith=name) | Q(display_name__icontains=name)
    )
    exact = Case(When(username__iexact=name, then=Value(0)), default=Value(1))
    ordered = _followed_only(matches, search).order_by(exact, "domain", "-followers_count", "pk")
    return list(ordered[search.offset : search.offset + search.limit])


def _hashtags_starting(search: Search) -> list[Hashtag]:
    name = normalize_hashtag(search.query.lstrip("#"))
    if not name:
        return []
    tags = hashtags_known_to(Hashtag.objects.filter(name__startswith=name), search.viewer)
    tags = tags.order_by("name")
    return list(tags[search.offset : search.offset + search.limit])


def _searchable_posts(viewer: Account) -> QuerySet:
    """The posts ``viewer`` may search by their words: their own, and those they were
    mentioned in, liked or bookmarked, while they may still see them."""
    involved = (
        Q(author=viewer)
        | Q(pk__in=Mention.objects.filter(account=viewer).values("post_id"))
        | Q(pk__in=Like.objects.filter(account=viewer).values("post_id"))
        | Q(pk__in=Bookmark.objects.filter(account=viewer).values("post_id"))
    )
    return Post.objects.visible_to(viewer).filter(involved, boost_of__isnull=True)


def _posts_saying(search: Search) -> list[Post]:
    text = search.query
    qs = _searchable_posts(search.viewer).filter(
        Q(local=True, content__icontains=text) | Q(local=False, content_html__icontains=text)
    )
    if search.account_id is not None:
        qs = qs.filter(author_id=search.account_id)
    if search.max_id is not None:
        qs = qs.filter(pk__lt=search.max_id)
    if search.min_id is not None:
        qs = qs.filter(pk__gt=search.min_id)
    return list(qs.order_by("-id")[search.offset : search.offset + search.limit])


def _visible(found: Account | Post | None, search: Search) -> Found:
    """What a lookup found, if the viewer may see it."""
    if isinstance(found, Account):
        accounts = Account.objects.visible_to(search.user).filter(pk=found.pk)
        return Found(accounts=list(_followed_only(accounts, search)))
    if isinstance(found, Post):
        return Found(posts=list(Post.objects.visible_to(search.viewer).filter(pk=found.pk)))
    return Found()


def _looked_up(search: Search) -> Found:
    """A handle or URL: asked of its server when ``resolve`` (federation.resolve keeps to the
    viewer's lookup limit and checks visibility), else only what we already hold."""
    if search.resolve and search.viewer is not None:
        results = resolve.search(search.query, search.user)
        found = results.accounts[:1] or results.posts[:1]
        return _visible(found[0] if found else None, search)
    if search.query.startswith(("https://", "http://")):
        return _visible(resolve.resolve_url(search.query, fetch=False), search)
    handle = resolve.parse_handle(search.query)
    return _visible(resolve.resolve_handle(*handle, fetch=False), search)


def _is_lookup(query: str) -> bool:
    return query.startswith(("https://", "http://")) or resolve.parse_handle(query) is not None


def find(search: Search) -> Found:
    """Everything the search asks for, each kind only when wanted (as Mastodon decides)."""
    if search.kind and search.kind not in TYPES:
        return Found()
    query = search.query
    if _is_lookup(query):
        found = Found() if search.offset else _looked_up(search)
        return Found(
            accounts=found.accounts if search.wants("accounts") else [],
            posts=found.posts if search.wants("statuses") else [],
        )
    found = Found()
    if search.wants("accounts") and not query.startswith("#"):
        found.accounts = _accounts_named(search)
    if search.wants("hashtags") and "@" not in query:
        found.hashtags = _hashtags_starting(search)
    if search.wants("statuses") and search.viewer is not None and not query.startswith("#"):
        found.posts = _posts_saying(search)
    return found


# --- answering --------------------------------------------------------------------------------


def _entities(found: Found, viewer: Account | None) -> dict[str, Any]:
    return {
        "accounts": serializers.accounts(found.accounts),
        "statuses": serializers.statuses(found.posts, viewer),
    }


@endpoint(
    "GET",
    "v2/search",
    auth=OPTIONAL,
    scope="read:search",
    params=PARAMS,
    tag="search",
    summary="Search accounts, statuses and hashtags",
)
def search_v2(request: HttpRequest) -> dict[str, Any]:
    found = find(_read(request))
    return {
        **_entities(found, request.account),
        "hashtags": tag_entities(found.hashtags, request.account),
        "collections": [],
    }


@endpoint(
    "GET",
    "v1/search",
    auth=OPTIONAL,
    scope="read:search",
    params=PARAMS,
    tag="search",
    summary="Search, with hashtags as plain names (Mastodon's first form)",
)
def search_v1(request: HttpRequest) -> dict[str, Any]:
    found = find(_read(request))
    names = [tag.display_name or tag.name for tag in found.hashtags]
    return {**_entities(found, request.account), "hashtags": names}
