"""Media on S3-compatible storage (WIKISOCIAL_MEDIA_STORAGE=s3): uploads through the real API
land in the bucket of a local S3 server (moto, on loopback), the URLs the API and
ActivityPub hand out point at the bucket, and deleting removes the objects. Nothing on the
way may use a local path."""

from __future__ import annotations

import urllib.request
import uuid

import boto3
import pytest
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from tests.api.statuses_client import Api, png_upload
from tests.cli.helpers import free_port
from wikisocial.accounts.activitypub import actor_to_ap
from wikisocial.accounts.models import Account
from wikisocial.config import env
from wikisocial.posts.activitypub import post_to_ap
from wikisocial.posts.models import MediaAttachment, Post

pytestmark = pytest.mark.django_db

KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings, monkeypatch):
    """A new bucket, and the settings WIKISOCIAL_MEDIA_STORAGE=s3 makes for it (read from
    the environment by the same code as in production). Yields the boto3 bucket."""
    name = f"h4-media-{uuid.uuid4().hex[:8]}"
    s3 = boto3.resource("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **KEYS)
    s3.create_bucket(Bucket=name)
    for key, value in {
        "WIKISOCIAL_MEDIA_STORAGE": "s3",
        "WIKISOCIAL_S3_BUCKET": name,
        "WIKISOCIAL_S3_ENDPOINT_URL": s3_endpoint,
        "WIKISOCIAL_S3_REGION": "us-east-1",
        "WIKISOCIAL_S3_ACCESS_KEY_ID": "testing",
        "WIKISOCIAL_S3_SECRET_ACCESS_KEY": "testing",
        "WIKISOCIAL_S3_ACL": "public-read",  # moto, like S3, keeps objects private otherwise
    }.items():
        monkeypatch.setenv(key, value)
    settings.STORAGES = {**settings.STORAGES, "default": env.media_storage()}
    # Nothing may fall back to the local folder: make it unusable.
    settings.MEDIA_ROOT = "/nonexistent/h4-no-local-media"
    yield s3.Bucket(name)


def keys(bucket) -> list[str]:
    return sorted(item.key for item in bucket.objects.all())


def fetch(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers["Content-Type"], response.read()


@pytest.fixture
def ana(client, make_user) -> Api:
    return Api(client, make_user("ana"))


def test_an_avatar_set_through_the_api_is_in_the_bucket(ana, bucket, s3_endpoint):
    body = encode_multipart(BOUNDARY, {"avatar": png_upload("me.png", (500, 500))})
    response = ana.client.patch(
        "/api/v1/accounts/update_credentials",
        body,
        content_type=MULTIPART_CONTENT,
        headers=ana.headers,
    )
    assert response.status_code == 200, response.content
    url = response.json()["avatar"]
    assert url.startswith(f"{s3_endpoint}/{bucket.name}/avatars/"), url
    assert "X-Amz-" not in url and "Signature" not in url  # public, never expiring
    (key,) = keys(bucket)
    assert url.endswith(key)
    status, content_type, data = fetch(url)
    assert (status, content_type) == (200, "image/jpeg")
    assert data.startswith(b"\xff\xd8")  # re-encoded JPEG
    obj = bucket.Object(key)
    assert obj.cache_control == "public, max-age=31536000, immutable"
    account = Account.objects.get(pk=ana.account.pk)
    assert actor_to_ap(account)["icon"]["url"] == url  # federated as the bucket's URL


def test_post_media_and_thumbnail_in_the_bucket(ana, bucket, s3_endpoint):
    response = ana.post("/api/v1/media", {"file": png_upload(), "description": "alt"}, form=True)
    assert response.status_code == 200, response.content
    media = response.json()
    prefix = f"{s3_endpoint}/{bucket.name}/media/{ana.account.pk}/"
    assert media["url"].startswith(prefix) and media["preview_url"].startswith(prefix)
    assert media["url"] != media["preview_url"]
    assert len(keys(bucket)) == 2
    assert fetch(media["preview_url"])[0] == 200

    status = ana.status("With a picture", media_ids=[media["id"]])
    assert status["media_attachments"][0]["url"] == media["url"]
    note = post_to_ap(Post.objects.get(pk=status["id"]))
    assert note["attachment"][0]["url"] == media["url"]


def test_background_processing_writes_to_the_bucket(ana, bucket, s3_endpoint):
    response = ana.post("/api/v2/media", {"file": png_upload()}, form=True)
    assert response.status_code == 200, response.content  # tasks run at once in tests
    assert response.json()["url"].startswith(f"{s3_endpoint}/{bucket.name}/")
    assert len(keys(bucket)) == 2


def test_deleting_an_upload_removes_its_objects(ana, bucket):
    media = ana.post("/api/v1/media", {"file": png_upload()}, form=True).json()
    assert len(keys(bucket)) == 2
    assert ana.delete(f"/api/v1/media/{media['id']}").status_code == 200
    assert not MediaAttachment.objects.filter(pk=media["id"]).exists()
    assert keys(bucket) == []


def test_media_urls_are_not_served_by_django_with_s3(client, bucket, settings):
    from django.conf import settings as live

    assert live.STORAGES["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert client.get("/media/avatars/x.jpg").status_code == 404
