"""Trends on this server: hashtags used by the most people in the past week, the most liked
and boosted recent posts; links are not tracked (always an empty list)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest

from wikisocial.api.base import OPTIONAL, Param, Reply, endpoint
from wikisocial.api.serializers import statuses
from wikisocial.api.views.tags import tag_entities
from wikisocial.core.pagination import as_id
from wikisocial.timelines import trends

MAX_OFFSET = 10_000  # deeper pages of trends are not worth a query


def _params(default: int) -> tuple[Param, ...]:
    return (
        Param("limit", "integer", f"How many (default {default})"),
        Param("offset", "integer", "Skip this many, to page"),
    )


def _window(request: HttpRequest, default: int, maximum: int) -> tuple[int, int]:
    """``limit`` (clamped) and ``offset``; values that are no whole number are ignored."""
    limit = as_id(request.params.str("limit")) or default
    offset = as_id(request.params.str("offset")) or 0
    return max(1, min(maximum, limit)), min(offset, MAX_OFFSET)


def _page(request: HttpRequest, data: list, limit: int, offset: int) -> Reply:
    """A page with Mastodon's ``Link: <…?offset=…>; rel="next"`` when it is full."""
    if len(data) < limit:
        return Reply(data)
    query = urlencode({"limit": limit, "offset": offset + limit})
    return Reply(data, headers={"Link": f'<{settings.SITE_URL}{request.path}?{query}>; rel="next"'})


@endpoint(
    "GET",
    "v1/trends/tags",
    auth=OPTIONAL,
    params=_params(10),
    tag="trends",
    summary="Hashtags used by the most people here in the past week",
)
def tags(request: HttpRequest) -> Reply:
    limit, offset = _window(request, 10, 20)
    found = trends.trending_tags(limit, offset)
    return _page(request, tag_entities(found, request.account), limit, offset)


@endpoint(
    "GET",
    "v1/trends",
    auth=OPTIONAL,
    params=_params(10),
    tag="trends",
    summary="Trending hashtags (the old path of /api/v1/trends/tags)",
)
def tags_old_path(request: HttpRequest) -> Reply:
    return tags(request)


@endpoint(
    "GET",
    "v1/trends/statuses",
    auth=OPTIONAL,
    params=_params(20),
    tag="trends",
    summary="Recent posts of this server that were liked and boosted most",
)
def trending_statuses(request: HttpRequest) -> Reply:
    limit, offset = _window(request, 20, 40)
    posts = trends.trending_posts(request.account, limit, offset)
    return _page(request, statuses(posts, request.account, "public"), limit, offset)


@endpoint(
    "GET",
    "v1/trends/links",
    auth=OPTIONAL,
    params=_params(10),
    tag="trends",
    summary="Trending links (not tracked here: always empty)",
)
def links(request: HttpRequest) -> list[Any]:
    return []
