"""The Django admin for groups: lists for staff, read-only rows, and the admin actions that
go through communities.actions (logged in the group's log like any moderator's change)."""

from __future__ import annotations

import pytest

from wikisocial.accounts.models import User
from wikisocial.communities import access, actions
from wikisocial.communities.models import GroupBan, GroupLogEntry, LogAction, Membership, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_user):
    staff = make_user("steward")
    User.objects.filter(pk=staff.pk).update(is_staff=True, is_superuser=True)
    client.force_login(User.objects.get(pk=staff.pk))
    client.staff = staff
    return client


@pytest.fixture
def crew(ana, bea, cem, make_group):
    group = make_group(ana.account, "birds")
    actions.join(bea.account, group)
    actions.join(cem.account, group)
    actions.ban(ana.account, group, cem.account, "spam")
    return group


ADMIN = "/admin/communities"


@pytest.mark.parametrize("model", ["group", "membership", "groupban", "grouplogentry"])
def test_lists_and_read_only_detail_pages(admin_client, crew, model):
    listing = admin_client.get(f"{ADMIN}/{model}/")
    assert listing.status_code == 200
    assert f"{ADMIN}/{model}/add/" not in listing.content.decode()
    assert admin_client.get(f"{ADMIN}/{model}/add/").status_code == 403
    row = {
        "group": crew,
        "membership": Membership.objects.first(),
        "groupban": GroupBan.objects.first(),
        "grouplogentry": GroupLogEntry.objects.first(),
    }[model]
    detail = admin_client.get(f"{ADMIN}/{model}/{row.pk}/change/")
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    assert admin_client.get(f"{ADMIN}/{model}/{row.pk}/delete/").status_code == 403


def test_group_list_shows_kind_and_members(admin_client, crew):
    page = admin_client.get(f"{ADMIN}/group/").content.decode()
    assert "!birds" in page and "Public: anyone reads" in page and ">2<" in page


def test_hiding_groups_goes_through_the_action(admin_client, crew):
    response = admin_client.post(
        f"{ADMIN}/group/", {"action": "hide_groups", "_selected_action": [crew.pk]}
    )
    assert response.status_code == 302
    crew.refresh_from_db()
    assert crew.kind == "hidden" and crew.name == "Birds"
    assert crew.log.filter(action=LogAction.EDIT, actor=admin_client.staff.account).exists()


def test_recounting_members(admin_client, crew):
    type(crew).objects.filter(pk=crew.pk).update(members_count=99)
    admin_client.post(
        f"{ADMIN}/group/", {"action": "recount_members", "_selected_action": [crew.pk]}
    )
    crew.refresh_from_db()
    assert crew.members_count == 2


def test_member_actions(admin_client, crew, bea):
    membership = Membership.objects.get(account=bea.account)
    admin_client.post(
        f"{ADMIN}/membership/",
        {"action": "make_moderators", "_selected_action": [membership.pk]},
    )
    assert access.membership_of(bea.account, crew).role == Role.MODERATOR
    admin_client.post(
        f"{ADMIN}/membership/", {"action": "remove_members", "_selected_action": [membership.pk]}
    )
    assert not access.is_member(bea.account, crew)
    crew.refresh_from_db()
    assert crew.members_count == 1
    entry = crew.log.get(action=LogAction.REMOVE)
    assert entry.actor == admin_client.staff.account


def test_refusals_are_reported(admin_client, crew, ana):
    owner = Membership.objects.get(account=ana.account)
    response = admin_client.post(
        f"{ADMIN}/membership/",
        {"action": "make_members", "_selected_action": [owner.pk]},
        follow=True,
    )
    assert "A group needs at least one owner." in response.content.decode()
    assert access.membership_of(ana.account, crew).role == Role.OWNER


def test_lifting_bans(admin_client, crew, cem):
    ban = GroupBan.objects.get()
    admin_client.post(f"{ADMIN}/groupban/", {"action": "lift_bans", "_selected_action": [ban.pk]})
    assert not access.is_banned(cem.account, crew)
    assert crew.log.filter(action=LogAction.UNBAN).exists()
