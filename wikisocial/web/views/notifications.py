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
from wikisocial.notifications.models import Kind
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
    _with_group_details(groups)
    _with_wiki_pages(groups, viewer)
    if groups and which == "all" and not request.GET.get("max_id"):
        actions.mark_read(viewer, groups[0].latest_id)
    return render(
        request,
        "web/notifications.html",
        {"groups": groups, "which": which, "last_read": last_read},
    )


# Kinds about a group (``group_of``), and those about a forum topic (``topic``).
GROUP_KINDS = {
    Kind.GROUP_TOPIC,
    Kind.GROUP_REPLY,
    Kind.JOIN_REQUEST,
    Kind.JOIN_APPROVED,
    Kind.GROUP_INVITE,
    Kind.GROUP_REMOVED,
}
TOPIC_KINDS = {Kind.GROUP_TOPIC, Kind.GROUP_REPLY}


def _with_group_details(groups: list) -> None:
    """Group notifications name their group, and forum ones their topic's title: loaded for
    the whole page at once (two queries)."""
    from wikisocial.communities.models import Topic
    from wikisocial.notifications.models import Notification

    ids = [g.latest_id for g in groups if g.kind in GROUP_KINDS]
    if not ids:
        return
    rows = Notification.objects.filter(pk__in=ids).select_related("group__account")
    named = {n.pk: n.group for n in rows}
    roots = {g.post.thread_root_id or g.post.pk for g in groups if g.kind in TOPIC_KINDS and g.post}
    topics = Topic.objects.select_related("group__account").in_bulk(roots)
    for g in groups:
        g.group_of = named.get(g.latest_id)
        if g.kind in TOPIC_KINDS and g.post is not None:
            g.topic = topics.get(g.post.thread_root_id or g.post.pk)


def _with_wiki_pages(groups: list, viewer) -> None:
    """Wiki-edit notifications name their page, if the reader may still read it (one query);
    a page they may no longer read is shown without its title."""
    from wikisocial.notifications.models import Notification
    from wikisocial.wiki.models import Page

    ids = [g.latest_id for g in groups if g.kind == Kind.WIKI_EDIT]
    if not ids:
        return
    page_ids = dict(Notification.objects.filter(pk__in=ids).values_list("pk", "wiki_page_id"))
    pages = (
        Page.objects.visible_to(viewer)
        .select_related("group__account")
        .in_bulk([pk for pk in page_ids.values() if pk])
    )
    for g in groups:
        if g.kind == Kind.WIKI_EDIT:
            g.wiki_page = pages.get(page_ids.get(g.latest_id))


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
