"""Inbound activities, after the inbox gate: each enters the same domain actions as local
actions, and each refusal leaves nothing behind."""

from __future__ import annotations

import itertools

import orjson
import pytest

from wikisocial.federation import actors, delivery
from wikisocial.federation.dispatch import handle
from wikisocial.federation.jsonld import PUBLIC
from wikisocial.federation.models import Delivery, InboxItem
from wikisocial.moderation.models import Report
from wikisocial.notifications.models import Kind, Notification
from wikisocial.posts.actions import Draft, PollDraft, create_post
from wikisocial.posts.models import Pin, Post, Visibility
from wikisocial.social.actions import follow
from wikisocial.social.models import Block, Follow, FollowRequest
from wikisocial.timelines.models import FeedEntry

pytestmark = pytest.mark.django_db
SITE = "http://localhost:8000"
BOB = "https://remote.example/users/bob"
EVE = "https://evil.example/users/eve"
_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def _no_sending(monkeypatch):
    """Deliveries are queued (rows) but not sent: these tests look at what would be sent."""
    monkeypatch.setattr(delivery, "_enqueue", lambda ids: None)


def remote(uri: str, **extra):
    name = uri.rsplit("/", 1)[-1]
    return actors.store_actor(
        {
            "id": uri,
            "type": "Person",
            "preferredUsername": name,
            "inbox": f"{uri}/inbox",
            "followers": f"{uri}/followers",
            "endpoints": {"sharedInbox": uri.split("/users/")[0] + "/inbox"},
            **extra,
        }
    )


@pytest.fixture
def bob(db):
    return remote(BOB)


@pytest.fixture
def ana(make_user):
    return make_user("ana").account


def run(activity_type: str, actor: str = BOB, **fields) -> str:
    number = next(_ids)
    activity = {
        "id": f"{actor.split('/users/')[0]}/activities/{number}",
        "type": activity_type,
        "actor": actor,
        **fields,
    }
    item = InboxItem.objects.create(
        activity_id=activity["id"],
        activity_type=activity_type,
        actor_uri=actor,
        document=activity,
    )
    return handle(item)


def note(number: int, actor: str = BOB, **fields) -> dict:
    return {
        "id": f"{actor}/statuses/{number}",
        "type": "Note",
        "attributedTo": actor,
        "content": f"<p>Hello {number}</p>",
        "published": "2026-11-20T10:00:00Z",
        "to": [PUBLIC],
        "cc": [f"{actor}/followers"],
        **fields,
    }


def sent(activity_type: str) -> list[dict]:
    bodies = [orjson.loads(d.body) for d in Delivery.objects.order_by("id")]
    return [b for b in bodies if b["type"] == activity_type]


def local_url(post: Post) -> str:
    return f"{SITE}/@{post.author.username}/{post.pk}"


# --- follows ---------------------------------------------------------------------------------


def test_follow_of_an_open_account_is_accepted_at_once(ana, bob):
    outcome = run("Follow", object=f"{SITE}/@ana")
    assert outcome == "now follows @ana"
    row = Follow.objects.get(follower=bob, target=ana)
    assert row.uri.startswith("https://remote.example/activities/")
    accept = sent("Accept")[0]
    assert accept["actor"] == f"{SITE}/@ana"
    assert accept["object"]["id"] == row.uri
    assert Delivery.objects.get().inbox_url == "https://remote.example/inbox"
    assert Notification.objects.filter(recipient=ana, kind=Kind.FOLLOW).exists()


def test_follow_of_a_locked_account_waits_for_approval(ana, bob):
    from wikisocial.social.actions import approve_follow_request

    ana.locked = True
    ana.save()
    assert "waits for approval" in run("Follow", object=f"{SITE}/@ana")
    assert not sent("Accept")
    request = FollowRequest.objects.get(follower=bob, target=ana)
    approve_follow_request(ana, request)
    assert Follow.objects.filter(follower=bob, target=ana).exists()
    assert sent("Accept")[0]["object"]["id"] == request.uri


def test_follow_of_someone_who_blocked_the_actor_is_rejected(ana, bob):
    from wikisocial.social.actions import block

    block(ana, bob)
    assert "Reject sent" in run("Follow", object=f"{SITE}/@ana")
    assert not Follow.objects.filter(follower=bob).exists()
    assert sent("Reject")


def test_following_a_remote_account_is_a_request_until_accepted(ana, bob):
    request = follow(ana, bob)
    assert isinstance(request, FollowRequest)
    activity = sent("Follow")[0]
    assert activity == {
        "@context": activity["@context"],
        "id": request.uri,
        "type": "Follow",
        "actor": f"{SITE}/@ana",
        "object": BOB,
    }
    outcome = run("Accept", object={"id": request.uri, "type": "Follow"})
    assert outcome == "@ana now follows @bob@remote.example"
    assert Follow.objects.get(follower=ana, target=bob).uri == request.uri
    # An Accept that answers nothing of ours changes nothing.
    assert run("Accept", actor=EVE, object=request.uri).startswith("refused")


def test_reject_ends_a_request_or_a_follow(ana, bob):
    request = follow(ana, bob)
    assert "declined" in run("Reject", object=request.uri)
    assert not FollowRequest.objects.exists()
    request = follow(ana, bob)
    run("Accept", object=request.uri)
    assert "removed" in run("Reject", object={"type": "Follow", "actor": f"{SITE}/@ana"})
    assert not Follow.objects.filter(follower=ana).exists()


def test_undo_follow(ana, bob):
    run("Follow", object=f"{SITE}/@ana")
    uri = Follow.objects.get(follower=bob).uri
    assert run("Undo", object=uri) == "unfollowed @ana"
    assert not Follow.objects.exists()
    ana.refresh_from_db()
    assert ana.followers_count == 0


# --- posts -----------------------------------------------------------------------------------


def test_a_remote_post_reaches_followers_feeds_and_the_federated_timeline(ana, bob, client):
    follow(ana, bob)
    run("Accept", object={"type": "Follow", "actor": f"{SITE}/@ana"})
    outcome = run(
        "Create",
        object=note(
            1,
            content='<p>Hi <a href="https://x.example">link</a><script>alert(1)</script></p>',
            tag=[{"type": "Hashtag", "name": "#Wiki"}],
            contentMap={"de": "<p>Hallo</p>"},
        ),
    )
    assert outcome.startswith("stored post")
    post = Post.objects.get(uri=f"{BOB}/statuses/1")
    assert post.visibility == Visibility.PUBLIC and not post.local
    assert "<script>" not in post.content_html and 'href="https://x.example"' in post.content_html
    assert post.language == "de"
    assert list(post.hashtags.values_list("name", flat=True)) == ["wiki"]
    assert FeedEntry.objects.filter(owner=ana, post=post).exists()
    page = client.get("/federated")
    assert b"Hi " in page.content and b"alert(1)" not in page.content


def test_a_reply_to_a_local_post_joins_the_thread_and_notifies(ana, bob):
    parent = create_post(ana, Draft(text="Question?"))
    run(
        "Create",
        object=note(
            2, inReplyTo=local_url(parent), tag=[{"type": "Mention", "href": f"{SITE}/@ana"}]
        ),
    )
    reply = Post.objects.get(uri=f"{BOB}/statuses/2")
    assert reply.in_reply_to == parent and reply.thread_root == parent
    parent.refresh_from_db()
    assert parent.replies_count == 1
    assert Notification.objects.filter(recipient=ana, kind=Kind.REPLY, post=reply).exists()


def test_a_direct_message_is_seen_by_its_recipient_only(ana, bob, make_user):
    other = make_user("other").account
    run("Create", object=note(3, to=[f"{SITE}/@ana"], cc=[]))
    post = Post.objects.get(uri=f"{BOB}/statuses/3")
    assert post.visibility == Visibility.DIRECT
    assert Post.objects.visible_to(ana).filter(pk=post.pk).exists()
    assert not Post.objects.visible_to(other).filter(pk=post.pk).exists()
    assert not Post.objects.visible_to(None).filter(pk=post.pk).exists()
    assert Notification.objects.filter(recipient=ana, kind=Kind.MENTION).exists()


def test_a_followers_only_post_is_seen_by_followers_only(ana, bob, make_user):
    other = make_user("other").account
    follow(ana, bob)
    run("Accept", object={"type": "Follow", "actor": f"{SITE}/@ana"})
    run("Create", object=note(4, to=[f"{BOB}/followers"], cc=[]))
    post = Post.objects.get(uri=f"{BOB}/statuses/4")
    assert post.visibility == Visibility.FOLLOWERS
    assert Post.objects.visible_to(ana).filter(pk=post.pk).exists()
    assert not Post.objects.visible_to(other).filter(pk=post.pk).exists()
    assert FeedEntry.objects.filter(owner=ana, post=post).exists()


def test_a_poll_is_stored_with_its_counts(bob):
    question = note(
        5,
        type="Question",
        oneOf=[
            {"type": "Note", "name": "Yes", "replies": {"type": "Collection", "totalItems": 3}},
            {"type": "Note", "name": "No", "replies": {"type": "Collection", "totalItems": 1}},
        ],
        endTime="2030-01-01T00:00:00Z",
        votersCount=4,
    )
    run("Create", object=question)
    poll = Post.objects.get(uri=f"{BOB}/statuses/5").poll
    assert [(o.title, o.votes_count) for o in poll.options.all()] == [("Yes", 3), ("No", 1)]
    assert poll.voters_count == 4 and not poll.multiple


def test_a_remote_vote_counts_in_a_local_poll(ana, bob):
    post = create_post(ana, Draft(text="Tea or coffee?", poll=PollDraft(options=["Tea", "Coffee"])))
    vote = {"id": f"{BOB}#votes/1", "type": "Note", "attributedTo": BOB, "name": "Tea"}
    assert run("Create", object={**vote, "inReplyTo": local_url(post), "to": [f"{SITE}/@ana"]}) == (
        "vote counted"
    )
    poll = post.poll
    poll.refresh_from_db()
    assert poll.voters_count == 1 and poll.options.get(title="Tea").votes_count == 1
    again = {**vote, "id": f"{BOB}#votes/2", "inReplyTo": local_url(post)}
    assert run("Create", object=again) == "vote not counted"


def test_create_refusals_change_nothing(ana, bob):
    remote(EVE)
    # Attributed to someone else than the actor.
    assert run("Create", object=note(6, attributedTo=EVE)).startswith("refused")
    # An object that exists already, claimed by another author.
    run("Create", object=note(7))
    stolen = {**note(7), "attributedTo": EVE}
    assert run("Create", actor=EVE, object=stolen).startswith("refused")
    assert Post.objects.get(uri=f"{BOB}/statuses/7").author.uri == BOB
    # An object of ours.
    mine = create_post(ana, Draft(text="mine"))
    fake = {**note(8), "id": local_url(mine)}
    assert run("Create", object=fake).startswith("refused")
    assert Post.objects.filter(author__uri=BOB).count() == 1


def test_update_edits_a_post_and_keeps_its_history(bob):
    run("Create", object=note(9))
    outcome = run("Update", object=note(9, content="<p>Better</p>", updated="2026-11-20T11:00Z"))
    post = Post.objects.get(uri=f"{BOB}/statuses/9")
    assert outcome == f"post {post.pk} updated"
    assert post.content_html == "<p>Better</p>" and post.edited_at is not None
    assert [e.content_html for e in post.edits.all()] == ["<p>Hello 9</p>", "<p>Better</p>"]


def test_update_of_someone_elses_post_or_actor_is_refused(bob):
    remote(EVE)
    run("Create", object=note(10))
    forged = note(10, content="<p>Forged</p>", attributedTo=EVE)
    assert run("Update", actor=EVE, object=forged).startswith("refused")
    assert Post.objects.get(uri=f"{BOB}/statuses/10").content_html == "<p>Hello 10</p>"
    person = {"id": BOB, "type": "Person", "preferredUsername": "bob", "inbox": f"{BOB}/inbox"}
    assert run("Update", actor=EVE, object={**person, "name": "Hacked"}).startswith("refused")
    assert run("Update", object={**person, "name": "Bob B."}) == "profile updated"
    bob.refresh_from_db()
    assert bob.display_name == "Bob B."


def test_delete_of_ones_own_post_only(bob, ana):
    remote(EVE)
    run("Create", object=note(11))
    assert run("Delete", actor=EVE, object=f"{BOB}/statuses/11").startswith("refused")
    assert Post.objects.get(uri=f"{BOB}/statuses/11").deleted_at is None
    tombstone = {"id": f"{BOB}/statuses/11", "type": "Tombstone"}
    assert run("Delete", object=tombstone).endswith("deleted")
    assert Post.objects.get(uri=f"{BOB}/statuses/11").deleted_at is not None
    mine = create_post(ana, Draft(text="mine"))
    assert run("Delete", object=local_url(mine)).startswith("refused")


def test_delete_of_the_actor_removes_the_account(ana, bob):
    follow(ana, bob)
    run("Accept", object={"type": "Follow", "actor": f"{SITE}/@ana"})
    run("Create", object=note(12))
    assert run("Delete", object=BOB) == "account deleted"
    bob.refresh_from_db()
    assert bob.deleted_at is not None
    assert not Follow.objects.exists()
    assert Post.objects.alive().filter(author=bob).count() == 0


# --- likes, boosts, blocks, reports, pins ----------------------------------------------------


def test_like_and_undo(ana, bob):
    post = create_post(ana, Draft(text="Like me"))
    assert run("Like", object=local_url(post)) == f"liked post {post.pk}"
    post.refresh_from_db()
    assert post.likes_count == 1
    assert Notification.objects.filter(recipient=ana, kind=Kind.LIKE).exists()
    like_id = post.likes.get().uri
    assert run("Undo", object={"id": like_id, "type": "Like", "actor": BOB}) == (
        f"like of post {post.pk} withdrawn"
    )
    post.refresh_from_db()
    assert post.likes_count == 0


def test_announce_of_a_public_post_and_undo(ana, bob):
    post = create_post(ana, Draft(text="Boost me"))
    run("Announce", object=local_url(post), to=[PUBLIC])
    post.refresh_from_db()
    assert post.boosts_count == 1
    boost = Post.objects.get(boost_of=post)
    assert run("Undo", object=boost.uri).startswith("boost")
    post.refresh_from_db()
    assert post.boosts_count == 0


def test_announce_of_a_private_post_is_refused(ana, bob):
    follow(bob, ana)  # bob may see it, but may not share it further
    post = create_post(ana, Draft(text="Just followers", visibility=Visibility.FOLLOWERS))
    assert run("Announce", object=local_url(post)).startswith("refused")
    assert not Post.objects.filter(boost_of=post).exists()


def test_block_ends_follows_both_ways(ana, bob):
    run("Follow", object=f"{SITE}/@ana")
    follow(ana, bob)
    assert run("Block", object=f"{SITE}/@ana") == "blocked @ana"
    assert Block.objects.filter(account=bob, target=ana).exists()
    assert not Follow.objects.exists() and not FollowRequest.objects.exists()
    block_id = Block.objects.get().uri
    assert run("Undo", object={"id": block_id, "type": "Block", "actor": BOB}) == "unblocked @ana"


def test_flag_is_stored_as_a_report(ana, bob):
    post = create_post(ana, Draft(text="reported"))
    outcome = run("Flag", object=[f"{SITE}/@ana", local_url(post)], content="Spam <b>x</b>")
    report = Report.objects.get()
    assert outcome == f"report {report.pk} on @ana"
    assert report.reporter == bob and report.target == ana
    assert list(report.posts.all()) == [post]
    assert run("Flag", object=["https://elsewhere.example/x"]).startswith("refused")


def test_add_and_remove_featured(bob):
    run("Create", object=note(13))
    post = Post.objects.get(uri=f"{BOB}/statuses/13")
    assert run("Add", object=post.uri, target=f"{BOB}/collections/featured").startswith("pinned")
    assert Pin.objects.filter(account=bob, post=post).exists()
    assert run("Remove", object=post.uri, target=f"{BOB}/collections/featured").startswith("unp")
    assert not Pin.objects.exists()
    assert run("Add", object=post.uri, target=f"{EVE}/featured").startswith("refused")


def test_unknown_types_are_ignored(bob):
    assert run("EmojiReact", object="x") == "ignored: unknown type 'EmojiReact'"


def test_activities_left_unprocessed_are_swept(bob, ana):
    from datetime import timedelta

    from django.utils import timezone

    from wikisocial.federation.dispatch import process_stalled

    item = InboxItem.objects.create(
        activity_id="https://remote.example/activities/lost",
        activity_type="Follow",
        actor_uri=BOB,
        document={
            "id": "https://remote.example/activities/lost",
            "type": "Follow",
            "actor": BOB,
            "object": f"{SITE}/@ana",
        },
    )
    assert process_stalled() == 0  # just received: its own task will come
    InboxItem.objects.filter(pk=item.pk).update(received_at=timezone.now() - timedelta(hours=1))
    assert process_stalled() == 1
    item.refresh_from_db()
    assert item.processed_at is not None and item.outcome == "now follows @ana"
    assert process_stalled() == 0


def test_numbers_and_dates_out_of_range_are_tamed(bob):
    question = note(
        20,
        type="Question",
        published="0001-01-01T00:00:00+01:00",
        oneOf=[{"type": "Note", "name": "A", "replies": {"totalItems": 2**70}}],
        attachment=[{"type": "Image", "url": "https://remote.example/a.png", "width": 2**70}],
    )
    assert run("Create", object=question).startswith("stored post")
    post = Post.objects.get(uri=question["id"])
    assert post.poll.options.get().votes_count == 2**31 - 1
    assert post.media.get().width == 2**31 - 1
    assert post.created_at.year >= 2026  # an impossible date is not believed


def test_an_unforeseen_error_is_recorded_and_the_sweep_goes_on(bob, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from wikisocial.federation import handlers
    from wikisocial.federation.dispatch import process_stalled

    def broken(activity, actor):
        raise RuntimeError("a bug")

    monkeypatch.setitem(handlers.HANDLERS, "Like", broken)
    old = timezone.now() - timedelta(hours=1)
    for number, kind in ((1, "Like"), (2, "EmojiReact")):
        InboxItem.objects.create(
            activity_id=f"https://remote.example/activities/old-{number}",
            activity_type=kind,
            actor_uri=BOB,
            document={"id": f"https://remote.example/activities/old-{number}", "actor": BOB},
        )
    InboxItem.objects.update(received_at=old)
    assert process_stalled() == 2
    outcomes = dict(InboxItem.objects.values_list("activity_type", "outcome"))
    assert outcomes["Like"] == "error: RuntimeError: a bug"
    assert outcomes["EmojiReact"].startswith("ignored")


def test_a_move_to_one_of_our_accounts_is_refused(ana, bob):
    outcome = run("Move", object=BOB, target=f"{SITE}/@ana")
    assert outcome.startswith("refused") and "here" in outcome


def test_a_remote_edit_replaces_media_only_when_it_changed(bob):
    first = note(21, attachment=[{"type": "Image", "url": "https://remote.example/1.png"}])
    run("Create", object=first)
    post = Post.objects.get(uri=first["id"])
    original = post.media.get().pk
    run("Update", object={**first, "content": "<p>new words</p>"})
    assert post.media.get().pk == original  # same image: kept
    run("Update", object={**first, "attachment": [{"type": "Image", "url": "https://r.example/2"}]})
    assert post.media.get().remote_url == "https://r.example/2"
    assert not post.media.filter(pk=original).exists()


def test_type_of_reads_lists_and_prefixed_names():
    from wikisocial.federation.jsonld import type_of

    assert type_of({"type": ["schema:Thing", "Person"]}) == "Person"
    assert type_of({"type": "Note"}) == "Note"
    assert type_of({"type": [1, {}]}) == "" and type_of("Note") == ""
