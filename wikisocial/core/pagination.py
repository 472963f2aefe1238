"""Cursor pagination over time-ordered ids, with Mastodon's semantics (the web pages and the
client API share it):

- ``max_id``: items older than this id, newest first (the next page down);
- ``since_id``: items newer than this id, newest first (the newest page above it);
- ``min_id``: items just newer than this id, the closest first, returned newest first (the page
  directly above it, used to scroll up without gaps).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import QuerySet


@dataclass(frozen=True)
class Cursor:
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 20


def as_id(value: object) -> int | None:
    """An id from user input (query string, form), or None when it is not one."""
    text = str(value) if value is not None else ""
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    number = int(text)
    return number if 0 <= number < 2**63 else None


def cursor_from(params: Mapping, *, default: int = 20, maximum: int = 40) -> Cursor:
    """Read a cursor from query parameters; bad ids are ignored and the limit is clamped."""
    limit = as_id(params.get("limit"))
    return Cursor(
        max_id=as_id(params.get("max_id")),
        since_id=as_id(params.get("since_id")),
        min_id=as_id(params.get("min_id")),
        limit=max(1, min(maximum, limit if limit else default)),
    )


@dataclass
class Page:
    items: list
    next_max_id: int | None  # for the older page
    prev_min_id: int | None  # for the newer page
    # Whether there may be more beyond this page; None: a page as long as asked for may be
    # followed by another. True for a page a filter cut short (timelines.queries._tagged_page).
    more: bool | None = None


def paginate(qs: QuerySet, cursor: Cursor, key: str = "id") -> Page:
    """One page of ``qs`` by ``key`` (a time-ordered id field, e.g. "id" or "post_id"),
    newest first."""
    if cursor.max_id is not None:
        qs = qs.filter(**{f"{key}__lt": cursor.max_id})
    if cursor.since_id is not None:
        qs = qs.filter(**{f"{key}__gt": cursor.since_id})
    if cursor.min_id is not None:
        qs = qs.filter(**{f"{key}__gt": cursor.min_id})
        items = list(qs.order_by(key)[: cursor.limit])[::-1]
    else:
        items = list(qs.order_by(f"-{key}")[: cursor.limit])
    ids = [getattr(item, key) for item in items]
    return Page(
        items=items,
        next_max_id=ids[-1] if ids else None,
        prev_min_id=ids[0] if ids else None,
    )
