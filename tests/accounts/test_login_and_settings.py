"""Log in and out, password reset and change, e-mail change, account deletion."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from tests.accounts.pages import comparable
from tests.conftest import PASSWORD
from wikisocial.accounts.models import AccountDeletion, User

pytestmark = pytest.mark.django_db


def path_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


def test_login_by_username_or_email_in_any_case(client, user):
    for name in ("ana", "ANA", "Ana@Example.org"):
        client.logout()
        response = client.post("/auth/login", {"username": name, "password": PASSWORD})
        assert response.status_code == 302, name


def test_wrong_password_keeps_the_username(client, user):
    response = client.post("/auth/login", {"username": "ana", "password": "wrong"})
    assert response.status_code == 400
    assert 'value="ana"' in response.text
    assert "correct username and password" in response.text


def test_login_redirect_stays_on_this_site(client, user):
    response = client.post(
        "/auth/login?next=https://evil.example/", {"username": "ana", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == "/"


def test_logout_is_a_post(logged_in):
    assert logged_in.get("/auth/logout").status_code == 405
    assert logged_in.post("/auth/logout").status_code == 302
    assert logged_in.get("/settings/profile").status_code == 302  # to the log-in page


def test_settings_need_login(client, db):
    for url in ("/settings/profile", "/settings/account", "/settings/delete"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/auth/login")


def test_password_reset_flow(client, user):
    response = client.post("/auth/password/reset", {"email": "ANA@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = path_in(mail.outbox[0])
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url,
        {"new_password1": "another good passphrase", "new_password2": "another good passphrase"},
    )
    assert response.status_code == 302
    assert client.login(username="ana", password="another good passphrase")
    # The owner is told, as after a change in the settings (actions.change_password).
    assert [m.subject for m in mail.outbox] == [
        mail.outbox[0].subject,
        "Your password was changed",
    ]
    assert mail.outbox[1].to == ["ana@example.org"]
    # The link works once.
    client.logout()
    assert "not valid any more" in client.get(link, follow=True).text


def test_password_reset_for_unknown_address_says_the_same(client, user):
    known = client.post("/auth/password/reset", {"email": "ana@example.org"}, follow=True)
    assert len(mail.outbox) == 1
    unknown = client.post("/auth/password/reset", {"email": "nobody@example.org"}, follow=True)
    assert len(mail.outbox) == 1  # nothing sent for the unknown address
    assert known.redirect_chain == unknown.redirect_chain == [("/auth/password/reset/sent", 302)]
    assert known.status_code == unknown.status_code == 200
    assert comparable(known.text) == comparable(unknown.text)
    assert "If an account uses that address" in unknown.text


def test_change_password(logged_in, user):
    bad = logged_in.post(
        "/settings/account",
        {
            "password-old_password": "wrong",
            "password-new_password1": "x",
            "password-new_password2": "x",
        },
    )
    assert bad.status_code == 400
    assert "Your old password was entered incorrectly" in bad.text
    ok = logged_in.post(
        "/settings/account",
        {
            "password-old_password": PASSWORD,
            "password-new_password1": "brand new passphrase",
            "password-new_password2": "brand new passphrase",
        },
    )
    assert ok.status_code == 302
    user.refresh_from_db()
    assert user.check_password("brand new passphrase")
    assert logged_in.get("/settings/account").status_code == 200  # still logged in
    assert "password" in mail.outbox[-1].subject.lower()


def test_change_email_waits_for_confirmation(logged_in, user, make_user):
    make_user("bea")
    taken = logged_in.post(
        "/settings/account", {"email-email": "BEA@example.org", "email-password": PASSWORD}
    )
    assert taken.status_code == 400 and "exists already" in taken.text
    wrong = logged_in.post(
        "/settings/account", {"email-email": "new@example.org", "email-password": "nope"}
    )
    assert wrong.status_code == 400
    assert 'value="new@example.org"' in wrong.text
    ok = logged_in.post(
        "/settings/account", {"email-email": "new@example.org", "email-password": PASSWORD}
    )
    assert ok.status_code == 302
    user.refresh_from_db()
    assert user.email == "ana@example.org" and user.pending_email == "new@example.org"
    to_new = next(m for m in mail.outbox if m.to == ["new@example.org"])
    assert any(m.to == ["ana@example.org"] for m in mail.outbox)  # the old address is told
    assert logged_in.get(path_in(to_new)).status_code == 200
    user.refresh_from_db()
    assert user.email == "new@example.org" and user.pending_email == ""


def test_delete_account(logged_in, user, client):
    bad = logged_in.post("/settings/delete", {"password": PASSWORD, "confirm_username": "bea"})
    assert bad.status_code == 400
    assert User.objects.get(pk=user.pk).is_active
    response = logged_in.post(
        "/settings/delete", {"password": PASSWORD, "confirm_username": "@ana"}
    )
    assert response.status_code == 200
    assert "deleted" in response.text
    user.refresh_from_db()
    account = user.account
    assert not user.is_active and not user.has_usable_password() and user.email == ""
    assert account.deleted_at is not None
    deletion = AccountDeletion.objects.get(account=account)
    assert deletion.requested_by_self and deletion.content_handling == "delete"
    assert deletion.purged_at is not None  # the purge task ran (tasks run at once in tests)
    assert deletion.federated_at is not None  # the Delete was queued for other servers
    assert client.get("/@ana").status_code == 410
    assert logged_in.get("/settings/profile").status_code == 302  # logged out
    # The name stays taken.
    response = client.post(
        "/auth/signup",
        {"username": "ANA", "email": "again@example.org", "password1": "x", "password2": "x"},
    )
    assert "That username is taken." in response.text


def test_deleting_an_account_removes_its_posts_and_relations(logged_in, user, make_user):
    from wikisocial.posts import actions as posts
    from wikisocial.posts.models import Post
    from wikisocial.social import actions as social

    bea = make_user("bea").account
    ana = user.account
    mine = posts.create_post(ana, posts.Draft(text="mine"))
    theirs = posts.create_post(bea, posts.Draft(text="theirs"))
    posts.create_post(ana, posts.Draft(text="reply", in_reply_to=theirs))
    posts.like(ana, theirs)
    posts.boost(ana, theirs)
    social.follow(ana, bea)
    social.follow(bea, ana)
    response = logged_in.post("/settings/delete", {"password": PASSWORD, "confirm_username": "ana"})
    assert response.status_code == 200
    theirs.refresh_from_db()
    bea.refresh_from_db()
    assert (theirs.likes_count, theirs.boosts_count, theirs.replies_count) == (0, 0, 0)
    assert (bea.followers_count, bea.following_count) == (0, 0)
    assert not Post.objects.visible_to(bea).filter(author=ana).exists()
    assert Post.objects.get(pk=mine.pk).content == ""
