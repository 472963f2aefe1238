"""Registering client applications (``POST /api/v1/apps``) and checking an app's own token
(``GET /api/v1/apps/verify_credentials``), as Mastodon.py (forms) and masto.js (JSON) do."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from oauth2_provider.models import Application

from wikisocial.api.models import AppProfile
from wikisocial.api.tokens import create_personal_token

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "mastodon-api"
OOB = "urn:ietf:wg:oauth:2.0:oob"
APPS = "/api/v1/apps"
VERIFY_APP = "/api/v1/apps/verify_credentials"
CREDENTIAL_KEYS = {"client_id", "client_secret", "client_secret_expires_at"}


def golden(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def register(client, **data):
    body = {"client_name": "Tooter", "redirect_uris": OOB, "scopes": "read write", **data}
    return client.post(APPS, body)


def test_registration_with_a_form_answers_mastodons_application_entity(client):
    response = register(client, website="https://tooter.example")
    assert response.status_code == 200
    app = response.json()
    expected = set(golden("app_verify_credentials.json")) | CREDENTIAL_KEYS
    assert set(app) == expected
    assert app["name"] == "Tooter"
    assert app["website"] == "https://tooter.example"
    assert app["scopes"] == ["read", "write"]
    assert app["redirect_uris"] == [OOB]
    assert app["redirect_uri"] == OOB
    assert app["client_secret_expires_at"] == 0
    assert isinstance(app["id"], str)
    stored = Application.objects.get(client_id=app["client_id"])
    assert str(stored.pk) == app["id"]
    assert stored.client_secret != app["client_secret"]  # only a hash is kept
    assert AppProfile.objects.get(application=stored).scopes == "read write"


def test_registration_with_json_and_several_redirect_uris(client):
    uris = ["https://tooter.example/callback", "com.tooter.app://oauth", OOB]
    response = client.post(
        APPS,
        {"client_name": "Tooter", "redirect_uris": uris, "scopes": "read:statuses write:media"},
        content_type="application/json",
    )
    assert response.status_code == 200
    app = response.json()
    assert app["redirect_uris"] == uris
    assert app["redirect_uri"] == "\n".join(uris)
    assert app["scopes"] == ["read:statuses", "write:media"]
    assert app["website"] is None


def test_redirect_uris_as_a_form_array_or_one_per_line(client):
    response = client.post(
        APPS,
        {"client_name": "A", "redirect_uris[]": ["https://a.example/1", "https://a.example/2"]},
    )
    assert response.json()["redirect_uris"] == ["https://a.example/1", "https://a.example/2"]
    response = register(client, redirect_uris="https://b.example/1\nhttps://b.example/2")
    assert response.json()["redirect_uris"] == ["https://b.example/1", "https://b.example/2"]


def test_scopes_default_to_read(client):
    response = client.post(APPS, {"client_name": "Tooter", "redirect_uris": OOB})
    assert response.status_code == 200
    assert response.json()["scopes"] == ["read"]


@pytest.mark.parametrize("scopes", ["read admin:read", "write:everything", "read+bogus"])
def test_unknown_scopes_are_refused_with_422(client, scopes):
    response = register(client, scopes=scopes)
    assert response.status_code == 422
    assert "scopes" in response.json()["error"].lower()
    assert not Application.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"redirect_uris": ""}, "redirect_uris"),
        ({"client_name": ""}, "name"),
        ({"redirect_uris": "/relative/path"}, "redirect_uris"),
        ({"redirect_uris": "https://a.example/cb#fragment"}, "redirect_uris"),
        ({"redirect_uris": "javascript:alert(1)"}, "redirect_uris"),
        ({"website": "not a website"}, "website"),
        ({"website": "javascript:alert(1)"}, "website"),
        ({"website": "data:text/html,<script>alert(1)</script>"}, "website"),
        ({"client_name": "x" * 61}, "name"),
    ],
    ids=[
        "no-redirect",
        "no-name",
        "relative",
        "fragment",
        "javascript",
        "website",
        "javascript-website",
        "data-website",
        "long-name",
    ],
)
def test_invalid_registrations_are_422(client, data, field):
    response = register(client, **data)
    assert response.status_code == 422
    body = response.json()
    assert body["error"].startswith("Validation failed: ")
    assert field in body["details"]
    assert not Application.objects.exists()


def test_missing_redirect_uris_is_422(client):
    response = client.post(APPS, {"client_name": "Tooter"}, content_type="application/json")
    assert response.status_code == 422
    assert "Redirect URI can't be blank" in response.json()["error"]


def app_token(client, app: dict, scope: str = "read") -> str:
    response = client.post(
        "/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "scope": scope,
        },
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def test_verify_credentials_with_an_app_token_matches_the_fixture(client):
    app = register(client, scopes="read write follow push", website="https://t.example").json()
    token = app_token(client, app)
    response = client.get(VERIFY_APP, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    body = response.json()
    fixture = golden("app_verify_credentials.json")
    assert list(body) == list(fixture)  # same fields, same order, no secret
    assert body == {
        "id": app["id"],
        "name": "Tooter",
        "website": "https://t.example",
        "scopes": ["read", "write", "follow", "push"],
        "redirect_uris": [OOB],
        "vapid_key": body["vapid_key"],
        "redirect_uri": OOB,
    }
    assert isinstance(body["vapid_key"], str)


def test_verify_credentials_needs_a_valid_token(client):
    assert client.get(VERIFY_APP).status_code == 401
    response = client.get(VERIFY_APP, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


def test_verify_credentials_with_a_personal_token(client, make_user):
    token = create_personal_token(make_user("ana"), ["read", "write"], name="My bot")
    response = client.get(VERIFY_APP, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["name"] == "My bot"
    assert response.json()["scopes"] == ["read", "write"]


def test_app_token_with_http_basic_client_authentication(client):
    app = register(client).json()
    basic = base64.b64encode(f"{app['client_id']}:{app['client_secret']}".encode()).decode()
    response = client.post(
        "/oauth/token",
        {"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200
    token = response.json()
    assert token["scope"] == "read"  # Mastodon's default
    assert "refresh_token" not in token  # an app token has no user to refresh for
    verify = client.get(VERIFY_APP, headers={"Authorization": f"Bearer {token['access_token']}"})
    assert verify.status_code == 200


def test_app_tokens_act_for_nobody(client):
    app = register(client).json()
    token = app_token(client, app)
    response = client.get(
        "/api/v1/accounts/verify_credentials", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 422
    assert response.json() == {"error": "This method requires an authenticated user"}


def test_app_token_cannot_exceed_the_apps_scopes(client):
    app = register(client, scopes="read").json()
    response = client.post(
        "/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "scope": "read write",
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_app_token_with_a_wrong_secret_is_401(client):
    app = register(client).json()
    response = client.post(
        "/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": "wrong",
        },
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_control_characters_in_the_name_are_422_not_a_database_error(client):
    response = register(client, client_name="Bad\x00name")
    assert response.status_code == 422
    assert "client_name" in response.json()["details"]  # the parameter, named


@pytest.mark.parametrize(
    ("uri", "ok"),
    [
        (OOB, True),
        ("https://app.example/callback", True),
        ("https://app.example/callback?source=masto", True),
        ("http://127.0.0.1:4000/cb", True),
        ("com.example.app://oauth", True),
        ("elk://oauth/callback", True),
        ("https://app.example/cb#top", False),
        ("/callback", False),
        ("app.example/callback", False),
        ("https:///callback", False),
        ("javascript:alert(1)", False),
        ("JavaScript:alert(1)", False),
        ("vbscript:msgbox(1)", False),
        ("DATA:text/html,x", False),
        ("file:///etc/passwd", False),
        ("https://app.example/" + "a" * 2000, False),
    ],
)
def test_which_redirect_uris_may_be_registered(uri, ok):
    from wikisocial.api.oauth.applications import redirect_uri_error

    assert (redirect_uri_error(uri) is None) is ok


def test_a_registration_body_that_is_no_object_is_422_not_an_error(client):
    for body in ("[]", "[1, 2]", '"text"', "3", "null"):
        response = client.post(APPS, body, content_type="application/json")
        assert response.status_code == 422, body
    assert not Application.objects.exists()


def test_a_registration_with_hostile_keys_is_422_not_an_error(client):
    body = "client_name[=x&redirect_uris][=y&[]=z&scopes[a][b]=read&client_name[x]=1"
    response = client.post(APPS, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 422
    assert not Application.objects.exists()


def test_the_client_secret_is_kept_only_as_a_hash(client):
    from django.contrib.auth.hashers import check_password, identify_hasher

    app = register(client).json()
    stored = Application.objects.get(client_id=app["client_id"]).client_secret
    assert stored != app["client_secret"]
    identify_hasher(stored)  # a password hash, checked in constant time
    assert check_password(app["client_secret"], stored)
