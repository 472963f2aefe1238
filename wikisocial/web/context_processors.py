from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def navigation(request: HttpRequest) -> dict:
    """The unread-notifications count for the navigation bar, counted only when shown."""

    def count() -> str:
        from wikisocial.web.views.notifications import unread_badge

        return unread_badge(request)

    return {"unread_notifications": SimpleLazyObject(count)}
