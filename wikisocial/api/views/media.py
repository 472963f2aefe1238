"""Media: images uploaded for a status not yet posted. Only images (JPEG, PNG, GIF, WebP) are
accepted; each is re-encoded without its metadata."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from wikisocial.api import serializers
from wikisocial.api.base import ApiError, Param, Reply, endpoint, not_found
from wikisocial.api.views.statuses import parse_focus, path_id
from wikisocial.posts import actions
from wikisocial.posts.models import MediaAttachment, MediaState

TAG = "media"
SCOPE = "write:media"
# Mastodon's messages.
PROCESSING_FAILED = "Error processing thumbnail for uploaded media"
IN_USE = "Media attachment is currently used by a status"
NO_FILE = "Validation failed: File can't be blank"

UPLOAD_PARAMS = (
    Param("file", "file", "The image (JPEG, PNG, GIF or WebP)", required=True),
    Param("thumbnail", "file", "Accepted and ignored: thumbnails are made from the image"),
    Param("description", description="Alt text, for people who cannot see the image"),
    Param("focus", description="Focal point 'x,y', each between -1.0 and 1.0"),
)
ID = (Param("id", required=True, description="The media attachment id"),)


def _upload(request: HttpRequest, receive) -> MediaAttachment:
    params = request.params
    upload = params.file("file")
    if upload is None:
        raise ApiError(422, NO_FILE)
    focus = parse_focus(params.str("focus")) if "focus" in params else None
    return receive(request.account, upload, params.str("description"), focus)


def _status_code(media: MediaAttachment) -> int:
    """206 while the image is being processed (Mastodon), 200 once it is ready."""
    return 206 if media.state == MediaState.PROCESSING else 200


@endpoint("POST", "v1/media", scope=SCOPE, params=UPLOAD_PARAMS, tag=TAG)
def upload_v1(request: HttpRequest) -> dict[str, Any]:
    """Upload an image and wait until it is processed."""
    return serializers.media_attachment(_upload(request, actions.upload_media))


@endpoint("POST", "v2/media", scope=SCOPE, params=UPLOAD_PARAMS, tag=TAG)
def upload_v2(request: HttpRequest) -> Reply:
    """Upload an image; it is processed in the background. The answer is 202 with ``url``
    null until then (poll ``GET /api/v1/media/:id``), 200 if it is already done."""
    media = _upload(request, actions.receive_media)
    media.refresh_from_db()
    ready = media.state == MediaState.READY
    return Reply(serializers.media_attachment(media), status=200 if ready else 202)


def _own_media(request: HttpRequest, value: str, *, unattached: bool) -> MediaAttachment:
    """The caller's attachment (one not yet in a status when ``unattached``), or 404."""
    found = MediaAttachment.objects.filter(pk=path_id(value), account=request.account)
    if unattached:
        found = found.filter(post__isnull=True)
    media = found.first()
    if media is None:
        raise not_found()
    if media.state == MediaState.FAILED:
        raise ApiError(422, PROCESSING_FAILED)
    return media


@endpoint("GET", "v1/media/<id>", scope=SCOPE, params=ID, tag=TAG)
def get_media(request: HttpRequest, id: str) -> Reply:
    """One of one's uploads: 206 with ``url`` null while it is processed, then 200."""
    media = _own_media(request, id, unattached=False)
    return Reply(serializers.media_attachment(media), status=_status_code(media))


@endpoint(
    "PUT",
    "v1/media/<id>",
    scope=SCOPE,
    params=(
        *ID,
        Param("description", description="Alt text, for people who cannot see the image"),
        Param("focus", description="Focal point 'x,y', each between -1.0 and 1.0"),
        Param("thumbnail", "file", "Accepted and ignored"),
    ),
    tag=TAG,
)
def update_media(request: HttpRequest, id: str) -> Reply:
    """Change the alt text or focal point of an upload not yet attached to a status (those
    in a status change with the status, through ``PUT /api/v1/statuses/:id``)."""
    media = _own_media(request, id, unattached=True)
    params = request.params
    description = params.str("description") if "description" in params else None
    focus = parse_focus(params.str("focus")) if "focus" in params else None
    actions.describe_media(request.account, media, description, focus)
    return Reply(serializers.media_attachment(media), status=_status_code(media))


@endpoint("DELETE", "v1/media/<id>", scope=SCOPE, params=ID, tag=TAG)
def delete_media(request: HttpRequest, id: str) -> dict[str, Any]:
    """Delete an upload that is not in a status."""
    media = MediaAttachment.objects.filter(pk=path_id(id), account=request.account).first()
    if media is None:
        raise not_found()
    if media.post_id is not None:
        raise ApiError(422, IN_USE)
    actions.discard_media(request.account, media)
    return {}
