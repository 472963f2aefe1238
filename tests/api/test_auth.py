"""Who may use the client API: a token works only while its user may log in. The OAuth views
are our own (consent page, token, revoke: tests/api/test_oauth.py); django-oauth-toolkit's
stock views (application management, the password grant) stay unreachable."""

from __future__ import annotations

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken

from tests.conftest import PASSWORD
from wikisocial.accounts import actions
from wikisocial.accounts.models import ApprovalState, User
from wikisocial.api.tokens import create_personal_token

pytestmark = pytest.mark.django_db
VERIFY = "/api/v1/accounts/verify_credentials"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_pending(user: User) -> None:
    user.approval = ApprovalState.PENDING
    user.save()


def make_unconfirmed(user: User) -> None:
    user.email_confirmed_at = None
    user.save()


def make_rejected(user: User) -> None:
    user.approval = ApprovalState.REJECTED
    user.save()


def make_disabled(user: User) -> None:
    user.is_active = False
    user.save()


def make_deleted(user: User) -> None:
    actions.delete_account(user.account)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (make_pending, "pending approval"),
        (make_unconfirmed, "confirmed e-mail address"),
        (make_rejected, "disabled"),
        (make_disabled, "disabled"),
        (make_deleted, "disabled"),
    ],
    ids=["pending", "unconfirmed", "rejected", "disabled", "deleted"],
)
def test_token_stops_working_when_the_user_may_not_log_in(client, make_user, change, message):
    user = make_user("ana")
    token = create_personal_token(user, ["read"])
    assert client.get(VERIFY, headers=bearer(token)).status_code == 200

    change(User.objects.get(pk=user.pk))

    response = client.get(VERIFY, headers=bearer(token))
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert message in error
    assert "ana@example.org" not in error  # the address is not told to a token holder


def test_token_works_again_once_the_address_is_confirmed(client, make_user):
    user = make_user("ana")
    token = create_personal_token(user, ["read"])
    make_unconfirmed(user)
    assert client.get(VERIFY, headers=bearer(token)).status_code == 401
    user.email_confirmed_at = timezone.now()
    user.save()
    assert client.get(VERIFY, headers=bearer(token)).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/oauth/applications/",
        "/oauth/applications/register/",
        "/oauth/authorized-tokens/",
        "/oauth/authorize/",
        "/oauth/token/",
        "/oauth/introspect/",
    ],
)
def test_no_stock_oauth_views(client, make_user, url):
    client.force_login(make_user("ana"))
    assert client.get(url).status_code == 404
    assert client.post(url, {"grant_type": "password"}).status_code == 404


def test_the_password_grant_is_refused(client, make_user):
    make_user("ana")
    app = client.post(
        "/api/v1/apps", {"client_name": "Bot", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}
    ).json()
    response = client.post(
        "/oauth/token",
        {
            "grant_type": "password",
            "username": "ana",
            "password": PASSWORD,
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"
    assert not AccessToken.objects.exists()


def test_the_session_cookie_is_never_a_credential(client, make_user):
    """A browser logged in to the site sends its session cookie along to the API (which any
    origin may call): the API must not act on it, for reads or writes."""
    client.force_login(make_user("ana"))
    assert client.get(VERIFY).status_code == 401
    assert client.post("/api/v1/statuses", {"status": "forged"}).status_code == 401
    assert client.get("/api/v1/timelines/home").status_code == 401
