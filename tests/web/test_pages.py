"""Public pages, error pages, the admin, and the accessibility basics of the layout."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from wikisocial.accounts.models import ApprovalState, User
from wikisocial.instance.models import InstanceSettings, Rule

pytestmark = pytest.mark.django_db


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
    assert 'aria-describedby="id_username_helptext username-status"' in text
    assert 'aria-describedby="id_email_helptext"' in text


def test_errors_are_announced(client):
    text = client.post("/auth/signup", {}).text
    assert 'role="alert"' in text and 'aria-invalid="true"' in text


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
    assert api.json() == {"error": "This page does not exist, or you may not see it."}


def test_security_headers(client):
    response = client.get("/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


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
