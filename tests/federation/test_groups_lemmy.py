"""Groups with Lemmy's own payloads (../shared/fixtures/activitypub/lemmy): people on Lemmy
joining and posting in our groups, and a Lemmy community our people joined announcing to us.
Every file there is used below (``test_every_lemmy_payload_is_used``)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.federation.test_handlers import _no_sending  # noqa: F401 (autouse)
from tests.federation.test_inbox import post as post_to_inbox
from tests.federation.test_inbox import public_pem, signed
from wikisocial.communities import inbox as group_inbox
from wikisocial.communities.actions import GroupDraft, approve, ban, create_group, join
from wikisocial.communities.forum import create_topic, set_locked
from wikisocial.communities.models import (
    Group,
    GroupBan,
    GroupKind,
    JoinRequest,
    Membership,
    Topic,
)
from wikisocial.core.http import FetchError
from wikisocial.federation import actors, objects
from wikisocial.federation.dispatch import handle
from wikisocial.federation.models import Delivery, InboxItem
from wikisocial.posts.actions import Draft
from wikisocial.posts.models import Like, Post

pytestmark = pytest.mark.django_db
SITE = "http://localhost:8000"
OURS = f"{SITE}/g/main"
LEMMY = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "activitypub" / "lemmy"
ALPHA = "http://ds9.lemmy.ml/u/lemmy_alpha"  # a Lemmy user on ds9
BETA = "http://enterprise.lemmy.ml/u/lemmy_beta"  # a Lemmy user on enterprise
MAIN = "http://enterprise.lemmy.ml/c/main"  # a Lemmy community
TENFORWARD = "https://enterprise.lemmy.ml/c/tenforward"
TESTCOM = "https://ds9.lemmy.ml/c/testcom"
# Lemmy's payloads name their community; ours take our group's id in its place.
TO_OURS = {"http://enterprise.lemmy.ml/c/main": OURS, "https://enterprise.lemmy.ml/c/main": OURS}

if not LEMMY.is_dir():
    pytest.skip(f"the shared Lemmy fixtures are not here ({LEMMY})", allow_module_level=True)


def lemmy(name: str, swap: dict[str, str] | None = None) -> dict:
    """A Lemmy payload, with ids swapped (``swap``: old → new, as text)."""
    text = (LEMMY / name).read_text()
    for old, new in (swap or {}).items():
        text = text.replace(old, new)
    return json.loads(text)


def person(uri: str, **extra):
    """A Lemmy user as the inbox gate would have stored it."""
    host = uri.split("/u/")[0]
    document = {
        "id": uri,
        "type": "Person",
        "preferredUsername": uri.rsplit("/", 1)[-1],
        "inbox": f"{uri}/inbox",
        "endpoints": {"sharedInbox": f"{host}/inbox"},
        **extra,
    }
    return actors.store_actor(document)


def community(uri: str):
    """A Lemmy community (group_community.json, moved to ``uri``), stored as a remote group."""
    document = lemmy("group_community.json", {TENFORWARD: uri})
    document["preferredUsername"] = uri.rsplit("/", 1)[-1]
    return actors.store_actor(document)


def process(activity: dict) -> str:
    """What the worker does with an activity the inbox gate let in (stored under a new id
    each time: the tests send some payloads twice)."""
    actor = activity["actor"]
    item = InboxItem.objects.create(
        activity_id=f"{activity['id']}#{InboxItem.objects.count()}",
        activity_type=activity["type"],
        actor_uri=actor,
        document=activity,
    )
    return handle(item)


def sent(activity_type: str) -> list[tuple[str, dict]]:
    rows = [(d.inbox_url, orjson.loads(d.body)) for d in Delivery.objects.order_by("id")]
    return [(inbox, body) for inbox, body in rows if body["type"] == activity_type]


@pytest.fixture
def ana(make_user):
    return make_user("ana").account


@pytest.fixture
def alpha(db):
    return person(ALPHA)


@pytest.fixture
def beta(db):
    return person(BETA)


@pytest.fixture
def main(ana):
    """Our group ``main`` (where Lemmy's payloads say ``/c/main``)."""
    return create_group(ana, "main", GroupDraft(name="Main"))


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    """No internet here: a fetch of something a test did not provide fails at once."""
    documents: dict[str, dict] = {}

    def fetch(url, *, signer=None):
        if url in documents:
            return documents[url]
        raise FetchError("network", f"{url} is not reachable from the test")

    for module in (objects, actors, group_inbox):
        monkeypatch.setattr(module, "fetch_activitypub", fetch)
    return documents


# --- people on Lemmy in our groups -----------------------------------------------------------


def test_a_follow_of_our_group_joins_it_and_is_accepted(main, alpha):
    follow = lemmy("follow_group.json", TO_OURS)
    assert process(follow) == f"{alpha.handle} joined !main"
    membership = Membership.objects.get(group=main, account=alpha)
    assert membership.uri == follow["id"]
    ((inbox, accept),) = sent("Accept")
    assert inbox == "http://ds9.lemmy.ml/inbox"
    assert accept["actor"] == OURS and accept["object"]["id"] == follow["id"]
    assert accept["object"]["actor"] == ALPHA and accept["object"]["object"] == OURS
    # Lemmy's Undo{Follow} is a leave.
    undo = {"id": "http://ds9.lemmy.ml/activities/undo/1", "type": "Undo", "actor": ALPHA}
    assert process({**undo, "object": follow}) == f"{alpha.handle} left !main"
    assert not Membership.objects.filter(account=alpha).exists()


def test_a_follow_of_a_restricted_group_waits_for_the_moderators(ana, alpha):
    group = create_group(ana, "main", GroupDraft(name="Main", kind=GroupKind.RESTRICTED))
    follow = lemmy("follow_group.json", TO_OURS)
    assert "asks to join" in process(follow)
    assert not sent("Accept") and not Membership.objects.filter(account=alpha).exists()
    approve(ana, JoinRequest.objects.get(group=group, account=alpha))
    assert sent("Accept")[0][1]["object"]["id"] == follow["id"]


def test_a_banned_person_is_rejected(ana, main, alpha):
    ban(ana, main, alpha, reason="spam")
    assert "Reject sent" in process(lemmy("follow_group.json", TO_OURS))
    assert not Membership.objects.filter(account=alpha).exists()
    assert sent("Reject")[0][1]["object"]["actor"] == ALPHA


def test_a_page_to_our_group_is_a_topic_announced_to_the_members(main, alpha, beta):
    join(beta, main, uri="http://enterprise.lemmy.ml/activities/follow/1")
    create = lemmy("create_page.json", TO_OURS)
    outcome = process(create)
    assert outcome.startswith("stored post") and outcome.endswith("in !main")
    post = Post.objects.get(uri="http://ds9.lemmy.ml/post/1")
    assert (
        post.group == main
        and post.author == alpha
        and post.content_html.strip() == "<p>test body</p>"
    )
    assert Topic.objects.get(post=post).title == "test post"
    assert Post.objects.visible_to(None).filter(pk=post.pk).exists()  # a public group
    main.refresh_from_db()
    assert main.topics_count == 1
    # The group announces the Create as it came to the members' servers (the author's too).
    announces = sent("Announce")
    assert {inbox for inbox, _b in announces} == {"http://enterprise.lemmy.ml/inbox"}
    assert announces[0][1]["actor"] == OURS and announces[0][1]["object"]["id"] == create["id"]


def test_a_comment_is_a_reply_in_the_topic(main, alpha):
    process(lemmy("create_page.json", TO_OURS))
    assert process(lemmy("create_comment.json", TO_OURS)).startswith("stored post")
    reply = Post.objects.get(uri="http://ds9.lemmy.ml/comment/1")
    topic = Topic.objects.get(post__uri="http://ds9.lemmy.ml/post/1")
    assert reply.group == main and reply.in_reply_to == topic.post
    topic.refresh_from_db()
    assert topic.replies_count == 1


def test_posts_breaking_the_groups_rules_are_refused_and_logged(ana, alpha, caplog):
    group = create_group(ana, "main", GroupDraft(name="Main", kind=GroupKind.RESTRICTED))
    caplog.set_level(logging.INFO, logger="wikisocial.communities.inbox")
    outcome = process(lemmy("create_page.json", TO_OURS))
    assert outcome == "refused: Only members may post in this group."
    assert "group !main refused a post by @lemmy_alpha@ds9.lemmy.ml" in caplog.text
    assert not Post.objects.filter(uri="http://ds9.lemmy.ml/post/1").exists()
    # A member may post, but not in a locked topic.
    approve(ana, join(alpha, group, uri="http://ds9.lemmy.ml/activities/follow/2"))
    assert process(lemmy("create_page.json", TO_OURS)).startswith("stored post")
    set_locked(ana, Topic.objects.get(post__uri="http://ds9.lemmy.ml/post/1"), True)
    outcome = process(lemmy("create_comment.json", TO_OURS))
    assert outcome == "refused: This topic is locked: only moderators may reply."
    # Nor after a ban.
    ban(ana, group, alpha)
    comment = lemmy("create_comment.json", TO_OURS)
    comment["id"] += "-again"
    comment["object"]["id"] = "http://ds9.lemmy.ml/comment/9"
    assert process(comment) == "refused: You are banned from this group."
    assert Post.objects.filter(group=group).count() == 1


def test_a_remote_reply_to_a_local_topic_joins_it(ana, main, alpha):
    topic = create_topic(ana, main, "Local topic", Draft(text="Hello Lemmy"))
    comment = lemmy("create_comment.json", TO_OURS)
    comment["object"]["inReplyTo"] = f"{SITE}/@ana/{topic.post.pk}"
    assert process(comment).startswith("stored post")
    assert Post.objects.get(uri="http://ds9.lemmy.ml/comment/1").group == main


def test_likes_of_posts_not_ours_and_dislikes_are_ignored(main, alpha, beta):
    join(beta, main, uri="http://enterprise.lemmy.ml/activities/follow/3")
    process(lemmy("create_page.json", TO_OURS))
    process(lemmy("create_comment.json", TO_OURS))
    comment = Post.objects.get(uri="http://ds9.lemmy.ml/comment/1")
    Delivery.objects.all().delete()
    like = lemmy("like_note.json")
    like["object"] = comment.uri
    # A like of a remote comment we hold but is not ours: Lemmy's communities announce it.
    assert process(like).startswith("ignored")
    post = Post.objects.get(uri="http://ds9.lemmy.ml/post/1")
    dislike = lemmy("dislike_page.json")
    assert process(dislike) == "ignored: unknown type 'Dislike'"
    post.refresh_from_db()
    assert post.likes_count == 0


def test_a_like_of_our_groups_post_is_counted_and_announced(ana, main, alpha, beta):
    join(beta, main, uri="http://enterprise.lemmy.ml/activities/follow/4")
    topic = create_topic(ana, main, "Local topic", Draft(text="Upvote me"))
    Delivery.objects.all().delete()
    like = lemmy(
        "like_note.json", {"http://ds9.lemmy.ml/comment/1": f"{SITE}/@ana/{topic.post.pk}"}
    )
    assert process(like).startswith("liked post")
    assert Like.objects.filter(account=alpha, post=topic.post).exists()
    ((_inbox, announce),) = sent("Announce")
    assert announce["object"]["type"] == "Like" and announce["object"]["id"] == like["id"]
    undo = {"id": "http://ds9.lemmy.ml/activities/undo/2", "type": "Undo", "actor": ALPHA}
    assert "withdrawn" in process({**undo, "object": like})
    assert sent("Announce")[-1][1]["object"]["type"] == "Undo"


def test_the_author_deletes_and_the_group_announces_it(main, alpha, beta):
    join(beta, main, uri="http://enterprise.lemmy.ml/activities/follow/5")
    process(lemmy("create_page.json", TO_OURS))
    Delivery.objects.all().delete()
    assert process(lemmy("delete_page.json", TO_OURS)).endswith("deleted")
    assert Post.objects.get(uri="http://ds9.lemmy.ml/post/1").deleted_at is not None
    assert sent("Announce")[0][1]["object"]["type"] == "Delete"


def test_only_the_author_or_the_groups_moderators_delete(ana, main, alpha, beta):
    from wikisocial.communities.actions import set_role

    process(lemmy("create_page.json", TO_OURS))
    delete = lemmy("delete_page.json", TO_OURS)
    by_beta = {**delete, "actor": BETA, "id": "http://enterprise.lemmy.ml/activities/delete/1"}
    assert process(by_beta) == "refused: a Delete of someone else's post"
    join(beta, main, uri="http://enterprise.lemmy.ml/activities/follow/6")
    set_role(ana, main, beta, "moderator")
    by_beta["id"] += "-moderator"
    assert process(by_beta).endswith("deleted")


# --- a Lemmy community our people joined -----------------------------------------------------


def test_a_lemmy_community_is_a_remote_group(db):
    account = community(TENFORWARD)
    group = Group.objects.get(account=account)
    assert account.actor_type == "Group" and not group.is_local
    assert group.kind == GroupKind.PUBLIC and group.handle == "!tenforward@enterprise.lemmy.ml"
    assert group.moderators_url == f"{TENFORWARD}/moderators"
    assert group.featured_url == f"{TENFORWARD}//featured"


def test_joining_a_lemmy_community_is_a_follow_until_its_accept(ana, _offline):
    account = community(MAIN)
    group = Group.objects.get(account=account)
    request = join(ana, group)
    assert isinstance(request, JoinRequest) and request.uri
    ((inbox, follow),) = sent("Follow")
    assert inbox == "https://enterprise.lemmy.ml/inbox"
    assert follow == {**follow, "id": request.uri, "actor": f"{SITE}/@ana", "object": MAIN}
    accept = lemmy(
        "accept_follow.json",
        {
            lemmy("follow_group.json")["id"]: request.uri,
            "http://ds9.lemmy.ml/u/lemmy_alpha": f"{SITE}/@ana",
        },
    )
    assert process(accept) == f"@ana joined {group.handle}"
    assert Membership.objects.filter(group=group, account=ana).exists()
    assert not JoinRequest.objects.filter(group=group).exists()
    # Leaving is an Undo of that Follow.
    from wikisocial.communities.actions import leave

    leave(ana, group)
    ((_inbox, undo),) = sent("Undo")
    assert undo["object"]["id"] == request.uri and undo["object"]["object"] == MAIN


@pytest.fixture
def joined(ana):
    """The community ``main`` on enterprise, with ana a member."""
    group = Group.objects.get(account=community(MAIN))
    group_inbox.accept_remote_membership(group, ana, "http://localhost:8000/@ana#follows/1")
    return group


def test_an_announced_page_is_a_topic_in_the_remote_group(joined, beta):
    outcome = process(lemmy("announce_create_page.json"))
    post = Post.objects.get(uri="http://enterprise.lemmy.ml/post/7")
    assert outcome == f"stored post {post.pk} in {joined.handle}"
    assert post.group == joined and post.author == beta
    assert Topic.objects.get(post=post).title == "post 4"
    assert Post.objects.visible_to(None).filter(pk=post.pk).exists()


def test_a_community_sending_posts_that_are_not_public_is_private_here(joined, beta, make_user):
    page = lemmy("announce_create_page.json")
    page["to"] = page["object"]["to"] = [MAIN]
    page["object"]["object"]["to"] = [MAIN]
    assert process(page).startswith("stored post")
    joined.refresh_from_db()
    assert joined.kind == GroupKind.PRIVATE
    post = Post.objects.get(uri="http://enterprise.lemmy.ml/post/7")
    assert Post.objects.visible_to(post.group.memberships.get().account).filter(pk=post.pk).exists()
    assert not Post.objects.visible_to(None).filter(pk=post.pk).exists()
    assert not Post.objects.visible_to(make_user("bea").account).filter(pk=post.pk).exists()
    # Its actor, fetched again, does not open it.
    community(MAIN)
    joined.refresh_from_db()
    assert joined.kind == GroupKind.PRIVATE


def test_a_followers_only_reply_stays_out_of_our_open_group(ana, main, alpha):
    topic = create_topic(ana, main, "Local topic", Draft(text="Hello"))
    comment = lemmy("create_comment.json", TO_OURS)
    note = comment["object"]
    note["inReplyTo"] = f"{SITE}/@ana/{topic.post.pk}"
    note["to"] = comment["to"] = [f"{ALPHA}/followers"]
    note["cc"] = comment["cc"] = [f"{SITE}/@ana"]
    note.pop("audience")
    assert process(comment).startswith("stored post")
    reply = Post.objects.get(uri=note["id"])
    assert reply.group is None and reply.visibility != "public"
    assert not Post.objects.visible_to(None).filter(pk=reply.pk).exists()


def test_announces_from_a_group_without_members_here_are_refused(beta, caplog):
    community(MAIN)
    caplog.set_level(logging.INFO, logger="wikisocial.communities.inbox")
    outcome = process(lemmy("announce_create_page.json"))
    assert outcome == "refused: !main@enterprise.lemmy.ml has no members here"
    assert "nobody here is a member" in caplog.text
    assert not Post.objects.filter(uri="http://enterprise.lemmy.ml/post/7").exists()


def announce(group_uri: str, inner: dict, number: int) -> dict:
    host = group_uri.split("/c/")[0]
    return {
        "id": f"{host}/activities/announce/{number}",
        "type": "Announce",
        "actor": group_uri,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": inner,
    }


@pytest.fixture
def tenforward(ana):
    group = Group.objects.get(account=community(TENFORWARD))
    group_inbox.accept_remote_membership(group, ana, "http://localhost:8000/@ana#follows/2")
    person("https://enterprise.lemmy.ml/u/picard", **{"name": "Picard"})
    return group


def test_a_page_and_its_comment_announced_as_objects_and_creates(tenforward):
    # Mbin and older servers announce the object itself.
    outcome = process(announce(TENFORWARD, lemmy("page_post.json"), 1))
    assert outcome.startswith("stored post")
    page = Post.objects.get(uri="https://enterprise.lemmy.ml/post/55143")
    assert Topic.objects.get(post=page).title == "Post title"
    assert "Post title" not in page.content_html  # the title is the topic's, not in the text
    comment = lemmy("note_comment.json")
    create = {
        "id": "https://enterprise.lemmy.ml/activities/create/1",
        "type": "Create",
        "actor": comment["attributedTo"],
        "object": comment,
    }
    assert process(announce(TENFORWARD, create, 2)).startswith("stored post")
    reply = Post.objects.get(uri=comment["id"])
    assert reply.group == tenforward and reply.in_reply_to == page
    # The community itself is named in the tags: it is not a person mentioned.
    assert not reply.mentions.filter(account__actor_type="Group").exists()


def test_votes_locks_pins_deletes_and_bans_announced_by_the_community(tenforward, ana):
    process(announce(TENFORWARD, lemmy("page_post.json"), 3))
    page = Post.objects.get(uri="https://enterprise.lemmy.ml/post/55143")
    picard = "https://enterprise.lemmy.ml/u/picard"
    swap = {"http://ds9.lemmy.ml/comment/1": page.uri, "http://ds9.lemmy.ml/u/lemmy_alpha": picard}
    like = lemmy(
        "like_note.json",
        {**swap, "http://ds9.lemmy.ml/activities": "https://enterprise.lemmy.ml/activities"},
    )
    assert process(announce(TENFORWARD, like, 4)) == f"liked post {page.pk}"
    page.refresh_from_db()
    assert page.likes_count == 1
    dislike = lemmy("dislike_page.json", {"http://ds9.lemmy.ml/post/1": page.uri})
    assert (
        process(announce(TENFORWARD, dislike, 5))
        == "ignored: a Dislike (there are no downvotes here)"
    )
    lock = {"id": f"{picard}#lock/1", "type": "Lock", "actor": picard, "object": page.uri}
    assert process(announce(TENFORWARD, lock, 6)) == f"topic {page.pk} locked"
    assert Topic.objects.get(post=page).locked
    undo = {"id": f"{picard}#undo/1", "type": "Undo", "actor": picard, "object": lock}
    assert process(announce(TENFORWARD, undo, 7)) == f"topic {page.pk} unlocked"
    pin = {
        "id": f"{picard}#add/1",
        "type": "Add",
        "actor": picard,
        "object": page.uri,
        "target": tenforward.featured_url,
    }
    assert process(announce(TENFORWARD, pin, 8)) == f"topic {page.pk} pinned"
    assert Topic.objects.get(post=page).pinned_at is not None
    delete = {"id": f"{picard}#delete/1", "type": "Delete", "actor": picard, "object": page.uri}
    assert (
        process(announce(TENFORWARD, delete, 9))
        == f"post {page.pk} deleted from {tenforward.handle}"
    )
    block = {
        "id": f"{picard}#block/1",
        "type": "Block",
        "actor": picard,
        "object": f"{SITE}/@ana",
        "target": TENFORWARD,
        "summary": "trolling",
    }
    assert process(announce(TENFORWARD, block, 10)) == f"@ana banned from {tenforward.handle}"
    assert not Membership.objects.filter(group=tenforward, account=ana).exists()
    assert GroupBan.objects.get(group=tenforward, account=ana).reason == "trolling"


def test_announced_objects_from_other_servers_are_fetched_from_their_origin(tenforward, _offline):
    alpha = person(ALPHA)
    comment = lemmy(
        "note_comment.json",
        {"https://enterprise.lemmy.ml/comment/38741": "http://ds9.lemmy.ml/comment/77"},
    )
    comment["attributedTo"] = ALPHA
    comment["inReplyTo"] = None
    comment["content"] = "<p>forged by the relay</p>"
    create = {
        "id": "http://ds9.lemmy.ml/activities/create/77",
        "type": "Create",
        "actor": ALPHA,
        "object": comment,
    }
    # Its origin can't be reached: nothing is stored on the community's word alone.
    assert process(announce(TENFORWARD, create, 11)).startswith("refused: could not fetch")
    assert not Post.objects.filter(uri=comment["id"]).exists()
    # Its origin answers: what the origin says is kept.
    _offline[comment["id"]] = {**comment, "content": "<p>as its author wrote it</p>"}
    create["id"] += "-again"
    assert process(announce(TENFORWARD, create, 12)).startswith("stored post")
    stored = Post.objects.get(uri=comment["id"])
    assert stored.author == alpha and stored.content_html == "<p>as its author wrote it</p>"
    assert stored.group == tenforward


def test_announces_about_other_groups_or_forged_authors_are_refused(tenforward, joined, beta):
    process(lemmy("announce_create_page.json"))  # post/7, in main
    post = Post.objects.get(uri="http://enterprise.lemmy.ml/post/7")
    picard = "https://enterprise.lemmy.ml/u/picard"
    lock = {"id": f"{picard}#lock/2", "type": "Lock", "actor": picard, "object": post.uri}
    assert (
        process(announce(TENFORWARD, lock, 13))
        == f"refused: the post is not in {tenforward.handle}"
    )
    page = lemmy("page_post.json")
    forged = {
        "id": "https://enterprise.lemmy.ml/activities/create/2",
        "type": "Create",
        "actor": picard,
        "object": {**page, "attributedTo": "https://enterprise.lemmy.ml/u/riker"},
    }
    assert process(announce(TENFORWARD, forged, 14)).startswith(
        "refused: the announced object is attributed"
    )


def test_the_outbox_of_a_community_fills_it_when_someone_here_joins(ana, _offline):
    account = community(TESTCOM)
    person("https://ds9.lemmy.ml/u/nutomic")
    group = Group.objects.get(account=account)
    _offline[TESTCOM] = lemmy("group_community.json", {TENFORWARD: TESTCOM})
    _offline[f"{TESTCOM}/outbox"] = lemmy("group_outbox.json")
    group_inbox.accept_remote_membership(group, ana, "http://localhost:8000/@ana#follows/3")
    titles = set(Topic.objects.filter(group=group).values_list("title", flat=True))
    assert titles == {"outbox test", "another outbox test"}


# --- through the real inbox ------------------------------------------------------------------


@pytest.fixture(scope="module")
def lemmy_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def keyed(uri: str, key):
    return person(
        uri, publicKey={"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": public_pem(key)}
    )


def deliver(client, key, activity: dict, path: str, key_id: str):
    body = json.dumps(activity).encode()
    return post_to_inbox(client, body, signed(key, body, path=path, key_id=key_id), path)


def test_signed_follow_and_page_through_the_groups_inbox(client, main, lemmy_key):
    keyed(ALPHA, lemmy_key)
    key_id = f"{ALPHA}#main-key"
    follow = lemmy("follow_group.json", TO_OURS)
    assert deliver(client, lemmy_key, follow, "/g/main/inbox", key_id).status_code == 202
    assert Membership.objects.filter(group=main, account__uri=ALPHA).exists()
    assert sent("Accept")
    create = lemmy("create_page.json", TO_OURS)
    assert deliver(client, lemmy_key, create, "/inbox", key_id).status_code == 202
    assert Topic.objects.get(post__uri="http://ds9.lemmy.ml/post/1").group == main
    # A page signed by someone else than its actor stays out.
    forged = {**create, "id": "http://ds9.lemmy.ml/activities/create/forged", "actor": BETA}
    assert deliver(client, lemmy_key, forged, "/inbox", key_id).status_code == 401
    assert (
        client.post("/g/nobody/inbox", b"{}", content_type="application/activity+json").status_code
        == 404
    )


def test_a_signed_announce_through_the_shared_inbox(client, joined, beta, lemmy_key):
    from wikisocial.federation.models import RemoteKey

    RemoteKey.objects.filter(key_id=f"{MAIN}#main-key").update(public_key_pem=public_pem(lemmy_key))
    activity = lemmy("announce_create_page.json")
    assert deliver(client, lemmy_key, activity, "/inbox", f"{MAIN}#main-key").status_code == 202
    assert Post.objects.get(uri="http://enterprise.lemmy.ml/post/7").group == joined


# --- coverage of the payloads ----------------------------------------------------------------

USED = {
    "accept_follow.json": test_joining_a_lemmy_community_is_a_follow_until_its_accept,
    "actor_person.json": None,
    "announce_create_page.json": test_an_announced_page_is_a_topic_in_the_remote_group,
    "create_comment.json": test_a_comment_is_a_reply_in_the_topic,
    "create_page.json": test_a_page_to_our_group_is_a_topic_announced_to_the_members,
    "delete_page.json": test_the_author_deletes_and_the_group_announces_it,
    "dislike_page.json": test_likes_of_posts_not_ours_and_dislikes_are_ignored,
    "follow_group.json": test_a_follow_of_our_group_joins_it_and_is_accepted,
    "group_community.json": test_a_lemmy_community_is_a_remote_group,
    "group_outbox.json": test_the_outbox_of_a_community_fills_it_when_someone_here_joins,
    "like_note.json": test_a_like_of_our_groups_post_is_counted_and_announced,
    "note_comment.json": test_a_page_and_its_comment_announced_as_objects_and_creates,
    "page_post.json": test_a_page_and_its_comment_announced_as_objects_and_creates,
}


def test_every_lemmy_payload_is_used():
    assert sorted(p.name for p in LEMMY.glob("*.json")) == sorted(USED)


def test_a_lemmy_person_authors_posts_in_our_groups(main):
    picard = actors.store_actor(lemmy("actor_person.json"))
    assert picard.display_name == "Jean-Luc Picard" and picard.actor_type == "Person"
    create = lemmy("create_page.json", {**TO_OURS, "http://ds9.lemmy.ml/u/lemmy_alpha": picard.uri})
    create["id"] = "https://enterprise.lemmy.ml/activities/create/3"
    create["object"]["id"] = "https://enterprise.lemmy.ml/post/3"
    assert process(create).startswith("stored post")
    assert Post.objects.get(uri="https://enterprise.lemmy.ml/post/3").author == picard
