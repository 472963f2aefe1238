"""Timelines: home (with the "you're caught up" line), local, federated, hashtags, profiles,
walls, bookmarks. Pages go down with "Older posts" links, never endless scrolling."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotFound,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.vary import vary_on_headers

from wikisocial.accounts.models import Account, ActorType
from wikisocial.core.markup import normalize_hashtag
from wikisocial.core.pagination import Cursor, Page, cursor_from
from wikisocial.federation import documents
from wikisocial.federation.jsonld import wants_activitypub
from wikisocial.federation.resolve import split_handle
from wikisocial.posts.forms import ComposeForm
from wikisocial.posts.models import Bookmark, Hashtag, Post
from wikisocial.social.models import HashtagFollow
from wikisocial.social.queries import followers_of, following_of, relationship
from wikisocial.timelines import queries
from wikisocial.timelines.actions import read_position, save_marker
from wikisocial.timelines.models import Marker
from wikisocial.web.views.common import viewer_of
from wikisocial.web.views.posts import post_context

PAGE = 20


def _cursor(request: HttpRequest) -> Cursor:
    return cursor_from(request.GET, default=PAGE, maximum=40)


def _has_more(page: Page, cursor: Cursor) -> bool:
    """Whether to link to older posts: the page says so, or it is as long as asked for."""
    return page.more if page.more is not None else len(page.items) >= cursor.limit


def _timeline_page(request, template, timeline, **extra) -> HttpResponse:
    context = {
        "posts": timeline.posts,
        "page": timeline.page,
        "has_more": _has_more(timeline.page, _cursor(request)),
        **post_context(request, timeline.posts),
        **extra,
    }
    return render(request, template, context)


def home(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    if viewer is None:
        from wikisocial.web.views.pages import landing

        return landing(request)
    cursor = _cursor(request)
    timeline = queries.home(viewer, cursor)
    last_read = read_position(viewer, Marker.HOME)
    caught_up_at = None
    if cursor.max_id is None:  # older pages are read on purpose: nothing folded there
        caught_up_at = next((p.pk for p in timeline.posts if p.pk <= last_read), None)
        if timeline.posts:
            save_marker(viewer, Marker.HOME, timeline.posts[0].pk)
    return _timeline_page(
        request,
        "web/home.html",
        timeline,
        compose_form=ComposeForm(author=viewer),
        caught_up_at=caught_up_at,
        reached_end=not timeline.posts and cursor.max_id is not None,
    )


def local(request: HttpRequest) -> HttpResponse:
    timeline = queries.local(viewer_of(request), _cursor(request))
    return _timeline_page(request, "web/timeline.html", timeline, title_kind="local")


def federated(request: HttpRequest) -> HttpResponse:
    timeline = queries.federated(viewer_of(request), _cursor(request))
    return _timeline_page(request, "web/timeline.html", timeline, title_kind="federated")


def hashtag(request: HttpRequest, name: str) -> HttpResponse:
    normal = normalize_hashtag(name)
    if normal != name:
        if not normal:
            raise Http404
        return HttpResponseRedirect(request.path.replace(name, normal, 1))
    tag = Hashtag.objects.filter(name=normal).first()
    viewer = viewer_of(request)
    timeline = queries.hashtag(normal, viewer, _cursor(request))
    following = bool(
        viewer and tag and HashtagFollow.objects.filter(account=viewer, hashtag=tag).exists()
    )
    return _timeline_page(
        request, "web/hashtag.html", timeline, tag=tag, name=normal, following_tag=following
    )


def profile_account(request: HttpRequest, username: str) -> Account | None:
    """The account at /@username (local) or /@user@domain (remote), if the viewer may see it."""
    name, domain = split_handle(username)
    return (
        Account.objects.visible_to(request.user)
        .filter(domain=domain, username__iexact=name)
        .prefetch_related("languages", "affiliations")
        .first()
    )


def _missing_profile(request: HttpRequest, username: str) -> HttpResponse:
    """A deleted local account is gone (410); a remote one we don't know yet can be looked up
    (someone logged in is sent to the search, which fetches it); anything else is 404."""
    name, domain = split_handle(username)
    if not domain:
        gone = Account.objects.local().filter(username__iexact=name, deleted_at__isnull=False)
        if gone.exists():
            return render(request, "web/profile_gone.html", {"username": name}, status=410)
    elif (
        viewer_of(request) is not None
        and not Account.objects.filter(domain=domain, username__iexact=name).exists()
    ):
        search = reverse("web:search") + "?" + urlencode({"q": f"@{name}@{domain}"})
        return HttpResponseRedirect(search)
    raise Http404


@vary_on_headers("Accept")
def profile(request: HttpRequest, username: str, tab: str = "posts") -> HttpResponse:
    account = profile_account(request, username)
    if account is None:
        return _missing_profile(request, username)
    canonical = account.url_handle
    if canonical != username:
        return HttpResponseRedirect(request.path.replace(username, canonical, 1))
    if wants_activitypub(request):
        if not account.is_local:  # not ours to describe: ask its own server
            return HttpResponseRedirect(account.uri) if account.uri else HttpResponseNotFound()
        return documents.actor(account)
    if account.actor_type == ActorType.GROUP and hasattr(account, "group"):
        return HttpResponseRedirect(account.group.get_absolute_url())  # a group's page
    viewer = viewer_of(request)
    timeline = queries.profile(account, viewer, _cursor(request), tab)
    pinned = (
        queries.pinned(account, viewer) if tab == "posts" and not request.GET.get("max_id") else []
    )
    rel = relationship(viewer, account) if viewer and viewer.pk != account.pk else None
    context = {
        "account": account,
        "tab": tab,
        "pinned": pinned,
        "relationship": rel,
        "is_self": viewer is not None and viewer.pk == account.pk,
        **post_context(request, [*pinned, *timeline.posts]),
    }
    return _timeline_page(request, "web/profile.html", timeline, **context)


def wall(request: HttpRequest, username: str) -> HttpResponse:
    account = profile_account(request, username)
    if account is None:
        raise Http404
    viewer = viewer_of(request)
    timeline = queries.wall(account, viewer, _cursor(request))
    form = None
    if viewer is not None and account.wall_enabled:
        form = ComposeForm(
            author=viewer,
            initial={
                "wall_owner": account.pk,
                "text": f"@{account.username} " if viewer != account else "",
            },
        )
    return _timeline_page(
        request,
        "web/wall.html",
        timeline,
        account=account,
        compose_form=form,
        is_self=viewer is not None and viewer.pk == account.pk,
    )


@vary_on_headers("Accept")
def network(request: HttpRequest, username: str, direction: str) -> HttpResponse:
    account = profile_account(request, username)
    if account is None:
        raise Http404
    if wants_activitypub(request):
        return documents.network(request, account, direction)
    viewer = viewer_of(request)
    hidden = account.hide_network and (viewer is None or viewer.pk != account.pk)
    people = followers_of(account) if direction == "followers" else following_of(account)
    page = None if hidden else Paginator(people, 40).get_page(request.GET.get("page"))
    return render(
        request,
        "web/network.html",
        {"account": account, "direction": direction, "page": page, "hidden": hidden},
    )


@login_required
def bookmarks(request: HttpRequest) -> HttpResponse:
    viewer = request.user.account
    marked = Bookmark.objects.filter(account=viewer).values("post_id")
    qs = Post.objects.visible_to(viewer).filter(pk__in=marked)
    page = queries.paginate(queries.with_related(qs), _cursor(request))
    timeline = queries.Timeline(page.items, page)
    return _timeline_page(request, "web/timeline.html", timeline, title_kind="bookmarks")


def outbox(request: HttpRequest, username: str) -> HttpResponse:
    """The actor's outbox: ActivityStreams only (a browser gets the profile)."""
    account = profile_account(request, username)
    if account is None:
        raise Http404
    if not wants_activitypub(request):
        return HttpResponseRedirect(account.get_absolute_url())
    return documents.outbox(request, account)


def featured(request: HttpRequest, username: str) -> HttpResponse:
    """Pinned posts as an ActivityStreams collection (a browser gets the profile)."""
    account = profile_account(request, username)
    if account is None:
        raise Http404
    if not wants_activitypub(request):
        return HttpResponseRedirect(account.get_absolute_url())
    return documents.featured(request, account)
