"""Media through the client API: v1 uploads processed at once, v2 uploads processed by a task
(202, then 206 on GET until ready), alt text and focus, and what is refused."""

from __future__ import annotations

import os

import pytest
from django.conf import settings as django_settings

from tests.api.statuses_client import Api, png_upload, text_upload, truncated_png
from wikisocial.posts.models import MediaAttachment, MediaState, PendingUpload
from wikisocial.posts.tasks import process_media

pytestmark = pytest.mark.django_db
DEFERRED = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def ana(client, make_user) -> Api:
    return Api(client, make_user("ana"))


@pytest.fixture
def bea(client, make_user) -> Api:
    return Api(client, make_user("bea"))


@pytest.fixture
def deferred_tasks(settings):
    """Tasks wait in a queue instead of running at once: the "still processing" state."""
    settings.TASKS = DEFERRED


def upload(person: Api, version: str = "v2", **fields):
    return person.post(f"/api/{version}/media", {"file": png_upload(), **fields}, form=True)


def run_queued_processing() -> None:
    from django_tasks import default_task_backend

    for result in default_task_backend.results:
        if result.task.func is process_media.func:
            process_media.call(*result.args)


def test_v1_upload_is_processed_at_once(ana):
    response = upload(ana, "v1", description="Two colours", focus="-0.5,0.3")
    assert response.status_code == 200
    media = response.json()
    assert media["type"] == "image"
    assert media["url"].startswith("http") and media["preview_url"].startswith("http")
    assert media["description"] == "Two colours"
    assert media["meta"]["focus"] == {"x": -0.5, "y": 0.3}
    assert media["meta"]["original"] == {"width": 60, "height": 40, "size": "60x40", "aspect": 1.5}
    assert media["blurhash"]


def test_v2_upload_already_processed_answers_200(ana):
    """With tasks run at once (as in the test settings) processing is done before the answer."""
    response = upload(ana, description="alt")
    assert response.status_code == 200
    assert response.json()["url"] is not None
    assert not PendingUpload.objects.exists()


def test_v2_upload_while_processing(ana, deferred_tasks):
    response = upload(ana, description="me when a cat", focus="-0.5,0.3")
    assert response.status_code == 202
    media = response.json()
    assert media["url"] is None
    assert media["description"] == "me when a cat"
    assert media["meta"]["focus"] == {"x": -0.5, "y": 0.3}
    assert MediaAttachment.objects.get(pk=media["id"]).state == MediaState.PROCESSING

    waiting = ana.get(f"/api/v1/media/{media['id']}")
    assert waiting.status_code == 206
    assert waiting.json()["url"] is None
    # Not attachable yet.
    refused = ana.post("/api/v1/statuses", {"status": "x", "media_ids": [media["id"]]})
    assert refused.status_code == 422
    assert "not finished processing" in refused.json()["error"]

    run_queued_processing()
    ready = ana.get(f"/api/v1/media/{media['id']}")
    assert ready.status_code == 200
    assert ready.json()["url"].startswith("http")
    assert ready.json()["meta"]["original"]["width"] == 60
    assert not PendingUpload.objects.exists()
    posted = ana.post("/api/v1/statuses", {"status": "x", "media_ids": [media["id"]]})
    assert posted.status_code == 200
    assert posted.json()["media_attachments"][0]["url"] == ready.json()["url"]


def test_processing_twice_does_nothing_more(ana, deferred_tasks):
    media_id = upload(ana).json()["id"]
    run_queued_processing()
    first = MediaAttachment.objects.get(pk=media_id).file.name
    run_queued_processing()
    assert MediaAttachment.objects.get(pk=media_id).file.name == first


def test_an_image_damaged_inside_fails_in_processing(ana, deferred_tasks):
    response = ana.post("/api/v2/media", {"file": truncated_png()}, form=True)
    assert response.status_code == 202  # the header is fine
    run_queued_processing()
    failed = ana.get(f"/api/v1/media/{response.json()['id']}")
    assert failed.status_code == 422
    assert failed.json() == {"error": "Error processing thumbnail for uploaded media"}
    assert not PendingUpload.objects.exists()
    refused = ana.post("/api/v1/statuses", {"status": "x", "media_ids": [response.json()["id"]]})
    assert refused.status_code == 422


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_a_file_that_is_not_an_image_is_refused(ana, version):
    response = ana.post(f"/api/{version}/media", {"file": text_upload()}, form=True)
    assert response.status_code == 422
    assert "not a JPEG, PNG, GIF or WebP image" in response.json()["error"]
    assert not MediaAttachment.objects.exists()


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_an_oversized_file_is_refused(ana, settings, version):
    settings.IMAGE_LIMITS = {**django_settings.IMAGE_LIMITS, "max_bytes": 200}
    response = ana.post(f"/api/{version}/media", {"file": png_upload(size=(200, 200))}, form=True)
    assert response.status_code == 422
    assert "too large" in response.json()["error"]
    assert not MediaAttachment.objects.exists()


def test_a_body_over_the_request_limit_is_413(ana, settings):
    settings.MAX_REQUEST_BYTES = 1000
    response = ana.post("/api/v2/media", {"file": png_upload(size=(300, 300))}, form=True)
    assert response.status_code == 413


def test_no_file_is_refused(ana):
    response = ana.post("/api/v2/media", {"description": "nothing"}, form=True)
    assert response.status_code == 422
    assert response.json()["error"] == "Validation failed: File can't be blank"


def test_too_long_alt_text_is_refused(ana):
    assert upload(ana, description="a" * 1501).status_code == 422


def test_upload_needs_the_media_scope(client, make_user):
    reader = Api(client, make_user("cem"), scopes=("read", "write:statuses"))
    assert upload(reader).status_code == 403
    assert upload(Api(client, make_user("dan"), scopes=("write:media",))).status_code == 200


def test_update_description_and_focus(ana):
    media_id = upload(ana, description="old").json()["id"]
    response = ana.put(f"/api/v1/media/{media_id}", {"description": "new", "focus": "0.25,2"})
    assert response.status_code == 200
    assert response.json()["description"] == "new"
    assert response.json()["meta"]["focus"] == {"x": 0.25, "y": 1.0}
    focus_only = ana.put(f"/api/v1/media/{media_id}", {"focus": "0,0"}, form=True).json()
    assert focus_only["description"] == "new"
    assert focus_only["meta"]["focus"] == {"x": 0.0, "y": 0.0}


def test_update_while_processing_answers_206(ana, deferred_tasks):
    media_id = upload(ana).json()["id"]
    response = ana.put(f"/api/v1/media/{media_id}", {"description": "soon"})
    assert response.status_code == 206
    assert response.json()["description"] == "soon"


def test_others_media_is_not_found(ana, bea):
    media_id = upload(bea).json()["id"]
    assert ana.get(f"/api/v1/media/{media_id}").status_code == 404
    assert ana.put(f"/api/v1/media/{media_id}", {"description": "mine"}).status_code == 404
    assert ana.delete(f"/api/v1/media/{media_id}").status_code == 404
    assert MediaAttachment.objects.get(pk=media_id).description == ""
    for bad in ("abc", "0", "99999999999999999999"):
        assert ana.get(f"/api/v1/media/{bad}").status_code == 404


def test_attached_media_changes_through_the_status_only(ana):
    media_id = upload(ana).json()["id"]
    ana.status("with picture", media_ids=[media_id])
    assert ana.get(f"/api/v1/media/{media_id}").status_code == 200
    assert ana.put(f"/api/v1/media/{media_id}", {"description": "x"}).status_code == 404
    response = ana.delete(f"/api/v1/media/{media_id}")
    assert response.status_code == 422
    assert response.json()["error"] == "Media attachment is currently used by a status"


def test_delete_an_unattached_upload(ana):
    media_id = upload(ana).json()["id"]
    stored = MediaAttachment.objects.get(pk=media_id).file.path
    assert ana.delete(f"/api/v1/media/{media_id}").status_code == 200
    assert not MediaAttachment.objects.exists()
    assert not os.path.exists(stored)
