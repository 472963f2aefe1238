"""What our people do, told to the servers that must know: the activity, and its audience.

The domain actions call these functions inside their transaction, so an action and its
deliveries are stored together or not at all (``delivery.deliver`` writes rows; the worker
sends them). Each function does nothing for remote actors: what they do is their server's to
announce. Posts visible only on this server never leave it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.urls import reverse

from wikisocial.accounts.models import Account
from wikisocial.core.ids import new_id
from wikisocial.federation.jsonld import CONTEXT, PUBLIC
from wikisocial.federation.urls_util import absolute, actor_id
from wikisocial.posts.models import Post, Visibility


def _send(activity: dict, sender: Account, inboxes: Iterable[str]) -> int:
    from wikisocial.federation.delivery import deliver

    targets = [i for i in dict.fromkeys(inboxes) if i]
    if not targets:
        return 0
    return deliver({"@context": CONTEXT, **activity}, sender, targets)


def send(activity: dict, sender: Account, inboxes: Iterable[str]) -> int:
    """Queue ``activity`` for these inboxes (each once), signed by ``sender``: for the other
    domains that federate (``communities.activitypub``)."""
    return _send(activity, sender, inboxes)


def inbox_of(account: Account) -> str:
    """Where to deliver to a remote account: its server's shared inbox when it has one."""
    return account.shared_inbox_url or account.inbox_url


def _remote(accounts: QuerySet) -> QuerySet:
    return accounts.exclude(domain="").filter(deleted_at__isnull=True)


def inboxes_of(accounts: QuerySet) -> list[str]:
    """Distinct inboxes of the remote accounts among ``accounts`` (shared ones preferred)."""
    rows = _remote(accounts).values_list("shared_inbox_url", "inbox_url").distinct()
    return list(dict.fromkeys(shared or own for shared, own in rows))


def followers_inboxes(account: Account) -> list[str]:
    return inboxes_of(Account.objects.filter(following_set__target=account))


def _followers_url(account: Account) -> str:
    return absolute(reverse("web:followers", kwargs={"username": account.username}))


# --- posts -----------------------------------------------------------------------------------


def post_inboxes(post: Post) -> list[str]:
    """Who must hear of a post: followers (unless it is direct), the people it mentions, and the
    author of the post it answers or boosts."""
    if post.visibility == Visibility.LOCAL:
        return []
    people = Q(mentioned_in__post=post)
    if post.in_reply_to_account_id and post.visibility in (Visibility.PUBLIC, Visibility.UNLISTED):
        people |= Q(pk=post.in_reply_to_account_id)
    if post.is_boost:
        people |= Q(pk=post.boost_of.author_id)
    inboxes = inboxes_of(Account.objects.filter(people))
    if post.visibility != Visibility.DIRECT:
        inboxes = followers_inboxes(post.author) + inboxes
    return list(dict.fromkeys(inboxes))


def _federates(post: Post) -> bool:
    return post.author.is_local and post.visibility != Visibility.LOCAL


def _deliver(post: Post, activity: dict) -> None:
    """Posts in groups federate through their group (``communities.activitypub``), never to
    the author's followers: a private group's posts must not reach people outside it."""
    if post.group_id is not None:
        from wikisocial.communities.activitypub import post_activity

        post_activity(post, activity)
        return
    _send(activity, post.author, post_inboxes(post))


def post_created(post: Post) -> None:
    """Create (a post) or Announce (a boost)."""
    from wikisocial.posts.activitypub import activity_of

    if _federates(post):
        _deliver(post, activity_of(post))


def post_edited(post: Post) -> None:
    from wikisocial.posts.activitypub import iso, object_id, post_to_ap

    if not _federates(post):
        return
    document = post_to_ap(post)
    activity = {
        "id": f"{object_id(post)}#updates/{new_id()}",
        "type": "Update",
        "actor": actor_id(post.author),
        "published": iso(post.edited_at) if post.edited_at else None,
        "to": document["to"],
        "cc": document["cc"],
        "object": document,
    }
    _deliver(post, activity)


def post_deleted(post: Post) -> None:
    """Delete with a Tombstone, or Undo of the Announce for a boost."""
    from wikisocial.posts.activitypub import activity_of, audience, object_id

    if not _federates(post):
        return
    to, cc = audience(post)
    me = actor_id(post.author)
    if post.is_boost:
        activity = {**_undo(activity_of(post)), "to": to, "cc": cc}
    else:
        activity = {
            "id": f"{object_id(post)}#delete",
            "type": "Delete",
            "actor": me,
            "to": to,
            "cc": cc,
            "object": {"id": object_id(post), "type": "Tombstone"},
        }
    _deliver(post, activity)


def voted(account: Account, post: Post, choices: list[tuple[int, str]]) -> None:
    """A vote in a remote poll: one Note per chosen option, named after it (Mastodon's way),
    sent to the poll's author only."""
    from wikisocial.posts.activitypub import object_id

    if not account.is_local or post.author.is_local:
        return
    me = actor_id(account)
    for vote_pk, title in choices:
        note = {
            "id": f"{me}#votes/{vote_pk}",
            "type": "Note",
            "attributedTo": me,
            "name": title,
            "inReplyTo": object_id(post),
            "to": [post.author.uri],
        }
        activity = {
            "id": f"{note['id']}/activity",
            "type": "Create",
            "actor": me,
            "to": note["to"],
            "object": note,
        }
        _send(activity, account, [inbox_of(post.author)])


# --- likes -----------------------------------------------------------------------------------


def _like_activity(account: Account, post: Post, like_pk: int) -> dict:
    from wikisocial.posts.activitypub import object_id

    return {
        "id": f"{actor_id(account)}#likes/{like_pk}",
        "type": "Like",
        "actor": actor_id(account),
        "object": object_id(post),
    }


def _group_vote(account: Account, post: Post, activity: dict) -> bool:
    """Likes of posts in groups go through the group too (Lemmy counts them as upvotes)."""
    if post.group_id is None or post.visibility == Visibility.LOCAL:
        return False
    from wikisocial.communities.activitypub import vote_activity

    vote_activity(account, post, activity)
    return True


def liked(account: Account, post: Post, like_pk: int) -> None:
    activity = _like_activity(account, post, like_pk)
    if not account.is_local or _group_vote(account, post, activity):
        return
    if not post.author.is_local:
        _send(activity, account, [inbox_of(post.author)])


def _undo(activity: dict) -> dict:
    """The Undo of one of our activities, for the same people."""
    return {
        "id": f"{activity['id']}/undo/{new_id()}",
        "type": "Undo",
        "actor": activity["actor"],
        "object": activity,
    }


def undo(activity: dict) -> dict:
    """The Undo of one of our activities (for ``communities.activitypub``)."""
    return _undo(activity)


def unliked(account: Account, post: Post, like_pk: int) -> None:
    activity = _undo(_like_activity(account, post, like_pk))
    if not account.is_local or _group_vote(account, post, activity):
        return
    if not post.author.is_local:
        _send(activity, account, [inbox_of(post.author)])


# --- follows and blocks ----------------------------------------------------------------------


def new_follow_uri(follower: Account) -> str:
    return f"{actor_id(follower)}#follows/{new_id()}"


def _between(kind: str, activity_id: str, account: Account, target: Account) -> dict:
    """An activity of one account about another (Follow, Block)."""
    return {
        "id": activity_id,
        "type": kind,
        "actor": actor_id(account),
        "object": actor_id(target),
    }


def _tell(account: Account, target: Account, activity: dict) -> None:
    """Send a local account's activity to the remote account it is about."""
    if account.is_local and not target.is_local:
        _send(activity, account, [inbox_of(target)])


def _follow_activity(follower: Account, target: Account, uri: str) -> dict:
    fallback = f"{actor_id(follower)}#follows/{follower.pk}/{target.pk}"
    return _between("Follow", uri or fallback, follower, target)


def follow_requested(follower: Account, target: Account, uri: str) -> None:
    """A local account asks a remote one to follow it."""
    _tell(follower, target, _follow_activity(follower, target, uri))


def unfollowed(follower: Account, target: Account, uri: str) -> None:
    _tell(follower, target, _undo(_follow_activity(follower, target, uri)))


def _answer(kind: str, follower: Account, target: Account, uri: str) -> None:
    """Accept or Reject a remote account's Follow of a local one."""
    if target.is_local and not follower.is_local:
        me = actor_id(target)
        activity = {
            "id": f"{me}#{kind.lower()}s/{new_id()}",
            "type": kind,
            "actor": me,
            "object": {
                "id": uri or f"{follower.uri}#follows/{target.pk}",
                "type": "Follow",
                "actor": follower.uri,
                "object": me,
            },
        }
        _send(activity, target, [inbox_of(follower)])


def follow_accepted(follower: Account, target: Account, uri: str) -> None:
    _answer("Accept", follower, target, uri)


def follow_rejected(follower: Account, target: Account, uri: str) -> None:
    _answer("Reject", follower, target, uri)


def _block_activity(account: Account, target: Account, block_pk: int) -> dict:
    return _between("Block", f"{actor_id(account)}#blocks/{block_pk}", account, target)


def blocked(account: Account, target: Account, block_pk: int) -> None:
    _tell(account, target, _block_activity(account, target, block_pk))


def unblocked(account: Account, target: Account, block_pk: int) -> None:
    _tell(account, target, _undo(_block_activity(account, target, block_pk)))


# --- pins and profiles -----------------------------------------------------------------------


def _featured(kind: str, account: Account, post: Post) -> None:
    from wikisocial.posts.activitypub import object_id

    if not account.is_local:
        return
    me = actor_id(account)
    activity = {
        "id": f"{me}#featured/{kind.lower()}/{new_id()}",
        "type": kind,
        "actor": me,
        "to": [PUBLIC],
        "cc": [_followers_url(account)],
        "object": object_id(post),
        "target": f"{me}/featured",
    }
    _send(activity, account, followers_inboxes(account))


def pinned(account: Account, post: Post) -> None:
    _featured("Add", account, post)


def unpinned(account: Account, post: Post) -> None:
    _featured("Remove", account, post)


def _known_servers(account: Account) -> list[str]:
    """Everyone who may hold the actor: followers and the people it follows."""
    related = Q(following_set__target=account) | Q(follower_set__follower=account)
    return inboxes_of(Account.objects.filter(related).distinct())


def profile_updated(account: Account) -> None:
    from wikisocial.accounts.activitypub import actor_to_ap

    if account.is_local and account.deleted_at is None:
        me = actor_id(account)
        activity = {
            "id": f"{me}#updates/{new_id()}",
            "type": "Update",
            "actor": me,
            "to": [PUBLIC],
            "cc": [_followers_url(account)],
            "object": actor_to_ap(account),
        }
        _send(activity, account, _known_servers(account))


def account_deleted(account: Account) -> None:
    if account.is_local:
        me = actor_id(account)
        activity = {
            "id": f"{me}#delete",
            "type": "Delete",
            "actor": me,
            "to": [PUBLIC],
            "object": me,
        }
        _send(activity, account, _known_servers(account))
