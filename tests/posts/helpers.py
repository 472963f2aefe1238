"""Helpers shared by the tests of posts, the social graph, timelines and notifications."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from wikisocial.accounts.models import Account
from wikisocial.posts import actions
from wikisocial.posts.models import Post

REMOTE_DOMAIN = "remote.example"


def account_of(who) -> Account:
    """An Account from a User or an Account."""
    return who if isinstance(who, Account) else who.account


def write(author, text: str = "Hello there", **draft) -> Post:
    """Publish a post through the action every door uses."""
    return actions.create_post(account_of(author), actions.Draft(text=text, **draft))


def poll_post(author, options=("Yes", "No"), *, multiple: bool = False, text: str = "Vote?"):
    draft = actions.PollDraft(options=list(options), multiple=multiple)
    return write(author, text, poll=draft)


def remote_account(username: str = "faraway", domain: str = REMOTE_DOMAIN) -> Account:
    """An account of another server: no user, a domain."""
    return Account.objects.create(username=username, domain=domain)


def fresh(post: Post) -> Post:
    return Post.objects.get(pk=post.pk)


# --- images -------------------------------------------------------------------------------


def jpeg_with_exif(size=(40, 30), color=(200, 40, 40)) -> bytes:
    """A real JPEG carrying a camera make and a GPS position."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 31.0, 12.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (13.0, 24.0, 36.0)
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG", exif=exif)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    return data


def png_bytes(size=(24, 24), color=(20, 120, 220)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def jpeg_upload(name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_with_exif(), content_type="image/jpeg")


def png_upload(name: str = "drawing.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def text_upload(name: str = "notes.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"this is not an image at all\n" * 10, content_type="image/png")


# --- pages --------------------------------------------------------------------------------


def body(response) -> str:
    return response.content.decode()


def compose_data(text: str = "Hello from the web", **fields) -> dict:
    """What the compose form sends, with its defaults."""
    data = {"text": text, "visibility": "public", "language": "", "spoiler_text": ""}
    data.update(fields)
    return data


def media_ids_in(html: str) -> list[int]:
    return [int(v) for v in re.findall(r'name="media_id" value="(\d+)"', html)]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.inline_scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = {k.lower(): (v or "") for k, v in attrs}
        self.tags.append((tag, attributes))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts.append(data)


def assert_nothing_executable(html: str) -> None:
    """No script other than our own static files, no event handler attribute, no script URL:
    what a browser would run from this page is only what we shipped."""
    parser = _Tags()
    parser.feed(html)
    parser.close()
    assert not parser.inline_scripts, parser.inline_scripts
    for tag, attributes in parser.tags:
        if tag == "script":
            assert attributes.get("src", "").startswith("/static/"), attributes
        for name, value in attributes.items():
            assert not name.startswith("on"), (tag, name, value)
            squeezed = re.sub(r"[\s\x00-\x1f]+", "", value).lower()
            if name in {"href", "src", "action", "formaction", "xlink:href"}:
                assert not squeezed.startswith(("javascript:", "vbscript:", "data:text")), value
    lowered = html.lower()
    assert "<script>alert" not in lowered
    assert "<img src=x" not in lowered
