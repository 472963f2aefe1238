"""Signing up through an app (POST /api/v1/accounts), as Mastodon.py's ``create_account`` and
masto.js do: an app token, the sign-up page's rules, Mastodon's error details and Token."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from django.core import mail

from wikisocial.accounts import actions
from wikisocial.accounts.models import ApprovalState, CodeOfConductAcceptance, User
from wikisocial.api.tokens import create_personal_token
from wikisocial.instance.models import CodeOfConduct, InstanceSettings, RegistrationMode

pytestmark = pytest.mark.django_db
ACCOUNTS = "/api/v1/accounts"
VERIFY = "/api/v1/accounts/verify_credentials"
GOOD = {
    "username": "newbie",
    "email": "newbie@example.org",
    "password": "a long enough passphrase",
    "agreement": True,
    "locale": "es",
}


@pytest.fixture
def app_token(client) -> str:
    """A client-credentials token of an app registered for read, write, follow and push."""
    app = client.post(
        "/api/v1/apps",
        {
            "client_name": "Tooter",
            "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
            "scopes": "read write follow push",
        },
    ).json()
    response = client.post(
        "/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "scope": "read write follow push",
        },
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


@pytest.fixture
def code() -> CodeOfConduct:
    """The code of conduct in force (the first version comes with the database)."""
    return CodeOfConduct.current() or CodeOfConduct.objects.create(version=1, text="Be kind.")


def sign_up(client, token: str, data: dict, how: str = "json"):
    if how == "json":
        body, kind = json.dumps(data), "application/json"
    else:  # Mastodon.py: a form, booleans as "1"/"0"
        form = {k: ("1" if v is True else "0" if v is False else v) for k, v in data.items()}
        body, kind = urlencode(form), "application/x-www-form-urlencoded"
    return client.post(
        ACCOUNTS, body, content_type=kind, headers={"Authorization": f"Bearer {token}"}
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("how", ["json", "form"])
def test_sign_up_gives_a_token_that_works_once_the_address_is_confirmed(
    client, app_token, code, how
):
    response = sign_up(client, app_token, GOOD, how)
    assert response.status_code == 200, response.content
    token = response.json()
    assert set(token) == {"access_token", "token_type", "scope", "created_at"}
    assert token["token_type"] == "Bearer"
    assert set(token["scope"].split()) == {"read", "write", "follow", "push"}
    assert isinstance(token["created_at"], int)
    user = User.objects.get(username="newbie")
    assert user.locale == "es" and not user.email_confirmed
    assert CodeOfConductAcceptance.objects.filter(user=user, version=code).exists()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["newbie@example.org"]
    refused = client.get(VERIFY, headers=bearer(token["access_token"]))
    assert refused.status_code == 401
    assert "confirmed e-mail" in refused.json()["error"]
    actions.confirm_email(actions.confirmation_token(user, user.email))
    confirmed = client.get(VERIFY, headers=bearer(token["access_token"]))
    assert confirmed.status_code == 200 and confirmed.json()["username"] == "newbie"


def test_approval_mode_needs_a_reason_and_leaves_the_account_waiting(client, app_token):
    settings = InstanceSettings.current()
    settings.registration_mode = RegistrationMode.APPROVAL
    settings.save()
    missing = sign_up(client, app_token, GOOD)
    assert missing.status_code == 422
    assert missing.json()["details"]["reason"][0]["error"] == "ERR_BLANK"
    response = sign_up(client, app_token, {**GOOD, "reason": "I edit Wikipedia."})
    assert response.status_code == 200, response.content
    user = User.objects.get(username="newbie")
    assert user.approval == ApprovalState.PENDING and user.signup_reason == "I edit Wikipedia."


def test_closed_registrations_are_403(client, app_token):
    settings = InstanceSettings.current()
    settings.registration_mode = RegistrationMode.CLOSED
    settings.save()
    response = sign_up(client, app_token, GOOD)
    assert response.status_code == 403
    assert response.json() == {"error": "This action is not allowed"}
    assert not User.objects.filter(username="newbie").exists()


@pytest.mark.parametrize(
    ("change", "field", "error"),
    [
        ({"username": "ana"}, "username", "ERR_TAKEN"),
        ({"username": "bad name!"}, "username", "ERR_INVALID"),
        ({"username": "admin"}, "username", "ERR_RESERVED"),
        ({"username": ""}, "username", "ERR_BLANK"),
        ({"email": "not an address"}, "email", "ERR_INVALID"),
        ({"password": "short"}, "password", "ERR_TOO_SHORT"),
        ({"agreement": False}, "agreement", "ERR_ACCEPTED"),
    ],
    ids=["taken", "invalid", "reserved", "blank", "email", "short-password", "agreement"],
)
@pytest.mark.parametrize("with_code", [True, False], ids=["code", "no-code"])
def test_invalid_sign_ups_are_422_with_details(
    client, app_token, make_user, change, field, error, with_code
):
    if not with_code:
        CodeOfConduct.objects.all().delete()
    make_user("ana")
    response = sign_up(client, app_token, {**GOOD, **change})
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["error"].startswith("Validation failed: ")
    assert error in [item["error"] for item in body["details"][field]]
    assert all(item["description"] for item in body["details"][field])
    assert not User.objects.filter(email="newbie@example.org").exists()


def test_a_missing_agreement_lists_every_problem(client, app_token):
    response = sign_up(client, app_token, {"username": "newbie"})
    details = response.json()["details"]
    assert response.status_code == 422
    assert {"email", "password", "agreement"} <= set(details)


def test_an_address_in_use_gets_the_same_answer_and_its_owner_an_email(
    client, app_token, make_user
):
    owner = make_user("owner", email="newbie@example.org")
    response = sign_up(client, app_token, GOOD)
    assert response.status_code == 200
    token = response.json()["access_token"]
    assert not User.objects.filter(username="newbie").exists()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [owner.email]
    assert client.get(VERIFY, headers=bearer(token)).status_code == 401


def test_only_an_app_token_with_write_accounts_may_sign_up(client, app_token, make_user):
    assert client.post(ACCOUNTS, GOOD).status_code == 401
    user_token = create_personal_token(make_user("ana"), ["read", "write"])
    by_user = sign_up(client, user_token, GOOD)
    assert by_user.status_code == 403
    assert not User.objects.filter(username="newbie").exists()


def test_a_read_only_app_token_is_403(client):
    app = client.post(
        "/api/v1/apps",
        {"client_name": "Reader", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read"},
    ).json()
    token = client.post(
        "/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "scope": "read",
        },
    ).json()["access_token"]
    response = sign_up(client, token, GOOD)
    assert response.status_code == 403
    assert not User.objects.filter(username="newbie").exists()


def test_sign_ups_are_rate_limited(client, app_token):
    for i in range(10):
        sign_up(client, app_token, {**GOOD, "username": f"u{i}", "email": f"u{i}@example.org"})
    response = sign_up(client, app_token, GOOD)
    assert response.status_code == 429
    assert not User.objects.filter(username="newbie").exists()
