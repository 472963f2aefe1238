# ruff: noqa: F811  (pytest fixtures imported from other modules are arguments here)
"""Grouped notifications (v2), the filtering policy and the requests it keeps aside."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.api.shapes import assert_same_shape, golden
from tests.api.test_notifications import forty  # noqa: F401
from tests.posts.helpers import remote_account, write
from wikisocial.accounts.models import Account
from wikisocial.notifications import actions as notifications
from wikisocial.notifications.models import Kind, Notification
from wikisocial.posts import actions as posts
from wikisocial.social import actions as social

pytestmark = pytest.mark.django_db
ACCOUNT = golden("notifications_mention")[0]["account"]
STATUS = golden("notifications_mention")[0]["status"]


@pytest.fixture
def liked(ana, bea, cem, make_user):
    """Ana's post, liked by bea, cem and dan (in that order) after dan mentioned her."""
    dan = make_user("dan")
    post = write(ana, "Liked a lot")
    write(dan, "@ana look")
    for who in (bea, cem, dan):
        posts.like(who.account, post)
    return post


def groups(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["notification_groups"]


def test_likes_of_a_post_are_one_group(api, ana, liked):
    response = api(ana)("GET", "/api/v2/notifications")
    data = response.json()
    assert set(data) == {"accounts", "statuses", "notification_groups"}
    favourite, mention = groups(response)
    likes = list(Notification.objects.filter(kind=Kind.LIKE).order_by("id"))
    assert favourite == {
        "group_key": f"favourite-{liked.pk}",
        "notifications_count": 3,
        "type": "favourite",
        "most_recent_notification_id": str(likes[-1].pk),
        "page_min_id": str(likes[0].pk),
        "page_max_id": str(likes[-1].pk),
        "latest_page_notification_at": favourite["latest_page_notification_at"],
        "sample_account_ids": [str(n.actor_id) for n in reversed(likes)],
        "status_id": str(liked.pk),
    }
    assert mention["type"] == "mention" and mention["group_key"].startswith("ungrouped-")
    assert mention["notifications_count"] == 1
    usernames = {a["username"] for a in data["accounts"]}
    assert usernames == {"bea", "cem", "dan"}  # each account once
    assert len(data["statuses"]) == 2
    for account in data["accounts"]:
        assert_same_shape(account, ACCOUNT)
    for status in data["statuses"]:
        assert_same_shape(status, STATUS)


def test_grouped_types_limits_grouping(api, ana, liked):
    call = api(ana)
    found = groups(call("GET", "/api/v2/notifications", {"grouped_types[]": ["follow"]}))
    assert [g["type"] for g in found] == ["favourite"] * 3 + ["mention"]
    assert all(g["group_key"].startswith("ungrouped-") for g in found)


def test_pages_of_groups(api, ana, liked):
    call = api(ana)
    first = call("GET", "/api/v2/notifications", {"limit": 1})
    (favourite,) = groups(first)
    assert favourite["notifications_count"] == 3
    link = first["Link"]
    assert f"max_id={favourite['most_recent_notification_id']}" in link
    oldest_like = Notification.objects.filter(kind=Kind.LIKE).order_by("id").first()
    # A full page only covers its own range: older likes would come on the next page.
    assert favourite["page_min_id"] == favourite["most_recent_notification_id"]
    second = call("GET", "/api/v2/notifications", {"limit": 2, "max_id": favourite["page_max_id"]})
    again, mention = groups(second)
    assert again["group_key"] == favourite["group_key"]  # the older likes, as Mastodon
    assert again["notifications_count"] == 2
    assert again["page_min_id"] == str(oldest_like.pk)  # the page reaches down to the mention
    assert mention["type"] == "mention"


def test_filters_apply_to_groups(api, ana, liked):
    call = api(ana)
    found = groups(call("GET", "/api/v2/notifications", {"types[]": ["mention"]}))
    assert [g["type"] for g in found] == ["mention"]
    found = groups(call("GET", "/api/v2/notifications", {"exclude_types[]": ["mention"]}))
    assert [g["type"] for g in found] == ["favourite"]


def test_one_group_its_accounts_and_dismissing_it(api, ana, liked):
    call = api(ana)
    key = f"favourite-{liked.pk}"
    data = call("GET", f"/api/v2/notifications/{key}").json()
    (group,) = data["notification_groups"]
    assert group["notifications_count"] == 3 and "page_min_id" not in group
    assert [s["id"] for s in data["statuses"]] == [str(liked.pk)]
    accounts = call("GET", f"/api/v2/notifications/{key}/accounts")
    assert [a["username"] for a in accounts.json()] == ["dan", "cem", "bea"]
    assert [
        a["username"]
        for a in call("GET", f"/api/v2/notifications/{key}/accounts", {"limit": 2}).json()
    ] == ["dan", "cem"]
    mention = Notification.objects.get(kind=Kind.MENTION)
    single = call("GET", f"/api/v2/notifications/ungrouped-{mention.pk}").json()
    assert single["notification_groups"][0]["group_key"] == f"ungrouped-{mention.pk}"
    assert call("POST", f"/api/v2/notifications/{key}/dismiss").json() == {}
    assert [g["type"] for g in groups(call("GET", "/api/v2/notifications"))] == ["mention"]
    assert call("GET", f"/api/v2/notifications/{key}").status_code == 404
    assert call("GET", f"/api/v2/notifications/{key}/accounts").status_code == 404
    assert call("GET", "/api/v2/notifications/ungrouped-x").status_code == 404


def test_someone_elses_group_is_not_found(api, bea, liked):
    call = api(bea)
    assert call("GET", f"/api/v2/notifications/favourite-{liked.pk}").status_code == 404
    call("POST", f"/api/v2/notifications/favourite-{liked.pk}/dismiss")
    assert Notification.objects.filter(kind=Kind.LIKE).count() == 3


def test_unread_groups(api, ana, liked):
    call = api(ana)
    assert call("GET", "/api/v2/notifications/unread_count").json() == {"count": 2}
    assert call("GET", "/api/v1/notifications/unread_count").json() == {"count": 4}
    newest = Notification.objects.order_by("-id").first()
    notifications.mark_read(ana.account, newest.pk)
    assert call("GET", "/api/v2/notifications/unread_count").json() == {"count": 0}


def test_a_page_of_40_groups_costs_a_fixed_number_of_queries(
    api,
    ana,
    make_user,
    django_assert_max_num_queries,
):
    mine = [write(ana, f"Post {i}") for i in range(45)]
    for i, post in enumerate(mine):
        for j in range(2):
            sender = remote_account(f"far{i}x{j}")
            notifications.notify(ana.account, Kind.LIKE, sender, post)
    call = api(ana)
    call("GET", "/api/v2/notifications", {"limit": 1})
    with django_assert_max_num_queries(40) as one:
        assert len(groups(call("GET", "/api/v2/notifications", {"limit": 1}))) == 1
    with django_assert_max_num_queries(len(one.captured_queries)):
        found = groups(call("GET", "/api/v2/notifications", {"limit": 40}))
    assert len(found) == 40 and all(g["notifications_count"] == 2 for g in found)


def test_ungrouped_pages_cost_the_same(api, ana, forty, django_assert_max_num_queries):
    call = api(ana, ["read"])
    call("GET", "/api/v2/notifications", {"limit": 1})
    with django_assert_max_num_queries(40) as one:
        call("GET", "/api/v2/notifications", {"limit": 1})
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(groups(call("GET", "/api/v2/notifications", {"limit": 40}))) == 40


# --- the policy -------------------------------------------------------------------------------


def test_policy_reads_and_changes_ours_and_accepts_the_rest(api, ana):
    call = api(ana)
    assert call("GET", "/api/v2/notifications/policy").json() == {
        "for_not_following": "accept",
        "for_not_followers": "accept",
        "for_new_accounts": "accept",
        "for_private_mentions": "accept",
        "for_limited_accounts": "accept",
        "summary": {"pending_requests_count": 0, "pending_notifications_count": 0},
    }
    changed = call(
        "PATCH",
        "/api/v2/notifications/policy",
        '{"for_not_following": "filter", "for_new_accounts": "drop",'
        ' "for_private_mentions": "filter"}',
        content_type="application/json",
    ).json()
    assert changed["for_not_following"] == "filter"
    assert changed["for_new_accounts"] == "filter"  # kept aside, never thrown away
    assert changed["for_private_mentions"] == "accept"  # not something we have
    policy = notifications.policy_of(Account.objects.get(pk=ana.account.pk))
    assert policy.filter_not_following and policy.filter_new_accounts
    bad = call(
        "PATCH",
        "/api/v2/notifications/policy",
        '{"for_not_following": "maybe"}',
        content_type="application/json",
    )
    assert bad.status_code == 422
    v1 = call("GET", "/api/v1/notifications/policy").json()
    assert v1["filter_not_following"] is True and v1["filter_not_followers"] is False
    assert v1["summary"] == {"pending_requests_count": "0", "pending_notifications_count": "0"}
    back = call(
        "PUT",
        "/api/v1/notifications/policy",
        "filter_not_following=false",
        content_type="application/x-www-form-urlencoded",
    ).json()
    assert back["filter_not_following"] is False and back["filter_new_accounts"] is True


# --- requests: what the policy kept aside -----------------------------------------------------


@pytest.fixture
def kept(ana, bea, cem):
    """Ana keeps aside what people she doesn't follow send; bea and cem mention her."""
    notifications.update_policy(ana.account, filter_not_following=True)
    write(bea, "@ana one")
    write(bea, "@ana two")
    last = write(cem, "@ana three")
    return last


def test_kept_aside_ones_wait_in_requests(api, ana, bea, cem, kept):
    call = api(ana)
    assert call("GET", "/api/v1/notifications").json() == []
    assert len(call("GET", "/api/v1/notifications", {"include_filtered": "true"}).json()) == 3
    by_bea = call("GET", "/api/v1/notifications", {"account_id": bea.account.pk}).json()
    assert len(by_bea) == 2  # asking about one sender shows their kept-aside ones
    summary = call("GET", "/api/v2/notifications/policy").json()["summary"]
    assert summary == {"pending_requests_count": 2, "pending_notifications_count": 3}
    listed = call("GET", "/api/v1/notifications/requests").json()
    assert [(r["account"]["username"], r["notifications_count"]) for r in listed] == [
        ("cem", "1"),
        ("bea", "2"),
    ]
    assert listed[0]["last_status"]["id"] == str(kept.pk)
    assert_same_shape(listed[0]["account"], ACCOUNT)
    one = call("GET", f"/api/v1/notifications/requests/{listed[1]['id']}").json()
    assert one == listed[1]
    assert call("GET", "/api/v1/notifications/requests/123").status_code == 404
    assert call("GET", "/api/v1/notifications/requests/merged").json() == {"merged": True}


def test_accepting_a_request(api, ana, bea, cem, kept):
    call = api(ana)
    request_id = call("GET", "/api/v1/notifications/requests").json()[1]["id"]  # bea's
    assert call("POST", f"/api/v1/notifications/requests/{request_id}/accept").json() == {}
    assert [n["account"]["username"] for n in call("GET", "/api/v1/notifications").json()] == [
        "bea",
        "bea",
    ]
    write(bea, "@ana and now?")
    assert len(call("GET", "/api/v1/notifications").json()) == 3  # no longer kept aside
    write(cem, "@ana me too")
    assert len(call("GET", "/api/v1/notifications").json()) == 3


def test_dismissing_requests(api, ana, bea, cem, kept):
    call = api(ana)
    listed = call("GET", "/api/v1/notifications/requests").json()
    response = call(
        "POST", "/api/v1/notifications/requests/dismiss", {"id[]": [r["id"] for r in listed]}
    )
    assert response.json() == {}
    assert call("GET", "/api/v1/notifications/requests").json() == []
    assert not Notification.objects.filter(recipient=ana.account).exists()
    write(bea, "@ana again")
    assert len(call("GET", "/api/v1/notifications/requests").json()) == 1  # kept aside again


def test_accepting_several(api, ana, kept):
    call = api(ana)
    listed = call("GET", "/api/v1/notifications/requests").json()
    call("POST", "/api/v1/notifications/requests/accept", {"id[]": [r["id"] for r in listed]})
    assert len(call("GET", "/api/v1/notifications").json()) == 3
    assert call("GET", "/api/v1/notifications/requests").json() == []


def test_new_accounts_policy(api, ana, bea):
    notifications.update_policy(ana.account, filter_new_accounts=True)
    social.follow(ana.account, bea.account)
    write(bea, "@ana I am new here")
    assert api(ana)("GET", "/api/v1/notifications").json() == []
    Account.objects.filter(pk=bea.account.pk).update(created_at=timezone.now() - timedelta(days=40))
    write(Account.objects.get(pk=bea.account.pk), "@ana not any more")
    assert len(api(ana)("GET", "/api/v1/notifications").json()) == 1
