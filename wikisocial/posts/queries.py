"""Questions about posts that several doors ask (web pages now, the client API next)."""

from __future__ import annotations

from wikisocial.accounts.models import Account
from wikisocial.posts.models import Bookmark, ConversationMute, Like, Pin, PollVote, Post


def interactions(viewer: Account | None, posts: list[Post]) -> dict[str, set[int]]:
    """Which of ``posts`` the viewer liked, boosted, bookmarked, pinned or voted in: loaded
    for the whole page at once."""
    if viewer is None or not posts:
        return {
            "liked": set(),
            "boosted": set(),
            "bookmarked": set(),
            "pinned": set(),
            "voted": set(),
            "muted": set(),
        }
    ids = {p.boost_of_id or p.pk for p in posts}
    # A conversation is named by its first post (see ConversationMute).
    roots = {(p.boost_of or p).thread_root_id or (p.boost_of or p).pk for p in posts}
    poll_ids = [(p.boost_of or p).poll.pk for p in posts if hasattr(p.boost_of or p, "poll")]
    return {
        "liked": set(
            Like.objects.filter(account=viewer, post_id__in=ids).values_list("post_id", flat=True)
        ),
        "boosted": set(
            Post.objects.alive()
            .filter(author=viewer, boost_of_id__in=ids)
            .values_list("boost_of_id", flat=True)
        ),
        "bookmarked": set(
            Bookmark.objects.filter(account=viewer, post_id__in=ids).values_list(
                "post_id", flat=True
            )
        ),
        "pinned": set(
            Pin.objects.filter(account=viewer, post_id__in=ids).values_list("post_id", flat=True)
        ),
        "voted": set(
            PollVote.objects.filter(account=viewer, poll_id__in=poll_ids).values_list(
                "poll_id", flat=True
            )
        ),
        "muted": set(
            ConversationMute.objects.filter(account=viewer, thread_root_id__in=roots).values_list(
                "thread_root_id", flat=True
            )
        ),
    }


def conversation_muted(account: Account, post: Post) -> bool:
    """Whether ``account`` muted the conversation ``post`` belongs to."""
    return ConversationMute.objects.filter(
        account=account, thread_root_id=post.thread_root_id or post.pk
    ).exists()
