# ruff: noqa: F811  (pytest fixtures imported from other modules are arguments here)
"""Search through the client API: Mastodon's shape, accounts, hashtags, the viewer's posts,
handles and URLs looked up on a (fake, loopback) remote server with ``resolve=true``, and who
may ask for what."""

from __future__ import annotations

import pytest

from tests.api.shapes import assert_same_shape, golden
from tests.federation.test_resolve import remote  # noqa: F401
from tests.posts.helpers import remote_account, write
from wikisocial.accounts.models import Account
from wikisocial.posts import actions as posts
from wikisocial.social import actions as social

pytestmark = pytest.mark.django_db
SEARCH = "/api/v2/search"


def search(client_or_call, **query):
    if callable(client_or_call):
        response = client_or_call("GET", SEARCH, query)
    else:
        response = client_or_call.get(SEARCH, query)
    assert response.status_code == 200, response.content
    return response.json()


def names(found: dict) -> list[str]:
    return [a["acct"] for a in found["accounts"]]


def test_accounts_have_mastodons_shape(client, make_user):
    make_user("mastodonpy_test")
    make_user("mastodonpy_test_2")
    found = search(client, q="mastodonpy_test")
    assert_same_shape(found, golden("search_v2_accounts"))
    assert names(found) == ["mastodonpy_test", "mastodonpy_test_2"]  # the exact name first


def test_accounts_by_name_prefix_or_display_name(client, ana, bea, make_user):
    Account.objects.filter(pk=bea.account.pk).update(display_name="Beatrice Anaya")
    remote_account("anabel", "far.example")
    found = search(client, q="ana")
    assert names(found) == ["ana", "bea", "anabel@far.example"]  # ours first
    assert search(client, q="@ana", type="accounts", limit=1)["accounts"][0]["acct"] == "ana"
    assert search(client, q="zzz")["accounts"] == []


def test_hashtags_by_prefix(client, ana):
    write(ana, "#Wikipedia and #wikidata and #commons")
    found = search(client, q="#wiki")
    assert [t["name"] for t in found["hashtags"]] == ["wikidata", "wikipedia"]
    assert found["accounts"] == []  # a # query looks for hashtags only
    assert set(found["hashtags"][0]) >= {"name", "url", "history"}
    assert [t["name"] for t in search(client, q="wiki", type="hashtags")["hashtags"]] == [
        "wikidata",
        "wikipedia",
    ]
    v1 = client.get("/api/v1/search", {"q": "#wiki"}).json()
    assert v1["hashtags"] == ["wikidata", "wikipedia"]


def test_statuses_only_among_the_viewers_own_and_for_users(api, client, ana, bea, cem):
    mine = write(ana, "I like tea")
    liked = write(bea, "Green tea is best")
    write(bea, "Black tea is better")  # public, but ana has nothing to do with it
    mentioned = write(cem, "@ana tea time?", visibility="direct")
    posts.like(ana.account, liked)
    found = search(api(ana), q="tea")
    assert [s["id"] for s in found["statuses"]] == [
        str(mentioned.pk),
        str(liked.pk),
        str(mine.pk),
    ]
    by_bea = search(api(ana), q="tea", account_id=bea.account.pk)
    assert [s["id"] for s in by_bea["statuses"]] == [str(liked.pk)]
    older = search(api(ana), q="tea", type="statuses", max_id=liked.pk)
    assert [s["id"] for s in older["statuses"]] == [str(mine.pk)]
    skipped = search(api(ana), q="tea", type="statuses", offset=1, limit=1)
    assert [s["id"] for s in skipped["statuses"]] == [str(liked.pk)]
    assert search(client, q="tea")["statuses"] == []  # not without a user
    assert search(api(bea), q="time")["statuses"] == []  # cem's direct post is not bea's


def test_a_post_that_became_invisible_is_not_found(api, ana, bea):
    post = write(bea, "@ana secret plans", visibility="direct")
    assert len(search(api(ana), q="secret")["statuses"]) == 1
    posts.delete_post(post, bea.account)
    assert search(api(ana), q="secret")["statuses"] == []


def test_following_only(api, ana, bea, make_user):
    make_user("beatrix")
    social.follow(ana.account, bea.account)
    assert names(search(api(ana), q="bea")) == ["bea", "beatrix"]
    assert names(search(api(ana), q="bea", following="true")) == ["bea"]


def test_who_may_ask_what(api, client, ana):
    assert client.get(SEARCH, {"q": "x", "resolve": "true"}).status_code == 401
    assert client.get(SEARCH, {"q": "x", "type": "accounts", "offset": 1}).status_code == 401
    missing = client.get(SEARCH)
    assert missing.status_code == 400 and missing.json()["error"].endswith(": q")
    assert client.get(SEARCH, {"q": "   "}).status_code == 400
    assert api(ana, ["read:statuses"])("GET", SEARCH, {"q": "ana"}).status_code == 403
    assert api(ana, ["read:search"])("GET", SEARCH, {"q": "ana"}).status_code == 200
    nothing = search(client, q="ana", type="nonsense")
    assert nothing == {"accounts": [], "statuses": [], "hashtags": [], "collections": []}


# --- handles and URLs -------------------------------------------------------------------------


def test_a_handle_is_fetched_only_with_resolve_and_a_user(api, client, ana, remote):
    handle = f"@bob@{remote.domain}"
    assert search(api(ana), q=handle)["accounts"] == []
    assert remote.seen == []  # without resolve nobody is asked
    found = search(api(ana), q=handle, resolve="true")
    assert names(found) == [f"bob@{remote.domain}"]
    assert found["accounts"][0]["display_name"] == "Bob <b>Builder</b>"
    # Known now: found without asking again, by anyone.
    asked = len(remote.seen)
    assert names(search(client, q=handle)) == [f"bob@{remote.domain}"]
    assert len(remote.seen) == asked


def test_a_url_of_a_post_is_fetched_with_resolve(api, ana, remote):
    url = f"{remote.base}/users/bob/statuses/1"
    assert search(api(ana), q=url)["statuses"] == []
    found = search(api(ana), q=url, resolve="true")
    assert [s["uri"] for s in found["statuses"]] == [url]
    assert "Hello from far away" in found["statuses"][0]["content"]
    assert search(api(ana), q=url, type="accounts", resolve="true")["statuses"] == []


def test_our_own_urls_and_handles_need_no_network(client, ana, settings):
    post = write(ana, "Here")
    found = search(client, q=f"{settings.SITE_URL}/@ana/{post.pk}")
    assert [s["id"] for s in found["statuses"]] == [str(post.pk)]
    assert names(search(client, q=f"ana@{settings.DOMAIN}")) == ["ana"]
