"""The main client-API entities, as our endpoints answer them, checked field by field against
real Mastodon responses (../shared/fixtures/mastodon-api, see its README): the same field
names, nesting, null where Mastodon has null, string ids, ISO dates.

Each entity is made the way a client makes it (a request with a bearer token, through the Django
test client) and compared with the response Mastodon gave to the same request. Instance v1/v2
are checked in tests/api/test_instance.py.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from PIL import Image

from tests.api.shapes import assert_same_shape, golden
from wikisocial.api.tokens import create_personal_token

pytestmark = pytest.mark.django_db

SCOPES = ["read", "write", "follow", "push"]
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


class Client:
    """One person's API client: the Django test client with their bearer token."""

    def __init__(self, client, user) -> None:
        self.client = client
        self.user = user
        self.headers = {"Authorization": f"Bearer {create_personal_token(user, SCOPES)}"}

    def call(self, method: str, path: str, expect: tuple[int, ...] = (200,), **kwargs):
        response = getattr(self.client, method)(path, headers=self.headers, **kwargs)
        assert response.status_code in expect, (
            f"{method.upper()} {path} → {response.status_code}: {response.content[:1000]!r}"
        )
        return response.json()

    def get(self, path: str, **kwargs):
        return self.call("get", path, **kwargs)

    def post(self, path: str, data=None, **kwargs):
        return self.call(
            "post", path, data=json.dumps(data or {}), content_type="application/json", **kwargs
        )

    def put(self, path: str, data=None, **kwargs):
        return self.call(
            "put", path, data=json.dumps(data or {}), content_type="application/json", **kwargs
        )


@pytest.fixture
def ana(client, make_user) -> Client:
    return Client(client, make_user("ana"))


@pytest.fixture
def bob(client, make_user) -> Client:
    return Client(client, make_user("bob"))


def png_file(name: str = "picture.png") -> io.BytesIO:
    image = Image.new("RGB", (60, 40), (40, 120, 200))
    image.paste((240, 200, 40), (0, 0, 30, 40))
    out = io.BytesIO()
    image.save(out, format="PNG")
    out.seek(0)
    out.name = name
    return out


def upload(person: Client) -> dict:
    """POST /api/v2/media, then GET /api/v1/media/:id once processed (tasks run at once in
    the test settings): (the upload's answer, the processed attachment)."""
    response = person.client.post(
        "/api/v2/media",
        {"file": png_file(), "description": "Two colours", "focus": "-0.5,0.3"},
        headers=person.headers,
    )
    assert response.status_code in (200, 202), response.content[:1000]
    return response.json()


# --- accounts -----------------------------------------------------------------------------------


def test_credential_account(ana):
    assert_same_shape(
        ana.get("/api/v1/accounts/verify_credentials"), golden("account_verify_credentials")
    )


def test_account(ana, bob):
    bob_id = bob.get("/api/v1/accounts/verify_credentials")["id"]
    assert_same_shape(
        ana.get(f"/api/v1/accounts/{bob_id}"), golden("status_post_public")["account"]
    )


def test_relationship(ana, bob):
    bob_id = bob.get("/api/v1/accounts/verify_credentials")["id"]
    ana.post(f"/api/v1/accounts/{bob_id}/follow")
    relationships = ana.get(f"/api/v1/accounts/relationships?id[]={bob_id}")
    assert_same_shape(relationships, golden("relationships"))
    assert relationships[0]["following"] is True


# --- statuses -----------------------------------------------------------------------------------


def test_status_public(ana):
    status = ana.post("/api/v1/statuses", {"status": "nice", "visibility": "public"})
    assert_same_shape(status, golden("status_post_public"))
    assert_same_shape(ana.get(f"/api/v1/statuses/{status['id']}"), golden("status_post_public"))


def test_statuses_in_lists(ana, bob):
    """Lists are formatted in bulk (two passes): each item still has the full shape."""
    bob_id = bob.get("/api/v1/accounts/verify_credentials")["id"]
    ana.post(f"/api/v1/accounts/{bob_id}/follow")
    first = bob.post("/api/v1/statuses", {"status": "one"})
    bob.post("/api/v1/statuses", {"status": "two", "in_reply_to_id": first["id"]})
    ana.post(f"/api/v1/statuses/{first['id']}/reblog")
    for path in ("/api/v1/timelines/home", f"/api/v1/accounts/{bob_id}/statuses"):
        page = ana.get(path)
        assert len(page) >= 2, path
        for item in page:
            gold = golden("status_reblog") if item["reblog"] else golden("status_post_public")
            if item["reblog"]:
                del gold["reblog"]["pinned"]  # not ana's own status
            else:
                del gold["pinned"]
            assert_same_shape(item, gold, path)


def test_dates_and_ids(ana):
    """String ids and ISO 8601 dates in UTC with milliseconds, as Mastodon writes them."""
    status = ana.post("/api/v1/statuses", {"status": "when?"})
    assert ISO.match(status["created_at"]), status["created_at"]
    assert ISO.match(status["account"]["created_at"]), status["account"]["created_at"]
    assert isinstance(status["id"], str) and status["id"].isdigit()
    assert isinstance(status["account"]["id"], str) and status["account"]["id"].isdigit()
    edited = ana.put(f"/api/v1/statuses/{status['id']}", {"status": "now"})
    assert ISO.match(edited["edited_at"]), edited["edited_at"]


def test_status_with_content_warning_unlisted(ana):
    status = ana.post(
        "/api/v1/statuses",
        {"status": "the ending", "spoiler_text": "Content warning", "visibility": "unlisted"},
    )
    assert_same_shape(status, golden("status_post_cw_unlisted"))


# The recorded attachment is a video; ours is an image, whose `meta` Mastodon documents
# without the video's frame_rate, duration, bitrate and colors (docs.joinmastodon.org,
# entities/MediaAttachment, "Image"): the golden meta is replaced by that one.
IMAGE_META = {
    "focus": {"x": -0.42, "y": 0.69},
    "original": {"width": 640, "height": 480, "size": "640x480", "aspect": 1.3333333333333333},
    "small": {"width": 461, "height": 346, "size": "461x346", "aspect": 1.3323699421965318},
}


def as_image(attachment: dict) -> dict:
    return {**attachment, "type": "image", "meta": IMAGE_META}


def test_media_attachment(ana):
    uploaded = upload(ana)
    if uploaded["url"] is None:
        assert_same_shape(uploaded, as_image(golden("media_v2_upload_202")))
    processed = ana.get(f"/api/v1/media/{uploaded['id']}")
    assert_same_shape(processed, as_image(golden("media_processed")))
    assert processed["type"] == "image"
    status = ana.post("/api/v1/statuses", {"status": "a picture", "media_ids": [uploaded["id"]]})
    expected = golden("status_post_with_media")
    expected["media_attachments"] = [as_image(m) for m in expected["media_attachments"]]
    assert_same_shape(status, expected)


def test_poll(ana, bob):
    status = ana.post(
        "/api/v1/statuses",
        {
            "status": "nice",
            "poll": {"options": ["four twenty", "sixty-nine"], "expires_in": 300, "multiple": True},
        },
    )
    assert_same_shape(status, golden("status_post_with_poll"))
    vote = bob.post(f"/api/v1/polls/{status['poll']['id']}/votes", {"choices": [1]})
    assert_same_shape(vote, golden("poll_vote"))
    assert_same_shape(bob.get(f"/api/v1/polls/{status['poll']['id']}"), golden("poll_vote"))


def test_context(ana, bob):
    first = ana.post("/api/v1/statuses", {"status": "first"})
    assert_same_shape(
        ana.get(f"/api/v1/statuses/{first['id']}/context"), golden("status_context_empty")
    )
    reply = bob.post("/api/v1/statuses", {"status": "@ana a reply", "in_reply_to_id": first["id"]})
    context = ana.get(f"/api/v1/statuses/{reply['id']}/context")
    assert [s["id"] for s in context["ancestors"]] == [first["id"]]
    assert_same_shape(context["ancestors"][0], golden("status_post_public"))


def test_history(ana):
    status = ana.post("/api/v1/statuses", {"status": "the best editor?"})
    ana.put(f"/api/v1/statuses/{status['id']}", {"status": "the best editor? why, of course"})
    assert_same_shape(ana.get(f"/api/v1/statuses/{status['id']}/history"), golden("status_history"))


def test_reblog(ana, bob):
    # As recorded: a person boosts their own status (so the boosted status has `pinned`, which
    # Mastodon gives only for the viewer's own statuses).
    status = ana.post("/api/v1/statuses", {"status": "worth sharing"})
    assert_same_shape(ana.post(f"/api/v1/statuses/{status['id']}/reblog"), golden("status_reblog"))
    # Someone else's boost: the same, less `pinned` on the boosted status.
    expected = golden("status_reblog")
    del expected["reblog"]["pinned"]
    boost = bob.post(f"/api/v1/statuses/{status['id']}/reblog")
    assert_same_shape(boost, expected)
    assert boost["reblog"]["id"] == status["id"]


# --- notifications ------------------------------------------------------------------------------


def test_notification_of_a_mention(ana, bob):
    bob.post("/api/v1/statuses", {"status": "hello @ana"})
    notifications = ana.get("/api/v1/notifications")
    assert [n["type"] for n in notifications] == ["mention"]
    assert_same_shape(notifications, golden("notifications_mention"))
