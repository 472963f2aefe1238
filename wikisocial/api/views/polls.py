"""Polls: reading one and voting in it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from wikisocial.api import serializers
from wikisocial.api.base import OPTIONAL, Param, endpoint, not_found
from wikisocial.api.serializers.statuses import load
from wikisocial.api.views.statuses import path_id
from wikisocial.core.pagination import as_id
from wikisocial.posts import actions
from wikisocial.posts.models import Poll, Post

TAG = "polls"
ID = (Param("id", required=True, description="The poll id"),)


def _visible_poll(request: HttpRequest, value: str) -> Poll:
    """The poll, if the caller may see its status; 404 otherwise."""
    visible = Post.objects.visible_to(request.account).values("pk")
    poll = Poll.objects.filter(pk=path_id(value), post_id__in=visible).first()
    if poll is None:
        raise not_found()
    return poll


def _answer(poll_id: int, request: HttpRequest) -> dict[str, Any]:
    """The Poll entity as it stands now, with the caller's own votes."""
    post = Post.objects.get(poll__pk=poll_id)
    context = load([post], request.account)
    return serializers.poll(post.poll, context, post.author_id)


@endpoint("GET", "v1/polls/<id>", auth=OPTIONAL, scope="read:statuses", params=ID, tag=TAG)
def get_poll(request: HttpRequest, id: str) -> dict[str, Any]:
    """A poll, with the caller's votes."""
    return _answer(_visible_poll(request, id).pk, request)


@endpoint(
    "POST",
    "v1/polls/<id>/votes",
    scope="write:statuses",
    params=(
        *ID,
        Param("choices", "array", "The positions of the chosen options (from 0)", True),
    ),
    tag=TAG,
)
def vote(request: HttpRequest, id: str) -> dict[str, Any]:
    """Vote in a poll (once; several choices if the poll allows them)."""
    poll = _visible_poll(request, id)
    choices = [c if (c := as_id(v)) is not None else -1 for v in request.params.list("choices")]
    try:
        actions.vote(request.account, poll, choices)
    except PermissionDenied:
        raise not_found() from None
    return _answer(poll.pk, request)
