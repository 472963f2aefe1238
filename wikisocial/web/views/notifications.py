"""The notifications page: grouped, with filters, an unread mark, and a kept-aside list."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from wikisocial.notifications import actions
from wikisocial.notifications.forms import PolicyForm
from wikisocial.notifications.queries import UNREAD_CAP, grouped, unread_count
from wikisocial.timelines.actions import read_position
from wikisocial.timelines.models import Marker
from wikisocial.web.views.common import back

FILTERS = ("all", "mentions", "kept")


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    viewer = request.user.account
    which = request.GET.get("filter", "all")
    if which not in FILTERS:
        which = "all"
    last_read = read_position(viewer, Marker.NOTIFICATIONS)
    groups = grouped(viewer, which=which, max_id=request.GET.get("max_id"))
    if groups and which == "all" and not request.GET.get("max_id"):
        actions.mark_read(viewer, groups[0].latest_id)
    return render(
        request,
        "web/notifications.html",
        {"groups": groups, "which": which, "last_read": last_read},
    )


@login_required
@require_http_methods(["GET", "POST"])
def policy(request: HttpRequest) -> HttpResponse:
    viewer = request.user.account
    current = actions.policy_of(viewer)
    form = PolicyForm(request.POST if request.method == "POST" else None, instance=current)
    if request.method == "POST" and form.is_valid():
        actions.update_policy(viewer, **form.cleaned_data)
        messages.success(request, _("Your notification settings are saved."))
        return back(request, request.path)
    return render(
        request, "web/notification_settings.html", {"form": form, "section": "notifications"}
    )


def unread_badge(request: HttpRequest) -> str:
    """The unread count as shown in the navigation: "" for none, "40+" past the cap."""
    if not request.user.is_authenticated:
        return ""
    count = unread_count(request.user.account)
    if count > UNREAD_CAP:
        return f"{UNREAD_CAP}+"
    return str(count) if count else ""
