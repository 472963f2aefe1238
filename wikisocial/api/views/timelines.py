"""Timelines: home, public, hashtag, list and (Mastodon's deprecated) direct. Each page is
serialised in two passes with the viewer's filters for that timeline applied."""

from __future__ import annotations

from django.http import HttpRequest

from wikisocial.api.base import OPTIONAL, Param, Reply, cursor, endpoint, not_found, paged
from wikisocial.api.serializers import statuses
from wikisocial.core.markup import normalize_hashtag
from wikisocial.core.pagination import as_id
from wikisocial.timelines import queries
from wikisocial.timelines.models import List

PUBLIC_PARAMS = (
    Param("local", "boolean", "Only posts of this server"),
    Param("remote", "boolean", "Only posts of other servers"),
    Param("only_media", "boolean", "Only posts with media attached"),
)


def _page(request: HttpRequest, timeline: queries.Timeline, context: str | None) -> Reply:
    data = statuses(timeline.posts, request.account, context)
    return paged(request, data, timeline.page.next_max_id, timeline.page.prev_min_id)


def _local_only(request: HttpRequest) -> bool | None:
    """Mastodon's ``local``/``remote``: one of them narrows the timeline, both or neither
    leave it whole."""
    local, remote = request.params.bool("local"), request.params.bool("remote")
    if local == remote:
        return None
    return local


@endpoint(
    "GET",
    "v1/timelines/home",
    scope="read:statuses",
    paginated=True,
    tag="timelines",
    summary="The viewer's home timeline: followed accounts and hashtags",
)
def home(request: HttpRequest) -> Reply:
    return _page(request, queries.home(request.account, cursor(request)), "home")


@endpoint(
    "GET",
    "v1/timelines/public",
    auth=OPTIONAL,
    scope="read:statuses",
    params=PUBLIC_PARAMS,
    paginated=True,
    tag="timelines",
    summary="Public posts of this server and others",
)
def public(request: HttpRequest) -> Reply:
    only_media = request.params.bool("only_media")
    local_only = _local_only(request)
    if local_only:
        timeline = queries.local(request.account, cursor(request), only_media=only_media)
    else:
        timeline = queries.federated(
            request.account, cursor(request), remote_only=local_only is False, only_media=only_media
        )
    return _page(request, timeline, "public")


@endpoint(
    "GET",
    "v1/timelines/tag/<hashtag>",
    auth=OPTIONAL,
    scope="read:statuses",
    params=(
        Param("any", "array", "Posts with any of these hashtags too"),
        Param("all", "array", "Only posts that also have all these hashtags"),
        Param("none", "array", "Only posts that have none of these hashtags"),
        *PUBLIC_PARAMS,
    ),
    paginated=True,
    tag="timelines",
    summary="Public posts with a hashtag",
)
def tag(request: HttpRequest, hashtag: str) -> Reply:
    name = normalize_hashtag(hashtag.lstrip("#"))
    if not name:
        return Reply([])
    timeline = queries.hashtag(
        name,
        request.account,
        cursor(request),
        any_of=request.params.strs("any"),
        all_of=request.params.strs("all"),
        none_of=request.params.strs("none"),
        local_only=_local_only(request),
        only_media=request.params.bool("only_media"),
    )
    return _page(request, timeline, "public")


@endpoint(
    "GET",
    "v1/timelines/list/<list_id>",
    scope="read:lists",
    paginated=True,
    tag="timelines",
    summary="Posts of a list's members",
)
def list_timeline(request: HttpRequest, list_id: str) -> Reply:
    found = List.objects.filter(pk=as_id(list_id), account=request.account).first()
    if found is None:
        raise not_found()
    return _page(request, queries.list_timeline(found, cursor(request)), "home")


@endpoint(
    "GET",
    "v1/timelines/direct",
    scope="read:statuses",
    paginated=True,
    tag="timelines",
    summary="Direct posts to and from the viewer (deprecated: use conversations)",
)
def direct(request: HttpRequest) -> Reply:
    return _page(request, queries.direct(request.account, cursor(request)), None)
