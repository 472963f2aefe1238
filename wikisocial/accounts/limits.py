"""How often each account door may be tried: per client address and per name or address typed.
The web views and the admin's log-in form count here (see core.ratelimit)."""

from __future__ import annotations

from typing import Protocol

from django.http import HttpRequest

from wikisocial.core.ratelimit import Limit, client_ip, over_limit

RATE_LIMITS = {
    "login": Limit(10, 5 * 60),
    "password-reset": Limit(5, 60 * 60),
    "resend-confirmation": Limit(5, 60 * 60),
    "signup": Limit(10, 60 * 60),
}


class Refusable(Protocol):
    def refuse_too_many(self) -> None: ...


def too_many(request: HttpRequest, scope: str, form: Refusable, target: str = "") -> bool:
    """Count this attempt; when it is over the limit, mark ``form`` as refused and say so."""
    target = target.strip().lower()
    keys = (f"ip:{client_ip(request)}", target and f"to:{target}")
    if over_limit(scope, RATE_LIMITS[scope], *keys):
        form.refuse_too_many()
        return True
    return False
