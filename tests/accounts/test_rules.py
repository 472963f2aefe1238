"""Unit tests for the account rules: usernames, Babel languages, who sees which profile."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from wikisocial.accounts import actions
from wikisocial.accounts.languages import language_name, parse_languages
from wikisocial.accounts.models import Account, ApprovalState, User
from wikisocial.accounts.validators import validate_username


@given(st.text(max_size=40))
def test_username_validation_never_crashes_and_allows_only_ascii_words(name):
    try:
        validate_username(name)
    except ValidationError:
        return
    assert 1 <= len(name) <= 30
    assert all(c.isascii() and (c.isalnum() or c == "_") for c in name)


def test_babel_syntax():
    parsed = parse_languages("en-N, de-2 fr  es-0; zh-hans-3, be-tarask-1", limit=12)
    assert [(p.code, p.level) for p in parsed] == [
        ("en", "N"),
        ("de", "2"),
        ("fr", "N"),
        ("es", "0"),
        ("zh-hans", "3"),
        ("be-tarask", "1"),
    ]
    assert parse_languages("", limit=12) == []
    assert [p.code for p in parse_languages("EN-n, en-2", limit=12)] == ["en"]  # last one wins


@pytest.mark.parametrize("text", ["xx-2", "en-6", "english", "en-N-2", "<b>", "de_2", "1-en"])
def test_bad_babel_items(text):
    with pytest.raises(ValidationError):
        parse_languages(text, limit=12)


def test_language_names_follow_the_interface_language():
    assert language_name("de", "en") == "German"
    assert language_name("de", "es") == "alemán"
    assert language_name("zh-hans", "en").startswith("Chinese")
    assert language_name("qqq", "en") == "qqq"


@pytest.mark.django_db
def test_visible_to(make_user):
    ana = make_user("ana")
    pending = make_user("pending")
    pending.approval = ApprovalState.PENDING
    pending.save()
    unconfirmed = make_user("unconfirmed")
    unconfirmed.email_confirmed_at = None
    unconfirmed.save()
    disabled = make_user("disabled")
    disabled.is_active = False
    disabled.save()
    gone = make_user("gone")
    actions.delete_account(gone.account)
    staff = make_user("staff")
    staff.is_staff = True
    staff.save()
    remote = Account.objects.create(username="bob", domain="remote.example")
    Account.objects.create(username="orphan")  # local, without a user

    def names(viewer):
        return set(Account.objects.visible_to(viewer).values_list("username", flat=True))

    public = {"ana", "staff", "bob"}
    assert names(AnonymousUser()) == names(None) == public
    assert names(ana) == public
    assert names(pending) == public | {"pending"}
    assert names(unconfirmed) == public | {"unconfirmed"}
    everyone_but_deleted = public | {"pending", "unconfirmed", "disabled", "orphan"}
    assert names(staff) == everyone_but_deleted
    assert remote.handle == "@bob@remote.example" and not remote.is_local


@pytest.mark.django_db
@pytest.mark.parametrize("taken", ["username", "email"])
def test_register_refuses_races_cleanly(make_user, monkeypatch, taken):
    """The name or address is taken between the check and the insert: the database's
    constraint fires, and register says so instead of failing with an IntegrityError."""
    make_user("ana")
    monkeypatch.setattr(actions, "username_taken", lambda username: False)
    monkeypatch.setattr(actions, "email_taken", lambda email, exclude=None: False)
    with pytest.raises(ValidationError) as info:
        actions.register(
            username="ANA" if taken == "username" else "bea",
            email="ANA@example.org" if taken == "email" else "bea@example.org",
            password="a long passphrase",
            code_of_conduct=None,
            by_operator=True,
        )
    assert info.value.message_dict == {
        "username": ["That username or e-mail address was just taken. Please try again."]
    }
    assert set(User.objects.values_list("username", flat=True)) == {"ana"}
    assert set(Account.objects.values_list("username", flat=True)) == {"ana"}


@pytest.mark.django_db
def test_confirming_an_address_another_account_just_took(make_user, monkeypatch):
    """Two people confirm the same new address at once: the second gets a clear refusal."""
    ana = make_user("ana")
    actions.request_email_change(ana, "shared@example.org")
    token = actions.confirmation_token(ana, "shared@example.org")
    make_user("bea", email="Shared@example.org")  # bea got there first
    monkeypatch.setattr(actions, "email_taken", lambda email, exclude=None: False)
    with pytest.raises(ValidationError) as info:
        actions.confirm_email(token)
    assert info.value.messages == ["Another account uses this address now."]
    ana.refresh_from_db()
    assert ana.email == "ana@example.org" and ana.pending_email == "shared@example.org"


def profile_changes(name: str) -> actions.ProfileChanges:
    return actions.ProfileChanges(
        display_name=name, bio="*hi*", pronouns="", wiki_username="", locked=False, bot=False
    )


@pytest.mark.django_db
def test_update_profile_saves_only_the_profile(make_user):
    """A stale copy of the account must not write back what other actions changed since."""
    user = make_user("ana")
    stale = Account.objects.get(user=user)
    Account.objects.filter(pk=stale.pk).update(followers_count=7, posts_count=3)
    actions.update_profile(stale, profile_changes("Ana"))
    fresh = Account.objects.get(pk=stale.pk)
    assert (fresh.followers_count, fresh.posts_count) == (7, 3)
    assert fresh.display_name == "Ana" and fresh.bio_html.strip() == "<p><em>hi</em></p>"


@pytest.mark.django_db
def test_update_profile_cannot_resurrect_a_deleted_account(make_user):
    user = make_user("ana")
    stale = Account.objects.get(user=user)  # loaded before the deletion
    actions.delete_account(Account.objects.get(pk=stale.pk))
    with pytest.raises(ValidationError) as info:
        actions.update_profile(stale, profile_changes("Back again"))
    assert info.value.messages == ["This account has been deleted."]
    fresh = Account.objects.get(pk=stale.pk)
    assert fresh.deleted_at is not None and fresh.display_name == ""


@pytest.mark.django_db
def test_users_made_through_the_manager_get_an_account(db):
    user = User.objects.create_user("plain", "plain@example.org", "a long passphrase")
    assert user.account.username == "plain" and user.account.is_local
    boss = User.objects.create_superuser("boss", "boss@example.org", "a long passphrase")
    assert boss.account.username == "boss"
    assert boss.email_confirmed  # the operator vouches for the address


@pytest.mark.django_db
def test_ensure_account_makes_one_once(db):
    user = User.objects.create(username="plain", email="plain@example.org")  # no account
    account = actions.ensure_account(user)
    assert account.user == user and account.username == "plain"
    assert actions.ensure_account(user) == account
    assert Account.objects.filter(user=user).count() == 1
