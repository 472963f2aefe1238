"""Relations through the client API: followers and following, follow/block/mute and their
undoing, relationships, familiar followers, follow requests, blocks, mutes, hidden domains,
private notes, suggestions. Write endpoints are driven with JSON (masto.js) and forms
(Mastodon.py); list endpoints are checked for pages of 40 at a fixed query cost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.api.shapes import assert_same_shape, golden
from tests.api.test_accounts import Caller, remote_account
from wikisocial.accounts import actions as account_actions
from wikisocial.accounts.models import Account
from wikisocial.federation import delivery
from wikisocial.federation.models import Delivery
from wikisocial.posts import actions as posts
from wikisocial.social import actions as social
from wikisocial.social.models import (
    AccountNote,
    Block,
    DismissedSuggestion,
    DomainBlock,
    Follow,
    FollowRequest,
    Mute,
)

pytestmark = pytest.mark.django_db
BOTH = pytest.mark.parametrize("how", ["json", "form"])


@pytest.fixture(autouse=True)
def _no_sending(monkeypatch):
    monkeypatch.setattr(delivery, "_enqueue", lambda ids: None)


@pytest.fixture
def ana(client, make_user) -> Caller:
    return Caller(client, make_user("ana"))


@pytest.fixture
def bea(client, make_user) -> Caller:
    return Caller(client, make_user("bea"))


@pytest.fixture
def anonymous(client) -> Caller:
    return Caller(client, None)


def crowd(make_user, n: int, prefix: str = "p") -> list[Account]:
    return [make_user(f"{prefix}{i}").account for i in range(n)]


def ids_of(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [int(item["id"]) for item in response.json()]


def rel(caller: Caller, account: Account) -> dict:
    response = caller.get("/api/v1/accounts/relationships", {"id[]": [account.pk]})
    assert response.status_code == 200, response.content
    return response.json()[0]


# --- followers and following -----------------------------------------------------------------


def test_followers_and_following_page_by_follow_with_link_headers(ana, bea, make_user):
    people = crowd(make_user, 5)
    for person in people:
        social.follow(person, bea.account)
        social.follow(bea.account, person)
    path = f"/api/v1/accounts/{bea.account.pk}/followers"
    first = ana.get(path, {"limit": 2})
    assert ids_of(first) == [people[4].pk, people[3].pk]
    follows = {f.follower_id: f.pk for f in Follow.objects.filter(target=bea.account)}
    link = first["Link"]
    assert f"max_id={follows[people[3].pk]}" in link and 'rel="next"' in link
    assert f"min_id={follows[people[4].pk]}" in link and "limit=2" in link
    second = ana.get(path, {"limit": 2, "max_id": follows[people[3].pk]})
    assert ids_of(second) == [people[2].pk, people[1].pk]
    following = ana.get(f"/api/v1/accounts/{bea.account.pk}/following")
    assert ids_of(following) == [p.pk for p in reversed(people)]
    assert len(ana.get(path, {"limit": 500}).json()) == 5  # clamped, never an error


def test_hidden_collections_are_empty_to_others_but_not_to_the_owner(ana, bea, anonymous):
    social.follow(ana.account, bea.account)
    Account.objects.filter(pk=bea.account.pk).update(hide_network=True)
    for direction in ("followers", "following"):
        path = f"/api/v1/accounts/{bea.account.pk}/{direction}"
        assert ana.get(path).json() == [] and anonymous.get(path).json() == []
    assert ids_of(bea.get(f"/api/v1/accounts/{bea.account.pk}/followers")) == [ana.account.pk]


def test_invisible_followers_are_left_out(ana, bea, make_user):
    hidden = make_user("pia")
    social.follow(hidden.account, bea.account)
    social.follow(ana.account, bea.account)
    hidden.email_confirmed_at = None
    hidden.save()
    assert ids_of(ana.get(f"/api/v1/accounts/{bea.account.pk}/followers")) == [ana.account.pk]


def test_pages_of_40_followers_and_following_cost_a_fixed_number_of_queries(
    ana, bea, make_user, django_assert_max_num_queries
):
    for person in crowd(make_user, 40):
        social.follow(person, bea.account)
        social.follow(bea.account, person)
    for direction in ("followers", "following"):
        with django_assert_max_num_queries(6):
            response = ana.get(f"/api/v1/accounts/{bea.account.pk}/{direction}", {"limit": 40})
        assert len(response.json()) == 40


# --- follow and its options ------------------------------------------------------------------


def test_follow_with_json_booleans_as_masto_js(ana, bea):
    response = ana.post(
        f"/api/v1/accounts/{bea.account.pk}/follow",
        {"reblogs": False, "notify": True, "languages": ["de", "EN"]},
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert_same_shape([data], golden("relationships"))
    assert data["following"] is True and data["showing_reblogs"] is False
    assert data["notifying"] is True and data["languages"] == ["de", "en"]
    row = Follow.objects.get(follower=ana.account, target=bea.account)
    assert not row.show_boosts and row.notify and row.languages == ["de", "en"]


def test_follow_with_a_form_as_mastodon_py_and_options_kept_when_absent(ana, bea):
    path = f"/api/v1/accounts/{bea.account.pk}/follow"
    first = ana.post(path, {"reblogs": "0", "languages[]": ["fr"]}, how="form")
    assert first.status_code == 200 and first.json()["showing_reblogs"] is False
    again = ana.post(path, {"notify": "1"}, how="form").json()
    assert again["showing_reblogs"] is False and again["notifying"] is True
    assert again["languages"] == ["fr"]
    assert ana.post(path, {"reblogs": "1"}, how="form").json()["showing_reblogs"] is True


def test_following_a_locked_account_asks(ana, bea):
    Account.objects.filter(pk=bea.account.pk).update(locked=True)
    data = ana.post(f"/api/v1/accounts/{bea.account.pk}/follow", {"reblogs": False}).json()
    assert data["following"] is False and data["requested"] is True
    assert data["showing_reblogs"] is False
    assert FollowRequest.objects.filter(follower=ana.account, target=bea.account).exists()
    assert rel(bea, ana.account)["requested_by"] is True


def test_follows_that_may_not_be(ana, bea, client, make_user):
    path = f"/api/v1/accounts/{bea.account.pk}/follow"
    assert ana.post(f"/api/v1/accounts/{ana.account.pk}/follow").status_code == 403
    social.block(ana.account, bea.account)
    assert ana.post(path).status_code == 403
    social.unblock(ana.account, bea.account)
    social.block(bea.account, ana.account)
    assert ana.post(path).status_code == 404  # they blocked us: they don't exist for us
    reader = Caller(client, make_user("cem"), scopes=["read"])
    assert reader.post(path).status_code == 403
    assert not Follow.objects.exists()


def test_bad_languages_are_422(ana, bea):
    path = f"/api/v1/accounts/{bea.account.pk}/follow"
    assert ana.post(path, {"languages": ["not a language"]}).status_code == 422
    assert not Follow.objects.exists()


@BOTH
def test_unfollow_and_remove_from_followers(ana, bea, how):
    social.follow(ana.account, bea.account)
    social.follow(bea.account, ana.account)
    data = ana.post(f"/api/v1/accounts/{bea.account.pk}/unfollow", how=how).json()
    assert data["following"] is False and data["followed_by"] is True
    data = ana.post(f"/api/v1/accounts/{bea.account.pk}/remove_from_followers", how=how).json()
    assert data["followed_by"] is False
    assert not Follow.objects.exists()
    assert Account.objects.get(pk=ana.account.pk).followers_count == 0


def test_removing_a_remote_follower_tells_their_server(ana):
    rita = remote_account()
    social.follow(rita, ana.account, uri="https://remote.example/follows/1")
    Delivery.objects.all().delete()
    ana.post(f"/api/v1/accounts/{rita.pk}/remove_from_followers")
    assert not Follow.objects.exists()
    (sent,) = Delivery.objects.all()
    assert '"type":"Reject"' in sent.body and "https://remote.example/follows/1" in sent.body


# --- block and mute --------------------------------------------------------------------------


@BOTH
def test_block_and_unblock(ana, bea, how):
    social.follow(ana.account, bea.account)
    data = ana.post(f"/api/v1/accounts/{bea.account.pk}/block", how=how).json()
    assert data["blocking"] is True and data["following"] is False
    data = ana.post(f"/api/v1/accounts/{bea.account.pk}/unblock", how=how).json()
    assert data["blocking"] is False
    assert not Block.objects.exists()


def test_one_blocked_may_block_back_and_undo_it(ana, bea):
    social.block(bea.account, ana.account)
    data = ana.post(f"/api/v1/accounts/{bea.account.pk}/block").json()
    assert data["blocking"] is True and data["blocked_by"] is True
    assert ana.post(f"/api/v1/accounts/{bea.account.pk}/unblock").json()["blocking"] is False
    # The relationships list leaves out an account the viewer may not see.
    assert ana.get("/api/v1/accounts/relationships", {"id[]": [bea.account.pk]}).json() == []


def test_mute_with_json_duration_and_notifications(ana, bea):
    response = ana.post(
        f"/api/v1/accounts/{bea.account.pk}/mute", {"notifications": False, "duration": 3600}
    )
    data = response.json()
    assert data["muting"] is True and data["muting_notifications"] is False
    expires = Mute.objects.get().expires_at
    assert timedelta(minutes=59) < expires - timezone.now() <= timedelta(hours=1)
    assert data["muting_expires_at"].startswith(expires.strftime("%Y-%m-%dT%H:%M"))


def test_mute_with_a_form_defaults_to_muting_notifications_for_good(ana, bea):
    data = ana.post(f"/api/v1/accounts/{bea.account.pk}/mute", {}, how="form").json()
    assert data["muting_notifications"] is True and data["muting_expires_at"] is None
    again = ana.post(f"/api/v1/accounts/{bea.account.pk}/mute", {"notifications": "0"}, how="form")
    assert again.json()["muting_notifications"] is False
    unmuted = ana.post(f"/api/v1/accounts/{bea.account.pk}/unmute", {}, how="form")
    assert unmuted.json()["muting"] is False
    assert not Mute.objects.exists()


def test_an_overlong_mute_lasts_a_century(ana, bea):
    data = ana.post(f"/api/v1/accounts/{bea.account.pk}/mute", {"duration": 10**15}).json()
    assert data["muting"] is True and data["muting_expires_at"].startswith("21")


# --- private notes ---------------------------------------------------------------------------


@BOTH
def test_a_private_note(ana, bea, how):
    path = f"/api/v1/accounts/{bea.account.pk}/note"
    data = ana.post(path, {"comment": "Met at Wikimania"}, how=how).json()
    assert data["note"] == "Met at Wikimania"
    assert rel(ana, bea.account)["note"] == "Met at Wikimania"
    assert rel(bea, ana.account)["note"] == ""  # only its writer sees it
    assert ana.post(path, {"comment": ""}, how=how).json()["note"] == ""
    assert not AccountNote.objects.exists()
    assert ana.post(path, {"comment": "x" * 2001}, how=how).status_code == 422


# --- relationships and familiar followers ----------------------------------------------------


def test_relationships_give_every_field_in_the_order_asked(ana, bea, make_user):
    cem, dan = crowd(make_user, 2, "r")
    rita = remote_account()
    social.follow(ana.account, bea.account, show_boosts=False, languages=["de"])
    social.follow(bea.account, ana.account)
    social.mute(ana.account, cem, hide_notifications=False)
    social.block(ana.account, dan)
    social.block_domain(ana.account, "remote.example")
    social.set_note(ana.account, bea.account, "note")
    ids = [rita.pk, dan.pk, cem.pk, bea.account.pk, 99999999]
    response = ana.get("/api/v1/accounts/relationships", {"id[]": ids})
    data = response.json()
    assert_same_shape(data, golden("relationships"))
    assert [r["id"] for r in data] == [str(pk) for pk in ids[:4]]
    by_id = {int(r["id"]): r for r in data}
    assert by_id[bea.account.pk] == {
        "id": str(bea.account.pk),
        "following": True,
        "showing_reblogs": False,
        "notifying": False,
        "languages": ["de"],
        "followed_by": True,
        "blocking": False,
        "blocked_by": False,
        "muting": False,
        "muting_notifications": False,
        "muting_expires_at": None,
        "requested": False,
        "requested_by": False,
        "domain_blocking": False,
        "endorsed": False,
        "note": "note",
    }
    assert by_id[cem.pk]["muting"] is True and by_id[cem.pk]["muting_notifications"] is False
    assert by_id[cem.pk]["showing_reblogs"] is False and by_id[cem.pk]["languages"] is None
    assert by_id[dan.pk]["blocking"] is True
    assert by_id[rita.pk]["domain_blocking"] is True


def test_relationships_take_id_or_id_brackets_and_with_suspended(ana, bea, make_user):
    assert ids_of(ana.get("/api/v1/accounts/relationships", {"id": bea.account.pk})) == [
        bea.account.pk
    ]
    disabled = make_user("dis")
    social.follow(ana.account, disabled.account)
    disabled.is_active = False
    disabled.save()
    query = {"id[]": [disabled.account.pk]}
    assert ana.get("/api/v1/accounts/relationships", query).json() == []
    shown = ana.get("/api/v1/accounts/relationships", {**query, "with_suspended": "true"}).json()
    assert shown[0]["following"] is True


def test_relationships_for_40_accounts_cost_a_fixed_number_of_queries(
    ana, make_user, django_assert_max_num_queries
):
    people = crowd(make_user, 40)
    for person in people[::2]:
        social.follow(ana.account, person)
    with django_assert_max_num_queries(14):
        response = ana.get("/api/v1/accounts/relationships", {"id[]": [p.pk for p in people]})
    assert len(response.json()) == 40


def test_familiar_followers(ana, bea, make_user):
    cem, dan, eve = crowd(make_user, 3, "f")
    for person in (cem, dan, eve):
        social.follow(ana.account, person)
        social.follow(person, bea.account)
    Account.objects.filter(pk=eve.pk).update(hide_network=True)
    lone = make_user("lone").account
    response = ana.get(
        "/api/v1/accounts/familiar_followers", {"id[]": [bea.account.pk, lone.pk, 424242]}
    )
    data = response.json()
    assert [d["id"] for d in data] == [str(bea.account.pk), str(lone.pk)]
    assert sorted(a["username"] for a in data[0]["accounts"]) == ["f0", "f1"]
    assert data[1]["accounts"] == []
    Account.objects.filter(pk=bea.account.pk).update(hide_network=True)
    hidden = ana.get("/api/v1/accounts/familiar_followers", {"id[]": [bea.account.pk]}).json()
    assert hidden == [{"id": str(bea.account.pk), "accounts": []}]


def test_familiar_followers_cost_a_fixed_number_of_queries(
    ana, make_user, django_assert_max_num_queries
):
    people = crowd(make_user, 40)
    targets = crowd(make_user, 10, "t")
    for person in people:
        social.follow(ana.account, person)
        for target in targets[:3]:
            social.follow(person, target)
    with django_assert_max_num_queries(6):
        response = ana.get("/api/v1/accounts/familiar_followers", {"id[]": [t.pk for t in targets]})
    assert [len(d["accounts"]) for d in response.json()][:4] == [40, 40, 40, 0]


# --- follow requests -------------------------------------------------------------------------


@BOTH
def test_follow_requests_listed_authorized_and_rejected(bea, make_user, how):
    Account.objects.filter(pk=bea.account.pk).update(locked=True)
    bea.account.refresh_from_db()
    cem, dan = crowd(make_user, 2, "q")
    social.follow(cem, bea.account)
    social.follow(dan, bea.account)
    assert ids_of(bea.get("/api/v1/follow_requests")) == [dan.pk, cem.pk]
    data = bea.post(f"/api/v1/follow_requests/{cem.pk}/authorize", how=how).json()
    assert data["id"] == str(cem.pk) and data["followed_by"] is True
    data = bea.post(f"/api/v1/follow_requests/{dan.pk}/reject", how=how).json()
    assert data["followed_by"] is False and data["requested_by"] is False
    assert not FollowRequest.objects.exists()
    assert bea.post(f"/api/v1/follow_requests/{dan.pk}/authorize").status_code == 404
    assert bea.post("/api/v1/follow_requests/nope/reject").status_code == 404


def test_a_page_of_40_follow_requests_costs_a_fixed_number_of_queries(
    bea, make_user, django_assert_max_num_queries
):
    Account.objects.filter(pk=bea.account.pk).update(locked=True)
    bea.account.refresh_from_db()
    for person in crowd(make_user, 40):
        social.follow(person, bea.account)
    with django_assert_max_num_queries(5):
        response = bea.get("/api/v1/follow_requests", {"limit": 40})
    assert len(response.json()) == 40 and "max_id=" in response["Link"]


# --- lists of blocks and mutes ---------------------------------------------------------------


def test_blocks_and_mutes_lists(ana, make_user):
    cem, dan = crowd(make_user, 2, "b")
    social.block(ana.account, cem)
    social.block(ana.account, dan)
    social.mute(ana.account, cem, duration=timedelta(hours=1))
    social.mute(ana.account, dan)
    Mute.objects.create(
        account=ana.account,
        target=make_user("old").account,
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    assert ids_of(ana.get("/api/v1/blocks")) == [dan.pk, cem.pk]
    mutes = ana.get("/api/v1/mutes").json()
    assert [m["id"] for m in mutes] == [str(dan.pk), str(cem.pk)]
    assert mutes[0]["mute_expires_at"] is None and mutes[1]["mute_expires_at"].endswith("Z")
    first = ana.get("/api/v1/blocks", {"limit": 1})
    block_id = Block.objects.get(target=dan).pk
    assert f"max_id={block_id}" in first["Link"]


def test_pages_of_40_blocks_and_mutes_cost_a_fixed_number_of_queries(
    ana, make_user, django_assert_max_num_queries
):
    for person in crowd(make_user, 40):
        social.block(ana.account, person)
        social.mute(ana.account, person)
    for path in ("/api/v1/blocks", "/api/v1/mutes"):
        with django_assert_max_num_queries(5):
            response = ana.get(path, {"limit": 40})
        assert len(response.json()) == 40


def test_lists_need_their_scopes(client, make_user):
    follows_only = Caller(client, make_user("ana"), scopes=["read:follows"])
    assert follows_only.get("/api/v1/follow_requests").status_code == 200
    assert follows_only.get("/api/v1/blocks").status_code == 403
    legacy = Caller(client, make_user("bea"), scopes=["follow"])
    assert legacy.get("/api/v1/blocks").status_code == 200
    assert legacy.get("/api/v1/mutes").status_code == 200


# --- hidden domains --------------------------------------------------------------------------


@BOTH
def test_hiding_a_domain_and_listing_and_unhiding(ana, how):
    for domain in ("one.example", "Two.Example", "three.example"):
        response = ana.post("/api/v1/domain_blocks", {"domain": domain}, how=how)
        assert response.status_code == 200 and response.json() == {}
    assert ana.get("/api/v1/domain_blocks").json() == [
        "three.example",
        "two.example",
        "one.example",
    ]
    first = ana.get("/api/v1/domain_blocks", {"limit": 1})
    assert first.json() == ["three.example"] and "max_id=" in first["Link"]
    response = ana.send("delete", "/api/v1/domain_blocks", {"domain": "two.example"}, how)
    assert response.status_code == 200
    assert sorted(DomainBlock.objects.values_list("domain", flat=True)) == [
        "one.example",
        "three.example",
    ]


def test_deleting_a_hidden_domain_in_the_query_string(ana):
    social.block_domain(ana.account, "one.example")
    response = ana.client.delete("/api/v1/domain_blocks?domain=one.example", headers=ana.headers)
    assert response.status_code == 200 and not DomainBlock.objects.exists()


@pytest.mark.parametrize("domain", ["", "not a domain", "testserver"])
def test_bad_domains_are_422(ana, domain, settings):
    settings.DOMAIN = "testserver"
    response = ana.post("/api/v1/domain_blocks", {"domain": domain})
    assert response.status_code == 422
    assert not DomainBlock.objects.exists()


def test_hiding_a_domain_removes_followers_there(ana):
    rita = remote_account()
    social.follow(rita, ana.account, uri="https://remote.example/follows/9")
    ana.post("/api/v1/domain_blocks", {"domain": "remote.example"})
    assert not Follow.objects.exists()
    assert ana.post(f"/api/v1/accounts/{rita.pk}/follow").status_code == 403


def test_a_page_of_domain_blocks_costs_a_fixed_number_of_queries(
    ana, django_assert_max_num_queries
):
    DomainBlock.objects.bulk_create(
        DomainBlock(account=ana.account, domain=f"d{i}.example") for i in range(100)
    )
    with django_assert_max_num_queries(3):
        response = ana.get("/api/v1/domain_blocks")
    assert len(response.json()) == 100


# --- suggestions and endorsements ------------------------------------------------------------


def _posting(account: Account) -> Account:
    posts.create_post(account, posts.Draft(text="hello"))
    return account


def test_suggestions_are_popular_local_accounts_the_viewer_does_not_follow(ana, bea, make_user):
    popular, quiet, followed, blocked, muted, shy, dismissed = (
        _posting(a) for a in crowd(make_user, 7, "s")
    )
    silent = make_user("silent").account  # never posted
    for fan in crowd(make_user, 3, "fan"):
        social.follow(fan, popular)
    social.follow(ana.account, followed)
    social.block(ana.account, blocked)
    social.mute(ana.account, muted)
    Account.objects.filter(pk=shy.pk).update(discoverable=False)
    _posting(ana.account)
    _posting(bea.account)
    assert ana.send("delete", f"/api/v1/suggestions/{dismissed.pk}").json() == {}
    assert DismissedSuggestion.objects.filter(account=ana.account, target=dismissed).exists()
    v1 = ids_of(ana.get("/api/v1/suggestions"))
    assert v1[0] == popular.pk
    assert set(v1) == {popular.pk, quiet.pk, bea.account.pk}
    assert silent.pk not in v1
    v2 = ana.get("/api/v2/suggestions", {"limit": 2}).json()
    assert len(v2) == 2 and v2[0]["account"]["id"] == str(popular.pk)
    assert v2[0]["source"] == "global" and v2[0]["sources"] == ["most_followed"]
    assert ana.send("delete", "/api/v1/suggestions/not-an-id").status_code == 200


def test_suggestions_cost_a_fixed_number_of_queries(ana, make_user, django_assert_max_num_queries):
    for person in crowd(make_user, 40):
        _posting(person)
    with django_assert_max_num_queries(4):
        response = ana.get("/api/v2/suggestions", {"limit": 40})
    assert len(response.json()) == 40


def test_endorsements_are_none(ana, anonymous):
    response = ana.get("/api/v1/endorsements")
    assert response.status_code == 200 and response.json() == []
    assert anonymous.get("/api/v1/endorsements").status_code == 401


def test_relation_endpoints_need_a_user(anonymous, bea):
    for path in ("follow", "unfollow", "block", "mute", "note", "remove_from_followers"):
        assert anonymous.post(f"/api/v1/accounts/{bea.account.pk}/{path}").status_code == 401


def test_deleted_accounts_are_not_found_for_relations(ana, bea):
    account_actions.delete_account(bea.account)
    for path in ("follow", "unfollow", "block", "mute"):
        assert ana.post(f"/api/v1/accounts/{bea.account.pk}/{path}").status_code == 404
