"""The admin door: users it creates get a profile, profiles are edited by their owners only,
and deleting goes through actions.delete_account."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.management import call_command

from tests.conftest import PASSWORD
from wikisocial.accounts.models import Account, AccountDeletion, ApprovalState, User
from wikisocial.instance.models import CodeOfConduct

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_user):
    boss = make_user("boss")
    boss.is_staff = boss.is_superuser = True
    boss.save()
    client.force_login(boss)
    return client


def accept_code(client) -> None:
    code = CodeOfConduct.current()
    response = client.post(
        "/settings/code-of-conduct", {"version": code.version, "accept": "on", "next": "/"}
    )
    assert response.status_code == 302


# --- users made outside the sign-up form ---------------------------------------------------


def test_createsuperuser_makes_a_working_profile(client, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command(
        "createsuperuser", "--noinput", "--username", "chief", "--email", "chief@example.org"
    )
    assert Account.objects.get(user__username="chief").username == "chief"
    assert client.login(username="chief", password=PASSWORD)
    accept_code(client)
    assert client.get("/settings/profile").status_code == 200
    assert client.get("/@chief").status_code == 200
    assert client.get("/").status_code == 200


def test_admin_add_user_makes_a_profile(admin_client):
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "username": "helper",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(username="helper")
    assert user.account.username == "helper"


# --- profiles are read-only here -----------------------------------------------------------


def change_form_data(response) -> dict:
    """What the admin's change form would post back unchanged (main form and inlines)."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = field.prepare_value(value)
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management.initial.get(name, 0)
    return data


def test_bio_and_pictures_cannot_be_edited_in_the_admin(admin_client, make_user):
    ana = make_user("ana").account
    Account.objects.filter(pk=ana.pk).update(bio="My own words", bio_html="<p>My own words</p>")
    url = f"/admin/accounts/account/{ana.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200
    for name in ("bio", "bio_html", "avatar", "header"):
        assert f'name="{name}"' not in page.text, name
    assert "My own words" in page.text  # shown, read-only

    data = change_form_data(page)
    data.update(
        bio="Words put in my mouth",
        bio_html="<script>alert(1)</script>",
        display_name="Ana",
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    ana.refresh_from_db()
    assert ana.display_name == "Ana"  # the form works…
    assert ana.bio == "My own words" and ana.bio_html == "<p>My own words</p>"  # …but not these


# --- deleting ------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["user", "account"])
def test_plain_deletion_is_not_offered(admin_client, make_user, model):
    ana = make_user("ana")
    pk = ana.pk if model == "user" else ana.account.pk
    assert admin_client.get(f"/admin/accounts/{model}/{pk}/delete/").status_code == 403
    changelist = admin_client.get(f"/admin/accounts/{model}/")
    assert 'value="delete_selected"' not in changelist.text
    assert 'value="delete_accounts"' in changelist.text
    admin_client.post(
        f"/admin/accounts/{model}/", {"action": "delete_selected", "_selected_action": [pk]}
    )
    assert User.objects.filter(pk=ana.pk).exists()
    assert Account.objects.get(user=ana).deleted_at is None


@pytest.mark.parametrize("model", ["user", "account"])
def test_delete_action_asks_then_deletes_through_the_action(admin_client, make_user, model):
    ana = make_user("ana")
    bea = make_user("bea")
    pks = [ana.pk, bea.pk] if model == "user" else [ana.account.pk, bea.account.pk]
    url = f"/admin/accounts/{model}/"

    confirm = admin_client.post(url, {"action": "delete_accounts", "_selected_action": pks})
    assert confirm.status_code == 200
    assert "@ana" in confirm.text and "@bea" in confirm.text
    assert "cannot be undone" in confirm.text
    assert not AccountDeletion.objects.exists()  # nothing happens before the answer

    done = admin_client.post(
        url, {"action": "delete_accounts", "_selected_action": pks, "post": "yes"}
    )
    assert done.status_code == 302
    for user in (ana, bea):
        user.refresh_from_db()
        assert not user.is_active and user.email == "" and not user.has_usable_password()
        deletion = AccountDeletion.objects.get(account__user=user)
        assert not deletion.requested_by_self
        assert deletion.purged_at is not None  # the purge task ran (at once in tests)
        assert user.account.deleted_at is not None
    assert admin_client.get("/@ana").status_code == 410
    messages = [str(m) for m in done.wsgi_request._messages]
    assert messages == ["2 accounts deleted."]


def test_delete_action_skips_accounts_deleted_already(admin_client, make_user):
    ana = make_user("ana")
    admin_client.post(
        "/admin/accounts/account/",
        {"action": "delete_accounts", "_selected_action": [ana.account.pk], "post": "yes"},
    )
    first = AccountDeletion.objects.get()
    response = admin_client.post(
        "/admin/accounts/account/",
        {"action": "delete_accounts", "_selected_action": [ana.account.pk]},
    )
    assert "deleted already" in response.text
    assert AccountDeletion.objects.get() == first


# --- approving -----------------------------------------------------------------------------


def test_approve_skips_deleted_and_disabled_users(admin_client, make_user):
    waiting = make_user("waiting")
    disabled = make_user("disabled")
    deleted = make_user("deleted")
    for user in (waiting, disabled, deleted):
        user.approval = ApprovalState.PENDING
        user.save()
    disabled.is_active = False
    disabled.save()
    admin_client.post(
        "/admin/accounts/account/",
        {"action": "delete_accounts", "_selected_action": [deleted.account.pk], "post": "yes"},
    )
    mail.outbox.clear()

    response = admin_client.post(
        "/admin/accounts/user/",
        {
            "action": "approve",
            "_selected_action": [waiting.pk, disabled.pk, deleted.pk],
        },
    )
    assert response.status_code == 302
    approvals = dict(User.objects.values_list("username", "approval"))
    assert approvals["waiting"] == ApprovalState.APPROVED
    assert approvals["disabled"] == approvals["deleted"] == ApprovalState.PENDING
    assert [m.to for m in mail.outbox] == [["waiting@example.org"]]


def test_approval_email_says_when_they_can_log_in(admin_client, make_user):
    unconfirmed = make_user("early")
    unconfirmed.approval = ApprovalState.PENDING
    unconfirmed.email_confirmed_at = None
    unconfirmed.save()
    confirmed = make_user("ready")
    confirmed.approval = ApprovalState.PENDING
    confirmed.save()
    admin_client.post(
        "/admin/accounts/user/",
        {"action": "approve", "_selected_action": [unconfirmed.pk, confirmed.pk]},
    )
    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert "once you have confirmed your e-mail address" in bodies["early@example.org"]
    assert "You can log in now" in bodies["ready@example.org"]
    for body in bodies.values():
        assert "http://localhost:8000/auth/login\n" in body
