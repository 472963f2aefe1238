"""What our people do reaches exactly the servers that must know: one delivery per inbox,
shared inboxes preferred, followers-only to followers, direct to the mentioned, local never."""

from __future__ import annotations

import orjson
import pytest

from wikisocial.federation import actors, delivery
from wikisocial.federation.jsonld import PUBLIC
from wikisocial.federation.models import Delivery
from wikisocial.posts import actions as posts
from wikisocial.posts.actions import Draft
from wikisocial.posts.models import Visibility
from wikisocial.posts.remote import Incoming, receive_post
from wikisocial.social import actions as social

pytestmark = pytest.mark.django_db
SITE = "http://localhost:8000"


@pytest.fixture(autouse=True)
def _no_sending(monkeypatch):
    monkeypatch.setattr(delivery, "_enqueue", lambda ids: None)


def remote(uri: str, shared: bool = True):
    host = uri.split("/users/")[0]
    return actors.store_actor(
        {
            "id": uri,
            "type": "Person",
            "preferredUsername": uri.rsplit("/", 1)[-1],
            "inbox": f"{uri}/inbox",
            "followers": f"{uri}/followers",
            "endpoints": {"sharedInbox": f"{host}/inbox"} if shared else {},
        }
    )


@pytest.fixture
def ana(make_user):
    return make_user("ana").account


@pytest.fixture
def followers(ana):
    """Three remote followers on two servers (one shared inbox), one without a shared inbox."""
    people = [
        remote("https://one.example/users/a"),
        remote("https://one.example/users/b"),
        remote("https://two.example/users/c", shared=False),
    ]
    for person in people:
        social.follow(person, ana)
    Delivery.objects.all().delete()  # the Accepts
    return people


def deliveries() -> list[tuple[str, dict]]:
    return [(d.inbox_url, orjson.loads(d.body)) for d in Delivery.objects.order_by("id")]


def inboxes() -> set[str]:
    return {url for url, _body in deliveries()}


def test_a_public_post_goes_once_to_each_followers_server(ana, followers):
    post = posts.create_post(ana, Draft(text="Hello #fediverse"))
    assert inboxes() == {"https://one.example/inbox", "https://two.example/users/c/inbox"}
    _url, create = deliveries()[0]
    assert create["type"] == "Create" and create["actor"] == f"{SITE}/@ana"
    assert create["object"]["id"] == f"{SITE}/@ana/{post.pk}"
    assert create["object"]["to"] == [PUBLIC]
    assert create["@context"][0] == "https://www.w3.org/ns/activitystreams"


def test_followers_only_and_direct_posts_reach_exactly_their_audience(ana, followers):
    stranger = remote("https://three.example/users/d")
    posts.create_post(ana, Draft(text="for followers", visibility=Visibility.FOLLOWERS))
    assert inboxes() == {"https://one.example/inbox", "https://two.example/users/c/inbox"}
    _url, create = deliveries()[0]
    assert PUBLIC not in create["object"]["to"] + create["object"]["cc"]
    Delivery.objects.all().delete()
    posts.create_post(ana, Draft(text="@d@three.example just you", visibility=Visibility.DIRECT))
    assert inboxes() == {"https://three.example/inbox"}
    _url, create = deliveries()[0]
    assert create["object"]["to"] == [stranger.uri] and create["object"]["cc"] == []


def test_local_only_posts_never_leave(ana, followers):
    posts.create_post(ana, Draft(text="only here", visibility=Visibility.LOCAL))
    assert not Delivery.objects.exists()


def test_edit_and_delete_follow_the_post(ana, followers):
    post = posts.create_post(ana, Draft(text="first"))
    posts.edit_post(post, ana, Draft(text="second"))
    posts.delete_post(post, ana)
    kinds = [body["type"] for _url, body in deliveries()]
    assert kinds == ["Create", "Create", "Update", "Update", "Delete", "Delete"]
    update = next(b for _u, b in deliveries() if b["type"] == "Update")
    assert "second" in update["object"]["content"] and update["object"]["updated"]
    delete = next(b for _u, b in deliveries() if b["type"] == "Delete")
    assert delete["object"] == {"id": f"{SITE}/@ana/{post.pk}", "type": "Tombstone"}


def test_likes_and_boosts_of_remote_posts_reach_their_author(ana):
    bob = remote("https://one.example/users/bob")
    post = receive_post(
        bob,
        Incoming(
            uri="https://one.example/users/bob/statuses/1",
            url="https://one.example/@bob/1",
            html="<p>hi</p>",
            created_at=bob.created_at,
        ),
    )
    posts.like(ana, post)
    posts.unlike(ana, post)
    posts.boost(ana, post)
    posts.unboost(ana, post)
    kinds = [(url, body["type"]) for url, body in deliveries()]
    assert kinds == [
        ("https://one.example/inbox", "Like"),
        ("https://one.example/inbox", "Undo"),
        ("https://one.example/inbox", "Announce"),
        ("https://one.example/inbox", "Undo"),
    ]
    like, undo_like, announce, undo_announce = (body for _url, body in deliveries())
    assert like["object"] == post.uri
    assert undo_like["object"] == {k: v for k, v in like.items() if k != "@context"}
    assert announce["object"] == post.uri
    assert undo_announce["object"]["id"] == announce["id"]


def test_follow_unfollow_block_and_profile(ana, followers):
    from wikisocial.accounts.actions import ProfileChanges, update_profile

    bob = remote("https://three.example/users/bob")
    request = social.follow(ana, bob)
    social.unfollow(ana, bob)
    social.block(ana, bob)
    social.unblock(ana, bob)
    kinds = [(url, body["type"]) for url, body in deliveries()]
    assert kinds == [
        ("https://three.example/inbox", "Follow"),
        ("https://three.example/inbox", "Undo"),
        ("https://three.example/inbox", "Block"),
        ("https://three.example/inbox", "Undo"),
    ]
    follow_activity = deliveries()[0][1]
    assert follow_activity["id"] == request.uri
    assert deliveries()[1][1]["object"]["id"] == request.uri
    Delivery.objects.all().delete()
    changes = ProfileChanges(
        display_name="Ana A.", bio="", pronouns="", wiki_username="", locked=False, bot=False
    )
    update_profile(ana, changes)
    assert inboxes() == {"https://one.example/inbox", "https://two.example/users/c/inbox"}
    update = deliveries()[0][1]
    assert update["type"] == "Update" and update["object"]["name"] == "Ana A."


def test_pins_are_announced_as_add_and_remove(ana, followers):
    post = posts.create_post(ana, Draft(text="pinned"))
    Delivery.objects.all().delete()
    posts.pin(ana, post)
    posts.unpin(ana, post)
    kinds = [body["type"] for _url, body in deliveries()]
    assert kinds == ["Add", "Add", "Remove", "Remove"]
    assert deliveries()[0][1]["target"] == f"{SITE}/@ana/featured"


def test_account_deletion_is_announced(ana, followers):
    from wikisocial.accounts.actions import delete_account

    delete_account(ana)
    deletes = [body for _url, body in deliveries() if body["type"] == "Delete"]
    assert len(deletes) == 2 and deletes[0]["object"] == f"{SITE}/@ana"


def test_a_vote_in_a_remote_poll_goes_to_its_author(ana):
    from datetime import timedelta

    from django.utils import timezone

    from wikisocial.posts.remote import RemotePoll

    bob = remote("https://one.example/users/bob")
    post = receive_post(
        bob,
        Incoming(
            uri="https://one.example/users/bob/statuses/9",
            url="https://one.example/@bob/9",
            html="<p>Which?</p>",
            created_at=timezone.now(),
            poll=RemotePoll(
                options=[("Tea", 0), ("Coffee", 0)],
                multiple=True,
                expires_at=timezone.now() + timedelta(days=1),
            ),
        ),
    )
    posts.vote(ana, post.poll, [0, 1])
    votes = [body for url, body in deliveries() if url == "https://one.example/inbox"]
    assert [v["object"]["name"] for v in votes] == ["Tea", "Coffee"]
    assert all(v["object"]["inReplyTo"] == post.uri and v["type"] == "Create" for v in votes)
    assert votes[0]["object"]["to"] == [bob.uri]


def test_asking_again_sends_a_new_follow_and_undo_block_names_the_block(ana):
    bob = remote("https://three.example/users/bob")
    first = social.follow(ana, bob)
    again = social.follow(ana, bob)
    follows = [body for _url, body in deliveries() if body["type"] == "Follow"]
    assert len(follows) == 2 and follows[0]["id"] != follows[1]["id"] == again.uri
    assert first.uri != again.uri
    row = social.block(ana, bob)
    social.unblock(ana, bob)
    undo = [body for _url, body in deliveries() if body["type"] == "Undo"][-1]
    assert undo["object"]["id"].endswith(f"#blocks/{row.pk}")


def test_a_followers_only_reply_does_not_go_to_an_unmentioned_parent_author(ana, followers):
    bob = remote("https://three.example/users/bob")
    parent = receive_post(
        bob,
        Incoming(
            uri="https://three.example/users/bob/statuses/1",
            url="https://three.example/@bob/1",
            html="<p>hi</p>",
            created_at=bob.created_at,
        ),
    )
    posts.create_post(
        ana, Draft(text="just my followers", visibility=Visibility.FOLLOWERS, in_reply_to=parent)
    )
    assert "https://three.example/inbox" not in inboxes()


def test_at_most_five_unknown_people_are_looked_up_per_post(ana, monkeypatch):
    from wikisocial.federation import resolve

    asked = []

    def lookup(username, domain, **kwargs):
        asked.append(f"{username}@{domain}")

    monkeypatch.setattr(resolve, "resolve_handle", lookup)
    text = " ".join(f"@p{i}@far{i}.example" for i in range(7))
    posts.create_post(ana, Draft(text=text))
    assert len(asked) == 5
