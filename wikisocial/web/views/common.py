"""Small helpers shared by web views."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme

from wikisocial.accounts.models import Account


def viewer_of(request: HttpRequest) -> Account | None:
    """The logged-in person's account, or None."""
    if request.user.is_authenticated:
        return getattr(request.user, "account", None)
    return None


def safe_next(request: HttpRequest, fallback: str) -> str:
    """Where to go after a form: the ``next`` field when it stays on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def back(request: HttpRequest, fallback: str) -> HttpResponse:
    return HttpResponseRedirect(safe_next(request, fallback))
