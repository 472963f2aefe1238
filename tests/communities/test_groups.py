"""Groups and who belongs to them: every action in communities.actions and the rules in
communities.access, whichever door calls them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from wikisocial.accounts.models import Account, ActorType
from wikisocial.communities import access, actions
from wikisocial.communities.actions import GroupDraft
from wikisocial.communities.models import (
    Group,
    GroupBan,
    GroupKind,
    GroupLogEntry,
    Invitation,
    JoinRequest,
    JoinRequestState,
    LogAction,
    Membership,
    Role,
)
from wikisocial.notifications.models import Kind, Notification

pytestmark = pytest.mark.django_db


def count(group: Group) -> int:
    group.refresh_from_db()
    assert group.members_count == Membership.objects.filter(group=group).count()
    return group.members_count


def refusal(call, *args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as excinfo:
        call(*args, **kwargs)
    return excinfo.value


def notified(account: Account, kind: str) -> int:
    return Notification.objects.filter(recipient=account, kind=kind).count()


# --- creating a group -------------------------------------------------------------------------


def test_create_group_makes_a_group_actor_with_its_owner(ana):
    draft = GroupDraft(
        name="WikiProject Birds",
        description="We write about **birds**.",
        rules="Be kind.",
        kind=GroupKind.RESTRICTED,
        category="wikiproject",
        language="DE",
        questions=["Which birds?", "  ", "Why?"],
    )
    group = actions.create_group(ana.account, "birds", draft)

    account = group.account
    assert account.actor_type == ActorType.GROUP == "Group"
    assert account.user is None and account.is_local
    assert account.display_name == "WikiProject Birds"
    assert "<strong>birds</strong>" in account.bio_html
    assert group.handle == "!birds" and group.url_handle == "birds"
    assert group.language == "de"
    assert group.questions == ["Which birds?", "Why?"]
    assert group.created_by == ana.account
    membership = Membership.objects.get(group=group)
    assert membership.account == ana.account and membership.role == Role.OWNER
    assert count(group) == 1
    assert GroupLogEntry.objects.get(group=group).action == LogAction.CREATE


@pytest.mark.parametrize("taken", ["ANA", "ana", "Ana"])
def test_a_persons_name_is_taken_in_any_case(ana, bea, taken):
    error = refusal(actions.create_group, bea.account, taken, GroupDraft(name="X"))
    assert "taken" in error.message_dict["handle"][0]
    assert not Group.objects.exists()


def test_a_groups_handle_is_taken_in_any_case(ana, bea, make_group):
    make_group(ana.account, "birds")
    error = refusal(actions.create_group, bea.account, "BIRDS", GroupDraft(name="Other"))
    assert "taken" in error.message_dict["handle"][0]
    assert Group.objects.count() == 1


@pytest.mark.parametrize("handle", ["admin", "Groups", "wiki", "g", "moderators"])
def test_reserved_names_are_refused(ana, handle):
    error = refusal(actions.create_group, ana.account, handle, GroupDraft(name="X"))
    assert "reserved" in error.message_dict["handle"][0]


@pytest.mark.parametrize("handle", ["", "two words", "x" * 31, "café", "a-b", "!bang"])
def test_malformed_handles_are_refused(ana, handle):
    error = refusal(actions.create_group, ana.account, handle, GroupDraft(name="X"))
    assert "handle" in error.message_dict


def test_every_wrong_field_is_named_at_once(ana):
    draft = GroupDraft(
        name="",
        description="d" * 5001,
        rules="r" * 10001,
        kind="secret",
        category="club",
        language="klingonish",
        questions=[f"q{i}" for i in range(6)],
    )
    error = refusal(actions.create_group, ana.account, "admin", draft)
    assert set(error.message_dict) == {
        "handle",
        "name",
        "description",
        "rules",
        "kind",
        "category",
        "language",
        "questions",
    }


def test_hostile_text_is_cleaned_and_sanitised(ana):
    draft = GroupDraft(
        name="Evil\u202egroup\u0000",
        description="<script>alert(1)</script><img src=x onerror=alert(1)>[x](javascript:alert(1))",
        rules="<iframe src=//evil></iframe>**ok**",
    )
    group = actions.create_group(ana.account, "evil", draft)

    assert group.account.display_name == "Evilgroup"
    for html in (group.account.bio_html, group.rules_html):
        assert "<script" not in html and "<img" not in html and "<iframe" not in html
        assert 'href="javascript' not in html
    assert "<strong>ok</strong>" in group.rules_html


def test_only_a_local_person_owns_a_group(ana, make_group):
    group = make_group(ana.account, "birds")
    error = refusal(actions.create_group, group.account, "nest", GroupDraft(name="Nest"))
    assert "owner" in error.message_dict
    remote = Account.objects.create(username="rem", domain="elsewhere.example")
    assert (
        "owner" in refusal(actions.create_group, remote, "nest", GroupDraft(name="N")).message_dict
    )


def test_hidden_groups_are_not_discoverable(ana, make_group):
    assert make_group(ana.account, "open").account.discoverable
    assert not make_group(ana.account, "secret", kind="hidden").account.discoverable


# --- changing a group -----------------------------------------------------------------------


def test_moderators_change_the_settings_and_it_is_logged(ana, bea, make_group):
    group = make_group(ana.account, "birds")
    actions.join(bea.account, group)
    actions.set_role(ana.account, group, bea.account, Role.MODERATOR)
    draft = GroupDraft(name="Birds!", kind=GroupKind.PRIVATE, rules="No *cats*.")

    actions.update_group(bea.account, group, draft)

    group.refresh_from_db()
    assert group.name == "Birds!" and group.kind == GroupKind.PRIVATE
    assert "<em>cats</em>" in group.rules_html
    assert group.log.filter(action=LogAction.EDIT, actor=bea.account).exists()


def test_members_may_not_change_the_settings(ana, bea, make_group):
    group = make_group(ana.account, "birds")
    actions.join(bea.account, group)
    with pytest.raises(PermissionDenied):
        actions.update_group(bea.account, group, GroupDraft(name="Mine"))
    group.refresh_from_db()
    assert group.name == "Birds"


def test_staff_moderate_groups_on_this_server(ana, make_user, make_group):
    staff = make_user("steward")
    staff.is_staff = True
    staff.save()
    group = make_group(ana.account, "birds", kind="private")
    assert access.can_moderate(staff.account, group)
    assert actions.may_set_roles(staff.account, group)
    actions.update_group(staff.account, group, GroupDraft(name="Calm birds", kind="private"))
    group.refresh_from_db()
    assert group.name == "Calm birds"


# --- joining ---------------------------------------------------------------------------------


def test_joining_a_public_group_is_immediate_and_counted_once(ana, bea, make_group):
    group = make_group(ana.account, "birds")

    first = actions.join(bea.account, group)
    second = actions.join(bea.account, group)

    assert isinstance(first, Membership) and first.pk == second.pk
    assert first.role == Role.MEMBER
    assert count(group) == 2
    assert access.is_member(bea.account, group)


@pytest.mark.parametrize("kind", ["restricted", "private"])
def test_approval_kinds_file_a_request_with_answers(ana, bea, make_group, kind):
    group = make_group(ana.account, "birds", kind=kind, questions=["Why?", "Who?"])

    request = actions.join(bea.account, group, ["Because\u202e", ""])
    actions.join(bea.account, group, ["Because, again"])

    assert isinstance(request, JoinRequest)
    request.refresh_from_db()
    assert request.state == JoinRequestState.PENDING
    assert request.answers == [
        {"question": "Why?", "answer": "Because, again"},
        {"question": "Who?", "answer": ""},
    ]
    assert not access.is_member(bea.account, group)
    assert count(group) == 1
    assert notified(ana.account, Kind.JOIN_REQUEST) == 1  # not once per click


def test_answers_have_a_length_limit(ana, bea, make_group):
    group = make_group(ana.account, "birds", kind="restricted", questions=["Why?"])
    error = refusal(actions.join, bea.account, group, ["x" * 1001])
    assert "answers" in error.message_dict
    assert not JoinRequest.objects.exists()


def test_hidden_groups_take_only_people_invited(ana, bea, make_group):
    group = make_group(ana.account, "secret", kind="hidden")

    assert refusal(actions.join, bea.account, group).code == "hidden"
    assert not JoinRequest.objects.exists()

    actions.invite(ana.account, group, bea.account)
    membership = actions.join(bea.account, group)
    assert isinstance(membership, Membership)
    assert not Invitation.objects.exists()
    assert count(group) == 2


def test_an_invitation_skips_approval(ana, bea, make_group):
    group = make_group(ana.account, "birds", kind="private", questions=["Why?"])
    actions.invite(ana.account, group, bea.account)
    membership = actions.accept_invitation(bea.account, group)
    assert membership.role == Role.MEMBER
    assert count(group) == 2


def test_accepting_without_an_invitation_is_refused(ana, bea, make_group):
    group = make_group(ana.account, "birds", kind="private")
    assert refusal(actions.accept_invitation, bea.account, group).code == "no_invitation"
    assert not JoinRequest.objects.exists()


def test_a_deleted_group_takes_nobody(ana, bea, make_group):
    group = make_group(ana.account, "birds")
    Account.objects.filter(pk=group.account_id).update(deleted_at=timezone.now())
    group.account.refresh_from_db()
    assert refusal(actions.join, bea.account, group).code == "gone"


# --- leaving ----------------------------------------------------------------------------------


def test_a_member_leaves(ana, bea, make_group):
    group = make_group(ana.account, "birds")
    actions.join(bea.account, group)
    actions.leave(bea.account, group)
    actions.leave(bea.account, group)  # twice is harmless
    assert not access.is_member(bea.account, group)
    assert count(group) == 1


def test_the_last_owner_may_not_leave_members_behind(ana, bea, make_group):
    group = make_group(ana.account, "birds")
    actions.join(bea.account, group)

    error = refusal(actions.leave, ana.account, group)

    assert error.code == "last_owner"
    assert "only owner" in error.messages[0]
    assert access.is_member(ana.account, group) and count(group) == 2


def test_an_owner_leaves_when_another_owner_remains(ana, bea, make_group):
    group = make_group(ana.account, "birds")
    actions.join(bea.account, group)
    actions.set_role(ana.account, group, bea.account, Role.OWNER)
    actions.leave(ana.account, group)
    assert count(group) == 1
    assert Membership.objects.get(group=group).account == bea.account


def test_the_only_member_may_leave(ana, make_group):
    group = make_group(ana.account, "birds")
    actions.leave(ana.account, group)
    assert count(group) == 0


def test_leaving_withdraws_a_request(ana, bea, make_group):
    group = make_group(ana.account, "birds", kind="restricted")
    actions.join(bea.account, group)
    actions.leave(bea.account, group)
    assert not JoinRequest.objects.exists()


# --- requests ---------------------------------------------------------------------------------


def test_a_moderator_approves_a_request(ana, bea, make_group):
    group = make_group(ana.account, "birds", kind="restricted")
    request = actions.join(bea.account, group, [])

    membership = actions.approve(ana.account, request)

    assert membership.account == bea.account
    assert not JoinRequest.objects.exists()
    assert count(group) == 2
    assert notified(bea.account, Kind.JOIN_APPROVED) == 1
    entry = group.log.get(action=LogAction.APPROVE)
    assert entry.actor == ana.account and entry.target_account == bea.account


def test_a_declined_request_can_be_filed_again(ana, bea, make_group):
    group = make_group(ana.account, "birds", kind="private")
    request = actions.join(bea.account, group)

    actions.reject(ana.account, request)
    request.refresh_from_db()
    assert request.state == JoinRequestState.REJECTED and request.decided_by == ana.account
    assert group.log.filter(action=LogAction.REJECT).exists()

    actions.join(bea.account, group)
    request.refresh_from_db()
    assert request.state == JoinRequestState.PENDING and request.decided_by is None
    assert notified(ana.account, Kind.JOIN_REQUEST) == 2


def test_only_moderators_decide_requests(ana, bea, cem, make_group):
    group = make_group(ana.account, "birds", kind="restricted")
    actions.join(cem.account, group)
    actions.approve(ana.account, actions.join(cem.account, group))
    request = actions.join(bea.account, group)
    for decide in (actions.approve, actions.reject):
        with pytest.raises(PermissionDenied):
            decide(cem.account, request)
    assert not access.is_member(bea.account, group)


def test_a_banned_persons_request_is_not_approved(ana, bea, make_group):
    group = make_group(ana.account, "birds", kind="restricted")
    request = actions.join(bea.account, group)
    GroupBan.objects.create(group=group, account=bea.account)  # e.g. banned through another door
    assert refusal(actions.approve, ana.account, request).code == "banned"
    assert count(group) == 1


# --- invitations ------------------------------------------------------------------------------


def test_members_of_public_groups_invite(ana, bea, cem, make_group):
    group = make_group(ana.account, "birds")
    actions.join(bea.account, group)

    invitation = actions.invite(bea.account, group, cem.account)
    again = actions.invite(bea.account, group, cem.account)

    assert invitation.pk == again.pk and invitation.invited_by == bea.account
    assert notified(cem.account, Kind.GROUP_INVITE) == 1
    assert group.log.filter(action=LogAction.INVITE).count() == 1


def test_non_members_do_not_invite(ana, bea, cem, make_group):
    group = make_group(ana.account, "birds")
    with pytest.raises(PermissionDenied):
        actions.invite(bea.account, group, cem.account)


@pytest.mark.parametrize("kind", ["restricted", "private", "hidden"])
def test_only_moderators_invite_to_closed_groups(ana, bea, cem, make_group, kind):
    group = make_group(ana.account, "birds", kind=kind)
    actions.invite(ana.account, group, bea.account)
    actions.accept_invitation(bea.account, group)
    with pytest.raises(PermissionDenied):
        actions.invite(bea.account, group, cem.account)
    assert not Invitation.objects.filter(account=cem.account).exists()


def test_who_may_not_be_invited(ana, bea, make_group):
    group = make_group(ana.account, "birds")
    other = make_group(ana.account, "other")
    actions.join(bea.account, group)
    assert refusal(actions.invite, ana.account, group, bea.account).code == "member"
    assert refusal(actions.invite, ana.account, group, other.account).code == "remote"
    remote = Account.objects.create(username="rem", domain="elsewhere.example")
    assert refusal(actions.invite, ana.account, group, remote).code == "remote"


def test_invitations_are_declined_and_withdrawn(ana, bea, cem, make_group):
    group = make_group(ana.account, "birds", kind="hidden")
    invitation = actions.invite(ana.account, group, bea.account)
    assert Group.objects.visible_to(bea.account).filter(pk=group.pk).exists()

    actions.decline_invitation(bea.account, invitation)
    assert not Group.objects.visible_to(bea.account).filter(pk=group.pk).exists()

    invitation = actions.invite(ana.account, group, cem.account)
    with pytest.raises(PermissionDenied):
        actions.withdraw_invitation(bea.account, invitation)
    actions.withdraw_invitation(ana.account, invitation)
    assert not Invitation.objects.exists()


# --- removing and banning ---------------------------------------------------------------------


@pytest.fixture
def crew(ana, bea, cem, make_group):
    """Birds: Ana owns it, Bea moderates it, Cem is a member."""
    group = make_group(ana.account, "birds")
    actions.join(bea.account, group)
    actions.join(cem.account, group)
    actions.set_role(ana.account, group, bea.account, Role.MODERATOR)
    return group


def test_a_moderator_removes_a_member_with_a_reason(crew, bea, cem):
    actions.remove_member(bea.account, crew, cem.account, "Spam\u202e links")

    assert not access.is_member(cem.account, crew)
    assert count(crew) == 2
    entry = crew.log.get(action=LogAction.REMOVE)
    assert entry.reason == "Spam links" and entry.target_account == cem.account
    assert notified(cem.account, Kind.GROUP_REMOVED) == 1
    actions.join(cem.account, crew)  # removal is not a ban
    assert count(crew) == 3


def test_moderators_do_not_remove_or_ban_their_betters(crew, ana, bea):
    for act in (actions.remove_member, actions.ban):
        with pytest.raises(PermissionDenied):
            act(bea.account, crew, ana.account)
    assert access.is_member(ana.account, crew) and not access.is_banned(ana.account, crew)


def test_owners_remove_moderators(crew, ana, bea):
    actions.remove_member(ana.account, crew, bea.account)
    assert not access.is_member(bea.account, crew)


def test_members_do_not_remove_or_ban(crew, ana, cem, bea):
    for act in (actions.remove_member, actions.ban, actions.unban):
        with pytest.raises(PermissionDenied):
            act(cem.account, crew, bea.account)


def test_nobody_removes_or_bans_themselves(crew, bea):
    assert refusal(actions.remove_member, bea.account, crew, bea.account).code == "self"
    assert refusal(actions.ban, bea.account, crew, bea.account).code == "self"


def test_a_ban_removes_and_keeps_out(crew, bea, cem):
    until = timezone.now() + timedelta(days=7)
    ban = actions.ban(bea.account, crew, cem.account, "Trolling", until)

    assert ban.reason == "Trolling" and ban.expires_at == until
    assert not access.is_member(cem.account, crew) and count(crew) == 2
    assert access.is_banned(cem.account, crew)
    assert refusal(actions.join, cem.account, crew).code == "banned"
    assert refusal(access.check_can_post, cem.account, crew).code == "banned"
    entry = crew.log.get(action=LogAction.BAN)
    assert entry.reason == "Trolling" and entry.detail == until.isoformat()


def test_a_ban_clears_requests_and_invitations_and_blocks_invites(ana, bea, cem, make_group):
    group = make_group(ana.account, "birds", kind="private")
    actions.join(bea.account, group)
    actions.invite(ana.account, group, cem.account)

    actions.ban(ana.account, group, bea.account)
    actions.ban(ana.account, group, cem.account)

    assert not JoinRequest.objects.exists() and not Invitation.objects.exists()
    assert refusal(actions.invite, ana.account, group, cem.account).code == "banned"
    assert not access.can_read(cem.account, group)


def test_a_ban_must_end_in_the_future(crew, ana, cem):
    past = timezone.now() - timedelta(minutes=1)
    assert refusal(actions.ban, ana.account, crew, cem.account, "", past).code == "past"
    assert access.is_member(cem.account, crew)


def test_an_expired_ban_no_longer_blocks(crew, ana, cem):
    actions.ban(ana.account, crew, cem.account, "cool off", timezone.now() + timedelta(days=1))
    GroupBan.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert not access.is_banned(cem.account, crew)
    access.check_can_post(cem.account, crew)
    assert isinstance(actions.join(cem.account, crew), Membership)


def test_banning_someone_who_never_joined(crew, ana, make_user):
    stranger = make_user("dan").account
    actions.ban(ana.account, crew, stranger, "spam")
    assert access.is_banned(stranger, crew) and count(crew) == 3


def test_unban_lets_people_back(crew, ana, cem):
    actions.ban(ana.account, crew, cem.account)
    actions.unban(ana.account, crew, cem.account)
    actions.unban(ana.account, crew, cem.account)  # nothing to lift: no second log entry

    assert not access.is_banned(cem.account, crew)
    assert crew.log.filter(action=LogAction.UNBAN).count() == 1
    assert isinstance(actions.join(cem.account, crew), Membership)


# --- roles ------------------------------------------------------------------------------------


def test_owners_set_roles_and_it_is_logged(crew, ana, cem):
    assert not access.can_moderate(cem.account, crew)
    actions.set_role(ana.account, crew, cem.account, Role.MODERATOR)
    assert access.can_moderate(cem.account, crew)
    actions.set_role(ana.account, crew, cem.account, Role.MODERATOR)  # no change, no entry
    assert crew.log.filter(action=LogAction.ROLE, target_account=cem.account).count() == 1


def test_moderators_do_not_set_roles(crew, bea, cem):
    with pytest.raises(PermissionDenied):
        actions.set_role(bea.account, crew, cem.account, Role.OWNER)
    assert not actions.may_set_roles(bea.account, crew)


def test_a_group_keeps_an_owner(crew, ana):
    assert refusal(actions.set_role, ana.account, crew, ana.account, Role.MEMBER).code == (
        "last_owner"
    )


def test_roles_need_a_member_and_a_real_role(crew, ana, make_user):
    stranger = make_user("dan").account
    assert refusal(actions.set_role, ana.account, crew, stranger, Role.MODERATOR).code == (
        "not_member"
    )
    assert refusal(actions.set_role, ana.account, crew, ana.account, "king").code == "invalid"


# --- reading and counting ---------------------------------------------------------------------


def test_who_reads_and_sees_each_kind(ana, bea, make_group):
    groups = {k: make_group(ana.account, f"{k}_g", kind=k) for k in GroupKind.values}
    for viewer in (None, bea.account):
        visible = set(Group.objects.visible_to(viewer).values_list("kind", flat=True))
        readable = set(Group.objects.readable_by(viewer).values_list("kind", flat=True))
        assert visible == {"public", "restricted", "private"}
        assert readable == {"public", "restricted"}
    assert set(Group.objects.listed().values_list("kind", flat=True)) == visible
    for group in groups.values():
        assert access.can_read(ana.account, group)


def test_counters_stay_right_through_everything(crew, ana, bea, cem, make_user):
    dan = make_user("dan").account
    actions.join(dan, crew)
    actions.join(dan, crew)
    actions.remove_member(ana.account, crew, dan)
    actions.remove_member(ana.account, crew, dan)
    actions.ban(ana.account, crew, cem.account)
    actions.ban(ana.account, crew, cem.account)
    actions.leave(bea.account, crew)
    assert count(crew) == 1
    Group.objects.filter(pk=crew.pk).update(members_count=40)
    assert actions.recount_members(crew) == 1 and count(crew) == 1


def test_posting_rules_for_non_members(ana, bea, make_group):
    public = make_group(ana.account, "open")
    restricted = make_group(ana.account, "closed", kind="restricted")
    access.check_can_post(bea.account, public)
    assert refusal(access.check_can_post, bea.account, restricted).code == "not_member"
