"""The caller's bookmarks and favourites, newest first, paged by when they were made."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest

from wikisocial.api import serializers
from wikisocial.api.base import Reply, cursor, endpoint, paged
from wikisocial.core.pagination import paginate
from wikisocial.posts.models import Bookmark, Like, Post


def _page(request: HttpRequest, rows: QuerySet) -> Reply:
    """A page of ``rows`` (bookmarks or likes of the caller) as statuses; the Link header
    pages by the rows' own ids, as Mastodon's does."""
    viewer = request.account
    visible = Post.objects.visible_to(viewer).values("pk")
    rows = rows.filter(account=viewer, post_id__in=visible).select_related("post")
    page = paginate(rows, cursor(request))
    data = serializers.statuses([row.post for row in page.items], viewer)
    return paged(request, data, page.next_max_id, page.prev_min_id)


@endpoint("GET", "v1/bookmarks", scope="read:bookmarks", tag="bookmarks", paginated=True)
def bookmarks(request: HttpRequest) -> Reply:
    """Statuses the caller bookmarked."""
    return _page(request, Bookmark.objects.all())


@endpoint("GET", "v1/favourites", scope="read:favourites", tag="favourites", paginated=True)
def favourites(request: HttpRequest) -> Reply:
    """Statuses the caller favourited."""
    return _page(request, Like.objects.all())
