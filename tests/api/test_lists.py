"""/api/v1/lists: creating, reading, changing and deleting lists, their members, and the lists
an account is in; someone else's list is never found."""

from __future__ import annotations

import pytest

# The people fixtures (tests/api/conftest.py does not provide them); tests take them
# as arguments, which ruff reads as redefinitions.
from tests.timelines.helpers import Api, count_queries
from wikisocial.social import actions as social
from wikisocial.timelines.models import List, ListMember

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    def make(user=None, scopes=("read", "write", "follow")):
        return Api(client, user, scopes)

    return make


def test_create_read_update_delete(api, ana):
    caller = api(ana)
    made = caller.post("/api/v1/lists", {"title": "Friends"})
    assert made == {
        "id": made["id"],
        "title": "Friends",
        "replies_policy": "list",
        "exclusive": False,
    }
    form = caller.post(
        "/api/v1/lists",
        {"title": "Work", "replies_policy": "none", "exclusive": "1"},
        form=True,
    )
    assert form["replies_policy"] == "none" and form["exclusive"] is True
    assert [x["title"] for x in caller.get("/api/v1/lists")] == ["Friends", "Work"]
    assert caller.get(f"/api/v1/lists/{made['id']}") == made
    changed = caller.put(f"/api/v1/lists/{made['id']}", {"title": "Pals", "exclusive": True})
    assert changed["title"] == "Pals" and changed["exclusive"] is True
    assert changed["replies_policy"] == "list"
    changed = caller.put(f"/api/v1/lists/{made['id']}", {"replies_policy": "followed"}, form=True)
    assert changed["replies_policy"] == "followed" and changed["title"] == "Pals"
    assert caller.delete(f"/api/v1/lists/{made['id']}") == {}
    assert [x["title"] for x in caller.get("/api/v1/lists")] == ["Work"]


def test_bad_input(api, ana):
    caller = api(ana)
    error = caller.post("/api/v1/lists", {"title": "  "}, expect=422)["error"]
    assert error == "Validation failed: Title can't be blank"
    error = caller.post("/api/v1/lists", {"title": "x", "replies_policy": "some"}, expect=422)
    assert "'some' is not a valid replies_policy" in error["error"]
    caller.post("/api/v1/lists", {"title": "x", "exclusive": "maybe"}, expect=422)
    assert List.objects.count() == 0
    for path in ("/api/v1/lists/abc", "/api/v1/lists/123456", "/api/v1/lists/-1"):
        caller.call("get", path, expect=404)
    api().call("get", "/api/v1/lists", expect=401)
    api(ana, scopes=("read",)).post("/api/v1/lists", {"title": "x"}, expect=403)


def test_someone_elses_list_is_not_found(api, ana, bea):
    theirs = api(bea).post("/api/v1/lists", {"title": "Bea's"})["id"]
    caller = api(ana)
    caller.call("get", f"/api/v1/lists/{theirs}", expect=404)
    caller.call("put", f"/api/v1/lists/{theirs}", {"title": "mine now"}, expect=404)
    caller.call("delete", f"/api/v1/lists/{theirs}", expect=404)
    caller.call("get", f"/api/v1/lists/{theirs}/accounts", expect=404)
    social.follow(ana.account, bea.account)
    caller.call(
        "post",
        f"/api/v1/lists/{theirs}/accounts",
        {"account_ids": [str(bea.account.pk)]},
        expect=404,
    )
    assert List.objects.get(pk=theirs).title == "Bea's"
    assert caller.get("/api/v1/lists") == []


def test_members_only_followed_accounts(api, ana, bea, cem):
    social.follow(ana.account, bea.account)
    caller = api(ana)
    list_id = caller.post("/api/v1/lists", {"title": "Friends"})["id"]
    path = f"/api/v1/lists/{list_id}/accounts"
    assert caller.post(path, {"account_ids[]": [bea.account.pk]}, form=True) == {}
    assert [a["username"] for a in caller.get(path)] == ["bea"]
    # Someone Ana does not follow: 404, and nobody is added.
    caller.call("post", path, {"account_ids": [str(cem.account.pk)]}, expect=404)
    caller.call("post", path, {"account_ids": ["nope"]}, expect=404)
    caller.call("post", path, {"account_ids": ["987654"]}, expect=404)
    already = caller.call("post", path, {"account_ids": [str(bea.account.pk)]}, expect=422)
    assert "already been taken" in already.json()["error"]
    # One's own account may be in one's list.
    caller.post(path, {"account_ids": [str(ana.account.pk)]})
    assert {a["username"] for a in caller.get(path)} == {"ana", "bea"}
    lists_of_bea = caller.get(f"/api/v1/accounts/{bea.account.pk}/lists")
    assert [x["id"] for x in lists_of_bea] == [list_id]
    assert caller.get(f"/api/v1/accounts/{cem.account.pk}/lists") == []
    caller.call("get", "/api/v1/accounts/nope/lists", expect=404)
    assert caller.delete(path, {"account_ids[]": [bea.account.pk]}, form=True) == {}
    assert [a["username"] for a in caller.get(path)] == ["ana"]
    assert caller.delete(path, {"account_ids": [str(cem.account.pk)]}) == {}


def test_unfollowing_takes_the_account_out_of_lists(api, ana, bea):
    social.follow(ana.account, bea.account)
    caller = api(ana)
    list_id = caller.post("/api/v1/lists", {"title": "Friends"})["id"]
    caller.post(f"/api/v1/lists/{list_id}/accounts", {"account_ids": [str(bea.account.pk)]})
    social.unfollow(ana.account, bea.account)
    assert caller.get(f"/api/v1/lists/{list_id}/accounts") == []
    assert not ListMember.objects.exists()


def test_members_pages_and_limit_zero_gives_all(api, ana, make_user):
    caller = api(ana)
    list_id = caller.post("/api/v1/lists", {"title": "Many"})["id"]
    people = [make_user(f"user{i}") for i in range(5)]
    for person in people:
        social.follow(ana.account, person.account)
    caller.post(
        f"/api/v1/lists/{list_id}/accounts",
        {"account_ids": [str(p.account.pk) for p in people]},
    )
    path = f"/api/v1/lists/{list_id}/accounts"
    first = caller.call("get", path, {"limit": 2})
    newest = sorted((p.account.pk for p in people), reverse=True)
    assert [int(a["id"]) for a in first.json()] == newest[:2]
    assert f"max_id={newest[1]}" in first["Link"]
    second = caller.get(path, {"limit": 2, "max_id": newest[1]})
    assert [int(a["id"]) for a in second] == newest[2:4]
    everyone = caller.call("get", path, {"limit": 0})
    assert len(everyone.json()) == 5 and not everyone.has_header("Link")
    assert len(caller.get(path, {"limit": 500})) == 5
    small = count_queries(lambda: caller.get(path, {"limit": 1}))
    assert count_queries(lambda: caller.get(path, {"limit": 80})) == small
