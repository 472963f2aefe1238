"""Custom emoji: this server has none, so the list is empty (clients then offer Unicode emoji
only)."""

from __future__ import annotations

from django.http import HttpRequest

from wikisocial.api.base import NONE, endpoint


@endpoint(
    "GET",
    "v1/custom_emojis",
    auth=NONE,
    tag="custom_emojis",
    summary="The server's custom emoji (none)",
)
def custom_emojis(request: HttpRequest) -> list:
    return []
