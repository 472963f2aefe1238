"""A client-API caller for the status, media and poll tests: one person's bearer token on the
Django test client, sending JSON (as masto.js does) or forms (as Mastodon.py does)."""

from __future__ import annotations

import io
import json as jsonlib
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from PIL import Image

from wikisocial.api.tokens import create_personal_token

SCOPES = ("read", "write", "follow")


class Api:
    def __init__(self, client, user, scopes=SCOPES) -> None:
        self.client = client
        self.user = user
        self.account = user.account
        self.headers = {"Authorization": f"Bearer {create_personal_token(user, list(scopes))}"}

    def get(self, path: str, data: dict | None = None, **headers: str):
        return self.client.get(path, data or {}, headers={**self.headers, **headers})

    def post(self, path: str, data: Any = None, *, form: bool = False, **headers: str):
        return self._send("post", path, data, form, headers)

    def put(self, path: str, data: Any = None, *, form: bool = False, **headers: str):
        return self._send("put", path, data, form, headers)

    def delete(self, path: str, **headers: str):
        return self.client.delete(path, headers={**self.headers, **headers})

    def _send(self, method: str, path: str, data: Any, form: bool, headers: dict[str, str]):
        send = getattr(self.client, method)
        if form:  # multipart, as Mastodon.py sends
            if method != "post":  # the test client encodes forms for POST only
                body = encode_multipart(BOUNDARY, data or {})
                return send(
                    path, body, content_type=MULTIPART_CONTENT, headers={**self.headers, **headers}
                )
            return send(path, data or {}, headers={**self.headers, **headers})
        return send(
            path,
            jsonlib.dumps(data or {}),
            content_type="application/json",
            headers={**self.headers, **headers},
        )

    def status(self, text: str = "Hello there", **fields: Any) -> dict:
        """Post a status (JSON) and return it; the post must succeed."""
        response = self.post("/api/v1/statuses", {"status": text, **fields})
        assert response.status_code == 200, response.content[:1000]
        return response.json()


def png_upload(name: str = "picture.png", size=(60, 40)) -> SimpleUploadedFile:
    image = Image.new("RGB", size, (40, 120, 200))
    image.paste((240, 200, 40), (0, 0, size[0] // 2, size[1]))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def truncated_png() -> SimpleUploadedFile:
    """A PNG whose header is fine and whose pixels are cut off: refused only when decoded."""
    data = png_upload(size=(300, 300)).read()
    return SimpleUploadedFile("cut.png", data[: len(data) // 2], content_type="image/png")


def text_upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("notes.png", b"not an image at all\n" * 20, content_type="image/png")
