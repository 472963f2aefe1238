"""Announcements through the client API: those in force, read marks, reactions."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from wikisocial.instance.actions import save_announcement
from wikisocial.instance.models import Announcement, AnnouncementRead

pytestmark = pytest.mark.django_db
PATH = "/api/v1/announcements"


def announce(text: str = "Maintenance **tonight**", published: bool = True, **fields):
    return save_announcement(Announcement(text=text, published=published, **fields))


def test_announcements_in_force(api, ana):
    now = timezone.now()
    first = announce(starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=2))
    second = announce("Welcome!")
    announce("Draft", published=False)
    announce("Over", ends_at=now - timedelta(hours=1))
    response = api(ana)("GET", PATH)
    assert response.status_code == 200
    data = response.json()
    assert [a["id"] for a in data] == [str(first.pk), str(second.pk)]
    assert data[0] == {
        "id": str(first.pk),
        "content": "<p>Maintenance <strong>tonight</strong></p>",
        "starts_at": data[0]["starts_at"],
        "ends_at": data[0]["ends_at"],
        "all_day": False,
        "published_at": data[0]["published_at"],
        "updated_at": data[0]["updated_at"],
        "read": False,
        "mentions": [],
        "statuses": [],
        "tags": [],
        "emojis": [],
        "reactions": [],
    }
    assert data[0]["starts_at"].endswith("Z") and data[0]["published_at"].endswith("Z")
    assert data[1]["starts_at"] is None and data[1]["ends_at"] is None


def test_dismissing_marks_it_read_for_that_person_only(api, ana, bea):
    item = announce()
    response = api(ana)("POST", f"{PATH}/{item.pk}/dismiss")
    assert response.status_code == 200 and response.json() == {}
    api(ana)("POST", f"{PATH}/{item.pk}/dismiss")  # again: nothing changes
    assert AnnouncementRead.objects.filter(announcement=item).count() == 1
    assert api(ana)("GET", PATH).json()[0]["read"] is True
    assert api(bea)("GET", PATH).json()[0]["read"] is False
    assert api(ana)("POST", f"{PATH}/999/dismiss").status_code == 404
    hidden = announce("Draft", published=False)
    assert api(ana)("POST", f"{PATH}/{hidden.pk}/dismiss").status_code == 404


def test_reactions(api, ana, bea):
    item = announce()
    tada, thumbs = quote("🎉"), quote("👍🏽")
    assert api(ana)("PUT", f"{PATH}/{item.pk}/reactions/{tada}").json() == {}
    api(bea)("PUT", f"{PATH}/{item.pk}/reactions/{tada}")
    api(bea)("PUT", f"{PATH}/{item.pk}/reactions/{thumbs}")
    reactions = api(ana)("GET", PATH).json()[0]["reactions"]
    assert reactions == [
        {"name": "🎉", "count": 2, "me": True},
        {"name": "👍🏽", "count": 1, "me": False},
    ]
    assert api(ana)("DELETE", f"{PATH}/{item.pk}/reactions/{tada}").json() == {}
    reactions = api(ana)("GET", PATH).json()[0]["reactions"]
    assert reactions[0] == {"name": "🎉", "count": 1, "me": False}
    bad = api(ana)("PUT", f"{PATH}/{item.pk}/reactions/blobcat")
    assert bad.status_code == 422
    assert "not a recognized emoji" in bad.json()["error"]
    assert api(ana)("PUT", f"{PATH}/999/reactions/{tada}").status_code == 404


def test_scopes_and_users(api, client, ana):
    item = announce()
    assert client.get(PATH).status_code == 401
    reader = api(ana, ["read"])
    assert reader("GET", PATH).status_code == 200
    assert reader("POST", f"{PATH}/{item.pk}/dismiss").status_code == 403
    assert api(ana, ["write:accounts"])("POST", f"{PATH}/{item.pk}/dismiss").status_code == 200
    writer = api(ana, ["write:favourites"])
    assert writer("PUT", f"{PATH}/{item.pk}/reactions/{quote('🎉')}").status_code == 200


def test_a_list_costs_a_fixed_number_of_queries(api, ana, bea, django_assert_max_num_queries):
    call = api(ana)
    announce()
    call("GET", PATH)
    with django_assert_max_num_queries(20) as one:
        call("GET", PATH)
    cost = len(one.captured_queries)  # before the next request empties the log
    for i in range(10):
        item = announce(f"News {i}")
        api(bea)("PUT", f"{PATH}/{item.pk}/reactions/{quote('🎉')}")
    with django_assert_max_num_queries(cost):
        assert len(call("GET", PATH).json()) == 11
