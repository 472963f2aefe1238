"""Follow, unfollow, block, mute, follow requests, followed hashtags."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wikisocial.accounts.models import Account
from wikisocial.social import actions
from wikisocial.social.models import Block, FollowRequest, HashtagFollow, Mute
from wikisocial.web.views.common import back

MUTE_DURATIONS = {
    "": None,
    "3600": timedelta(hours=1),
    "86400": timedelta(days=1),
    "604800": timedelta(days=7),
}


def _target(request: HttpRequest, username: str) -> Account:
    from wikisocial.web.views.timelines import profile_account

    account = profile_account(request, username)
    if account is None or account.pk == request.user.account.pk:
        raise Http404
    return account


@login_required
@require_POST
def relation(request: HttpRequest, username: str, what: str) -> HttpResponse:
    """follow, unfollow, block, unblock, mute, unmute ``username``."""
    viewer = request.user.account
    target = _target(request, username)
    profile_url = target.get_absolute_url()
    try:
        if what == "follow":
            result = actions.follow(
                viewer, target, show_boosts=request.POST.get("show_boosts") != "0"
            )
            if isinstance(result, FollowRequest):
                messages.info(
                    request,
                    _("Request sent. %(name)s decides who follows them.") % {"name": target.name},
                )
        elif what == "unfollow":
            actions.unfollow(viewer, target)
        elif what == "block":
            actions.block(viewer, target)
            messages.info(request, _("You blocked %(name)s.") % {"name": target.name})
        elif what == "unblock":
            actions.unblock(viewer, target)
        elif what == "mute":
            duration = MUTE_DURATIONS.get(request.POST.get("duration", ""))
            actions.mute(
                viewer,
                target,
                hide_notifications=request.POST.get("notifications") == "1",
                duration=duration,
            )
            messages.info(request, _("You muted %(name)s.") % {"name": target.name})
        elif what == "unmute":
            actions.unmute(viewer, target)
        else:
            raise Http404
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return back(request, profile_url)


@login_required
def follow_requests(request: HttpRequest) -> HttpResponse:
    viewer = request.user.account
    pending = FollowRequest.objects.filter(target=viewer).select_related("follower").order_by("-id")
    return render(request, "web/follow_requests.html", {"requests": pending})


@login_required
@require_POST
def answer_follow_request(request: HttpRequest, request_id: int, answer: str) -> HttpResponse:
    viewer = request.user.account
    follow_request = get_object_or_404(FollowRequest, pk=request_id, target=viewer)
    if answer == "approve":
        actions.approve_follow_request(viewer, follow_request)
    elif answer == "reject":
        actions.reject_follow_request(viewer, follow_request)
    else:
        raise Http404
    return back(request, reverse("web:follow-requests"))


@login_required
@require_POST
def hashtag_follow(request: HttpRequest, name: str) -> HttpResponse:
    viewer = request.user.account
    try:
        if request.POST.get("undo"):
            actions.unfollow_hashtag(viewer, name)
        else:
            actions.follow_hashtag(viewer, name)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return back(request, reverse("web:hashtag", kwargs={"name": name}))


@login_required
def blocks_and_mutes(request: HttpRequest) -> HttpResponse:
    viewer = request.user.account
    context = {
        "blocks": Block.objects.filter(account=viewer).select_related("target"),
        "mutes": Mute.objects.active().filter(account=viewer).select_related("target"),
        "tags": HashtagFollow.objects.filter(account=viewer).select_related("hashtag"),
        "section": "relations",
    }
    return render(request, "web/relations.html", context)
