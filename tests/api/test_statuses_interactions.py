"""What people do with statuses through the client API: favourite, boost, bookmark, pin, mute
the conversation; who favourited and boosted; the caller's bookmarks and favourites."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.api.statuses_client import Api
from wikisocial.notifications.models import Kind, Notification
from wikisocial.posts.models import Bookmark, ConversationMute, Like, Pin, Post

pytestmark = pytest.mark.django_db
STATUSES = "/api/v1/statuses"


@pytest.fixture
def ana(client, make_user) -> Api:
    return Api(client, make_user("ana"))


@pytest.fixture
def bea(client, make_user) -> Api:
    return Api(client, make_user("bea"))


def next_max_id(response) -> str | None:
    """The max_id of the Link header's rel="next" page."""
    for part in response.headers.get("Link", "").split(","):
        url, _sep, rel = part.partition(";")
        if 'rel="next"' in rel:
            return parse_qs(urlsplit(url.strip().strip("<>")).query)["max_id"][0]
    return None


# --- favourite --------------------------------------------------------------------------------


def test_favourite_and_unfavourite(ana, bea):
    status = bea.status("nice")
    liked = ana.post(f"{STATUSES}/{status['id']}/favourite")
    assert liked.status_code == 200
    assert liked.json()["favourited"] is True
    assert liked.json()["favourites_count"] == 1
    again = ana.post(f"{STATUSES}/{status['id']}/favourite").json()
    assert again["favourites_count"] == 1  # once only
    assert Notification.objects.filter(kind=Kind.LIKE).count() == 1
    undone = ana.post(f"{STATUSES}/{status['id']}/unfavourite").json()
    assert undone["favourited"] is False
    assert undone["favourites_count"] == 0
    assert ana.post(f"{STATUSES}/{status['id']}/unfavourite").status_code == 200


def test_favourite_needs_its_scope(client, make_user, bea):
    status = bea.status("nice")
    statuses_only = Api(client, make_user("cem"), scopes=("write:statuses", "read"))
    assert statuses_only.post(f"{STATUSES}/{status['id']}/favourite").status_code == 403
    granular = Api(client, make_user("dan"), scopes=("write:favourites",))
    assert granular.post(f"{STATUSES}/{status['id']}/favourite").status_code == 200


@pytest.mark.parametrize(
    "action",
    ["favourite", "unfavourite", "reblog", "unreblog", "bookmark", "unbookmark", "pin", "mute"],
)
def test_actions_on_a_hidden_status_are_not_found(ana, bea, action):
    hidden = bea.status("mine", visibility="private")
    response = ana.post(f"{STATUSES}/{hidden['id']}/{action}")
    assert response.status_code == 404
    assert response.json() == {"error": "Record not found"}
    assert not Like.objects.exists() and not Bookmark.objects.exists()


# --- boost ----------------------------------------------------------------------------------


def test_reblog_returns_the_boost_wrapping_the_status(ana, bea):
    status = bea.status("worth sharing")
    response = ana.post(f"{STATUSES}/{status['id']}/reblog", {"visibility": "unlisted"})
    assert response.status_code == 200
    boost = response.json()
    assert boost["id"] != status["id"]
    assert boost["visibility"] == "unlisted"
    assert boost["reblogged"] is True
    assert boost["reblog"]["id"] == status["id"]
    assert boost["reblog"]["reblogs_count"] == 1
    assert boost["account"]["id"] == str(ana.account.pk)
    assert "pinned" not in boost  # boosts cannot be pinned: Mastodon leaves the key out
    assert ana.post(f"{STATUSES}/{status['id']}/reblog").json()["id"] == boost["id"]
    # Reading the boost gives the wrapper too.
    assert ana.get(f"{STATUSES}/{boost['id']}").json()["reblog"]["id"] == status["id"]


def test_unreblog_by_the_status_or_the_boost_id(ana, bea):
    status = bea.status("share")
    boost = ana.post(f"{STATUSES}/{status['id']}/reblog").json()
    undone = ana.post(f"{STATUSES}/{status['id']}/unreblog").json()
    assert undone["id"] == status["id"]
    assert undone["reblogged"] is False
    assert undone["reblogs_count"] == 0
    boost = ana.post(f"{STATUSES}/{status['id']}/reblog").json()
    undone = ana.post(f"{STATUSES}/{boost['id']}/unreblog").json()
    assert undone["id"] == status["id"] and undone["reblogged"] is False
    assert not Post.objects.alive().filter(boost_of_id=status["id"]).exists()


def test_a_direct_status_cannot_be_reblogged(ana, bea):
    status = bea.status("@ana just us", visibility="direct")
    response = ana.post(f"{STATUSES}/{status['id']}/reblog")
    assert response.status_code == 422
    assert "public" in response.json()["error"]


# --- bookmarks ------------------------------------------------------------------------------


def test_bookmark_and_unbookmark(ana, bea):
    status = bea.status("for later")
    assert ana.post(f"{STATUSES}/{status['id']}/bookmark").json()["bookmarked"] is True
    assert ana.get(f"{STATUSES}/{status['id']}").json()["bookmarked"] is True
    assert bea.get(f"{STATUSES}/{status['id']}").json()["bookmarked"] is False
    assert ana.post(f"{STATUSES}/{status['id']}/unbookmark").json()["bookmarked"] is False
    assert not Bookmark.objects.exists()


def test_bookmarking_a_boost_bookmarks_the_status(ana, bea):
    status = bea.status("shared")
    boost = bea.post(f"{STATUSES}/{status['id']}/reblog").json()
    assert ana.post(f"{STATUSES}/{boost['id']}/bookmark").json()["bookmarked"] is True
    assert Bookmark.objects.get().post_id == int(status["id"])


def test_bookmarks_and_favourites_are_paged_with_link_headers(ana, bea):
    ids = [bea.status(f"post {i}")["id"] for i in range(5)]
    for pk in ids:
        ana.post(f"{STATUSES}/{pk}/bookmark")
        ana.post(f"{STATUSES}/{pk}/favourite")
    for path in ("/api/v1/bookmarks", "/api/v1/favourites"):
        first = ana.get(path, {"limit": 2})
        assert [s["id"] for s in first.json()] == [ids[4], ids[3]]
        second = ana.get(path, {"limit": 2, "max_id": next_max_id(first)})
        assert [s["id"] for s in second.json()] == [ids[2], ids[1]]
        assert 'rel="prev"' in second.headers["Link"]
        assert len(ana.get(path, {"limit": 1000}).json()) == 5  # clamped, not refused
        assert bea.get(path).json() == []


def test_bookmarks_leave_out_statuses_no_longer_visible(ana, bea):
    status = bea.status("soon gone")
    ana.post(f"{STATUSES}/{status['id']}/bookmark")
    bea.delete(f"{STATUSES}/{status['id']}")
    assert ana.get("/api/v1/bookmarks").json() == []


def test_bookmarks_need_a_token_and_scope(client, make_user):
    assert client.get("/api/v1/bookmarks").status_code == 401
    other = Api(client, make_user("cem"), scopes=("read:statuses",))
    assert other.get("/api/v1/bookmarks").status_code == 403
    assert (
        Api(client, make_user("dan"), scopes=("read:bookmarks",))
        .get("/api/v1/bookmarks")
        .status_code
        == 200
    )


# --- pins -----------------------------------------------------------------------------------


def test_pin_and_unpin(ana):
    status = ana.status("look here")
    assert status["pinned"] is False
    assert ana.post(f"{STATUSES}/{status['id']}/pin").json()["pinned"] is True
    assert Pin.objects.filter(account=ana.account).count() == 1
    assert ana.post(f"{STATUSES}/{status['id']}/unpin").json()["pinned"] is False
    assert not Pin.objects.exists()


def test_pinned_is_given_on_ones_own_statuses_only(ana, bea):
    status = bea.status("hers")
    assert "pinned" not in ana.get(f"{STATUSES}/{status['id']}").json()
    assert "pinned" in bea.get(f"{STATUSES}/{status['id']}").json()


@pytest.mark.parametrize(
    ("whose", "visibility", "message"),
    [
        ("hers", "public", "Validation failed: Someone else's post cannot be pinned"),
        ("mine", "direct", "Posts that are only visible to mentioned users cannot be pinned"),
        ("mine", "private", "Only public and unlisted posts can be pinned."),
    ],
)
def test_what_cannot_be_pinned(ana, bea, whose, visibility, message):
    author = ana if whose == "mine" else bea
    status = author.status("@ana pin me?", visibility=visibility)
    response = ana.post(f"{STATUSES}/{status['id']}/pin")
    assert response.status_code == 422
    assert message in response.json()["error"]


def test_a_boost_cannot_be_pinned(ana, bea):
    boost = ana.post(f"{STATUSES}/{bea.status('x')['id']}/reblog").json()
    response = ana.post(f"{STATUSES}/{boost['id']}/pin")
    assert response.json() == {"error": "Validation failed: A boost cannot be pinned"}


def test_at_most_five_pins(ana):
    for i in range(5):
        ana.post(f"{STATUSES}/{ana.status(f'pin {i}')['id']}/pin")
    response = ana.post(f"{STATUSES}/{ana.status('sixth')['id']}/pin")
    assert response.status_code == 422
    assert "at most 5" in response.json()["error"]


# --- conversation mutes ---------------------------------------------------------------------


def test_muting_a_conversation_stops_its_notifications(ana, bea):
    root = ana.status("my thread")
    reply = bea.status("@ana first reply", in_reply_to_id=root["id"])
    assert Notification.objects.filter(recipient=ana.account).count() == 1
    muted = ana.post(f"{STATUSES}/{reply['id']}/mute").json()
    assert muted["muted"] is True
    assert ana.get(f"{STATUSES}/{root['id']}").json()["muted"] is True  # the whole thread
    assert ConversationMute.objects.get().thread_root_id == int(root["id"])
    bea.status("@ana another reply", in_reply_to_id=reply["id"])
    bea.post(f"{STATUSES}/{root['id']}/favourite")
    bea.post(f"{STATUSES}/{root['id']}/reblog")
    assert Notification.objects.filter(recipient=ana.account).count() == 1
    # Elsewhere, notifications still come.
    bea.status("@ana new topic")
    assert Notification.objects.filter(recipient=ana.account).count() == 2

    unmuted = ana.post(f"{STATUSES}/{root['id']}/unmute").json()
    assert unmuted["muted"] is False
    bea.status("@ana back", in_reply_to_id=root["id"])
    assert Notification.objects.filter(recipient=ana.account).count() == 3


def test_muted_shows_on_a_boost_of_the_muted_conversation(ana, bea, make_user, client):
    root = bea.status("a thread")
    ana.post(f"{STATUSES}/{root['id']}/mute")
    boost = Api(client, make_user("cem")).post(f"{STATUSES}/{root['id']}/reblog").json()
    seen = ana.get(f"{STATUSES}/{boost['id']}").json()
    assert seen["muted"] is True and seen["reblog"]["muted"] is True


# --- who favourited and boosted -----------------------------------------------------------------


def test_favourited_by_and_reblogged_by(client, make_user, ana):
    status = ana.status("popular")
    fans = [Api(client, make_user(f"fan{i}")) for i in range(3)]
    for fan in fans:
        fan.post(f"{STATUSES}/{status['id']}/favourite")
        fan.post(f"{STATUSES}/{status['id']}/reblog")
    for path in ("favourited_by", "reblogged_by"):
        everyone = client.get(f"{STATUSES}/{status['id']}/{path}")  # no token needed
        assert [a["username"] for a in everyone.json()] == ["fan2", "fan1", "fan0"]
        first = ana.get(f"{STATUSES}/{status['id']}/{path}", {"limit": 2})
        assert [a["username"] for a in first.json()] == ["fan2", "fan1"]
        rest = ana.get(f"{STATUSES}/{status['id']}/{path}", {"max_id": next_max_id(first)})
        assert [a["username"] for a in rest.json()] == ["fan0"]
        huge = ana.get(f"{STATUSES}/{status['id']}/{path}", {"limit": "100000"})
        assert huge.status_code == 200 and len(huge.json()) == 3


def test_favourited_by_of_a_hidden_status_is_not_found(client, ana, bea):
    status = bea.status("secret", visibility="private")
    assert ana.get(f"{STATUSES}/{status['id']}/favourited_by").status_code == 404
    assert client.get(f"{STATUSES}/{status['id']}/reblogged_by").status_code == 404


def test_list_endpoints_cost_a_fixed_number_of_queries(
    client, make_user, ana, bea, django_assert_max_num_queries
):
    """Pages of 40 cost what pages of 3 do (the status serialiser's own test is in
    test_serializer_queries.py)."""

    def cost(path: str, limit: int) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert ana.get(path, {"limit": limit}).status_code == 200
        return len(queries)

    status = ana.status("popular")
    for i in range(41):
        fan = Api(client, make_user(f"fan{i}"))
        fan.post(f"{STATUSES}/{status['id']}/favourite")
        mine = bea.status(f"@ana post {i} #tag", poll={"options": ["a", "b"], "expires_in": 600})
        ana.post(f"{STATUSES}/{mine['id']}/bookmark")
        ana.post(f"{STATUSES}/{mine['id']}/favourite")
    for path in (f"{STATUSES}/{status['id']}/favourited_by", "/api/v1/bookmarks"):
        small = cost(path, 3)
        with django_assert_max_num_queries(small):
            assert len(ana.get(path, {"limit": 40}).json()) == 40
