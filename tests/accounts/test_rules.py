"""Unit tests for the account rules: usernames, Babel languages, who sees which profile."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from wikisocial.accounts import actions
from wikisocial.accounts.languages import language_name, parse_languages
from wikisocial.accounts.models import Account, ApprovalState
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
    gone = make_user("gone")
    actions.delete_account(gone.account)
    staff = make_user("staff")
    staff.is_staff = True
    staff.save()
    remote = Account.objects.create(username="bob", domain="remote.example")

    def names(viewer):
        return set(Account.objects.visible_to(viewer).values_list("username", flat=True))

    assert names(AnonymousUser()) == names(None) == {"ana", "staff", "bob"}
    assert names(ana) == {"ana", "staff", "bob"}
    assert names(pending) == {"ana", "staff", "bob", "pending"}
    assert names(staff) == {"ana", "staff", "bob", "pending"}
    assert remote.handle == "@bob@remote.example" and not remote.is_local


@pytest.mark.django_db
def test_register_refuses_races_cleanly(make_user):
    make_user("ana")
    with pytest.raises(ValidationError) as info:
        actions.register(
            username="ANA",
            email="x@example.org",
            password="a long passphrase",
            code_of_conduct=None,
            by_operator=True,
        )
    assert "username" in info.value.message_dict
