"""Hashtags: one hashtag with its use over the past week, following and unfollowing it, and
the hashtags the viewer follows."""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from wikisocial.accounts.models import Account
from wikisocial.api.base import OPTIONAL, Reply, cursor, endpoint, not_found, paged
from wikisocial.api.serializers.accounts import absolute
from wikisocial.core.markup import MAX_HASHTAG_LENGTH, normalize_hashtag
from wikisocial.core.pagination import paginate
from wikisocial.posts.models import Hashtag
from wikisocial.social import actions as social
from wikisocial.social.models import HashtagFollow
from wikisocial.timelines import trends
from wikisocial.timelines.queries import hashtags_known_to

_NAME = re.compile(r"[\w\u200c]+")


def tag_entities(tags: list[Hashtag], viewer: Account | None) -> list[dict[str, Any]]:
    """Tag entities with their history (and ``following`` for a viewer), in two queries for
    any number of hashtags."""
    history = trends.history([t.pk for t in tags])
    followed: set[int] = set()
    if viewer is not None and tags:
        followed = set(
            HashtagFollow.objects.filter(account=viewer, hashtag__in=tags).values_list(
                "hashtag_id", flat=True
            )
        )
    return [_tag(t, history[t.pk], viewer, t.pk in followed) for t in tags]


def _tag(tag: Hashtag, days: list[trends.Day], viewer: Account | None, following: bool) -> dict:
    data: dict[str, Any] = {
        "id": str(tag.pk),
        "name": tag.display_name or tag.name,
        "url": absolute(reverse("web:hashtag", kwargs={"name": tag.name})),
        "history": [
            {
                "day": str(int(day.start.timestamp())),
                "accounts": str(day.accounts),
                "uses": str(day.uses),
            }
            for day in days
        ],
    }
    if viewer is not None:
        data["following"] = following
    return data


def _unknown_tag(written: str, name: str, viewer: Account | None) -> dict[str, Any]:
    """A hashtag nobody used yet: Mastodon shows it, unused (it has no id yet)."""
    tag = Hashtag(name=name, display_name=written)
    data = _tag(tag, trends.quiet_week(), viewer, following=False)
    del data["id"]
    return data


def _valid_name(written: str) -> tuple[str, str]:
    """The hashtag as written and normalised; 404 when it cannot be a hashtag."""
    written = written.lstrip("#")
    name = normalize_hashtag(written)
    if (
        not name
        or len(name) > MAX_HASHTAG_LENGTH
        or not _NAME.fullmatch(name)
        or not any(c.isalpha() for c in name)
    ):
        raise not_found()
    return written, name


def _answer(request: HttpRequest, written: str) -> dict[str, Any]:
    written, name = _valid_name(written)
    tag = hashtags_known_to(Hashtag.objects.filter(name=name), request.account).first()
    if tag is None:
        return _unknown_tag(written, name, request.account)
    return tag_entities([tag], request.account)[0]


@endpoint("GET", "v1/tags/<name>", auth=OPTIONAL, tag="tags", summary="One hashtag")
def show(request: HttpRequest, name: str) -> dict[str, Any]:
    return _answer(request, name)


@endpoint(
    "POST",
    "v1/tags/<name>/follow",
    scope="write:follows",
    tag="tags",
    summary="Follow a hashtag: its posts enter the home timeline",
)
def follow(request: HttpRequest, name: str) -> dict[str, Any]:
    written, _name = _valid_name(name)
    social.follow_hashtag(request.account, written)
    return _answer(request, written)


@endpoint(
    "POST",
    "v1/tags/<name>/unfollow",
    scope="write:follows",
    tag="tags",
    summary="Stop following a hashtag",
)
def unfollow(request: HttpRequest, name: str) -> dict[str, Any]:
    written, _name = _valid_name(name)
    social.unfollow_hashtag(request.account, written)
    return _answer(request, written)


@endpoint(
    "GET",
    "v1/followed_tags",
    scope="read:follows",
    paginated=True,
    tag="tags",
    summary="The hashtags the viewer follows",
)
def followed_tags(request: HttpRequest) -> Reply:
    rows = HashtagFollow.objects.filter(account=request.account).select_related("hashtag")
    page = paginate(rows, cursor(request, default=100, maximum=200))
    data = tag_entities([row.hashtag for row in page.items], request.account)
    return paged(request, data, page.next_max_id, page.prev_min_id)
