"""Rate limits on the doors that try passwords or send e-mail: per client address and per
name or address typed. Over a limit the same form comes back, with what was typed, a clear
error and status 429, and nothing is tried or sent."""

from __future__ import annotations

import pytest
from django.core import mail

from tests.accounts.test_signup import form as signup_form
from tests.conftest import PASSWORD
from wikisocial.accounts.models import User

pytestmark = pytest.mark.django_db
TOO_MANY = "Too many attempts; try again in a few minutes."


def login(client, username: str, password: str = "wrong", ip: str = "192.0.2.1", **extra):  # noqa: S107
    return client.post(
        "/auth/login", {"username": username, "password": password}, REMOTE_ADDR=ip, **extra
    )


def test_login_per_address_and_name(client, user):
    for _ in range(10):
        assert login(client, "ana").status_code == 400
    refused = login(client, "ana", PASSWORD)  # even the right password is not tried now
    assert refused.status_code == 429
    assert TOO_MANY in refused.text
    assert 'value="ana"' in refused.text  # kept
    assert "correct username and password" not in refused.text
    assert "_auth_user_id" not in client.session
    # The same name from elsewhere is refused too (per name) …
    assert login(client, "ANA ", PASSWORD, ip="198.51.100.7").status_code == 429
    # … and so is another name from the first address (per address).
    assert login(client, "bea", ip="192.0.2.1").status_code == 429
    # Someone else, elsewhere, is not affected.
    assert login(client, "carla", ip="203.0.113.9").status_code == 400


def test_login_spread_over_addresses_is_limited_by_name(client, user):
    for n in range(10):
        assert login(client, "ana", ip=f"192.0.2.{n}").status_code == 400
    assert login(client, "ana", PASSWORD, ip="192.0.2.200").status_code == 429


def test_login_within_the_limit_works(client, user):
    for _ in range(9):
        login(client, "ana")
    assert login(client, "ana", PASSWORD).status_code == 302


def test_forwarded_for_is_ignored_without_a_proxy(client, user, settings):
    settings.SECURE_PROXY_SSL_HEADER = None
    for n in range(10):
        login(client, f"name{n}", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    assert login(client, "other", HTTP_X_FORWARDED_FOR="198.51.100.99").status_code == 429


def test_forwarded_for_counts_behind_the_proxy(client, user, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    for n in range(10):
        # The client may send its own X-Forwarded-For; the proxy appends the real address.
        login(client, f"name{n}", HTTP_X_FORWARDED_FOR=f"10.0.0.1, 198.51.100.{n}")
    # Each real address has tried once, although REMOTE_ADDR (the proxy) is the same.
    assert login(client, "z", HTTP_X_FORWARDED_FOR="10.0.0.1, 198.51.100.0").status_code == 400
    for n in range(10):
        login(client, f"x{n}", HTTP_X_FORWARDED_FOR="203.0.113.5")
    # A made-up first entry does not help the client at 203.0.113.5.
    assert login(client, "y", HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.5").status_code == 429


def test_password_reset(client, user):
    for _ in range(5):
        assert client.post("/auth/password/reset", {"email": "ana@example.org"}).status_code == 302
    assert len(mail.outbox) == 5
    refused = client.post("/auth/password/reset", {"email": "ANA@example.org"})
    assert refused.status_code == 429
    assert TOO_MANY in refused.text and 'value="ANA@example.org"' in refused.text
    assert len(mail.outbox) == 5  # nothing sent
    # Per address: another address from elsewhere still gets through …
    other = client.post(
        "/auth/password/reset", {"email": "x@example.org"}, REMOTE_ADDR="198.51.100.1"
    )
    assert other.status_code == 302
    # … but not the same address.
    again = client.post(
        "/auth/password/reset", {"email": "ana@example.org"}, REMOTE_ADDR="198.51.100.2"
    )
    assert again.status_code == 429


def test_resend_confirmation(client, make_user):
    waiting = make_user("waiting")
    waiting.email_confirmed_at = None
    waiting.save()
    for _ in range(5):
        assert client.post("/auth/confirm", {"email": "waiting@example.org"}).status_code == 302
    assert len(mail.outbox) == 5
    refused = client.post("/auth/confirm", {"email": "waiting@example.org"})
    assert refused.status_code == 429
    assert TOO_MANY in refused.text and 'value="waiting@example.org"' in refused.text
    assert len(mail.outbox) == 5
    elsewhere = client.post(
        "/auth/confirm", {"email": "waiting@example.org"}, REMOTE_ADDR="198.51.100.3"
    )
    assert elsewhere.status_code == 429


def test_signup_per_address(client, db):
    for n in range(10):
        data = signup_form(username=f"user{n}", email=f"user{n}@example.org")
        assert client.post("/auth/signup", data).status_code == 302
    refused = client.post("/auth/signup", signup_form(username="one_more"))
    assert refused.status_code == 429
    assert TOO_MANY in refused.text
    assert 'value="one_more"' in refused.text and 'value="ana@example.org"' in refused.text
    assert not User.objects.filter(username="one_more").exists()
    elsewhere = client.post(
        "/auth/signup", signup_form(username="one_more"), REMOTE_ADDR="198.51.100.4"
    )
    assert elsewhere.status_code == 302


def test_admin_login_shares_the_limit(client, make_user):
    boss = make_user("boss")
    boss.is_staff = boss.is_superuser = True
    boss.save()
    for _ in range(10):
        response = client.post("/admin/login/", {"username": "boss", "password": "wrong"})
        assert "Please enter the correct username and password" in response.text
    refused = client.post("/admin/login/", {"username": "boss", "password": PASSWORD})
    assert TOO_MANY in refused.text
    assert "_auth_user_id" not in client.session
    # The site's log-in page counts the same attempts.
    assert login(client, "boss", PASSWORD, ip="127.0.0.1").status_code == 429


def test_admin_login_still_works(client, make_user):
    boss = make_user("boss")
    boss.is_staff = boss.is_superuser = True
    boss.save()
    response = client.post("/admin/login/", {"username": "boss", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
