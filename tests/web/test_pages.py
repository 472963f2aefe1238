"""Public pages, error pages, the admin, and the accessibility basics of the layout."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from tests.conftest import PASSWORD
from wikisocial.accounts import actions
from wikisocial.accounts.models import Account, ApprovalState, User
from wikisocial.instance.models import InstanceSettings, RegistrationMode, Rule

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Sign-up and log-in are rate limited in the cache: no test sees another's attempts."""
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/about",
        "/about/code-of-conduct",
        "/directory",
        "/auth/login",
        "/auth/signup",
        "/auth/password/reset",
    ],
)
def test_pages_have_the_accessible_shell(client, url):
    response = client.get(url)
    assert response.status_code == 200
    text = response.text
    assert '<html lang="en" dir="ltr">' in text
    assert 'class="skip-link" href="#main"' in text and '<main id="main"' in text
    assert '<nav aria-label="Main">' in text and "<footer" in text
    assert 'name="viewport"' in text
    assert '<label for="language-select">' in text


def test_form_controls_are_labelled(client):
    text = client.get("/auth/signup").text
    for field in ("username", "email", "password1", "password2", "accept_code"):
        assert f'<label for="id_{field}"' in text, field
    # Django's own aria-describedby: the help text (the live status announces itself).
    assert 'aria-describedby="id_username_helptext"' in text
    assert 'id="username-status"' in text and 'aria-live="polite"' in text
    assert 'aria-describedby="id_email_helptext"' in text


def test_errors_are_announced(client):
    text = client.post("/auth/signup", {}).text
    assert 'role="alert"' in text and 'aria-invalid="true"' in text


def test_errors_describe_their_field(client):
    text = client.post("/auth/signup", {"username": "no spaces", "email": "x"}).text
    # Each input names its help text and its error list, and the error list has that id.
    assert 'aria-describedby="id_username_helptext id_username_error"' in text
    assert 'id="id_username_error"' in text
    assert 'aria-describedby="id_email_helptext id_email_error"' in text
    assert 'id="id_email_error"' in text


@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("/auth/signup/done", "Check your e-mail"),
        ("/auth/confirm", "Send the confirmation link again"),
        ("/auth/confirm/garbage", "This link does not work"),
        ("/auth/password/reset/sent", "Check your e-mail"),
        ("/auth/password/reset/complete", "Password changed"),
        ("/auth/password/reset/MQ/bad-token", "Choose a new password"),
    ],
)
def test_pages_have_their_own_title(client, url, title):
    text = client.get(url).text
    assert f"<title>{title} · WikiSocial</title>" in text


def test_more_pages_have_their_own_title(client, make_user):
    InstanceSettings.objects.update_or_create(
        pk=1, defaults={"registration_mode": RegistrationMode.CLOSED}
    )
    assert "<title>Sign-ups are closed · WikiSocial</title>" in client.get("/auth/signup").text
    ana = make_user("ana")
    token = actions.confirmation_token(ana, ana.email)
    assert (
        "<title>Address confirmed · WikiSocial</title>" in client.get(f"/auth/confirm/{token}").text
    )
    client.force_login(ana)
    deleted = client.post("/settings/delete", {"password": PASSWORD, "confirm_username": "ana"})
    assert "<title>Your account has been deleted · WikiSocial</title>" in deleted.text
    assert "<title>Account deleted · WikiSocial</title>" in client.get("/@ana").text


# --- who is listed -------------------------------------------------------------------------


@pytest.fixture
def people(make_user):
    """Two members anyone may see, and one of each kind nobody else may see."""
    make_user("ana")
    make_user("bea")
    unconfirmed = make_user("unconfirmed")
    unconfirmed.email_confirmed_at = None
    unconfirmed.save()
    disabled = make_user("disabled")
    disabled.is_active = False
    disabled.save()
    pending = make_user("pending")
    pending.approval = ApprovalState.PENDING
    pending.save()
    actions.delete_account(make_user("gone").account)
    Account.objects.create(username="orphan")  # local, no user
    Account.objects.create(username="remote", domain="remote.example")


HIDDEN = ["unconfirmed", "disabled", "pending", "gone", "orphan"]


def test_only_public_members_have_profiles(client, people):
    for name in ("ana", "bea"):
        assert client.get(f"/@{name}").status_code == 200
    for name in ("unconfirmed", "disabled", "pending", "orphan"):
        assert client.get(f"/@{name}").status_code == 404, name
    assert client.get("/@gone").status_code == 410


def test_directory_and_front_page_list_only_public_members(client, people):
    for url in ("/directory", "/"):
        text = client.get(url).text
        assert "@ana" in text and "@bea" in text, url
        for name in HIDDEN:
            assert f"@{name}" not in text, (url, name)


def test_a_fresh_signup_is_not_public_until_confirmed(client, db):
    from tests.accounts.test_signup import form

    assert client.post("/auth/signup", form()).status_code == 302
    assert client.get("/@Ana_W").status_code == 404
    assert "@Ana_W" not in client.get("/directory").text
    assert "@Ana_W" not in client.get("/").text


def test_about_counts_public_members(client, people):
    text = client.get("/about").text
    assert "<dt>Members</dt><dd>2</dd>" in text


def test_instance_settings_show(client):
    InstanceSettings.objects.update_or_create(
        pk=1,
        defaults={
            "name": "Wikimedians",
            "description": "A *warm* place",
            "contact_email": "mods@example.org",
        },
    )
    Rule.objects.create(text="Be kind", position=99)
    home = client.get("/").text
    assert "Wikimedians" in home and "<em>warm</em>" in home
    about = client.get("/about").text
    assert "Be kind" in about and "mods@example.org" in about


def test_not_found_page_and_api_json(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "does not exist" in response.text
    api = client.get("/api/v1/nothing")
    assert api.status_code == 404
    assert api.json() == {"error": "Record not found"}  # Mastodon's words, as clients expect


def test_security_headers(client):
    response = client.get("/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_admin_header_is_translated(client, make_user):
    admin = make_user("boss")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)

    def header_and_title(text: str) -> tuple[str, str]:
        header = re.search(r'<div id="site-name"><a href="/admin/">([^<]*)</a>', text)
        title = re.search(r"<title>[^<]*\| ([^<]*)</title>", text)
        return header.group(1), title.group(1)

    english = header_and_title(client.get("/admin/").text)
    assert english == ("WikiSocial administration", "WikiSocial administration")
    spanish = header_and_title(client.get("/admin/", HTTP_ACCEPT_LANGUAGE="es").text)
    assert spanish == ("Administración de WikiSocial", "Administración de WikiSocial")


def test_admin_for_superusers_only(client, make_user):
    admin = make_user("boss")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    assert client.get("/admin/").status_code == 302
    client.force_login(make_user("ana"))
    assert client.get("/admin/").status_code == 302
    client.force_login(admin)
    for url in (
        "/admin/",
        "/admin/accounts/user/",
        "/admin/accounts/account/",
        "/admin/instance/instancesettings/",
        "/admin/instance/codeofconduct/add/",
        "/admin/instance/rule/",
    ):
        assert client.get(url).status_code == 200, url


def test_admin_approves_pending_signups(client, make_user, mailoutbox):
    admin = make_user("boss")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    waiting = make_user("waiting")
    waiting.approval = ApprovalState.PENDING
    waiting.save()
    client.force_login(admin)
    response = client.post(
        "/admin/accounts/user/", {"action": "approve", "_selected_action": [waiting.pk]}
    )
    assert response.status_code == 302
    assert User.objects.get(pk=waiting.pk).approval == ApprovalState.APPROVED
    assert mailoutbox[-1].to == ["waiting@example.org"]
    client.logout()
    assert client.login(username="waiting", password=PASSWORD)


def test_media_is_served_with_nosniff(logged_in, user, client):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (50, 50)).save(buf, "PNG")
    logged_in.post("/settings/profile", {"avatar": SimpleUploadedFile("a.png", buf.getvalue())})
    user.account.refresh_from_db()
    response = client.get(user.account.avatar.url)
    assert response.status_code == 200
    assert response["Content-Type"] in ("image/jpeg", "image/png")
    assert response["X-Content-Type-Options"] == "nosniff"
