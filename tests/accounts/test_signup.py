"""Sign-up through the web door: the code of conduct, e-mail confirmation, registration modes,
and every kind of bad input (which must keep what was typed)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.accounts.pages import comparable
from tests.conftest import PASSWORD
from wikisocial.accounts.models import Account, ApprovalState, User
from wikisocial.instance.models import CodeOfConduct, InstanceSettings, RegistrationMode

pytestmark = pytest.mark.django_db
URL = "/auth/signup"


def form(**overrides) -> dict:
    data = {
        "username": "Ana_W",
        "email": "ana@example.org",
        "password1": "a long enough passphrase",
        "password2": "a long enough passphrase",
        "code_version": CodeOfConduct.current().version,
        "accept_code": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def link_in(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


def set_mode(mode: str) -> None:
    InstanceSettings.objects.update_or_create(pk=1, defaults={"registration_mode": mode})


def test_page_shows_the_whole_code_of_conduct(client):
    response = client.get(URL)
    assert response.status_code == 200
    assert "What is not allowed" in response.text  # a heading from the text, in full
    assert 'name="accept_code"' in response.text


def test_sign_up_confirm_then_log_in(client):
    response = client.post(URL, form())
    assert response.status_code == 302
    user = User.objects.get(username="Ana_W")
    assert user.account.username == "Ana_W"
    assert user.email_confirmed_at is None
    acceptance = user.coc_acceptances.get()
    assert acceptance.version == CodeOfConduct.current()

    # Not confirmed yet: log-in refused with a way to get a new link.
    response = client.post("/auth/login", {"username": "ana_w", "password": form()["password1"]})
    assert response.status_code == 400
    assert "confirm your e-mail" in response.text
    assert reverse("accounts:resend-confirmation") in response.text

    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ana@example.org"]
    response = client.get(link_in(mail.outbox[0]).split("localhost:8000")[1])
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.email_confirmed

    response = client.post(
        "/auth/login", {"username": "ANA@example.org", "password": form()["password1"]}
    )
    assert response.status_code == 302
    assert client.get("/").context["user"] == user


@pytest.mark.parametrize("taken", ["ana_w", "ANA_W", "Ana_W"])
def test_usernames_are_unique_in_any_letter_case(client, make_user, taken):
    make_user(taken)
    response = client.post(URL, form(username="Ana_W", email="other@example.org"))
    assert response.status_code == 400
    assert "That username is taken." in response.text
    assert 'value="other@example.org"' in response.text  # what was typed is kept


@pytest.mark.parametrize("name", ["admin", "Settings", "API", "about", "well_known"])
def test_reserved_names_are_refused(client, name):
    response = client.post(URL, form(username=name))
    assert response.status_code == 400
    assert "is reserved" in response.text
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "name",
    [
        "",
        "has space",
        "dash-ed",
        "dot.ted",
        "é",
        "x" * 31,
        "ａｄｍｉｎ",
        "ana\u202eevil",
        "a\u200db",
    ],
)
def test_invalid_usernames_are_refused(client, name):
    response = client.post(URL, form(username=name))
    assert response.status_code == 400
    assert not User.objects.exists()


def test_thirty_characters_is_allowed(client):
    assert client.post(URL, form(username="x" * 30)).status_code == 302


def test_duplicate_email_is_not_revealed_and_its_owner_is_told(client, make_user):
    """Signing up with an address that has an account looks exactly like a normal sign-up;
    nothing is created, and the owner of the address gets a short notice."""
    make_user("someone", email="Ana@Example.org")
    response = client.post(URL, form())
    assert response.status_code == 302 and response.url == reverse("accounts:signup-done")
    taken_page = client.get(response.url)
    assert not User.objects.filter(username="Ana_W").exists()
    assert [m.to for m in mail.outbox] == [["Ana@Example.org"]]
    notice = mail.outbox[0]
    assert "tried to sign up with your e-mail address" in notice.subject
    assert "/auth/login" in notice.body and "/auth/password/reset" in notice.body
    assert "/auth/confirm/" not in notice.body  # no confirmation link for the newcomer

    # The same answer as a sign-up with a fresh address.
    other = Client()
    fresh = other.post(URL, form(username="Bea_W", email="b@example.org"))
    assert fresh.status_code == 302 and fresh.url == response.url
    fresh_page = other.get(fresh.url)
    assert fresh_page.status_code == taken_page.status_code == 200
    assert comparable(fresh_page.text, replace="b@example.org") == comparable(
        taken_page.text, replace="ana@example.org"
    )


def test_duplicate_email_with_a_bad_form_shows_only_the_form_errors(client, make_user):
    make_user("someone", email="ana@example.org")
    response = client.post(URL, form(password2="something else"))
    assert response.status_code == 400
    assert "The two passwords differ." in response.text
    assert "exists already" not in response.text
    assert not mail.outbox


@pytest.mark.parametrize("url", [URL, "/settings/account"])
def test_addresses_longer_than_the_column_are_refused(client, make_user, url):
    """forms.EmailField accepts up to 320 characters, the column holds 254: on PostgreSQL
    a longer address was a 500 (DataError)."""
    long_email = "a" * 64 + "@" + ".".join(["b" * 60] * 3) + "." + "c" * 54 + ".org"
    assert len(long_email) == 306
    if url == URL:
        response = client.post(url, form(email=long_email))
    else:
        client.force_login(make_user("bea"))
        response = client.post(url, {"email-email": long_email, "email-password": PASSWORD})
    assert response.status_code == 400
    assert "Ensure this value has at most 254 characters (it has 306)." in response.text
    assert long_email in response.text  # kept
    assert not User.objects.filter(username="Ana_W").exists()


@pytest.mark.parametrize(
    ("password1", "password2", "message"),
    [
        ("short", "short", "too short"),
        ("password123", "password123", "too common"),
        ("48392017465", "48392017465", "entirely numeric"),
        ("a long enough passphrase", "a different passphrase", "The two passwords differ."),
        ("ana_w_123", "ana_w_123", "too similar"),
    ],
)
def test_weak_or_mismatched_passwords(client, password1, password2, message):
    response = client.post(URL, form(password1=password1, password2=password2))
    assert response.status_code == 400
    assert message in response.text
    assert 'value="Ana_W"' in response.text and 'value="ana@example.org"' in response.text
    assert not User.objects.exists()


@pytest.mark.parametrize("email", ["not-an-address", "a@b", "ana@@example.org", ""])
def test_invalid_email(client, email):
    response = client.post(URL, form(email=email))
    assert response.status_code == 400
    assert not User.objects.exists()


def test_code_of_conduct_must_be_accepted(client):
    response = client.post(URL, form(accept_code=None))
    assert response.status_code == 400
    assert "Please accept the code of conduct" in response.text
    assert not User.objects.exists()


def test_code_changed_while_reading(client):
    old = CodeOfConduct.current().version
    CodeOfConduct.objects.create(version=old + 1, text="New rules")
    response = client.post(URL, form(code_version=old))
    assert response.status_code == 400
    assert "changed while you were reading" in response.text
    assert "New rules" in response.text
    assert f'name="code_version" value="{old + 1}"' in response.text
    assert not User.objects.exists()
    assert client.post(URL, form(code_version=old + 1)).status_code == 302


def test_approval_question_describes_the_reason_field(client):
    InstanceSettings.objects.update_or_create(
        pk=1,
        defaults={
            "registration_mode": RegistrationMode.APPROVAL,
            "approval_prompt": "Which wiki do you edit? <b>Tell us</b>",
        },
    )
    text = client.get(URL).text
    assert 'aria-describedby="id_reason_helptext"' in text
    assert (
        '<div class="helptext" id="id_reason_helptext">'
        "Which wiki do you edit? &lt;b&gt;Tell us&lt;/b&gt;</div>"
    ) in text
    assert text.count("Which wiki do you edit?") == 1


def test_approval_mode_asks_why_and_waits(client):
    set_mode(RegistrationMode.APPROVAL)
    assert client.post(URL, form()).status_code == 400  # the reason is required
    assert client.post(URL, form(reason="I edit Wikipedia in Spanish")).status_code == 302
    user = User.objects.get()
    assert user.approval == ApprovalState.PENDING
    assert user.signup_reason == "I edit Wikipedia in Spanish"
    client.get(link_in(mail.outbox[0]).split("localhost:8000")[1])
    response = client.post("/auth/login", {"username": "Ana_W", "password": form()["password1"]})
    assert "waiting for an administrator" in response.text
    # Nobody else sees a profile that is not approved yet.
    assert client.get("/@Ana_W").status_code == 404


def test_closed_mode_refuses(client):
    set_mode(RegistrationMode.CLOSED)
    assert client.get(URL).status_code == 403
    assert client.post(URL, form()).status_code == 403
    assert not User.objects.exists()


def test_html_in_username_is_refused_and_escaped(client):
    response = client.post(URL, form(username="<script>alert(1)</script>"))
    assert response.status_code == 400
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;" in response.text


def test_resend_does_not_reveal_accounts(client):
    client.post(URL, form())
    mail.outbox.clear()
    r1 = client.post("/auth/confirm", {"email": "ana@example.org"}, follow=True)
    r2 = client.post("/auth/confirm", {"email": "nobody@example.org"}, follow=True)
    assert r1.status_code == r2.status_code == 200
    assert "If that address awaits confirmation" in r1.text
    assert "If that address awaits confirmation" in r2.text
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("token", ["garbage", "eyJ1IjoxfQ:1abc:bad"])
def test_bad_confirmation_links(client, token):
    response = client.get(f"/auth/confirm/{token}")
    assert response.status_code == 400
    assert "not valid" in response.text


def test_account_and_user_are_one(client):
    client.post(URL, form())
    account = Account.objects.get()
    assert account.user.username == account.username
    assert account.is_local and account.handle == "@Ana_W"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("fresh_name", "fresh_name is available."),
        ("ANA", "That username is taken."),
        ("admin", "is reserved"),
        ("no spaces", "letters A–Z"),
    ],
)
def test_username_status_while_typing(client, make_user, typed, expected):
    make_user("ana")
    response = client.get(URL, {"username": typed}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.text.startswith('<p id="username-status"')
    assert expected in response.text
    assert "<html" not in response.text  # only the fragment


def test_username_input_asks_while_typing(client):
    text = client.get(URL).text
    assert 'hx-get="/auth/signup"' in text and 'id="username-status"' in text
    assert 'aria-live="polite"' in text
