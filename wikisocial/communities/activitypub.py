"""Groups in ActivityPub (FEP-1b12, as Lemmy and Mbin federate communities).

Our groups are ``Group`` actors at ``/g/<handle>``. What happens in a group of ours reaches its
remote members as the group's ``Announce`` of the activity (a post's ``Create``, an edit, a
deletion, a like, a moderator's ``Lock``, ``Block``, ``Add``…), delivered once per inbox. What
our people do in a remote group goes to that group's inbox; the group announces it to its
members. Restricted and private groups federate only to those who may read them: a private
group's posts are addressed to the group alone, never to the public, and go only to its
members' servers.

The hooks below are called inside the domain action's transaction (``communities.actions``,
``communities.forum``, ``federation.outbound``) and write ``Delivery`` rows; for groups and
people on this server alone there is nothing to send. Inbound group activities are in
``communities.inbox``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import get_language_info
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from wikisocial.accounts.models import Account
from wikisocial.communities.models import (
    MODERATING_ROLES,
    Group,
    GroupBan,
    GroupKind,
    JoinRequest,
    Membership,
    Topic,
)
from wikisocial.core.ids import new_id
from wikisocial.federation.jsonld import PUBLIC, activity_response, wants_activitypub
from wikisocial.federation.urls_util import absolute, actor_id
from wikisocial.posts.models import Post

logger = logging.getLogger(__name__)

NAMESPACE = "group-ap"
OUTBOX_TOPICS = 20


# --- ids -------------------------------------------------------------------------------------


def group_id(group: Group) -> str:
    return actor_id(group.account)


def _part(group: Group, name: str) -> str:
    """One of our group's collections (inbox, outbox, followers, moderators, featured)."""
    return absolute(reverse(f"{NAMESPACE}:{name}", kwargs={"handle": group.account.username}))


def followers_url(group: Group) -> str:
    if group.is_local:
        return _part(group, "followers")
    return group.account.followers_url or f"{group_id(group)}/followers"


def featured_url(group: Group) -> str:
    return _part(group, "featured") if group.is_local else group.featured_url


# --- the actor -------------------------------------------------------------------------------


def _summary(group: Group) -> tuple[str, str]:
    """The description and the rules, as HTML and as Markdown (Lemmy shows both as the
    community's sidebar)."""
    account = group.account
    html = account.bio_html
    source = account.bio
    if group.rules:
        html = f"{html}<hr />{group.rules_html}" if html else group.rules_html
        source = f"{source}\n\n---\n\n{group.rules}" if source else group.rules
    return html, source


def _language(code: str) -> list[dict]:
    if not code:
        return []
    try:
        name = get_language_info(code)["name"]
    except KeyError:
        name = code
    return [{"identifier": code, "name": name}]


def group_to_ap(group: Group) -> dict:
    """The ``Group`` actor, with what Lemmy, Mbin and Mastodon read of it."""
    from wikisocial.accounts.activitypub import media_url
    from wikisocial.federation.keys import key_of
    from wikisocial.posts.activitypub import iso

    me = group_id(group)
    account = group.account
    html, source = _summary(group)
    document = {
        "id": me,
        "type": "Group",
        "preferredUsername": account.username,
        "name": account.display_name or account.username,
        "summary": html,
        "source": {"content": source, "mediaType": "text/markdown"},
        "url": me,
        "inbox": _part(group, "inbox"),
        "outbox": _part(group, "outbox"),
        "followers": _part(group, "followers"),
        "featured": _part(group, "featured"),
        "attributedTo": _part(group, "moderators"),
        "moderators": _part(group, "moderators"),
        "postingRestrictedToMods": group.posting_restricted_to_mods,
        "manuallyApprovesFollowers": group.kind != GroupKind.PUBLIC,
        "discoverable": group.kind != GroupKind.HIDDEN,
        "sensitive": False,
        "endpoints": {"sharedInbox": absolute(reverse("federation:shared-inbox"))},
        "published": iso(group.created_at),
        "publicKey": {
            "id": f"{me}#main-key",
            "owner": me,
            "publicKeyPem": key_of(account).public_key_pem,
        },
        "language": _language(group.language),
    }
    if account.avatar:
        document["icon"] = {"type": "Image", "url": media_url(account.avatar)}
    if account.header:
        document["image"] = {"type": "Image", "url": media_url(account.header)}
    return document


# --- who may fetch what ----------------------------------------------------------------------


def _signing_domain(request: HttpRequest) -> str | None:
    """The server that signed this GET (authorized fetch), or None when unsigned or forged."""
    from wikisocial.federation.actors import fetch_key, key_owner, known_key
    from wikisocial.federation.signatures import SignatureError, UnknownKeyError, verify_any

    if "Signature" not in request.headers and "Signature-Input" not in request.headers:
        return None
    url = request.build_absolute_uri()
    headers = dict(request.headers)

    def verify():
        return verify_any(request.method, url, headers, b"", known_key)

    try:
        try:
            verified = verify()
        except UnknownKeyError as unknown:
            if fetch_key(unknown.key_id) is None:
                return None
            verified = verify()
    except SignatureError:
        return None
    owner = key_owner(verified.key_id)
    return owner.domain if owner is not None and owner.domain else None


def _member_server(request: HttpRequest, group: Group) -> bool:
    """Whether the request is signed by a server some of the group's members are on."""
    domain = _signing_domain(request)
    return domain is not None and group.memberships.filter(account__domain=domain).exists()


def _exists_for(request: HttpRequest, group: Group) -> bool:
    """Hidden groups exist only for their members' servers; the others for everyone."""
    return group.kind != GroupKind.HIDDEN or _member_server(request, group)


def _readable_for(request: HttpRequest, group: Group) -> bool:
    """Open groups' content is for everyone; the others' for their members' servers."""
    return group.is_open or _member_server(request, group)


def _local_group(handle: str) -> Group:
    group = (
        Group.objects.alive()
        .select_related("account")
        .filter(account__domain="", account__username__iexact=handle)
        .first()
    )
    if group is None:
        raise Http404
    return group


def group_response(request: HttpRequest, group: Group) -> HttpResponse:
    """The Group actor, for ``/g/<handle>`` asked for as ActivityPub (content negotiation)."""
    if not group.is_local:
        return HttpResponseRedirect(group.account.uri)
    if group.account.deleted_at is not None or not _exists_for(request, group):
        raise Http404
    return activity_response(group_to_ap(group))


# --- collections -----------------------------------------------------------------------------


def _document_view(view):
    """A collection of a local group: servers get ActivityStreams, browsers the group page;
    a group that does not exist for the asker is a 404 either way."""

    @require_GET
    @functools.wraps(view)
    def wrapped(request: HttpRequest, handle: str) -> HttpResponse:
        group = _local_group(handle)
        if not _exists_for(request, group):
            raise Http404
        if not wants_activitypub(request):
            return HttpResponseRedirect(group.get_absolute_url())
        return view(request, group)

    return wrapped


def _announce_of(post: Post) -> dict:
    """How a topic appears in the group's outbox: the group's Announce of its Create."""
    from wikisocial.posts.activitypub import activity_of, iso

    group = post.group
    inner = activity_of(post) if post.local else post.uri
    return {
        "id": f"{group_id(group)}#announces/{post.pk}",
        "type": "Announce",
        "actor": group_id(group),
        "published": iso(post.created_at),
        **_group_audience(group),
        "object": inner,
    }


@_document_view
def outbox(request: HttpRequest, group: Group) -> HttpResponse:
    """The group's topics, newest first, as its Announces; a closed group's only for its
    members' servers (others learn how many)."""
    from wikisocial.federation.documents import ordered_collection

    topics = (
        Post.objects.filter(group=group, topic__isnull=False, deleted_at__isnull=True)
        .select_related("author", "group__account", "in_reply_to")
        .order_by("-id")
    )
    hidden = not _readable_for(request, group)
    return ordered_collection(request, _part(group, "outbox"), topics, _announce_of, hidden=hidden)


@_document_view
def followers(request: HttpRequest, group: Group) -> HttpResponse:
    """How many members the group has; never who."""
    url = _part(group, "followers")
    return activity_response(
        {"id": url, "type": "OrderedCollection", "totalItems": group.members_count}
    )


@_document_view
def moderators(request: HttpRequest, group: Group) -> HttpResponse:
    """Who moderates the group (Lemmy checks moderators' actions against it)."""
    rows = group.memberships.filter(role__in=MODERATING_ROLES).select_related("account")
    people = [actor_id(row.account) for row in rows.order_by("created_at", "pk")]
    document = {"id": _part(group, "moderators"), "type": "OrderedCollection"}
    document["totalItems"] = len(people)
    if _readable_for(request, group):
        document["orderedItems"] = people
    return activity_response(document)


@_document_view
def featured(request: HttpRequest, group: Group) -> HttpResponse:
    """The pinned topics, as their documents."""
    from wikisocial.posts.activitypub import post_to_ap

    pinned = Post.objects.filter(
        group=group, topic__pinned_at__isnull=False, deleted_at__isnull=True, local=True
    ).select_related("author", "group__account")
    items = [post_to_ap(p) for p in pinned.order_by("-topic__pinned_at")]
    document = {"id": _part(group, "featured"), "type": "OrderedCollection"}
    document["totalItems"] = len(items)
    if _readable_for(request, group):
        document["orderedItems"] = items
    return activity_response(document)


@csrf_exempt
@require_POST
def inbox(request: HttpRequest, handle: str) -> HttpResponse:
    """The group's own inbox: the same gate as every inbox (``federation.inbox``); a hidden
    group's answers 404 (its members' servers use the shared inbox)."""
    from wikisocial.federation.inbox import inbox as shared_inbox

    group = _local_group(handle)
    if group.kind == GroupKind.HIDDEN:
        raise Http404
    return shared_inbox(request)


# --- posts as documents (posts.activitypub asks these for posts in groups) -------------------


def _group_audience(group: Group) -> dict:
    """to/cc of what the group announces: everyone for open groups, its members otherwise."""
    if group.is_open:
        return {"to": [PUBLIC], "cc": [followers_url(group)]}
    return {"to": [followers_url(group)], "cc": []}


def post_addressing(post: Post) -> tuple[list[str], list[str]]:
    """to and cc of a post in a group: the group and the public in open groups (as Lemmy
    addresses a community's posts), the group alone otherwise; never the public then."""
    group = post.group
    me = group_id(group)
    if not group.is_open:
        return [me], [followers_url(group)]
    mentioned = [actor_id(m.account) for m in post.mentions.select_related("account")]
    return [me, PUBLIC], mentioned


def shape_post_document(post: Post, document: dict) -> None:
    """A post in a group as Lemmy expects it: a topic is a ``Page`` whose ``name`` is the
    title, a reply a ``Note``; both name the group in ``audience``."""
    document["audience"] = group_id(post.group)
    if post.in_reply_to_id is not None:
        return
    topic = Topic.objects.filter(post_id=post.pk).first()
    if topic is None:
        return
    document["type"] = "Page"
    document["name"] = topic.title
    document["commentsEnabled"] = not topic.locked
    document["stickied"] = topic.pinned_at is not None
    # Lemmy reads a Page's url as the link the post is about: ours is the page itself.
    document.pop("url", None)


# --- sending ---------------------------------------------------------------------------------


def _send(activity: dict, sender: Account, inboxes: Iterable[str]) -> None:
    from wikisocial.federation.outbound import send

    send(activity, sender, inboxes)


def _inboxes(accounts: QuerySet) -> list[str]:
    from wikisocial.federation.outbound import inboxes_of

    return inboxes_of(accounts)


def member_inboxes(group: Group) -> list[str]:
    """The inboxes of the group's remote members (shared ones preferred), once each."""
    return _inboxes(Account.objects.filter(memberships__group=group))


def _bare(activity: dict) -> dict:
    return {k: v for k, v in activity.items() if k != "@context"}


def announce(group: Group, activity: dict, also: Iterable[Account] = ()) -> None:
    """The group's Announce of ``activity`` to its remote members (and ``also`` these remote
    people, in open groups only: those a post answers or mentions)."""
    if not group.is_local:
        return
    me = group_id(group)
    wrapped = {
        "id": f"{me}#announces/{new_id()}",
        "type": "Announce",
        "actor": me,
        **_group_audience(group),
        "audience": me,
        "object": _bare(activity),
    }
    extra = [a.pk for a in also] if group.is_open else []
    inboxes = member_inboxes(group) + _inboxes(Account.objects.filter(pk__in=extra))
    _send(wrapped, group.account, inboxes)


def concerned(post: Post) -> list[Account]:
    """Remote people a post in an open group concerns besides the members: those it mentions,
    the author it answers and the topic's author."""
    people = Q(mentioned_in__post=post)
    if post.in_reply_to_account_id:
        people |= Q(pk=post.in_reply_to_account_id)
    if post.thread_root_id:
        people |= Q(posts__pk=post.thread_root_id)
    return list(Account.objects.filter(people).exclude(domain="").distinct())


def post_activity(post: Post, activity: dict) -> None:
    """A local author's activity about a post in a group (``federation.outbound`` builds it):
    our group announces it; a remote group gets it in its inbox, to announce. A new topic's
    Create waits for ``topic_published``: its title is written after its first post."""
    if activity["type"] == "Create" and _untitled_topic(post):
        return
    _route(post, activity)


def topic_published(topic: Topic) -> None:
    """A new topic on this server, now that it has its title: sent in the same transaction
    that wrote it, so the delivery is never lost to a crash after the commit."""
    from wikisocial.posts.activitypub import activity_of

    post = topic.post
    if topic.group_id is None or not post.author.is_local:
        return
    _route(post, activity_of(post))


def _route(post: Post, activity: dict) -> None:
    group = post.group
    if group.is_local:
        announce(group, activity, concerned(post))
        return
    people = [a.pk for a in concerned(post)] if group.is_open else []
    inboxes = [_inbox_of(group.account), *_inboxes(Account.objects.filter(pk__in=people))]
    _send(activity, post.author, inboxes)


def _untitled_topic(post: Post) -> bool:
    return post.in_reply_to_id is None and not Topic.objects.filter(post_id=post.pk).exists()


def _inbox_of(account: Account) -> str:
    from wikisocial.federation.outbound import inbox_of

    return inbox_of(account)


def vote_activity(account: Account, post: Post, activity: dict) -> None:
    """A like (or its undo) of a post in a group: announced by our group; sent to a remote
    group (which announces it, as Lemmy counts upvotes) and to the post's author."""
    group = post.group
    activity = {**activity, "audience": group_id(group)}
    if group.is_local:
        announce(group, activity, [post.author] if not post.author.is_local else [])
        return
    if not account.is_local:
        return
    inboxes = [_inbox_of(group.account)]
    if not post.author.is_local:
        inboxes.append(_inbox_of(post.author))
    _send(activity, account, inboxes)


# --- joining and leaving ---------------------------------------------------------------------


def join_requested(account: Account, group: Group, request: JoinRequest) -> None:
    """Our ``account`` asks to join a remote ``group``: Follow, answered by Accept/Reject."""
    from wikisocial.federation.outbound import follow_requested, new_follow_uri

    if group.is_local or not account.is_local:
        return
    if not request.uri:
        request.uri = new_follow_uri(account)
        JoinRequest.objects.filter(pk=request.pk).update(uri=request.uri)
    follow_requested(account, group.account, request.uri)


def member_accepted(group: Group, membership: Membership) -> None:
    """A remote person's Follow of our group was accepted: Accept{Follow}."""
    from wikisocial.federation.outbound import follow_accepted

    if group.is_local and not membership.account.is_local:
        follow_accepted(membership.account, group.account, membership.uri)


def member_rejected(group: Group, request: JoinRequest) -> None:
    """A remote person's Follow of our group was declined: Reject{Follow}."""
    from wikisocial.federation.outbound import follow_rejected

    if group.is_local and not request.account.is_local:
        follow_rejected(request.account, group.account, request.uri)


def left(account: Account, group: Group, membership: Membership) -> None:
    """Our ``account`` left a remote group: Undo{Follow}."""
    from wikisocial.federation.outbound import unfollowed

    if not group.is_local and account.is_local:
        unfollowed(account, group.account, membership.uri)


def member_removed(moderator: Account, group: Group, account: Account) -> None:
    """A remote member was removed from our group: Reject{Follow} to them."""
    from wikisocial.federation.outbound import follow_rejected

    if group.is_local and not account.is_local:
        follow_rejected(account, group.account, "")


# --- moderation ------------------------------------------------------------------------------


def _moderation(group: Group, moderator: Account, kind: str, **fields) -> dict:
    me = group_id(group)
    return {
        "id": f"{actor_id(moderator)}#{kind.lower()}/{new_id()}",
        "type": kind,
        "actor": actor_id(moderator),
        **_group_audience(group),
        "audience": me,
        **fields,
    }


def _undo_of(activity: dict) -> dict:
    from wikisocial.federation.outbound import undo

    return {**undo(activity), "audience": activity["audience"], "to": activity["to"]}


def _ban(group: Group, moderator: Account, account: Account, ban: GroupBan | None) -> dict:
    fields = {"object": actor_id(account), "target": group_id(group), "removeData": False}
    if ban is not None and ban.reason:
        fields["summary"] = ban.reason
    if ban is not None and ban.expires_at:
        from wikisocial.posts.activitypub import iso

        fields["expires"] = iso(ban.expires_at)
    return _moderation(group, moderator, "Block", **fields)


def member_banned(moderator: Account, group: Group, account: Account, ban: GroupBan) -> None:
    """Block{Person} from the group (Lemmy's community ban), announced to its remote members
    and sent to the banned person's server."""
    if group.is_local:
        announce(group, _ban(group, moderator, account, ban), [account])


def member_unbanned(moderator: Account, group: Group, account: Account) -> None:
    """Undo{Block}."""
    if group.is_local:
        announce(group, _undo_of(_ban(group, moderator, account, None)), [account])


def moderators_changed(actor: Account, group: Group, account: Account, *, added: bool) -> None:
    """Add/Remove{Person} to/from the group's moderators collection."""
    if group.is_local:
        fields = {"object": actor_id(account), "target": _part(group, "moderators")}
        announce(group, _moderation(group, actor, "Add" if added else "Remove", **fields))


def group_updated(group: Group) -> None:
    """The group's profile or settings changed: Update{Group} to its remote members."""
    if not group.is_local:
        return
    me = group_id(group)
    activity = {
        "id": f"{me}#updates/{new_id()}",
        "type": "Update",
        "actor": me,
        **_group_audience(group),
        "object": group_to_ap(group),
    }
    _send(activity, group.account, member_inboxes(group))


def _post_id(post: Post) -> str:
    from wikisocial.posts.activitypub import object_id

    return object_id(post)


def topic_locked(topic: Topic, moderator: Account, locked: bool) -> None:
    """A moderator locked (or unlocked) a topic: Lock / Undo{Lock}, as Lemmy's."""
    group = topic.group
    if group is None or not group.is_local:
        return
    lock = _moderation(group, moderator, "Lock", object=_post_id(topic.post))
    announce(group, lock if locked else _undo_of(lock))


def topic_pinned(topic: Topic, moderator: Account, pinned: bool) -> None:
    """A moderator pinned (or unpinned) a topic: Add/Remove to the group's featured."""
    group = topic.group
    if group is None or not group.is_local:
        return
    fields = {"object": _post_id(topic.post), "target": featured_url(group)}
    announce(group, _moderation(group, moderator, "Add" if pinned else "Remove", **fields))


def post_removed_by_moderator(post: Post, moderator: Account) -> None:
    """A moderator removed a remote person's post from our group: the moderator's Delete,
    announced (a local author's post sends its own Delete, ``federation.outbound``)."""
    group = post.group
    if group is None or not group.is_local or post.author.is_local:
        return
    tombstone = {"id": _post_id(post), "type": "Tombstone"}
    announce(group, _moderation(group, moderator, "Delete", object=tombstone), [post.author])
