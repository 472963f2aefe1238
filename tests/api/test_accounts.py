"""The account endpoints: one's own profile and preferences, others' profiles, posts, lookup
and search, through HTTP with the bodies real clients send (Mastodon.py: forms; masto.js:
JSON)."""

from __future__ import annotations

import io
import json
from urllib.parse import urlencode

import pytest
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.utils import timezone
from PIL import Image

from tests.api.shapes import assert_same_shape, golden
from wikisocial.accounts import actions as account_actions
from wikisocial.accounts.models import Account, AccountLanguage, Affiliation
from wikisocial.api.tokens import create_personal_token
from wikisocial.federation import delivery, resolve
from wikisocial.posts import actions as posts
from wikisocial.posts.models import Visibility
from wikisocial.social import actions as social

pytestmark = pytest.mark.django_db
SCOPES = ["read", "write", "follow"]


class Caller:
    """One person's client: JSON bodies (masto.js), url-encoded forms (Mastodon.py) or
    multipart (files)."""

    def __init__(self, client, user, scopes=SCOPES) -> None:
        self.client = client
        self.user = user
        self.account = user.account if user is not None else None
        token = create_personal_token(user, list(scopes)) if user is not None else None
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, data: dict | None = None):
        return self.client.get(path, data or {}, headers=self.headers)

    def send(self, method: str, path: str, data=None, how: str = "json"):
        send = getattr(self.client, method)
        if how == "json":
            body, kind = json.dumps(data or {}), "application/json"
        elif how == "form":
            body, kind = urlencode(data or {}, doseq=True), "application/x-www-form-urlencoded"
        else:
            body, kind = encode_multipart(BOUNDARY, data or {}), MULTIPART_CONTENT
        return send(path, body, content_type=kind, headers=self.headers)

    def patch(self, path: str, data=None, how: str = "json"):
        return self.send("patch", path, data, how)

    def post(self, path: str, data=None, how: str = "json"):
        return self.send("post", path, data, how)


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


def png(name: str = "avatar.png") -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (120, 90), (200, 40, 40)).save(out, format="PNG")
    out.seek(0)
    out.name = name
    return out


# --- update_credentials ----------------------------------------------------------------------


def test_update_credentials_with_json_as_masto_js_sends(ana):
    response = ana.patch(
        "/api/v1/accounts/update_credentials",
        {
            "display_name": "Ana B.",
            "note": "I edit *Wikipedia*.",
            "locked": True,
            "bot": True,
            "discoverable": False,
            "hide_collections": True,
            "fields_attributes": [{"name": "Wiki", "value": "https://meta.wikimedia.org"}],
            "source": {"privacy": "unlisted", "sensitive": True, "language": "de"},
        },
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert_same_shape(data, golden("account_verify_credentials"))
    assert data["display_name"] == "Ana B." and "<em>Wikipedia</em>" in data["note"]
    assert data["locked"] is data["bot"] is data["hide_collections"] is True
    assert data["discoverable"] is data["indexable"] is False
    assert data["fields"][0]["name"] == "Wiki"
    assert data["source"]["note"] == "I edit *Wikipedia*."
    assert data["source"]["privacy"] == "unlisted"
    assert data["source"]["sensitive"] is True and data["source"]["language"] == "de"
    account = Account.objects.get(pk=ana.account.pk)
    assert account.default_visibility == "unlisted" and account.default_language == "de"
    assert account.locked and account.hide_network and not account.discoverable


def test_update_credentials_with_a_form_as_mastodon_py_sends(ana):
    response = ana.patch(
        "/api/v1/accounts/update_credentials",
        {
            "locked": "1",
            "bot": "0",
            "indexable": "false",
            "fields_attributes[0][name]": "Home",
            "fields_attributes[0][value]": "https://example.org",
            "fields_attributes[1][name]": "Pronouns",
            "fields_attributes[1][value]": "she/her",
            "source[privacy]": "private",
            "source[sensitive]": "0",
        },
        how="form",
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["locked"] is True and data["bot"] is False and data["discoverable"] is False
    assert [f["name"] for f in data["fields"]] == ["Home", "Pronouns"]
    assert data["source"]["privacy"] == "private" and data["source"]["sensitive"] is False


def test_an_avatar_and_header_upload_in_multipart(ana):
    response = ana.patch(
        "/api/v1/accounts/update_credentials",
        {"avatar": png(), "header": png("header.png"), "display_name": "Ana"},
        how="multipart",
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert "/media/avatars/" in data["avatar"] and "/media/headers/" in data["header"]
    account = Account.objects.get(pk=ana.account.pk)
    assert account.avatar and account.header


def test_a_partial_update_keeps_everything_else(ana):
    account = ana.account
    account_actions.update_profile(
        account,
        account_actions.ProfileChanges(
            display_name="Ana",
            bio="Bio",
            pronouns="she/her",
            wiki_username="AnaWiki",
            locked=False,
            bot=False,
            wall_enabled=False,
            fields=[{"name": "A", "value": "B"}],
            languages=[account_actions.SpokenLanguage("es", "N")],
            affiliations=[{"name": "WMES", "kind": "chapter", "url": "https://wikimedia.es"}],
            default_visibility="unlisted",
        ),
    )
    response = ana.patch("/api/v1/accounts/update_credentials", {"locked": True})
    assert response.status_code == 200, response.content
    account = Account.objects.get(pk=account.pk)
    assert account.locked and account.display_name == "Ana" and account.bio == "Bio"
    assert account.pronouns == "she/her" and account.wiki_username == "AnaWiki"
    assert not account.wall_enabled and account.fields == [{"name": "A", "value": "B"}]
    assert account.default_visibility == "unlisted" and account.discoverable
    assert list(AccountLanguage.objects.filter(account=account).values_list("code", "level")) == [
        ("es", "N")
    ]
    assert Affiliation.objects.get(account=account).name == "WMES"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"display_name": "x" * 101}, "display_name"),
        ({"note": "x" * 2001}, "note"),
        ({"source": {"privacy": "direct"}}, "default_visibility"),
        ({"source": {"language": "not-a-language"}}, "default_language"),
        ({"fields_attributes": [{"name": f"n{i}", "value": "v"} for i in range(7)]}, "fields"),
        ({"fields_attributes": [{"name": "only a name"}]}, "fields_attributes"),
        ({"locked": "perhaps"}, "locked"),
    ],
    ids=["long-name", "long-note", "direct", "language", "too-many-fields", "half-field", "bool"],
)
def test_bad_profile_changes_are_422(ana, body, field):
    response = ana.patch("/api/v1/accounts/update_credentials", body)
    assert response.status_code == 422, response.content
    assert response.json()["error"].startswith("Validation failed")
    assert field in response.content.decode()
    assert Account.objects.get(pk=ana.account.pk).display_name == ""


def test_update_credentials_needs_write_accounts(client, make_user):
    reader = Caller(client, make_user("ana"), scopes=["read"])
    response = reader.patch("/api/v1/accounts/update_credentials", {"locked": True})
    assert response.status_code == 403
    assert Caller(client, None).patch("/api/v1/accounts/update_credentials").status_code == 401


def test_preferences(ana):
    ana.patch("/api/v1/accounts/update_credentials", {"source": {"privacy": "private"}})
    response = ana.get("/api/v1/preferences")
    assert response.status_code == 200
    assert response.json() == {
        "posting:default:visibility": "private",
        "posting:default:sensitive": False,
        "posting:default:language": None,
        "posting:default:quote_policy": "nobody",
        "reading:expand:media": "default",
        "reading:expand:spoilers": False,
        "reading:autoplay:gifs": False,
    }


# --- others' accounts ------------------------------------------------------------------------


def test_get_an_account_anonymously_and_logged_in(ana, bea, anonymous):
    bea_id = str(bea.account.pk)
    for caller in (ana, anonymous):
        response = caller.get(f"/api/v1/accounts/{bea_id}")
        assert response.status_code == 200
        assert response.json()["id"] == bea_id and response.json()["acct"] == "bea"
        assert_same_shape(response.json(), golden("status_post_public")["account"])
    assert ana.get("/api/v1/accounts/12345678").status_code == 404
    assert ana.get("/api/v1/accounts/not-an-id").status_code == 404


def test_invisible_accounts_are_not_found(ana, make_user):
    pending = make_user("pia")
    pending.email_confirmed_at = None
    pending.save()
    gone = make_user("gus")
    account_actions.delete_account(gone.account)
    for account in (pending.account, gone.account):
        assert ana.get(f"/api/v1/accounts/{account.pk}").status_code == 404
        assert ana.get(f"/api/v1/accounts/{account.pk}/statuses").status_code == 404
        assert ana.get(f"/api/v1/accounts/{account.pk}/followers").status_code == 404


def test_blocking_someone_still_shows_them_but_their_block_hides_them(ana, bea, make_user):
    social.block(ana.account, bea.account)
    assert ana.get(f"/api/v1/accounts/{bea.account.pk}").status_code == 200
    assert bea.get(f"/api/v1/accounts/{ana.account.pk}").status_code == 404


def test_several_accounts_in_the_order_asked(ana, bea, make_user):
    cem = make_user("cem").account
    hidden = make_user("pia")
    hidden.email_confirmed_at = None
    hidden.save()
    ids = [cem.pk, hidden.account.pk, bea.account.pk]
    response = ana.get("/api/v1/accounts", {"id[]": ids})
    assert [a["id"] for a in response.json()] == [str(cem.pk), str(bea.account.pk)]
    too_many = ana.get("/api/v1/accounts", {"id[]": list(range(1, 42))})
    assert too_many.status_code == 422


def remote_account(name: str = "rita", domain: str = "remote.example") -> Account:
    return Account.objects.create(
        username=name,
        domain=domain,
        uri=f"https://{domain}/users/{name}",
        inbox_url=f"https://{domain}/users/{name}/inbox",
        fetched_at=timezone.now(),
    )


def test_lookup_local_own_domain_and_known_remote(ana, bea, anonymous, settings):
    rita = remote_account()
    cases = {
        "bea": bea.account.pk,
        "@bea": bea.account.pk,
        f"bea@{settings.DOMAIN}": bea.account.pk,
        "rita@remote.example": rita.pk,
        "@Rita@REMOTE.example": rita.pk,
    }
    for acct, pk in cases.items():
        response = anonymous.get("/api/v1/accounts/lookup", {"acct": acct})
        assert response.status_code == 200, acct
        assert response.json()["id"] == str(pk)
    assert anonymous.get("/api/v1/accounts/lookup", {"acct": "nobody"}).status_code == 404
    assert anonymous.get("/api/v1/accounts/lookup").status_code == 404


def test_lookup_of_an_unknown_remote_account_asks_its_server(ana, anonymous, monkeypatch):
    asked = []

    def fake_search(query, user):
        asked.append(query)
        return resolve.SearchResults(query, "handle", accounts=[remote_account("new")])

    monkeypatch.setattr(resolve, "search", fake_search)
    response = ana.get("/api/v1/accounts/lookup", {"acct": "new@remote.example"})
    assert response.status_code == 200 and response.json()["acct"] == "new@remote.example"
    assert asked == ["@new@remote.example"]
    # Someone not logged in makes us ask no other server.
    assert anonymous.get("/api/v1/accounts/lookup", {"acct": "x@else.example"}).status_code == 404
    assert asked == ["@new@remote.example"]


def test_search_by_name_following_and_paging(ana, make_user):
    names = ["wikiana", "wikibea", "wikicem"]
    people = [make_user(name).account for name in names]
    social.follow(ana.account, people[1])
    response = ana.get("/api/v1/accounts/search", {"q": "wiki"})
    assert response.status_code == 200
    assert sorted(a["username"] for a in response.json()) == names
    exact = ana.get("/api/v1/accounts/search", {"q": "wikicem"}).json()
    assert exact[0]["username"] == "wikicem"
    followed = ana.get("/api/v1/accounts/search", {"q": "wiki", "following": "true"}).json()
    assert [a["username"] for a in followed] == ["wikibea"]
    first = ana.get("/api/v1/accounts/search", {"q": "wiki", "limit": 2}).json()
    rest = ana.get("/api/v1/accounts/search", {"q": "wiki", "limit": 2, "offset": 2}).json()
    assert len(first) == 2 and len(rest) == 1
    assert {a["id"] for a in first + rest} == {str(p.pk) for p in people}
    assert ana.get("/api/v1/accounts/search", {"q": "wiki", "limit": "lots"}).status_code == 200


def test_search_resolves_a_handle_when_asked(ana, monkeypatch):
    found = remote_account("far", "far.example")
    calls = []

    def fake_search(query, user):
        calls.append(query)
        return resolve.SearchResults(query, "handle", accounts=[found])

    monkeypatch.setattr(resolve, "search", fake_search)
    data = ana.get("/api/v1/accounts/search", {"q": "@far@far.example", "resolve": "true"}).json()
    assert [a["id"] for a in data] == [str(found.pk)] and calls == ["@far@far.example"]
    ana.get("/api/v1/accounts/search", {"q": "@far@far.example"})
    assert len(calls) == 1  # without resolve, only what we know


def test_search_needs_a_user(anonymous):
    assert anonymous.get("/api/v1/accounts/search", {"q": "a"}).status_code == 401


# --- an account's statuses -------------------------------------------------------------------


def _post(author: Account, text: str, **fields):
    return posts.create_post(author, posts.Draft(text=text, **fields))


def test_statuses_with_their_filters(ana, bea, make_user):
    author = bea.account
    plain = _post(author, "plain #tagged")
    reply_to_other = _post(author, "reply", in_reply_to=_post(ana.account, "hi"))
    self_reply = _post(author, "thread", in_reply_to=plain)
    boost = posts.boost(author, _post(ana.account, "boost me"))
    pinned = _post(author, "pinned")
    posts.pin(author, pinned)
    path = f"/api/v1/accounts/{author.pk}/statuses"

    def ids(**query) -> list[int]:
        response = ana.get(path, query)
        assert response.status_code == 200, response.content
        return [int(s["id"]) for s in response.json()]

    assert ids() == [pinned.pk, boost.pk, self_reply.pk, reply_to_other.pk, plain.pk]
    assert ids(pinned="true") == [pinned.pk]
    assert ids(exclude_replies="1") == [pinned.pk, boost.pk, self_reply.pk, plain.pk]
    assert ids(exclude_reblogs="true") == [pinned.pk, self_reply.pk, reply_to_other.pk, plain.pk]
    assert ids(tagged="Tagged") == [plain.pk] == ids(tagged="#tagged")
    assert ids(only_media="true") == []
    boosted = ana.get(path).json()[1]
    assert boosted["reblog"]["content"] and boosted["reblogged"] is False


def test_statuses_show_only_what_the_viewer_may_see(ana, bea, anonymous, make_user):
    public = _post(bea.account, "everyone")
    private = _post(bea.account, "followers", visibility=Visibility.FOLLOWERS)
    path = f"/api/v1/accounts/{bea.account.pk}/statuses"
    assert [s["id"] for s in anonymous.get(path).json()] == [str(public.pk)]
    assert [s["id"] for s in ana.get(path).json()] == [str(public.pk)]
    social.follow(ana.account, bea.account)
    assert [s["id"] for s in ana.get(path).json()] == [str(private.pk), str(public.pk)]


def test_statuses_page_with_link_headers(ana, bea):
    made = [_post(bea.account, f"post {i}") for i in range(5)]
    path = f"/api/v1/accounts/{bea.account.pk}/statuses"
    first = ana.get(path, {"limit": 2})
    assert [s["id"] for s in first.json()] == [str(made[4].pk), str(made[3].pk)]
    assert f"max_id={made[3].pk}" in first["Link"] and f"min_id={made[4].pk}" in first["Link"]
    second = ana.get(path, {"limit": 2, "max_id": made[3].pk})
    assert [s["id"] for s in second.json()] == [str(made[2].pk), str(made[1].pk)]
    newer = ana.get(path, {"min_id": made[1].pk, "limit": 2})
    assert [s["id"] for s in newer.json()] == [str(made[3].pk), str(made[2].pk)]
    assert len(ana.get(path, {"limit": 1000}).json()) == 5


def test_a_page_of_40_statuses_costs_a_fixed_number_of_queries(
    ana, bea, make_user, django_assert_max_num_queries
):
    other = make_user("cem").account
    for i in range(40):
        post = _post(bea.account, f"post {i} #tag @ana")
        if i % 4 == 0:
            posts.like(ana.account, post)
        if i % 5 == 0:
            posts.boost(bea.account, _post(other, f"boosted {i}"))
    path = f"/api/v1/accounts/{bea.account.pk}/statuses"
    with django_assert_max_num_queries(16):
        response = ana.get(path, {"limit": 40})
    assert len(response.json()) == 40


def test_empty_lists_clients_ask_for(ana, bea, anonymous):
    pk = bea.account.pk
    for path in ("featured_tags", "endorsements"):
        response = anonymous.get(f"/api/v1/accounts/{pk}/{path}")
        assert response.status_code == 200 and response.json() == []
    assert ana.get(f"/api/v1/accounts/{pk}/identity_proofs").json() == []
    assert anonymous.get(f"/api/v1/accounts/{pk}/identity_proofs").status_code == 401
    assert ana.get("/api/v1/accounts/999999/featured_tags").status_code == 404


def test_odd_input_is_never_a_server_error(ana, bea):
    """NUL characters (which PostgreSQL refuses in a parameter), wrong types, huge ids."""
    pk = bea.account.pk
    gets = [
        ("/api/v1/accounts/lookup", {"acct": "be\x00a"}),
        ("/api/v1/accounts/search", {"q": "b\x00", "offset": "-1", "limit": "-5"}),
        (f"/api/v1/accounts/{pk}/statuses", {"tagged": "a\x00b", "pinned": "maybe"}),
        ("/api/v1/accounts/99999999999999999999", {}),
        ("/api/v1/accounts", {"id[]": ["x", "9" * 30]}),
    ]
    for path, query in gets:
        assert ana.get(path, query).status_code in (200, 404, 422), path
    patches = [
        {"fields_attributes": "text"},
        {"fields_attributes": [["a", "b"]]},
        {"source": "public"},
        {"avatar": "not a file"},
        {"display_name": {"a": 1}},
        {"display_name": "nul\x00"},
    ]
    for body in patches:
        response = ana.patch("/api/v1/accounts/update_credentials", body)
        assert response.status_code == 422, body


def test_40_accounts_by_search_or_by_id_cost_a_fixed_number_of_queries(
    ana, make_user, django_assert_max_num_queries
):
    people = [make_user(f"wiki{i}").account for i in range(40)]
    for person in people[::3]:
        social.follow(ana.account, person)
    with django_assert_max_num_queries(4):
        found = ana.get("/api/v1/accounts/search", {"q": "wiki", "limit": 40})
    assert len(found.json()) == 40
    with django_assert_max_num_queries(4):
        several = ana.get("/api/v1/accounts", {"id[]": [p.pk for p in people]})
    assert len(several.json()) == 40
