"""Notifications through the client API: Mastodon's shape, types and filters, paging, one
notification, dismissing and clearing, the unread count, and what a page costs."""

from __future__ import annotations

import pytest

from tests.api.shapes import assert_same_shape, golden
from tests.posts.helpers import poll_post, remote_account, write
from wikisocial.notifications import actions as notifications
from wikisocial.notifications.models import Kind, Notification
from wikisocial.posts import actions as posts
from wikisocial.social import actions as social

pytestmark = pytest.mark.django_db


def ids(response) -> list[str]:
    return [item["id"] for item in response.json()]


def types(response) -> list[str]:
    return [item["type"] for item in response.json()]


@pytest.fixture
def busy(ana, bea, cem):
    """Ana's notifications, oldest first: bea mentions her, follows her, likes and boosts
    her post, cem replies to it."""
    post = write(ana, "My post")
    write(bea, "Hello @ana")
    social.follow(bea.account, ana.account)
    posts.like(bea.account, post)
    posts.boost(bea.account, post)
    write(cem, "A reply", in_reply_to=post)
    return post


# --- the entity -------------------------------------------------------------------------------


def test_a_mention_has_mastodons_shape(api, ana, bea):
    post = write(bea, "@ana hello!")
    response = api(ana)("GET", "/api/v1/notifications")
    assert response.status_code == 200
    data = response.json()
    assert_same_shape(data, golden("notifications_mention"))
    (item,) = data
    assert item["type"] == "mention"
    assert item["group_key"] == f"ungrouped-{item['id']}"
    assert item["account"]["username"] == "bea"
    assert item["status"]["id"] == str(post.pk)
    assert item["status"]["mentions"][0]["username"] == "ana"


def test_each_kind_as_mastodon_names_it(api, ana, busy):
    found = types(api(ana)("GET", "/api/v1/notifications"))
    assert found == ["mention", "reblog", "favourite", "follow", "mention"]  # newest first
    by_type = {item["type"]: item for item in api(ana)("GET", "/api/v1/notifications").json()}
    assert "status" not in by_type["follow"]
    assert by_type["favourite"]["status"]["id"] == str(busy.pk)
    assert by_type["reblog"]["status"]["id"] == str(busy.pk)  # the post that was boosted
    assert by_type["favourite"]["group_key"] == f"favourite-{busy.pk}"


def test_poll_and_update(api, ana, bea):
    poll = poll_post(ana, ["a", "b"]).poll
    posts.vote(bea.account, poll, [0])
    notifications.notify(bea.account, Kind.POLL, ana.account, poll.post)
    posts.edit_post(poll.post, ana.account, posts.Draft(text="Vote again?"))
    assert "poll" in types(api(bea)("GET", "/api/v1/notifications"))


def test_types_and_exclude_types(api, ana, busy):
    call = api(ana)
    assert types(call("GET", "/api/v1/notifications", {"types[]": ["mention"]})) == [
        "mention",
        "mention",
    ]
    found = types(call("GET", "/api/v1/notifications", {"types[]": ["follow", "favourite"]}))
    assert found == ["favourite", "follow"]
    found = types(call("GET", "/api/v1/notifications", {"exclude_types[]": ["mention", "reblog"]}))
    assert found == ["favourite", "follow"]
    assert types(call("GET", "/api/v1/notifications", {"types[]": ["admin.sign_up"]})) == []
    # An unknown exclusion changes nothing.
    assert len(call("GET", "/api/v1/notifications", {"exclude_types[]": ["nonsense"]}).json()) == 5


def test_account_id(api, ana, bea, cem, busy):
    found = api(ana)("GET", "/api/v1/notifications", {"account_id": cem.account.pk}).json()
    assert [(n["type"], n["account"]["username"]) for n in found] == [("mention", "cem")]
    assert api(ana)("GET", "/api/v1/notifications", {"account_id": "nope"}).json() == []


def test_pages_with_link_headers(api, ana, busy):
    call = api(ana)
    everything = ids(call("GET", "/api/v1/notifications"))
    first = call("GET", "/api/v1/notifications", {"limit": 2})
    assert ids(first) == everything[:2]
    link = first["Link"]
    assert f"max_id={everything[1]}" in link and 'rel="next"' in link
    assert f"min_id={everything[0]}" in link and 'rel="prev"' in link
    second = call("GET", "/api/v1/notifications", {"limit": 2, "max_id": everything[1]})
    assert ids(second) == everything[2:4]
    newer = call("GET", "/api/v1/notifications", {"min_id": everything[2]})
    assert ids(newer) == everything[:2]
    assert ids(call("GET", "/api/v1/notifications", {"since_id": everything[1]})) == everything[:1]
    assert len(ids(call("GET", "/api/v1/notifications", {"limit": 1000}))) == 5  # clamped


def test_only_ones_own_notifications(api, ana, bea, busy):
    theirs = Notification.objects.filter(recipient=ana.account).first()
    assert api(bea)("GET", "/api/v1/notifications").json() == []
    assert api(bea)("GET", f"/api/v1/notifications/{theirs.pk}").status_code == 404
    response = api(bea)("POST", f"/api/v1/notifications/{theirs.pk}/dismiss")
    assert response.status_code == 404
    assert Notification.objects.filter(pk=theirs.pk).exists()


def test_a_deleted_post_takes_its_notification_out_of_the_list(api, ana, bea):
    post = write(bea, "@ana soon gone")
    write(bea, "@ana stays")
    posts.delete_post(post, bea.account)
    found = api(ana)("GET", "/api/v1/notifications").json()
    assert [n["status"]["content"] for n in found] == [found[0]["status"]["content"]]
    assert "stays" in found[0]["status"]["content"]


def test_a_post_that_became_invisible_is_left_out(api, ana, bea, cem):
    post = write(ana, "Mine")
    posts.like(bea.account, post)
    social.block(ana.account, cem.account)  # unrelated: bea's like stays
    assert types(api(ana)("GET", "/api/v1/notifications")) == ["favourite"]
    posts.delete_post(post, ana.account)
    assert api(ana)("GET", "/api/v1/notifications").json() == []


def test_get_one(api, ana, busy):
    newest = Notification.objects.filter(recipient=ana.account).order_by("-id").first()
    response = api(ana)("GET", f"/api/v1/notifications/{newest.pk}")
    assert response.status_code == 200
    assert response.json()["id"] == str(newest.pk)
    assert api(ana)("GET", "/api/v1/notifications/12x").status_code == 404
    assert api(ana)("GET", "/api/v1/notifications/999").status_code == 404


def test_dismiss_and_clear(api, ana, busy):
    call = api(ana)
    everything = ids(call("GET", "/api/v1/notifications"))
    response = call("POST", f"/api/v1/notifications/{everything[0]}/dismiss")
    assert response.status_code == 200 and response.json() == {}
    assert ids(call("GET", "/api/v1/notifications")) == everything[1:]
    assert call("POST", "/api/v1/notifications/clear").json() == {}
    assert call("GET", "/api/v1/notifications").json() == []
    assert not Notification.objects.filter(recipient=ana.account).exists()


def test_scopes(api, ana, busy):
    reader = api(ana, ["read:notifications"])
    assert reader("GET", "/api/v1/notifications").status_code == 200
    assert reader("POST", "/api/v1/notifications/clear").status_code == 403
    assert api(ana, ["read:statuses"])("GET", "/api/v1/notifications").status_code == 403
    assert api(ana, ["write:notifications"])("POST", "/api/v1/notifications/clear").json() == {}


def test_needs_a_user_token(client):
    assert client.get("/api/v1/notifications").status_code == 401


# --- unread count -----------------------------------------------------------------------------


def test_unread_count_follows_the_marker(api, ana, busy):
    call = api(ana)
    assert call("GET", "/api/v1/notifications/unread_count").json() == {"count": 5}
    everything = ids(call("GET", "/api/v1/notifications"))
    notifications.mark_read(ana.account, int(everything[2]))
    assert call("GET", "/api/v1/notifications/unread_count").json() == {"count": 2}
    count = call("GET", "/api/v1/notifications/unread_count", {"types[]": ["mention"]}).json()
    assert count == {"count": 1}
    assert call("GET", "/api/v1/notifications/unread_count", {"limit": 1}).json() == {"count": 1}


# --- what a page costs ------------------------------------------------------------------------


@pytest.fixture
def forty(ana):
    """Forty-five notifications for Ana from remote accounts, of every kind with a post."""
    mine = [write(ana, f"Post {i}") for i in range(3)]
    for i in range(45):
        sender = remote_account(f"far{i}")
        kind = [Kind.LIKE, Kind.BOOST, Kind.MENTION, Kind.FOLLOW][i % 4]
        post = None if kind == Kind.FOLLOW else mine[i % 3]
        Notification.objects.create(
            recipient=ana.account, actor=sender, kind=kind, post=post, group_key=""
        )
    return mine


def test_a_page_of_40_costs_a_fixed_number_of_queries(
    api,
    ana,
    forty,
    django_assert_max_num_queries,
):
    call = api(ana)
    call("GET", "/api/v1/notifications", {"limit": 1})  # warm up (instance settings …)
    with django_assert_max_num_queries(30) as one:
        assert len(call("GET", "/api/v1/notifications", {"limit": 1}).json()) == 1
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(call("GET", "/api/v1/notifications", {"limit": 40}).json()) == 40
