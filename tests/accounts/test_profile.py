"""Profiles: editing through the web form (keeping what was typed on every error) and the
public page at /@username."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from wikisocial.accounts.models import Affiliation

pytestmark = pytest.mark.django_db
URL = "/settings/profile"


def jpeg(size=(800, 600), exif: bool = False) -> SimpleUploadedFile:
    img = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    params = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "SecretCamera"  # Make
        params["exif"] = data.tobytes()
    img.save(out, "JPEG", **params)
    return SimpleUploadedFile("photo.jpg", out.getvalue(), content_type="image/jpeg")


def form(**overrides) -> dict:
    data = {
        "display_name": "Ana Wiki",
        "pronouns": "she/her",
        "bio": "I edit **Wikipedia** in [Spanish](https://es.wikipedia.org).",
        "languages": "es-N, en-3, de-1",
        "wiki_username": "AnaW",
        "field_name_0": "Home wiki",
        "field_value_0": "https://es.wikipedia.org/wiki/Usuario:AnaW",
        "aff_name_0": "Wikimedia España",
        "aff_kind_0": "chapter",
        "aff_url_0": "https://www.wikimedia.es",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_edit_and_view_profile(logged_in, user, client):
    response = logged_in.post(
        URL, form(locked="on", avatar=jpeg(exif=True), header=jpeg((2000, 900)))
    )
    assert response.status_code == 302, response.content
    account = user.account
    account.refresh_from_db()
    assert account.display_name == "Ana Wiki"
    assert account.locked
    assert "<strong>Wikipedia</strong>" in account.bio_html
    assert [(lang.code, lang.level) for lang in account.languages.all()] == [
        ("es", "N"),
        ("en", "3"),
        ("de", "1"),
    ]
    assert account.fields == [
        {"name": "Home wiki", "value": "https://es.wikipedia.org/wiki/Usuario:AnaW"}
    ]
    assert Affiliation.objects.get(account=account).kind == "chapter"
    with Image.open(account.avatar.path) as img:
        assert img.size == (400, 400)
        assert not img.getexif()
    with Image.open(account.header.path) as img:
        assert img.size == (1500, 500)
    assert not account.wiki_verified

    page = client.get("/@ana")
    assert page.status_code == 200
    text = page.text
    for expected in (
        "Ana Wiki",
        "she/her",
        "<strong>Wikipedia</strong>",
        "Wikimedia España",
        "not verified",
        "es-N",
        "Home wiki",
        account.avatar.url,
    ):
        assert expected in text, expected
    # Edit form shows what is saved.
    assert 'value="es-N, en-3, de-1"' in logged_in.get(URL).text


def test_replacing_an_avatar_deletes_the_old_file(logged_in, user):
    logged_in.post(URL, form(avatar=jpeg()))
    user.account.refresh_from_db()
    old = user.account.avatar.path
    logged_in.post(URL, form(avatar=jpeg((300, 300))))
    user.account.refresh_from_db()
    import os

    assert not os.path.exists(old) and os.path.exists(user.account.avatar.path)
    logged_in.post(URL, form(remove_avatar="on"))
    user.account.refresh_from_db()
    assert not user.account.avatar


def test_errors_keep_everything_typed(logged_in, user):
    data = form(languages="es-N, xx-9, klingon", field_name_1="Label without content")
    response = logged_in.post(URL, data)
    assert response.status_code == 400
    text = response.text
    assert "is not of the form code-level" in text or "not a language code" in text
    assert "Fill in both the label and the content" in text
    for value in (
        "Ana Wiki",
        "she/her",
        "es-N, xx-9, klingon",
        "Label without content",
        "AnaW",
        "Wikimedia España",
    ):
        assert f'value="{value}"' in text, value
    assert "I edit **Wikipedia**" in text
    user.account.refresh_from_db()
    assert user.account.display_name == ""  # nothing saved


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("a.jpg", b"just text, not an image"), "not a JPEG, PNG, GIF or WebP"),
        (SimpleUploadedFile("a.jpg", b""), "The submitted file is empty."),
        (SimpleUploadedFile("a.gif", b"GIF89a" + b"\0" * 20), "damaged and could not be read"),
    ],
    ids=["text", "empty", "truncated-gif"],
)
def test_non_images_are_refused(logged_in, user, upload, message):
    response = logged_in.post(URL, form(avatar=upload))
    assert response.status_code == 400
    assert message in response.text
    assert 'value="Ana Wiki"' in response.text
    user.account.refresh_from_db()
    assert not user.account.avatar


def test_oversized_upload_is_refused(logged_in, user, settings):
    settings.IMAGE_LIMITS = {**settings.IMAGE_LIMITS, "max_bytes": 1000}
    response = logged_in.post(URL, form(avatar=jpeg()))
    assert response.status_code == 400
    assert "too large" in response.text


def test_huge_declared_dimensions_are_refused(logged_in, user):
    from tests.core.test_images import png_declaring  # a PNG header that lies about its size

    upload = SimpleUploadedFile("bomb.png", png_declaring(50_000, 50_000))
    response = logged_in.post(URL, form(header=upload))
    assert response.status_code == 400
    assert "too large" in response.text


def test_request_over_the_limit_is_413(logged_in, settings):
    settings.MAX_REQUEST_BYTES = 10_000
    response = logged_in.post(URL, form(avatar=jpeg((1500, 1500))))
    assert response.status_code == 413


def test_html_and_script_are_never_executed(logged_in, user, client):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    response = logged_in.post(
        URL,
        form(
            display_name=hostile[:100],
            bio=hostile + " [click](javascript:alert(1))",
            pronouns="<b>x</b>",
            field_name_0="<i>label</i>",
            field_value_0='javascript:alert(1) "><script>',
            aff_name_0="<script>x</script>",
        ),
    )
    assert response.status_code == 302
    text = client.get("/@ana").text
    assert "<script>alert" not in text and "<img src=x" not in text
    assert 'href="javascript:' not in text
    assert "<b>x</b>" not in text and "&lt;b&gt;x&lt;/b&gt;" in text


def test_bidi_overrides_and_controls_are_removed(logged_in, user):
    logged_in.post(URL, form(display_name="Ana\u202e evil\u0007", pronouns="they\u2066/them"))
    user.account.refresh_from_db()
    assert user.account.display_name == "Ana evil"
    assert user.account.pronouns == "they/them"


def test_too_many_languages(logged_in, settings):
    codes = ", ".join(
        ["en", "de", "fr", "es", "it", "pt", "nl", "pl", "ru", "ja", "zh", "ar", "he"]
    )
    response = logged_in.post(URL, form(languages=codes))
    assert response.status_code == 400
    assert "at most 12 languages" in response.text


def test_text_that_grows_when_cleaned_is_refused_not_a_500(logged_in, user):
    """NFC turns U+0958 into two characters: 100 of them become 200, over the column's 100
    (a DataError, so a 500, on PostgreSQL). The limit is checked again after cleaning."""
    qa = "\u0958" * 100
    response = logged_in.post(URL, form(display_name=qa, field_value_0="\u0958" * 255))
    assert response.status_code == 400
    assert "This text is 200 characters long" in response.text
    assert "the limit is 100" in response.text and "the limit is 255" in response.text
    assert f'value="{qa}"' in response.text  # what was typed is kept
    user.account.refresh_from_db()
    assert user.account.display_name == ""


def test_affiliation_link_longer_than_the_column_is_refused(logged_in, user):
    long_url = "https://example.org/" + "a" * 580
    assert len(long_url) == 600
    response = logged_in.post(URL, form(aff_url_0=long_url))
    assert response.status_code == 400
    assert "Ensure this value has at most 200 characters (it has 600)." in response.text
    assert long_url in response.text
    assert not Affiliation.objects.exists()


def test_long_values_are_refused_and_kept(logged_in):
    response = logged_in.post(URL, form(display_name="x" * 101, bio="y" * 2001))
    assert response.status_code == 400
    assert "x" * 101 in response.text


def test_profile_urls(client, user, make_user):
    assert client.get("/@ANA").status_code == 302  # the canonical spelling
    assert client.get("/@nobody").status_code == 404
    assert client.get("/@bad-name").status_code == 404
    bot = make_user("sal_bot")
    bot.account.actor_type = "Service"
    bot.account.save()
    assert "Bot" in client.get("/@sal_bot").text


def test_directory_lists_people(client, make_user):
    for name in ("ana", "bea", "carla"):
        make_user(name)
    text = client.get("/directory").text
    assert all(f"@{name}" in text for name in ("ana", "bea", "carla"))


def test_network_and_wall_settings(logged_in, user, make_user):
    from django.test import Client

    logged_in.post(URL, form(hide_network="on"))
    user.account.refresh_from_db()
    assert user.account.hide_network and not user.account.wall_enabled
    client = Client()
    client.force_login(make_user("bea"))
    page = client.get("/@ana/followers")
    assert page.status_code == 200 and "The list is private." in page.text
    assert "This wall is closed." in client.get("/@ana/wall").text
    logged_in.post(URL, form(wall_enabled="on"))
    user.account.refresh_from_db()
    assert user.account.wall_enabled and not user.account.hide_network
    assert 'name="wall_owner"' in client.get("/@ana/wall").text
