"""Hashtag use over the last days and what is trending on this server, each in one bounded
query: only the posts of the window are read, found through their time-ordered ids."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from wikisocial.accounts.models import Account, public_account_q
from wikisocial.communities.models import readable_group_q
from wikisocial.core.ids import id_at
from wikisocial.posts.models import Hashtag, Post, Visibility

HISTORY_DAYS = 7
TREND_WINDOW = timedelta(days=7)  # trending hashtags: the past week, as Mastodon says
STATUS_TREND_WINDOW = timedelta(days=3)
# Uses that count: posts shared beyond followers (Mastodon's "distributable" posts).
SHARED = [Visibility.PUBLIC, Visibility.UNLISTED, Visibility.LOCAL]


@dataclass(frozen=True)
class Day:
    start: datetime  # midnight UTC
    uses: int = 0
    accounts: int = 0


def _days(today: datetime) -> list[datetime]:
    """Midnight UTC of the last HISTORY_DAYS days, today first."""
    midnight = datetime.combine(today.astimezone(UTC).date(), time(), tzinfo=UTC)
    return [midnight - timedelta(days=n) for n in range(HISTORY_DAYS)]


def _tagged_posts(since: datetime) -> QuerySet:
    """The hashtag links of posts since ``since`` that count as uses (by accounts anyone may
    see; in a group, only where anyone may read it: a group made private keeps its posts'
    old visibility, and its hashtags must not show in counts)."""
    in_open_group = Q(post__group__isnull=True) | readable_group_q(None, "post__group__")
    return Post.hashtags.through.objects.filter(
        public_account_q("post__author__"),
        in_open_group,
        post_id__gte=id_at(since),
        post__visibility__in=SHARED,
        post__deleted_at__isnull=True,
        post__boost_of__isnull=True,
    )


def history(tag_ids: Sequence[int]) -> dict[int, list[Day]]:
    """Per hashtag, uses and distinct authors per day for the last seven days, today first
    (one query for any number of hashtags)."""
    days = _days(timezone.now())
    counts: dict[int, dict[datetime, Day]] = defaultdict(dict)
    if tag_ids:
        rows = (
            _tagged_posts(days[-1])
            .filter(hashtag_id__in=tag_ids)
            .annotate(day=TruncDate("post__created_at", tzinfo=UTC))
            .values("hashtag_id", "day")
            .annotate(uses=Count("post_id"), accounts=Count("post__author_id", distinct=True))
        )
        for row in rows:
            start = datetime.combine(row["day"], time(), tzinfo=UTC)
            counts[row["hashtag_id"]][start] = Day(start, row["uses"], row["accounts"])
    return {tag_id: [counts[tag_id].get(day, Day(day)) for day in days] for tag_id in tag_ids}


def quiet_week() -> list[Day]:
    """The history of a hashtag nobody used."""
    return [Day(day) for day in _days(timezone.now())]


def trending_tags(limit: int, offset: int = 0) -> list[Hashtag]:
    """Hashtags of this server's public posts in the past week, by how many people used them,
    then how often."""
    since = timezone.now() - TREND_WINDOW
    ranked = (
        _tagged_posts(since)
        .filter(
            post__local=True, post__visibility=Visibility.PUBLIC, post__author__discoverable=True
        )
        .values("hashtag_id")
        .annotate(accounts=Count("post__author_id", distinct=True), uses=Count("post_id"))
        .order_by("-accounts", "-uses", "hashtag_id")
    )
    ids = [row["hashtag_id"] for row in ranked[offset : offset + limit]]
    found = Hashtag.objects.in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def trending_posts(viewer: Account | None, limit: int, offset: int = 0) -> list[Post]:
    """This server's public posts of the last days that people liked and boosted most."""
    from wikisocial.timelines.queries import with_related

    since = timezone.now() - STATUS_TREND_WINDOW
    qs = (
        Post.objects.visible_to(viewer)
        .public_timeline([Visibility.PUBLIC])
        .filter(local=True, id__gte=id_at(since), author__discoverable=True)
        .annotate(score=F("likes_count") + F("boosts_count"))
        .filter(score__gt=0)
        .order_by("-score", "-id")
    )
    return list(with_related(qs)[offset : offset + limit])
