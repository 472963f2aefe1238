"""Group activities coming in (FEP-1b12, as Lemmy and Mbin federate communities).

Into our groups: a remote person's ``Follow`` joins (``communities.actions.join``: an Accept,
or a request for the moderators), ``Undo{Follow}`` leaves; their posts (``Create{Page|Note}``
naming the group in ``audience``, ``to`` or ``cc``, or answering a post in it) obey the
group's rules (``forum.check_group_post``: members only in closed groups, bans, locked
topics) and are then announced by the group to its other members, as are their edits,
deletions and likes.

From remote groups our people joined: the group's ``Accept``/``Reject`` of their Follow, and
whatever it ``Announce``s (posts, edits, deletions, likes, locks, pins, bans), taken only from
a group that has members here, with the announced activity's origin checked as for any
activity (an object from another server than the group's is fetched from its own).

Federation's handlers (``federation.handlers``) call these; refusals raise ``Refused`` (or a
``ValidationError``) with the reason, which the inbox logs.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from wikisocial.accounts.models import Account, ActorType
from wikisocial.communities import access, forum
from wikisocial.communities.models import (
    OPEN_KINDS,
    Group,
    GroupBan,
    GroupKind,
    JoinRequest,
    Membership,
    Topic,
)
from wikisocial.core.http import FetchError, fetch_activitypub
from wikisocial.core.markup import clean_text, excerpt
from wikisocial.core.tasks import on_queue
from wikisocial.federation.actors import fetch_actor, host_of, instance_signer
from wikisocial.federation.handlers import Refused
from wikisocial.federation.jsonld import type_of
from wikisocial.federation.objects import (
    POST_TYPES,
    ObjectError,
    as_list,
    attributed_ids,
    fetch_post,
    ids_of,
    known_post,
    local_account,
    post_from_document,
    update_from_document,
    url_of,
)
from wikisocial.posts.models import Post

if TYPE_CHECKING:
    from wikisocial.posts.remote import Incoming

logger = logging.getLogger(__name__)

OUTBOX_ITEMS = 20  # topics read from a remote group's outbox when someone here joins it
ADDRESSEES = 50  # ids of a document looked at to find its group


# --- remote groups ---------------------------------------------------------------------------


def _same_host_url(value: Any, owner: str) -> str:
    url = url_of(value)
    return url if url and host_of(url) == host_of(owner) else ""


def remote_group_stored(account: Account, document: dict) -> Group:
    """A remote ``Group`` actor was stored (``federation.actors.store_actor``): its row here,
    kind public (restricted when it approves members by hand). A group seen to send posts
    that are not public is private here for good (``_close``): an Update never reopens it."""
    fields = {
        "moderators_url": _same_host_url(
            document.get("attributedTo") or document.get("moderators"), account.uri
        ),
        "featured_url": _same_host_url(document.get("featured"), account.uri),
        "posting_restricted_to_mods": document.get("postingRestrictedToMods") is True,
    }
    approves = document.get("manuallyApprovesFollowers") is True
    kind = GroupKind.RESTRICTED if approves else GroupKind.PUBLIC
    group, created = Group.objects.get_or_create(
        account=account, defaults={**fields, "kind": kind, "last_activity_at": timezone.now()}
    )
    if not created:
        if group.kind != GroupKind.PRIVATE:
            fields["kind"] = kind
        Group.objects.filter(pk=group.pk).update(**fields)
        group.refresh_from_db()
    return group


def remote_group(account: Account) -> Group:
    """The row of a remote Group actor we know (made now if it was stored before groups)."""
    group = Group.objects.filter(account=account).select_related("account").first()
    if group is None:
        group, _created = Group.objects.get_or_create(
            account=account, defaults={"last_activity_at": timezone.now()}
        )
    return group


def _close(group: Group) -> None:
    """A remote group sent a post that is not public: from now on only its members here read
    it (whatever its actor says)."""
    if Group.objects.filter(pk=group.pk, kind__in=OPEN_KINDS).update(kind=GroupKind.PRIVATE):
        logger.info("remote group %s sends non-public posts: private here", group.handle)
    group.kind = GroupKind.PRIVATE
    forum.sync_visibility(group)


# --- the group a post is in ------------------------------------------------------------------


def _group_at(url: str) -> Group | None:
    """Our group whose id is ``url``, or a remote group we hold a row for."""
    account = local_account(url)
    if account is None:
        account = Account.objects.filter(uri=url).exclude(domain="").first()
    if account is None or account.actor_type != ActorType.GROUP:
        return None
    return Group.objects.filter(account=account).select_related("account").first()


def _addressed_group(document: dict) -> Group | None:
    ids = [*ids_of(document.get("audience")), *ids_of(document.get("to"))]
    ids += ids_of(document.get("cc"))
    for url in dict.fromkeys(ids[:ADDRESSEES]):
        group = _group_at(url)
        if group is not None:
            return group
    return None


def group_of_document(
    document: dict, parent: Post | None, hint: Group | None, *, public: bool
) -> Group | None:
    """The group a remote post is in: its parent's, the group announcing it (``hint``), or a
    group it is addressed to. A reply to a post outside groups stays outside (as
    ``posts.actions.create_post`` keeps replies in their parent's group): addressing a group
    does not take it in, nor would a closed group's reply show in an open thread's counts. A
    post that is not public stays out of our open groups (it would be shown to everyone
    there) and makes a remote group private here."""
    group = parent.group if parent is not None and parent.group_id else None
    if group is not None and hint is not None and hint.pk != group.pk:
        raise ObjectError("the post answers a post in another group")
    if parent is not None and group is None:
        return None
    group = group or hint or _addressed_group(document)
    if group is None or public:
        return group
    if group.is_local:
        return None if group.is_open else group
    _close(group)
    return group


# --- posts into our groups -------------------------------------------------------------------


def check_group_post(author: Account, incoming: Incoming) -> None:
    """Called by ``posts.remote.receive_post`` before a remote post enters a group of ours:
    the group's rules, as for a post made here. Refusals are logged with the reason."""
    group = incoming.group
    if not group.is_local:
        return
    try:
        forum.check_group_post(author, group, incoming.in_reply_to)
    except ValidationError as error:
        reason = " ".join(error.messages)
        logger.info("group %s refused a post by %s: %s", group.handle, author.handle, reason)
        raise


def group_post_received(post: Post, title: str) -> None:
    """A remote post was stored in a group (inside ``receive_post``'s transaction): a post
    answering nothing starts a topic, titled by its ``name`` (Lemmy's post title)."""
    if post.in_reply_to_id is None:
        title = title or excerpt(post.content_html, 80) or "…"
        topic = Topic.objects.create(
            post=post,
            group=post.group,
            title=title[: forum.TITLE_LIMIT],
            created_at=post.created_at,
            last_activity_at=post.created_at,
        )
        forum.topic_created(topic)
    forum.group_post_created(post)


def _ours_to_announce(post: Post | None) -> Group | None:
    """The group of ours that must announce what a remote person did to ``post``."""
    if post is None or post.group_id is None or not post.group.is_local:
        return None
    return post.group


def after_create(activity: dict, post: Post) -> None:
    """A remote person's post entered a group of ours: the group announces it."""
    from wikisocial.communities.activitypub import announce, concerned

    group = _ours_to_announce(post)
    if group is not None and not post.author.is_local:
        announce(group, activity, concerned(post))


def after_update(activity: dict, post: Post | None) -> None:
    """A remote author edited a post in a group: a topic's title follows its ``name``; our
    group announces the edit."""
    from wikisocial.communities.activitypub import announce

    if post is None or post.group_id is None:
        return
    document = activity.get("object")
    name = document.get("name") if isinstance(document, dict) else None
    if post.in_reply_to_id is None and isinstance(name, str) and clean_text(name):
        Topic.objects.filter(post=post).update(title=clean_text(name)[: forum.TITLE_LIMIT])
    group = _ours_to_announce(post)
    if group is not None:
        announce(group, activity)


def after_delete(activity: dict, post: Post) -> None:
    from wikisocial.communities.activitypub import announce

    group = _ours_to_announce(post)
    if group is not None:
        announce(group, activity)


def after_vote(activity: dict, post: Post) -> None:
    """A remote like (or its undo) of a post in a group of ours: announced, as Lemmy's
    communities announce votes."""
    from wikisocial.communities.activitypub import announce

    group = _ours_to_announce(post)
    if group is not None:
        announce(group, activity)


def moderates(actor: Account, post: Post) -> bool:
    """Whether ``actor`` moderates the group ``post`` is in (and so may delete it)."""
    return post.group_id is not None and access.can_moderate(actor, post.group)


# --- joining our groups ----------------------------------------------------------------------


def follow_group(activity: dict, actor: Account, account: Account) -> str:
    """A remote person's Follow of our group: they join (public groups: Accept sent by
    ``member_accepted``), ask to (the moderators decide), or, banned, get a Reject."""
    from wikisocial.communities.actions import join
    from wikisocial.federation.outbound import follow_accepted, follow_rejected

    group = Group.objects.filter(account=account).select_related("account").first()
    if group is None:
        raise Refused("the object is not a group")
    before = access.membership_of(actor, group)
    try:
        result = join(actor, group, uri=activity["id"])
    except ValidationError as error:
        if getattr(error, "code", None) == "banned":
            follow_rejected(actor, account, activity["id"])
            logger.info("%s is banned from %s: Follow rejected", actor.handle, group.handle)
            return f"{actor.handle} is banned from {group.handle}: Reject sent"
        raise Refused(" ".join(error.messages)) from None
    if isinstance(result, JoinRequest):
        return f"{actor.handle} asks to join {group.handle}"
    if before is not None:  # a repeated Follow gets its Accept again
        follow_accepted(actor, account, activity["id"])
    return f"{actor.handle} joined {group.handle}"


def followed_group(follow_id: str, actor: Account) -> Account | None:
    """The group of ours a Follow (given by id) of ``actor`` was for."""
    for model in (Membership, JoinRequest):
        rows = model.objects.filter(uri=follow_id, account=actor)
        row = rows.select_related("group__account").first()
        if row is not None and row.group.is_local:
            return row.group.account
    return None


def unfollow_group(actor: Account, account: Account) -> str:
    """Undo{Follow} of our group: the person leaves (or withdraws a request)."""
    from wikisocial.communities.actions import leave

    group = Group.objects.get(account=account)
    leave(actor, group)
    return f"{actor.handle} left {group.handle}"


# --- our people joining remote groups --------------------------------------------------------


def accept_remote_membership(group: Group, account: Account, uri: str) -> Membership:
    """A remote group accepted our ``account``'s Follow: their request becomes a membership
    (``communities.actions`` is for changes made here; this records one made there), and the
    group's recent topics are read from its outbox."""
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            group=group, account=account, defaults={"uri": uri}
        )
        JoinRequest.objects.filter(group=group, account=account).delete()
        if created:
            Group.objects.filter(pk=group.pk).update(members_count=F("members_count") + 1)
            transaction.on_commit(lambda: backfill_group.enqueue(group.pk))
    return membership


def _drop_membership(group: Group, account: Account) -> None:
    deleted, _rows = Membership.objects.filter(group=group, account=account).delete()
    if deleted:
        Group.objects.filter(pk=group.pk, members_count__gt=0).update(
            members_count=F("members_count") - 1
        )
    JoinRequest.objects.filter(group=group, account=account).delete()


def _our_join(activity: dict, group: Group) -> JoinRequest | Membership | None:
    """Which of our people's Follows an Accept or Reject answers: by the Follow's id, or by
    the follower it names."""
    embedded = activity.get("object")
    follow_id = url_of(embedded)
    for model in (JoinRequest, Membership):
        if follow_id:
            row = model.objects.filter(group=group, uri=follow_id, account__domain="").first()
            if row is not None:
                return row
    follower = local_account(url_of(embedded.get("actor"))) if isinstance(embedded, dict) else None
    for model in (JoinRequest, Membership):
        row = model.objects.filter(group=group, account=follower).first() if follower else None
        if row is not None:
            return row
    return None


def answered(activity: dict, actor: Account, *, accepted: bool) -> str | None:
    """A remote group's Accept or Reject of one of our people's Follows; None when it answers
    no request to join (a plain follow of the group's account, for ``social``)."""
    group = Group.objects.filter(account=actor).select_related("account").first()
    row = _our_join(activity, group) if group is not None else None
    if row is None:
        return None
    if accepted:
        accept_remote_membership(group, row.account, row.uri)
        return f"{row.account.handle} joined {group.handle}"
    _drop_membership(group, row.account)
    return f"{group.handle} declined {row.account.handle}"


# --- what a remote group announces -----------------------------------------------------------


def _inner(activity: dict) -> dict:
    """The announced activity (or object): embedded, or fetched by its id from its origin."""
    value = activity.get("object")
    if isinstance(value, dict):
        return value
    url = url_of(value)
    if url is None:
        raise Refused("an Announce without an object")
    try:
        return fetch_activitypub(url, signer=instance_signer)
    except FetchError as exc:
        raise Refused(f"the announced {url} could not be fetched: {exc.message}") from None


def _as_activity(inner: dict) -> dict:
    """An announced object (Mbin and older servers announce the Page itself) as its Create."""
    if type_of(inner) not in POST_TYPES:
        return inner
    actor = next(iter(attributed_ids(inner)), None)
    return {"type": "Create", "id": url_of(inner.get("id")), "actor": actor, "object": inner}


def _inner_actor_id(inner: dict) -> str:
    """The announced activity's actor; its id, when it has one, must be on the actor's
    origin (as the inbox requires of every activity)."""
    actor_id = url_of(inner.get("actor"))
    if actor_id is None:
        raise Refused("the announced activity has no actor")
    inner_id = url_of(inner.get("id"))
    if inner_id is not None and host_of(inner_id) != host_of(actor_id):
        raise Refused("the announced activity's id is on another origin than its actor")
    return actor_id


def _inner_actor(inner: dict) -> Account:
    actor_id = _inner_actor_id(inner)
    account = Account.objects.filter(uri=actor_id).first() or local_account(actor_id)
    return account or fetch_actor(actor_id)


def _group_post(inner: dict, group: Group) -> Post | None:
    """The post an announced activity is about, if we hold it; it must be in this group."""
    post = known_post(url_of(inner.get("object")) or "")
    if post is not None and post.group_id != group.pk:
        raise Refused(f"the post is not in {group.handle}")
    return post


def _announced_create(inner: dict, group: Group) -> str:
    actor_id = _inner_actor_id(inner)
    document = inner.get("object") if isinstance(inner.get("object"), dict) else None
    object_id = url_of(inner.get("object"))
    if object_id is None:
        raise Refused("an announced Create without an object")
    if known_post(object_id) is not None:
        return "seen before"
    if document is not None and actor_id not in attributed_ids(document):
        raise Refused("the announced object is attributed to someone else than its actor")
    group_host = host_of(group.account.uri)
    if document is not None and host_of(object_id) == host_of(actor_id) == group_host:
        post = post_from_document(document, group=group)
    else:
        # From another server than the group's: only its origin is believed.
        post = fetch_post(object_id, group=group)
    if post.author.uri != actor_id:
        raise Refused("the announced post has another author")
    return f"stored post {post.pk} in {group.handle}"


def _announced_update(inner: dict, group: Group) -> str:
    from wikisocial.federation.actors import store_actor

    object_id = url_of(inner.get("object"))
    if object_id == group.account.uri:
        # The group's own profile: believed from its own server only.
        store_actor(_fetched(object_id))
        return f"{group.handle} updated"
    actor = _inner_actor(inner)
    post = _group_post(inner, group)
    if post is None:
        return "ignored: an edit of a post we don't hold"
    document = inner.get("object")
    if not isinstance(document, dict) or host_of(object_id) != host_of(group.account.uri):
        document = _fetched(object_id)
    update_from_document(document, actor)
    after_update({"object": document}, post)
    return f"post {post.pk} updated"


def _fetched(url: str) -> dict:
    try:
        return fetch_activitypub(url, signer=instance_signer)
    except FetchError as exc:
        raise Refused(f"{url} could not be fetched: {exc.message}") from None


def _announced_delete(inner: dict, group: Group) -> str:
    from wikisocial.posts.actions import delete_post

    _inner_actor_id(inner)
    post = _group_post(inner, group)
    if post is None or post.deleted_at is not None:
        return "ignored: nothing we hold"
    if post.local:
        return "ignored: a remote group's Delete of a post of ours"
    delete_post(post, post.author)  # the author, or the group's moderators, removed it
    return f"post {post.pk} deleted from {group.handle}"


def _announced_like(inner: dict, group: Group) -> str:
    from wikisocial.posts.actions import like

    post = _group_post(inner, group)
    if post is None:
        return "ignored: a like of a post we don't hold"
    try:
        like(_inner_actor(inner), post, uri=url_of(inner.get("id")) or "")
    except PermissionDenied:
        return "ignored: a like from someone who may not see the post here"
    return f"liked post {post.pk}"


def _set_lock(inner: dict, group: Group, locked: bool) -> str:
    _inner_actor_id(inner)
    post = _group_post(inner, group)
    if post is None:
        return "ignored: a lock of a post we don't hold"
    Topic.objects.filter(post=post).update(locked=locked)
    return f"topic {post.pk} {'locked' if locked else 'unlocked'}"


def _set_featured(inner: dict, group: Group, pinned: bool) -> str:
    target = url_of(inner.get("target"))
    if target is None or target == group.moderators_url:
        return "ignored: a change of the remote group's moderators"
    if target != group.featured_url:
        raise Refused("the collection is not the group's featured")
    _inner_actor_id(inner)
    post = _group_post(inner, group)
    if post is None:
        return "ignored: a pin of a post we don't hold"
    Topic.objects.filter(post=post).update(pinned_at=timezone.now() if pinned else None)
    return f"topic {post.pk} {'pinned' if pinned else 'unpinned'}"


def _banned_here(inner: dict, group: Group) -> Account | None:
    """Our person a group's Block (ban) names, when it is about this group."""
    target = url_of(inner.get("target"))
    if target is not None and target != group.account.uri:
        raise Refused("a ban from another group")
    _inner_actor_id(inner)
    return local_account(url_of(inner.get("object")) or "")


def _set_ban(inner: dict, group: Group, banned: bool) -> str:
    from wikisocial.federation.objects import _when

    account = _banned_here(inner, group)
    if account is None:
        return "ignored: a ban of someone not on this server"
    if not banned:
        GroupBan.objects.filter(group=group, account=account).delete()
        return f"{account.handle} no longer banned from {group.handle}"
    summary = inner.get("summary")
    reason = clean_text(summary, multiline=True)[:1000] if isinstance(summary, str) else ""
    with transaction.atomic():
        _drop_membership(group, account)
        GroupBan.objects.update_or_create(
            group=group,
            account=account,
            defaults={"reason": reason, "expires_at": _when(inner.get("expires"))},
        )
    return f"{account.handle} banned from {group.handle}"


def _announced_undo(inner: dict, group: Group) -> str:
    from wikisocial.posts.actions import unlike

    undone = inner.get("object")
    if not isinstance(undone, dict) or url_of(undone.get("actor")) != _inner_actor_id(inner):
        return "ignored: an Undo of an activity not embedded, or of someone else's"
    kind = type_of(undone)
    if kind == "Lock":
        return _set_lock(undone, group, False)
    if kind == "Block":
        return _set_ban(undone, group, False)
    if kind == "Like":
        post = _group_post(undone, group)
        if post is not None:
            unlike(_inner_actor(undone), post)
            return f"like of post {post.pk} withdrawn"
    return f"ignored: an announced Undo of {kind!r}"


ANNOUNCED = {
    "Create": _announced_create,
    "Update": _announced_update,
    "Delete": _announced_delete,
    "Like": _announced_like,
    "Lock": lambda inner, group: _set_lock(inner, group, True),
    "Add": lambda inner, group: _set_featured(inner, group, True),
    "Remove": lambda inner, group: _set_featured(inner, group, False),
    "Block": lambda inner, group: _set_ban(inner, group, True),
    "Undo": _announced_undo,
}


def _announced(inner: dict, group: Group) -> str:
    inner = _as_activity(inner)
    kind = type_of(inner)
    if kind == "Dislike":
        return "ignored: a Dislike (there are no downvotes here)"
    handler = ANNOUNCED.get(kind)
    if handler is None:
        return f"ignored: {kind!r} announced by {group.handle}"
    return handler(inner, group)


def group_announce(activity: dict, actor: Account) -> str:
    """Whatever a remote group announces, taken only when people here belong to it."""
    group = remote_group(actor)
    if not group.memberships.filter(account__domain="").exists():
        logger.info("%s announced %s, but nobody here is a member", group.handle, activity["id"])
        raise Refused(f"{group.handle} has no members here")
    return _announced(_inner(activity), group)


# --- a remote group's recent topics ----------------------------------------------------------


def _outbox_items(document: dict) -> list:
    items = document.get("orderedItems")
    first = document.get("first")
    if items is None and isinstance(first, dict):
        items = first.get("orderedItems")
    elif items is None and url_of(first):
        page = url_of(first)
        if host_of(page) == host_of(url_of(document.get("id")) or ""):
            items = _fetched(page).get("orderedItems")
    return as_list(items)[:OUTBOX_ITEMS]


def read_outbox(group: Group, document: dict) -> int:
    """Take the group's Announces from its outbox (fetched from the group's server), as if
    they had been delivered; returns how many were taken."""
    from wikisocial.federation.handlers import REFUSALS

    taken = 0
    for item in reversed(_outbox_items(document)):  # oldest first, as they were announced
        if type_of(item) != "Announce" or url_of(item.get("actor")) != group.account.uri:
            continue
        try:
            outcome = _announced(_inner(item), group)
        except REFUSALS as exc:
            logger.info("outbox of %s: an item refused: %s", group.handle, exc)
            continue
        taken += outcome.startswith("stored")
    return taken


@on_queue("inbound")
def backfill_group(group_id: int) -> None:
    """Read the recent topics of a remote group someone here just joined."""
    group = Group.objects.select_related("account").filter(pk=group_id).first()
    if group is None or group.is_local:
        return
    try:
        actor = fetch_activitypub(group.account.uri, signer=instance_signer)
        outbox = _same_host_url(actor.get("outbox"), group.account.uri)
        document = fetch_activitypub(outbox, signer=instance_signer) if outbox else {}
        taken = read_outbox(group, document) if document else 0
    except (FetchError, Refused) as exc:
        logger.info("could not read the outbox of %s: %s", group.handle, exc)
        return
    logger.info("read %d topic(s) from the outbox of %s", taken, group.handle)
