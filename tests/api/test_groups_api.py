"""Groups through the client API, as Mastodon apps see a Lemmy community: the group's account
(``group: true``), its topics as its statuses, topics and replies as statuses with threads,
replying from an app under the group's rules, following a group to join it, notifications
mapped to Mastodon's types (or left out), search and the directory."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.communities.world import member, new_group, topic
from tests.posts.helpers import write
from wikisocial.communities import actions as communities
from wikisocial.communities.models import Membership, Topic
from wikisocial.notifications.actions import notify
from wikisocial.notifications.models import Kind, Notification
from wikisocial.posts.models import Post

pytestmark = pytest.mark.django_db


@pytest.fixture
def anonymous(client):
    """Someone without a token."""

    def call(method: str, path: str, data=None):
        return getattr(client, method.lower())(path, data or {})

    return call


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content[:300]
    return [item["id"] for item in response.json()]


def group_id(group) -> str:
    return str(group.account.pk)


# --- the group's account ------------------------------------------------------------------


def test_a_group_account_is_a_group_with_members_as_followers(api, ana, bea):
    group = new_group(ana, "cats", kind="restricted", name="Cat lovers")
    topic(ana, group, "Whiskers")
    data = api(bea)("GET", f"/api/v1/accounts/{group_id(group)}").json()
    assert data["group"] is True
    assert data["username"] == "cats"
    assert data["display_name"] == "Cat lovers"
    assert data["url"].endswith("/g/cats")
    assert data["followers_count"] == 1  # the owner
    assert data["statuses_count"] == 1  # its topics: anyone may read them
    assert data["locked"] is True  # joining waits for a moderator
    person = api(bea)("GET", f"/api/v1/accounts/{ana.account.pk}").json()
    assert person["group"] is False


def test_a_private_groups_activity_is_not_counted_for_anyone(api, ana, bea):
    group = new_group(ana, "quiet", kind="private")
    topic(ana, group, "Inside")
    data = api(bea)("GET", f"/api/v1/accounts/{group_id(group)}").json()
    assert data["statuses_count"] == 0
    assert data["last_status_at"] is None
    assert data["followers_count"] == 1  # shown on its page too


def test_a_hidden_groups_account_is_not_found_by_outsiders_through_any_endpoint(
    api, anonymous, ana, bea
):
    group = new_group(ana, "cellar", kind="hidden")
    pk = group_id(group)
    outsider = api(bea)
    for call in (outsider, anonymous):
        assert call("GET", f"/api/v1/accounts/{pk}").status_code == 404
        assert call("GET", f"/api/v1/accounts/{pk}/statuses").status_code == 404
        assert call("GET", f"/api/v1/accounts/{pk}/followers").status_code == 404
        assert call("GET", "/api/v1/accounts/lookup", {"acct": "cellar"}).status_code == 404
        assert call("GET", "/api/v1/accounts", {"id[]": [pk]}).json() == []
    assert outsider("GET", "/api/v1/accounts/search", {"q": "cellar"}).json() == []
    assert outsider("GET", "/api/v1/accounts/relationships", {"id[]": [pk]}).json() == []
    familiar = outsider("GET", "/api/v1/accounts/familiar_followers", {"id[]": [pk]})
    assert familiar.json() == []
    assert outsider("POST", f"/api/v1/accounts/{pk}/follow").status_code == 404
    found = outsider("GET", "/api/v2/search", {"q": "cellar", "type": "accounts"}).json()
    assert found["accounts"] == []


def test_a_hidden_groups_account_is_found_by_its_members(api, ana):
    group = new_group(ana, "cellar", kind="hidden")
    mine = api(ana)
    assert mine("GET", f"/api/v1/accounts/{group_id(group)}").json()["group"] is True
    assert mine("GET", "/api/v1/accounts/lookup", {"acct": "cellar"}).status_code == 200
    found = mine("GET", "/api/v2/search", {"q": "cellar", "type": "accounts"}).json()
    assert [a["id"] for a in found["accounts"]] == [group_id(group)]


def test_search_finds_listed_groups_by_name(api, anonymous, ana, bea):
    private = new_group(ana, "quiet", kind="private", name="Quiet readers")
    found = anonymous("GET", "/api/v2/search", {"q": "Quiet", "type": "accounts"}).json()
    assert [a["id"] for a in found["accounts"]] == [group_id(private)]


# --- the group's statuses: its topics -------------------------------------------------------


def test_a_groups_statuses_are_its_topics(anonymous, ana, bea):
    group = new_group(ana, "cats")
    first = topic(ana, group, "First")
    second = topic(bea, group, "Second")
    write(bea, "A reply", in_reply_to=first.post)
    found = ids(anonymous("GET", f"/api/v1/accounts/{group_id(group)}/statuses"))
    assert found == [str(second.post.pk), str(first.post.pk)]


def test_a_groups_pinned_statuses_are_its_pinned_topics(anonymous, ana):
    group = new_group(ana, "cats")
    topic(ana, group, "Ordinary")
    pinned = topic(ana, group, "Read me first")
    Topic.objects.filter(pk=pinned.pk).update(pinned_at=timezone.now())
    path = f"/api/v1/accounts/{group_id(group)}/statuses"
    assert ids(anonymous("GET", path, {"pinned": "true"})) == [str(pinned.post.pk)]


def test_a_private_groups_topics_are_for_its_members(api, ana, bea):
    group = new_group(ana, "quiet", kind="private")
    made = topic(ana, group, "Inside")
    path = f"/api/v1/accounts/{group_id(group)}/statuses"
    assert ids(api(bea)("GET", path)) == []
    assert ids(api(ana)("GET", path)) == [str(made.post.pk)]


def test_a_persons_statuses_leave_out_groups_the_viewer_cant_read(api, anonymous, ana, bea):
    private = new_group(ana, "quiet", kind="private")
    public = new_group(ana, "cats")
    hidden = topic(ana, private, "Inside")
    shown = topic(ana, public, "Outside")
    plain = write(ana, "Hello")
    path = f"/api/v1/accounts/{ana.account.pk}/statuses"
    expected = [str(plain.pk), str(shown.post.pk)]
    assert ids(api(bea)("GET", path)) == expected
    assert ids(anonymous("GET", path)) == expected
    assert str(hidden.post.pk) in ids(api(ana)("GET", path))


# --- topics and replies as statuses -------------------------------------------------------


def test_a_topic_shows_its_title_and_links_to_its_page(anonymous, ana):
    group = new_group(ana, "cats")
    made = topic(ana, group, "Cats & <dogs>", "Which is better?")
    data = anonymous("GET", f"/api/v1/statuses/{made.post.pk}").json()
    assert data["content"] == (
        "<p><strong>Cats &amp; &lt;dogs&gt;</strong></p><p>Which is better?</p>"
    )
    assert data["url"].endswith(f"/g/cats/t/{made.post.pk}")
    assert data["visibility"] == "public"
    assert data["in_reply_to_id"] is None


def test_a_reply_is_a_plain_status_in_the_thread(anonymous, ana, bea):
    group = new_group(ana, "cats")
    made = topic(ana, group, "Whiskers")
    reply = write(bea, "Long ones", in_reply_to=made.post)
    data = anonymous("GET", f"/api/v1/statuses/{reply.pk}").json()
    assert data["content"] == "<p>Long ones</p>"
    assert data["in_reply_to_id"] == str(made.post.pk)
    assert data["url"].endswith(f"/@bea/{reply.pk}")
    context = anonymous("GET", f"/api/v1/statuses/{made.post.pk}/context").json()
    assert [s["id"] for s in context["descendants"]] == [str(reply.pk)]
    assert anonymous("GET", f"/api/v1/statuses/{made.post.pk}").json()["replies_count"] == 1


def test_a_closed_groups_posts_are_followers_only_statuses_for_members(api, ana):
    group = new_group(ana, "quiet", kind="private")
    made = topic(ana, group, "Inside")
    data = api(ana)("GET", f"/api/v1/statuses/{made.post.pk}").json()
    assert data["visibility"] == "private"
    assert data["content"].startswith("<p><strong>Inside</strong></p>")


def test_a_page_of_statuses_costs_the_same_with_more_topics(api, ana):
    group = new_group(ana, "cats")
    topic(ana, group, "One")
    path = f"/api/v1/accounts/{group_id(group)}/statuses"
    call = api(ana)
    call("GET", path)
    with CaptureQueriesContext(connection) as few:
        call("GET", path)
    for n in range(5):
        topic(ana, group, f"More {n}")
    with CaptureQueriesContext(connection) as many:
        call("GET", path)
    assert len(many) == len(few)


# --- replying from an app -------------------------------------------------------------------


def reply_from_app(call, parent: Post, text: str = "From my phone"):
    return call(
        "POST",
        "/api/v1/statuses",
        {"status": text, "in_reply_to_id": str(parent.pk), "visibility": "unlisted"},
    )


def test_a_reply_from_an_app_is_posted_in_the_group(api, ana, bea):
    group = new_group(ana, "cats")
    made = topic(ana, group, "Whiskers")
    response = reply_from_app(api(bea), made.post)
    assert response.status_code == 200, response.content
    reply = Post.objects.get(pk=response.json()["id"])
    assert reply.group_id == group.pk
    assert response.json()["visibility"] == "public"  # the group's, not the app's "unlisted"
    assert Topic.objects.get(pk=made.pk).replies_count == 1


@pytest.mark.parametrize(
    ("situation", "message"),
    [
        ("not_member", "Only members may post in this group."),
        ("banned", "You are banned from this group."),
        ("locked", "This topic is locked: only moderators may reply."),
        ("closed", "This topic is closed."),
        ("slow", "This topic is in slow mode"),
    ],
)
def test_the_groups_rules_hold_for_replies_from_apps(api, ana, bea, situation, message):
    group = new_group(ana, "cats", kind="restricted")
    made = topic(ana, group, "Whiskers")
    if situation != "not_member":
        member(group, bea, ana)
    if situation == "banned":
        communities.ban(ana.account, group, bea.account, "spam")
    if situation in ("locked", "closed", "slow"):
        changes = {
            "locked": {"locked": True},
            "closed": {"closed_at": timezone.now()},
            "slow": {"slow_mode_seconds": 3600},
        }[situation]
        Topic.objects.filter(pk=made.pk).update(**changes)
    if situation == "slow":
        assert reply_from_app(api(bea), made.post).status_code == 200
    response = reply_from_app(api(bea), made.post, "Again")
    assert response.status_code == 422, response.content
    assert message in response.json()["error"]
    assert Post.objects.filter(group=group, content="Again").count() == 0


def test_a_private_groups_post_cant_be_answered_by_outsiders(api, ana, bea):
    group = new_group(ana, "quiet", kind="private")
    made = topic(ana, group, "Inside")
    assert reply_from_app(api(bea), made.post).status_code == 404


# --- following a group is joining it --------------------------------------------------------


def relationship(call, account) -> dict:
    found = call("GET", "/api/v1/accounts/relationships", {"id[]": [str(account.pk)]}).json()
    return found[0]


def test_following_a_public_group_joins_it_and_unfollowing_leaves(api, ana, bea):
    group = new_group(ana, "cats")
    call = api(bea)
    data = call("POST", f"/api/v1/accounts/{group_id(group)}/follow").json()
    assert data["following"] is True
    assert Membership.objects.filter(group=group, account=bea.account).exists()
    assert relationship(call, group.account)["following"] is True
    data = call("POST", f"/api/v1/accounts/{group_id(group)}/unfollow").json()
    assert data["following"] is False
    assert not Membership.objects.filter(group=group, account=bea.account).exists()


def test_following_a_restricted_group_asks_to_join(api, ana, bea):
    group = new_group(ana, "cats", kind="restricted")
    data = api(bea)("POST", f"/api/v1/accounts/{group_id(group)}/follow").json()
    assert (data["following"], data["requested"]) == (False, True)


def test_following_a_group_one_is_banned_from_is_refused(api, ana, bea):
    group = new_group(ana, "cats")
    communities.ban(ana.account, group, bea.account, "spam")
    response = api(bea)("POST", f"/api/v1/accounts/{group_id(group)}/follow")
    assert response.status_code == 422
    assert "banned" in response.json()["error"]


def test_a_groups_followers_are_its_members_where_the_viewer_may_see_them(
    api, anonymous, ana, bea, cem
):
    public = new_group(ana, "cats")
    member(public, bea, ana)
    followers = anonymous("GET", f"/api/v1/accounts/{group_id(public)}/followers").json()
    assert {a["username"] for a in followers} == {"ana", "bea"}
    private = new_group(ana, "quiet", kind="private")
    member(private, bea, ana)
    path = f"/api/v1/accounts/{group_id(private)}/followers"
    assert api(cem)("GET", path).json() == []
    assert {a["username"] for a in api(bea)("GET", path).json()} == {"ana", "bea"}
    hidden_list = new_group(ana, "shy", members_hidden=True)
    path = f"/api/v1/accounts/{group_id(hidden_list)}/followers"
    assert api(bea)("GET", path).json() == []
    assert [a["username"] for a in api(ana)("GET", path).json()] == ["ana"]


# --- notifications ----------------------------------------------------------------------------


@pytest.fixture
def group_notifications(ana, bea):
    """Ana's notifications, oldest first: a new topic in a group she watches, a reply there,
    and kinds Mastodon has no type for (a join request, an invitation, a wiki edit …)."""
    group = new_group(ana, "cats", kind="restricted")
    made = topic(bea, new_group(bea, "dogs"), "Barking")
    reply = write(ana, "Woof", in_reply_to=made.post)
    answer = write(bea, "Woof woof", in_reply_to=reply)
    notify(ana.account, Kind.GROUP_TOPIC, bea.account, made.post, group=made.group)
    notify(ana.account, Kind.GROUP_REPLY, bea.account, answer, group=made.group)
    for kind in (Kind.JOIN_REQUEST, Kind.GROUP_INVITE, Kind.GROUP_REMOVED, Kind.JOIN_APPROVED):
        notify(ana.account, kind, bea.account, group=group)
    notify(ana.account, Kind.WIKI_EDIT, bea.account, group=group)
    return made, answer


def test_group_posts_notify_as_statuses_and_other_group_kinds_are_left_out(
    api, ana, group_notifications
):
    made, answer = group_notifications
    call = api(ana)
    found = call("GET", "/api/v1/notifications").json()
    shown = {(n["type"], n["status"]["id"]) for n in found if "status" in n}
    assert {("status", str(answer.pk)), ("status", str(made.post.pk))} <= shown
    assert {n["type"] for n in found} == {"status", "mention"}  # the reply to Ana: a mention
    assert Notification.objects.filter(recipient=ana.account, kind=Kind.JOIN_REQUEST).exists()
    assert call("GET", "/api/v1/notifications/unread_count").json() == {"count": len(found)}
    groups = call("GET", "/api/v2/notifications").json()["notification_groups"]
    assert {g["type"] for g in groups} == {"status", "mention"}
    assert call("GET", "/api/v2/notifications/unread_count").json() == {"count": len(groups)}


def test_the_types_filters_know_the_status_type(api, ana, group_notifications):
    call = api(ana)
    only = call("GET", "/api/v1/notifications", {"types[]": ["status"]}).json()
    assert only
    assert {n["type"] for n in only} == {"status"}
    others = call("GET", "/api/v1/notifications", {"exclude_types[]": ["status"]}).json()
    assert {n["type"] for n in others} == {"mention"}
    unknown = call("GET", "/api/v1/notifications", {"types[]": ["join_request"]}).json()
    assert unknown == []


def test_a_notification_without_a_mastodon_type_is_not_found_one_by_one(api, ana, bea):
    group = new_group(ana, "cats", kind="restricted")
    row = notify(ana.account, Kind.JOIN_REQUEST, bea.account, group=group)
    assert api(ana)("GET", f"/api/v1/notifications/{row.pk}").status_code == 404
    key = f"ungrouped-{row.pk}"
    assert api(ana)("GET", f"/api/v2/notifications/{key}").status_code == 404


# --- directory ----------------------------------------------------------------------------------


def test_the_directory_lists_people_not_groups(anonymous, ana):
    new_group(ana, "cats")
    write(ana, "Hello")
    listed = anonymous("GET", "/api/v1/directory").json()
    assert [a["username"] for a in listed] == ["ana"]


# --- hashtags of closed groups ---------------------------------------------------------------


def test_a_hashtag_only_a_private_group_uses_is_unknown_to_outsiders(api, anonymous, ana, bea):
    group = new_group(ana, "quiet", kind="private")
    topic(ana, group, "Inside", "About #moonbase")
    for call in (api(bea), anonymous):
        assert "id" not in call("GET", "/api/v1/tags/moonbase").json()
        found = call("GET", "/api/v2/search", {"q": "#moon", "type": "hashtags"}).json()
        assert found["hashtags"] == []
    assert "id" in api(ana)("GET", "/api/v1/tags/moonbase").json()
    found = api(ana)("GET", "/api/v2/search", {"q": "#moon", "type": "hashtags"}).json()
    assert [t["name"] for t in found["hashtags"]] == ["moonbase"]
    write(bea, "I like the #moonbase too")
    assert "id" in api(bea)("GET", "/api/v1/tags/moonbase").json()


def test_a_list_of_groups_costs_the_same_as_one(api, ana):
    new_group(ana, "club_one")
    call = api(ana)
    search = {"q": "club", "type": "accounts"}
    call("GET", "/api/v2/search", search)
    with CaptureQueriesContext(connection) as one:
        assert len(call("GET", "/api/v2/search", search).json()["accounts"]) == 1
    for n in range(4):
        new_group(ana, f"club_{n}")
    with CaptureQueriesContext(connection) as five:
        assert len(call("GET", "/api/v2/search", search).json()["accounts"]) == 5
    assert len(five) == len(one)
