"""Text answers go out gzipped to clients that accept it; pictures go out as they are."""

from __future__ import annotations

import gzip
import io

import pytest
from django.contrib.staticfiles import finders
from PIL import Image

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate"}


@pytest.mark.django_db
def test_pages_are_compressed_for_clients_that_accept_gzip(client):
    plain = client.get("/about")
    packed = client.get("/about", **GZIP)
    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    body = gzip.decompress(packed.content).decode()
    assert "<main" in body
    assert len(packed.content) < len(plain.content) / 2


@pytest.mark.django_db
def test_json_documents_are_compressed(client):
    response = client.get("/nodeinfo/2.1", **GZIP)
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert b'"software"' in gzip.decompress(response.content)


@pytest.mark.django_db
def test_the_stylesheet_is_compressed(client):
    assert finders.find("web/site.css")
    response = client.get("/static/web/site.css", **GZIP)
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    css = gzip.decompress(b"".join(response.streaming_content)).decode()
    assert ":root" in css


def test_pictures_are_not_compressed_again(rf):
    from django.http import HttpResponse

    from wikisocial.core.middleware import TextGZipMiddleware

    out = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 200, 30)).save(out, format="PNG")
    picture = HttpResponse(out.getvalue() * 4, content_type="image/png")
    middleware = TextGZipMiddleware(lambda request: picture)
    response = middleware(rf.get("/media/x.png", **GZIP))
    assert "Content-Encoding" not in response
    assert response.content == out.getvalue() * 4
