"""Who may see a post. Each rule is checked twice: through ``Post.objects.visible_to`` (the one
rule every door uses) and through HTTP, where a post one may not see is a 404, never a 403."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.posts.helpers import body, remote_account, write
from wikisocial.accounts.models import Account
from wikisocial.posts import actions
from wikisocial.posts.models import Post
from wikisocial.social import actions as social
from wikisocial.timelines import queries

pytestmark = pytest.mark.django_db


@dataclass
class World:
    author: object  # User
    users: dict
    remote: Account
    remote_follower: Account

    def account(self, kind: str) -> Account | None:
        if kind == "anonymous":
            return None
        if kind == "remote":
            return self.remote
        if kind == "remote_follower":
            return self.remote_follower
        return self.users[kind].account


@pytest.fixture
def world(make_user, ana) -> World:
    users = {"author": ana}
    for kind, name in [
        ("follower", "bea"),
        ("non_follower", "cem"),
        ("mentioned", "dan"),
        ("blocked", "eve"),
        ("blocking", "fay"),
        ("requester", "gus"),
    ]:
        users[kind] = make_user(name)
    social.follow(users["follower"].account, ana.account)
    remote, remote_follower = remote_account("faraway"), remote_account("fan")
    social.follow(remote_follower, ana.account)
    social.block(ana.account, users["blocked"].account)
    social.block(users["blocking"].account, ana.account)
    return World(ana, users, remote, remote_follower)


def publish(world: World, visibility: str, state: str = "alive") -> Post:
    post = write(world.author, f"secret-{visibility} for @dan", visibility=visibility)
    if state == "deleted":
        actions.delete_post(post, world.author.account)
    elif state == "account_deleted":
        Account.objects.filter(pk=world.author.account.pk).update(deleted_at=post.created_at)
    if visibility == "local":
        # Locked accounts: a follow request is pending, nothing more.
        pass
    return post


# (rule, visibility, viewer, may see, state of the post)
RULES = [
    ("public: anyone, even logged out", "public", "anonymous", True, "alive"),
    ("public: a non-follower", "public", "non_follower", True, "alive"),
    ("public: a remote account", "public", "remote", True, "alive"),
    ("unlisted: anyone with the link", "unlisted", "anonymous", True, "alive"),
    ("unlisted: a non-follower", "unlisted", "non_follower", True, "alive"),
    ("followers-only: not logged out", "private", "anonymous", False, "alive"),
    ("followers-only: a follower", "private", "follower", True, "alive"),
    ("followers-only: not a non-follower", "private", "non_follower", False, "alive"),
    ("followers-only: a person mentioned", "private", "mentioned", True, "alive"),
    ("followers-only: the author", "private", "author", True, "alive"),
    ("followers-only: not while a request waits", "private", "requester", False, "alive"),
    ("followers-only: a remote follower", "private", "remote_follower", True, "alive"),
    ("followers-only: not a remote stranger", "private", "remote", False, "alive"),
    ("direct: a person mentioned", "direct", "mentioned", True, "alive"),
    ("direct: the author", "direct", "author", True, "alive"),
    ("direct: not a follower", "direct", "follower", False, "alive"),
    ("direct: not logged out", "direct", "anonymous", False, "alive"),
    ("local-only: a local account", "local", "non_follower", True, "alive"),
    ("local-only: a local follower", "local", "follower", True, "alive"),
    ("local-only: not logged out", "local", "anonymous", False, "alive"),
    ("local-only: not a remote account", "local", "remote", False, "alive"),
    ("local-only: not even a remote follower", "local", "remote_follower", False, "alive"),
    ("blocked: not someone the author blocks", "public", "blocked", False, "alive"),
    ("blocked: not someone who blocks the author", "public", "blocking", False, "alive"),
    ("deleted: not the author", "public", "author", False, "deleted"),
    ("deleted: nobody else", "public", "follower", False, "deleted"),
    ("deleted: not logged out", "public", "anonymous", False, "deleted"),
    ("deleted account: nobody", "public", "follower", False, "account_deleted"),
]


@pytest.mark.parametrize(
    ("visibility", "viewer", "expected", "state"),
    [rule[1:] for rule in RULES],
    ids=[rule[0] for rule in RULES],
)
def test_visibility_rule(world, client, make_user, visibility, viewer, expected, state):
    if viewer == "requester":
        world.author.account.locked = True
        world.author.account.save()
        social.follow(world.users["requester"].account, world.author.account)
    post = publish(world, visibility, state)

    # The rule, as every door asks it.
    account = world.account(viewer)
    assert Post.objects.visible_to(account).filter(pk=post.pk).exists() is expected

    # The web door (remote accounts have none: they read through federation).
    if viewer.startswith("remote"):
        return
    if viewer != "anonymous":
        client.force_login(world.users[viewer])
    page = client.get(post.get_absolute_url())
    assert page.status_code == (200 if expected else 404)
    history = client.get(post.get_absolute_url() + "/history")
    assert history.status_code == (200 if expected else 404)
    if not expected and viewer != "anonymous":
        for what in ("like", "boost", "bookmark"):
            response = client.post(f"{post.get_absolute_url()}/{what}")
            assert response.status_code == 404, what
        assert not post.likes.exists()
    if expected and visibility in ("public", "unlisted") and viewer != "author":
        assert f"secret-{visibility}" in body(page)


def test_a_forbidden_post_is_never_403(world, client):
    posts = [publish(world, v) for v in ("private", "direct", "local")]
    client.force_login(world.users["non_follower"])
    for post in posts:
        for suffix in ("", "/history", "/edit"):
            assert client.get(post.get_absolute_url() + suffix).status_code in (200, 404)
        for suffix in ("/like", "/boost", "/bookmark", "/pin", "/vote", "/delete", "/wall"):
            status = client.post(post.get_absolute_url() + suffix).status_code
            assert status == 404 or (status in (200, 302) and post.visibility == "local"), suffix


def test_the_url_must_name_the_author(world, client):
    post = publish(world, "public")
    assert client.get(f"/@bea/{post.pk}").status_code == 404
    assert client.get(f"/@ANA/{post.pk}").status_code == 200
    assert client.get("/@ana/99999999999").status_code == 404


def test_invisible_posts_stay_out_of_every_listing(world, client):
    posts = {v: publish(world, v) for v in ("public", "unlisted", "private", "direct", "local")}
    tagged = write(world.author, "private #tagged", visibility="private")
    client.force_login(world.users["non_follower"])
    profile = body(client.get("/@ana/with_replies"))
    local = body(client.get("/local"))
    assert "secret-public" in profile and "secret-public" in local
    assert "secret-unlisted" in profile and "secret-unlisted" not in local  # not in timelines
    assert "secret-private" not in profile and "secret-direct" not in profile
    assert "secret-local" in profile and "secret-local" in local
    assert "private #tagged" not in body(client.get("/tags/tagged"))
    client.logout()
    assert "secret-local" not in body(client.get("/@ana")) + body(client.get("/local"))
    assert posts["private"].pk not in [
        p.pk for p in queries.profile(world.author.account, None, queries.Cursor()).posts
    ]
    assert tagged.pk not in [p.pk for p in queries.hashtag("tagged", None, queries.Cursor()).posts]


def test_a_reply_one_may_not_see_is_absent_from_the_thread(world, client):
    root = publish(world, "public")
    hidden = write(world.users["follower"], "hidden-reply", in_reply_to=root, visibility="direct")
    client.force_login(world.users["non_follower"])
    assert "hidden-reply" not in body(client.get(root.get_absolute_url()))
    client.force_login(world.users["follower"])
    assert "hidden-reply" in body(client.get(root.get_absolute_url()))
    assert client.get(hidden.get_absolute_url()).status_code == 200


def test_a_remote_post_has_no_page_here(world, client):
    post = write(world.remote, "from afar")
    assert Post.objects.visible_to(None).filter(pk=post.pk).exists()
    assert client.get(f"/@faraway/{post.pk}").status_code == 404


def test_a_local_only_post_does_not_leak_through_a_boost(world, client):
    post = publish(world, "local")
    boost = actions.boost(world.users["follower"].account, post)
    assert not Post.objects.visible_to(world.remote).filter(pk=boost.pk).exists()
    assert "secret-local" not in body(client.get("/@bea"))


def test_a_blocked_authors_post_does_not_come_back_through_a_boost(world, client):
    post = publish(world, "public")
    eve, cem = world.users["blocked"], world.users["non_follower"]  # Ana blocked Eve
    social.follow(eve.account, cem.account)
    boost = actions.boost(cem.account, post)
    assert not Post.objects.visible_to(eve.account).filter(pk=boost.pk).exists()
    client.force_login(eve)
    assert "secret-public" not in body(client.get("/"))
    assert "secret-public" not in body(client.get("/@cem"))
