"""Who may use the client API: a token works only while its user may log in, and no OAuth
views are exposed until the client-API work adds them with a consent page."""

from __future__ import annotations

import pytest
from django.utils import timezone

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
        "/oauth/authorize/",
        "/oauth/token/",
        "/oauth/authorized-tokens/",
    ],
)
def test_no_stock_oauth_views(client, make_user, url):
    client.force_login(make_user("ana"))
    assert client.get(url).status_code == 404
    assert client.post(url, {"grant_type": "password"}).status_code == 404
