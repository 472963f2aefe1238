"""Questions about posts that several doors ask (web pages now, the client API next)."""

from __future__ import annotations

from django.db.models import CharField, QuerySet, Value

from wikisocial.accounts.models import Account
from wikisocial.posts.models import Bookmark, ConversationMute, Like, Pin, PollVote, Post

MARKS = ("liked", "boosted", "bookmarked", "pinned", "voted", "muted")


def interactions(viewer: Account | None, posts: list[Post]) -> dict[str, set[int]]:
    """Which of ``posts`` the viewer liked, boosted, bookmarked, pinned or voted in, and whose
    conversation they muted: loaded for the whole page at once, in one query (a UNION ALL of
    one small indexed SELECT per mark, each tagged with its name)."""
    marks: dict[str, set[int]] = {name: set() for name in MARKS}
    if viewer is None or not posts:
        return marks
    shown = [p.boost_of or p for p in posts]
    ids = {p.pk for p in shown}
    # A conversation is named by its first post (see ConversationMute).
    roots = {p.thread_root_id or p.pk for p in shown}
    poll_ids = [p.poll.pk for p in shown if hasattr(p, "poll")]
    parts = [
        _marked("liked", Like.objects.filter(account=viewer, post_id__in=ids), "post_id"),
        _marked(
            "boosted",
            Post.objects.alive().filter(author=viewer, boost_of_id__in=ids),
            "boost_of_id",
        ),
        _marked("bookmarked", Bookmark.objects.filter(account=viewer, post_id__in=ids), "post_id"),
        _marked("pinned", Pin.objects.filter(account=viewer, post_id__in=ids), "post_id"),
        _marked(
            "muted",
            ConversationMute.objects.filter(account=viewer, thread_root_id__in=roots),
            "thread_root_id",
        ),
    ]
    if poll_ids:
        parts.append(
            _marked(
                "voted", PollVote.objects.filter(account=viewer, poll_id__in=poll_ids), "poll_id"
            )
        )
    for name, pk in parts[0].union(*parts[1:], all=True):
        marks[name].add(pk)
    return marks


def _marked(name: str, qs: QuerySet, field: str) -> QuerySet:
    """(``name``, ``field``) pairs of ``qs``: one part of :func:`interactions`' UNION."""
    marked = qs.order_by().annotate(mark=Value(name, output_field=CharField()))
    return marked.values_list("mark", field)


def conversation_muted(account: Account, post: Post) -> bool:
    """Whether ``account`` muted the conversation ``post`` belongs to."""
    return ConversationMute.objects.filter(
        account=account, thread_root_id=post.thread_root_id or post.pk
    ).exists()
