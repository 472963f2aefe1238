"""Posting defaults and discoverability on the profile action, which the client API's
update_credentials sets and the settings page leaves alone; sign-up errors carry codes."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from wikisocial.accounts import actions
from wikisocial.accounts.forms import ProfileForm
from wikisocial.accounts.models import Account
from wikisocial.instance.models import CodeOfConduct

pytestmark = pytest.mark.django_db


def changes(**extra) -> actions.ProfileChanges:
    return actions.ProfileChanges(
        display_name="Ana", bio="", pronouns="", wiki_username="", locked=False, bot=False, **extra
    )


def test_new_accounts_are_discoverable_and_post_publicly_by_default(user):
    account = user.account
    assert account.discoverable and account.default_visibility == "public"
    assert not account.default_sensitive and account.default_language == ""


def test_posting_defaults_are_set_and_kept_when_not_given(user):
    account = user.account
    actions.update_profile(
        account,
        changes(
            discoverable=False,
            default_visibility="private",
            default_sensitive=True,
            default_language="DE",
        ),
    )
    actions.update_profile(account, changes())  # a door that doesn't know them
    account = Account.objects.get(pk=account.pk)
    assert not account.discoverable and account.default_visibility == "private"
    assert account.default_sensitive and account.default_language == "de"


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"default_visibility": "direct"}, "default_visibility"),
        ({"default_language": "klingon!"}, "default_language"),
    ],
)
def test_bad_posting_defaults_are_refused(user, extra, field):
    with pytest.raises(ValidationError) as caught:
        actions.update_profile(user.account, changes(**extra))
    assert field in caught.value.error_dict
    assert Account.objects.get(pk=user.account.pk).display_name == ""


def test_the_profile_form_from_current_data_is_valid_and_changes_nothing(user):
    actions.update_profile(
        user.account,
        changes(fields=[{"name": "Site", "value": "https://example.org"}], default_language="es"),
    )
    account = Account.objects.get(pk=user.account.pk)
    form = ProfileForm(ProfileForm.current_data(account), account=account)
    assert form.is_valid(), form.errors
    actions.update_profile(account, form.changes())
    again = Account.objects.get(pk=account.pk)
    assert again.fields == [{"name": "Site", "value": "https://example.org"}]
    assert again.default_language == "es"


def test_the_settings_page_leaves_the_posting_defaults_alone(logged_in, user):
    Account.objects.filter(pk=user.account.pk).update(
        discoverable=False, default_visibility="unlisted"
    )
    response = logged_in.post(
        "/settings/profile", {"display_name": "Ana", "wall_enabled": "on"}, follow=True
    )
    assert response.status_code == 200
    account = Account.objects.get(pk=user.account.pk)
    assert account.display_name == "Ana"
    assert not account.discoverable and account.default_visibility == "unlisted"


def test_sign_up_errors_carry_codes(make_user):
    make_user("ana")
    with pytest.raises(ValidationError) as caught:
        actions.sign_up(
            username="ana",
            email="ana@example.org",
            password="a long enough passphrase",
            code_of_conduct=CodeOfConduct.current(),
        )
    assert caught.value.error_dict["username"][0].code == "taken"
    with pytest.raises(ValidationError) as caught:
        actions.register(
            username="ana",
            email="ana@example.org",
            password="x",
            code_of_conduct=None,
            by_operator=True,
        )
    assert {e.code for errors in caught.value.error_dict.values() for e in errors} == {"taken"}
