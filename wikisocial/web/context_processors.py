from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def navigation(request: HttpRequest) -> dict:
    """The unread-notifications count for the navigation bar, counted only when shown; and
    ``hide_counts``: whether the reader asked not to see counts of likes, boosts, replies,
    followers and members (Account.show_counts off). Visitors see them."""

    def count() -> str:
        from wikisocial.web.views.notifications import unread_badge

        return unread_badge(request)

    return {
        "unread_notifications": SimpleLazyObject(count),
        "hide_counts": SimpleLazyObject(lambda: hides_counts(request)),
    }


def hides_counts(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    account = getattr(user, "account", None)
    return account is not None and not account.show_counts
