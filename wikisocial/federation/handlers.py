"""One small function per inbound activity. The inbox has checked the signature, that the
actor signed it, and that the activity's id is on the actor's origin; each handler checks that
the actor may do this to that object, then calls the same domain action as the web and the API.

A handler returns what happened (for the log and the stored item) or raises ``Refused`` with the
reason; nothing it refuses has any effect.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError

from wikisocial.accounts.models import Account, ActorType
from wikisocial.core.http import FetchError, fetch_activitypub
from wikisocial.federation.actors import (
    ACTOR_TYPES,
    ActorError,
    host_of,
    instance_signer,
    store_actor,
)
from wikisocial.federation.jsonld import type_of
from wikisocial.federation.objects import (
    POST_TYPES,
    ObjectError,
    as_list,
    attributed_ids,
    fetch_post,
    is_ours,
    known_post,
    local_account,
    local_post,
    post_from_document,
    update_from_document,
    url_of,
)
from wikisocial.posts.models import Like, Post, Visibility
from wikisocial.social.models import Block, Follow, FollowRequest

logger = logging.getLogger(__name__)


class Refused(Exception):
    """The activity is not acceptable; nothing was changed."""


def _object_id(activity: dict) -> str:
    object_id = url_of(activity.get("object"))
    if object_id is None:
        raise Refused("the activity has no object")
    return object_id


def _embedded(activity: dict) -> dict | None:
    value = activity.get("object")
    return value if isinstance(value, dict) else None


def _local_target(activity: dict) -> Account:
    target = local_account(_object_id(activity))
    if target is None:
        raise Refused("the object is not one of our accounts")
    return target


# --- follows ---------------------------------------------------------------------------------


def on_follow(activity: dict, actor: Account) -> str:
    from wikisocial.federation import outbound
    from wikisocial.social.actions import follow

    target = _local_target(activity)
    if target.actor_type == ActorType.GROUP:
        from wikisocial.communities.inbox import follow_group

        return follow_group(activity, actor, target)  # joining one of our groups
    try:
        result = follow(actor, target, uri=activity["id"])
    except PermissionDenied:
        outbound.follow_rejected(actor, target, activity["id"])
        return "follow refused (blocked), Reject sent"
    except ValidationError as exc:
        raise Refused(" ".join(exc.messages)) from None
    if isinstance(result, FollowRequest):
        return f"follow request to {target.handle} waits for approval"
    return f"now follows {target.handle}"


def _our_request(activity: dict, actor: Account) -> FollowRequest | Follow | None:
    """The follow of ours that an Accept or Reject answers: by the Follow's id, or by who asked
    whom when the answer embeds the Follow without an id we know."""
    follow_id = url_of(activity.get("object"))
    rows = [FollowRequest, Follow]
    if follow_id:
        for model in rows:
            row = model.objects.filter(uri=follow_id, target=actor, follower__domain="").first()
            if row is not None:
                return row
    embedded = _embedded(activity)
    follower = local_account(url_of(embedded.get("actor"))) if embedded else None
    if follower is not None:
        for model in rows:
            row = model.objects.filter(follower=follower, target=actor).first()
            if row is not None:
                return row
    return None


def _group_answer(activity: dict, actor: Account, *, accepted: bool) -> str | None:
    """A remote group's answer to one of our people asking to join it (None: not that)."""
    if actor.actor_type != ActorType.GROUP:
        return None
    from wikisocial.communities.inbox import answered

    return answered(activity, actor, accepted=accepted)


def on_accept(activity: dict, actor: Account) -> str:
    from wikisocial.social.actions import approve_follow_request

    if (joined := _group_answer(activity, actor, accepted=True)) is not None:
        return joined
    row = _our_request(activity, actor)
    if row is None:
        raise Refused("no follow of ours that this accepts")
    if isinstance(row, Follow):
        return "already accepted"
    approve_follow_request(actor, row)
    return f"{row.follower.handle} now follows {actor.handle}"


def on_reject(activity: dict, actor: Account) -> str:
    from wikisocial.social.actions import reject_follow_request, unfollow

    if (declined := _group_answer(activity, actor, accepted=False)) is not None:
        return declined
    row = _our_request(activity, actor)
    if row is None:
        raise Refused("no follow of ours that this rejects")
    if isinstance(row, Follow):
        unfollow(row.follower, actor)
        return f"{actor.handle} removed {row.follower.handle} from its followers"
    reject_follow_request(actor, row)
    return f"{actor.handle} declined {row.follower.handle}"


# --- posts -----------------------------------------------------------------------------------


def _vote(document: dict, actor: Account) -> str | None:
    """Mastodon's poll vote: a Note with the option as its name, answering the poll."""
    from wikisocial.posts.remote import receive_vote

    name = document.get("name")
    parent_id = url_of(document.get("inReplyTo"))
    if not isinstance(name, str) or parent_id is None or document.get("content"):
        return None
    parent = local_post(parent_id)
    if parent is None or not hasattr(parent, "poll"):
        return None
    counted = receive_vote(actor, parent, name)
    return "vote counted" if counted else "vote not counted"


def on_create(activity: dict, actor: Account) -> str:
    document = _embedded(activity)
    object_id = _object_id(activity)
    if document is not None and type_of(document) not in POST_TYPES:
        return f"ignored: Create of {type_of(document)!r}"
    if local_post(object_id) is not None or known_post(object_id) is not None:
        post = known_post(object_id)
        if post is not None and post.author_id != actor.pk:
            raise Refused(f"{object_id} exists already with another author")
        return "seen before"
    if actor.uri not in attributed_ids(document or {}) and document is not None:
        raise Refused("the object is attributed to someone else than the actor")
    if document is not None:
        vote = _vote(document, actor)
        if vote is not None:
            return vote
    if document is not None and host_of(object_id) == host_of(actor.uri):
        post = post_from_document(document)
    else:
        # Not embedded, or on another origin: only its origin is believed.
        post = fetch_post(object_id)
    if post.author_id != actor.pk:
        raise Refused("the post fetched from its origin has another author")
    if post.group_id is not None:
        from wikisocial.communities.inbox import after_create

        after_create(activity, post)  # our group announces it to its members
        return f"stored post {post.pk} in {post.group.handle}"
    return f"stored post {post.pk}"


def on_update(activity: dict, actor: Account) -> str:
    document = _embedded(activity)
    if document is None:
        raise Refused("Update without an embedded object")
    object_id = _object_id(activity)
    kind = type_of(document)
    if kind in ACTOR_TYPES:
        if object_id != actor.uri:
            raise Refused("an Update of another actor")
        store_actor(document)
        return "profile updated"
    if kind in POST_TYPES:
        if host_of(object_id) != host_of(actor.uri):
            raise Refused("an Update of an object on another origin")
        post = update_from_document(document, actor)
        if post is not None and post.group_id is not None:
            from wikisocial.communities.inbox import after_update

            after_update(activity, post)
        return f"post {post.pk} updated" if post else "ignored: a post we don't hold"
    return f"ignored: Update of {kind!r}"


def on_delete(activity: dict, actor: Account) -> str:
    from wikisocial.accounts.actions import forget_remote_account
    from wikisocial.posts.actions import delete_post

    object_id = _object_id(activity)
    if object_id == actor.uri:
        forget_remote_account(actor)
        return "account deleted"
    post = Post.objects.filter(uri=object_id, local=False).first()
    if post is None:
        if local_post(object_id) is not None:
            raise Refused("a Delete of one of our posts")
        return "ignored: nothing we hold"
    from wikisocial.communities.inbox import after_delete, moderates

    if post.author_id != actor.pk and not moderates(actor, post):
        raise Refused("a Delete of someone else's post")
    if post.deleted_at is not None:
        return "deleted before"
    delete_post(post, post.author)  # its author's, or its group's moderator's, doing
    after_delete(activity, post)
    return f"post {post.pk} deleted"


# --- likes and boosts ------------------------------------------------------------------------


def on_like(activity: dict, actor: Account) -> str:
    from wikisocial.posts.actions import like

    post = local_post(_object_id(activity))
    if post is None:
        return "ignored: a like of a post that isn't ours"
    try:
        like(actor, post, uri=activity["id"])
    except PermissionDenied:
        raise Refused("a like of a post the actor may not see") from None
    if post.group_id is not None:
        from wikisocial.communities.inbox import after_vote

        after_vote(activity, post)
    return f"liked post {post.pk}"


def _boost_visibility(activity: dict) -> str:
    from wikisocial.federation.objects import PUBLIC_IDS, addressed

    if addressed(activity.get("to")) & PUBLIC_IDS:
        return Visibility.PUBLIC
    if addressed(activity.get("cc")) & PUBLIC_IDS:
        return Visibility.UNLISTED
    return Visibility.FOLLOWERS


def _worth_fetching(actor: Account) -> bool:
    """Boosts of posts we don't hold matter only to people here who follow the booster."""
    return Follow.objects.filter(target=actor, follower__domain="").exists()


def on_announce(activity: dict, actor: Account) -> str:
    from wikisocial.posts.actions import boost

    if actor.actor_type == ActorType.GROUP:
        from wikisocial.communities.inbox import group_announce

        return group_announce(activity, actor)  # FEP-1b12: what a group passes on
    document = _embedded(activity)
    if document is not None and type_of(document) not in POST_TYPES:
        return f"ignored: Announce of {type_of(document)!r} (group activities)"
    object_id = _object_id(activity)
    post = known_post(object_id)
    if post is None:
        if not _worth_fetching(actor):
            return "ignored: no one here follows the booster"
        post = fetch_post(object_id)
    if post.visibility not in (Visibility.PUBLIC, Visibility.UNLISTED) or post.deleted_at:
        raise Refused("an Announce of a post that is not public")
    try:
        row = boost(actor, post, _boost_visibility(activity), uri=activity["id"])
    except (PermissionDenied, ValidationError):
        raise Refused("an Announce of a post the actor may not boost") from None
    return f"boost {row.pk} of post {post.pk}"


# --- undo ------------------------------------------------------------------------------------


def _undo_follow(undone: dict | None, undone_id: str, actor: Account) -> str:
    from wikisocial.communities.inbox import followed_group, unfollow_group
    from wikisocial.social.actions import unfollow

    target = local_account(url_of(undone.get("object"))) if undone else None
    if target is None:
        rows = [
            *Follow.objects.filter(uri=undone_id, follower=actor),
            *FollowRequest.objects.filter(uri=undone_id, follower=actor),
        ]
        target = rows[0].target if rows else followed_group(undone_id, actor)
    if target is None:
        return "ignored: no such follow"
    if target.actor_type == ActorType.GROUP:
        return unfollow_group(actor, target)
    unfollow(actor, target)
    return f"unfollowed {target.handle}"


def _liked(undone: dict | None, undone_id: str, actor: Account) -> Post | None:
    row = Like.objects.filter(uri=undone_id, account=actor).select_related("post").first()
    post = row.post if row else None
    if post is None and undone is not None:
        post = local_post(url_of(undone.get("object")) or "")
    return post


def _undo_like(undone: dict | None, undone_id: str, actor: Account) -> str:
    from wikisocial.posts.actions import unlike

    post = _liked(undone, undone_id, actor)
    if post is None:
        return "ignored: no such like"
    unlike(actor, post)
    return f"like of post {post.pk} withdrawn"


def _undo_announce(undone: dict | None, undone_id: str, actor: Account) -> str:
    from wikisocial.posts.actions import delete_post

    row = Post.objects.filter(uri=undone_id, author=actor, boost_of__isnull=False).first()
    if row is None or row.deleted_at is not None:
        return "ignored: no such boost"
    delete_post(row, actor)
    return f"boost {row.pk} withdrawn"


def _undo_block(undone: dict | None, undone_id: str, actor: Account) -> str:
    from wikisocial.social.actions import unblock

    target = local_account(url_of(undone.get("object"))) if undone else None
    if target is None:
        row = Block.objects.filter(uri=undone_id, account=actor).first()
        target = row.target if row else None
    if target is None:
        return "ignored: no such block"
    unblock(actor, target)
    return f"unblocked {target.handle}"


UNDOABLE = {
    "Follow": _undo_follow,
    "Like": _undo_like,
    "Announce": _undo_announce,
    "Block": _undo_block,
}


def _guess_undone(undone_id: str, actor: Account) -> str | None:
    """The type of an undone activity given by id only: what we stored under that id."""
    if Follow.objects.filter(uri=undone_id, follower=actor).exists():
        return "Follow"
    if FollowRequest.objects.filter(uri=undone_id, follower=actor).exists():
        return "Follow"
    if Like.objects.filter(uri=undone_id, account=actor).exists():
        return "Like"
    if Post.objects.filter(uri=undone_id, author=actor, boost_of__isnull=False).exists():
        return "Announce"
    if Block.objects.filter(uri=undone_id, account=actor).exists():
        return "Block"
    from wikisocial.communities.inbox import followed_group

    if followed_group(undone_id, actor) is not None:
        return "Follow"
    return None


def on_undo(activity: dict, actor: Account) -> str:
    undone = _embedded(activity)
    undone_id = _object_id(activity)
    if undone is not None:
        undone_actor = url_of(undone.get("actor"))
        if undone_actor is not None and undone_actor != actor.uri:
            raise Refused("an Undo of someone else's activity")
        kind = type_of(undone)
    else:
        kind = _guess_undone(undone_id, actor)
    handler = UNDOABLE.get(kind) if isinstance(kind, str) else None
    if handler is None:
        return f"ignored: Undo of {kind!r}"
    liked = _liked(undone, undone_id, actor) if kind == "Like" else None
    outcome = handler(undone, undone_id, actor)
    if liked is not None and liked.group_id is not None:
        from wikisocial.communities.inbox import after_vote

        after_vote(activity, liked)  # our group announces the withdrawn like
    return outcome


# --- blocks, reports, moves, pins ------------------------------------------------------------


def on_block(activity: dict, actor: Account) -> str:
    from wikisocial.social.actions import block

    target = _local_target(activity)
    block(actor, target, uri=activity["id"])
    return f"blocked {target.handle}"


def on_flag(activity: dict, actor: Account) -> str:
    from wikisocial.core.markup import clean_text
    from wikisocial.moderation.actions import report

    posts: list[Post] = []
    target: Account | None = None
    for item in as_list(activity.get("object"))[:100]:
        uri = url_of(item)
        if uri is None:
            continue
        account = local_account(uri)
        post = local_post(uri) if account is None else None
        target = target or account or (post.author if post else None)
        if post is not None:
            posts.append(post)
    if target is None:
        raise Refused("the report names none of our accounts or posts")
    content = activity.get("content")
    comment = clean_text(content, multiline=True) if isinstance(content, str) else ""
    row = report(actor, target, posts, comment, uri=activity["id"])
    return f"report {row.pk} on {target.handle}"


def _also_known_as(document: dict) -> list[str]:
    return [u for u in (url_of(v) for v in as_list(document.get("alsoKnownAs"))) if u]


def on_move(activity: dict, actor: Account) -> str:
    from wikisocial.social.actions import follow, unfollow

    if _object_id(activity) != actor.uri:
        raise Refused("a Move of another actor")
    target_id = url_of(activity.get("target"))
    if target_id is None:
        raise Refused("a Move without a target")
    if is_ours(target_id):
        # Our accounts can't name an old one (no alsoKnownAs yet): nothing to check it by.
        raise Refused("a Move to an account here, which does not name the old one")
    try:
        document = fetch_activitypub(target_id, signer=instance_signer)
    except FetchError as exc:
        raise Refused(f"the new account could not be fetched: {exc.message}") from None
    if actor.uri not in _also_known_as(document):
        raise Refused("the new account does not name the old one in alsoKnownAs")
    new = store_actor(document)
    moved = 0
    for row in Follow.objects.filter(target=actor, follower__domain="").select_related("follower"):
        unfollow(row.follower, actor)
        try:
            follow(row.follower, new, show_boosts=row.show_boosts, languages=row.languages)
        except (PermissionDenied, ValidationError):
            continue  # blocked either way: that follower stays behind
        moved += 1
    return f"{moved} follower(s) moved to {new.handle}"


def _featured_post(activity: dict, actor: Account) -> Post:
    target = url_of(activity.get("target"))
    if target is None or host_of(target) != host_of(actor.uri):
        raise Refused("the collection is not the actor's")
    post = known_post(_object_id(activity)) or fetch_post(_object_id(activity))
    if post.author_id != actor.pk:
        raise Refused("only one's own posts can be featured")
    return post


def on_add(activity: dict, actor: Account) -> str:
    from wikisocial.posts.remote import receive_featured

    post = _featured_post(activity, actor)
    receive_featured(actor, post, featured=True)
    return f"pinned post {post.pk}"


def on_remove(activity: dict, actor: Account) -> str:
    from wikisocial.posts.remote import receive_featured

    post = _featured_post(activity, actor)
    receive_featured(actor, post, featured=False)
    return f"unpinned post {post.pk}"


HANDLERS = {
    "Follow": on_follow,
    "Accept": on_accept,
    "Reject": on_reject,
    "Create": on_create,
    "Update": on_update,
    "Delete": on_delete,
    "Like": on_like,
    "Announce": on_announce,
    "Undo": on_undo,
    "Block": on_block,
    "Flag": on_flag,
    "Move": on_move,
    "Add": on_add,
    "Remove": on_remove,
}

# What a handler may raise to refuse an activity; anything else is a bug and propagates.
REFUSALS: tuple[type[Exception], ...] = (
    Refused,
    ObjectError,
    ActorError,
    PermissionDenied,
    ValidationError,
)


def actor_of(activity: dict[str, Any]) -> Account | None:
    actor_id = url_of(activity.get("actor"))
    return Account.objects.filter(uri=actor_id).exclude(domain="").first() if actor_id else None


__all__ = ["HANDLERS", "REFUSALS", "Refused", "actor_of"]
