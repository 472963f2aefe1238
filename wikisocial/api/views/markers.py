"""Markers: where the reader stopped reading the home timeline and the notifications, kept on
the server so every app (and the web pages) starts from the same place."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from wikisocial.api.base import ApiError, Param, endpoint
from wikisocial.api.serializers import iso
from wikisocial.core.pagination import as_id
from wikisocial.timelines.actions import save_marker
from wikisocial.timelines.models import Marker

TIMELINES = (Marker.HOME, Marker.NOTIFICATIONS)


def marker_entity(row: Marker) -> dict[str, Any]:
    return {
        "last_read_id": str(row.last_read_id),
        "version": row.version,
        "updated_at": iso(row.updated_at),
    }


@endpoint(
    "GET",
    "v1/markers",
    scope="read:statuses",
    tag="markers",
    params=(Param("timeline", "array", "Which positions: home, notifications"),),
    summary="Saved reading positions",
)
def index(request: HttpRequest) -> dict[str, Any]:
    wanted = [name for name in request.params.strs("timeline") if name in TIMELINES]
    rows = Marker.objects.filter(account=request.account, timeline__in=wanted)
    return {row.timeline: marker_entity(row) for row in rows}


@endpoint(
    "POST",
    "v1/markers",
    scope="write:statuses",
    tag="markers",
    params=(
        Param("home", "object", "home[last_read_id]: the last status read"),
        Param("notifications", "object", "notifications[last_read_id]: the last notification"),
    ),
    summary="Save reading positions",
)
def save(request: HttpRequest) -> dict[str, Any]:
    """A position only moves forward: a position older than the saved one (from another app
    that was behind) leaves it, and its version, as they are, so no two apps can conflict
    (Mastodon answers 409 on a conflicting concurrent write; here there is none)."""
    saved = {}
    for name in TIMELINES:
        if name not in request.params:
            continue
        raw = request.params.sub(name).str("last_read_id")
        last_read_id = as_id(raw)
        if last_read_id is None:
            raise ApiError(422, f"Validation failed: {name}[last_read_id] must be an id")
        saved[name] = marker_entity(save_marker(request.account, name, last_read_id))
    return saved
