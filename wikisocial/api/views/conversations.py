"""Conversations: threads of direct posts the viewer takes part in, newest first.

A conversation is identified by the first post of its thread and read from the posts
themselves (so a deleted post, or one arriving from another server, is accounted for without
bookkeeping); only what the viewer did to it (read up to a post, removed up to a post) is
stored, in ConversationState."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from wikisocial.accounts.models import Account
from wikisocial.api.base import Reply, cursor, endpoint, not_found, paged
from wikisocial.api.serializers import accounts, statuses
from wikisocial.core.pagination import as_id
from wikisocial.posts.models import Post
from wikisocial.timelines import actions, queries


def conversation_entities(posts: list[Post], viewer: Account) -> list[dict[str, Any]]:
    """Conversation entities for the newest posts of conversations (as given by
    ``queries.conversations``), in a fixed number of queries."""
    data = statuses(posts, viewer)
    people = queries.participants(viewer, [post.root for post in posts])
    return [
        {
            "id": str(post.root),
            "unread": not post.seen and post.author_id != viewer.pk,
            "accounts": accounts(people[post.root]),
            "last_status": status,
        }
        for post, status in zip(posts, data, strict=True)
    ]


def _newest(request: HttpRequest, id: str) -> Post:
    root_id = as_id(id)
    post = queries.conversation(request.account, root_id) if root_id is not None else None
    if post is None:
        raise not_found()
    return post


@endpoint(
    "GET",
    "v1/conversations",
    scope="read:statuses",
    paginated=True,
    tag="conversations",
    summary="The viewer's conversations of direct posts",
)
def index(request: HttpRequest) -> Reply:
    timeline = queries.conversations(request.account, cursor(request))
    data = conversation_entities(timeline.posts, request.account)
    return paged(request, data, timeline.page.next_max_id, timeline.page.prev_min_id)


@endpoint(
    "DELETE",
    "v1/conversations/<id>",
    scope="write:conversations",
    tag="conversations",
    summary="Remove a conversation from the viewer's list (until a new post arrives)",
)
def destroy(request: HttpRequest, id: str) -> dict[str, Any]:
    post = _newest(request, id)
    actions.remove_conversation(request.account, post.root, post.pk)
    return {}


@endpoint(
    "POST",
    "v1/conversations/<id>/read",
    scope="write:conversations",
    tag="conversations",
    summary="Mark a conversation as read",
)
def read(request: HttpRequest, id: str) -> dict[str, Any]:
    post = _newest(request, id)
    actions.mark_conversation_read(request.account, post.root, post.pk)
    post.seen = True
    return conversation_entities([post], request.account)[0]
