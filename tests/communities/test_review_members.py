"""Review of groups: what happens to a group when its people's accounts are deleted, what a
banned member may still do to their own posts, and a group's kind changing under its posts."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.communities.world import member, topic
from tests.posts.helpers import remote_account, write
from wikisocial.accounts.actions import delete_account, forget_remote_account
from wikisocial.communities import actions as communities
from wikisocial.communities.models import (
    Group,
    GroupLogEntry,
    Invitation,
    JoinRequest,
    LogAction,
    Membership,
    Role,
    Watch,
)
from wikisocial.posts import actions as posts
from wikisocial.posts.models import Post

pytestmark = pytest.mark.django_db


def roles(group: Group) -> dict[str, str]:
    rows = Membership.objects.filter(group=group).select_related("account")
    return {row.account.username: row.role for row in rows}


def test_a_deleted_owner_leaves_the_group_to_its_moderator(ana, bea, cem, make_group):
    group = make_group(ana.account, "club")
    member(group, bea, ana)
    member(group, cem, ana)
    communities.set_role(ana.account, group, cem.account, Role.MODERATOR)
    topic(ana, group, "Hello")
    delete_account(ana.account)
    assert roles(group) == {"bea": Role.MEMBER, "cem": Role.OWNER}
    group.refresh_from_db()
    assert group.members_count == 2
    assert not Watch.objects.filter(account=ana.account).exists()
    entry = GroupLogEntry.objects.filter(group=group, action=LogAction.ROLE).first()
    assert entry.target_account == cem.account and entry.detail == Role.OWNER
    # The new owner runs the group: roles, bans.
    communities.set_role(cem.account, group, bea.account, Role.MODERATOR)


def test_without_moderators_the_longest_standing_member_becomes_owner(ana, bea, cem, make_group):
    group = make_group(ana.account, "club", kind="private")
    member(group, bea, ana)
    member(group, cem, ana)
    delete_account(ana.account)
    assert roles(group) == {"bea": Role.OWNER, "cem": Role.MEMBER}


def test_a_second_owner_keeps_the_group(ana, bea, cem, make_group):
    group = make_group(ana.account, "club")
    member(group, bea, ana)
    member(group, cem, ana)
    communities.set_role(ana.account, group, cem.account, Role.OWNER)
    delete_account(ana.account)
    assert roles(group) == {"bea": Role.MEMBER, "cem": Role.OWNER}


def test_a_deleted_person_leaves_every_group_and_queue(ana, bea, make_group):
    club = make_group(ana.account, "club")
    quiet = make_group(ana.account, "quiet", kind="restricted")
    hidden = make_group(ana.account, "hush", kind="hidden")
    member(club, bea, ana)
    communities.join(bea.account, quiet)
    communities.invite(ana.account, hidden, bea.account)
    delete_account(bea.account)
    assert not Membership.objects.filter(account=bea.account).exists()
    assert not JoinRequest.objects.filter(account=bea.account).exists()
    assert not Invitation.objects.filter(account=bea.account).exists()
    club.refresh_from_db()
    assert club.members_count == 1


def test_a_remote_member_deleted_by_their_server_leaves(ana, make_group):
    group = make_group(ana.account, "club")
    faraway = remote_account()
    communities.join(faraway, group, uri="https://remote.example/follows/1")
    forget_remote_account(faraway)
    assert roles(group) == {"ana": Role.OWNER}
    group.refresh_from_db()
    assert group.members_count == 1


def test_a_banned_member_cant_edit_their_post_on_the_web(ana, bea, make_group, client):
    group = make_group(ana.account, "club")
    made = topic(ana, group, "Hello")
    answer = write(bea, "My answer", in_reply_to=made.post)
    communities.ban(ana.account, group, bea.account, "spam")
    with pytest.raises(Exception, match="banned"):
        posts.edit_post(answer, bea.account, posts.Draft(text="Spam"))
    client.force_login(bea)
    response = client.post(f"/@bea/{answer.pk}/edit", {"text": "Spam", "visibility": "public"})
    assert response.status_code == 400
    assert Post.objects.get(pk=answer.pk).content == "My answer"
    # Once the ban is lifted, editing works again.
    communities.unban(ana.account, group, bea.account)
    posts.edit_post(answer, bea.account, posts.Draft(text="Better answer"))
    assert Post.objects.get(pk=answer.pk).content == "Better answer"


def test_closing_a_group_closes_the_posts_written_while_it_was_open(ana, bea, make_group):
    group = make_group(ana.account, "club")
    made = topic(ana, group, "Hello")
    answer = write(bea, "My answer", in_reply_to=made.post)
    closed = communities.GroupDraft(name="C", kind="private")
    communities.update_group(ana.account, group, closed)
    posts_there = Post.objects.filter(pk__in=[made.post.pk, answer.pk])
    assert set(posts_there.values_list("visibility", flat=True)) == {"private"}
    reopened = communities.GroupDraft(name="C", kind="restricted")
    communities.update_group(ana.account, group, reopened)
    assert Post.objects.get(pk=answer.pk).visibility == "public"


def test_a_members_invitation_does_not_open_the_group_once_hidden(
    ana, bea, cem, make_group, make_user
):
    """In a public group any member invites; once the group is hidden, only moderators do, so
    an invitation a plain member sent earlier no longer shows the group nor lets anyone in."""
    group = make_group(ana.account, "club")
    member(group, bea, ana)
    communities.invite(bea.account, group, cem.account)
    communities.invite(ana.account, group, make_user("dan").account)
    hidden = communities.GroupDraft(name="Club", kind="hidden")
    communities.update_group(ana.account, group, hidden)
    assert not Group.objects.visible_to(cem.account).filter(pk=group.pk).exists()
    with pytest.raises(ValidationError):
        communities.join(cem.account, group)
    assert not Membership.objects.filter(group=group, account=cem.account).exists()
    # The owner's invitation still stands.
    assert Invitation.objects.filter(group=group, account__username="dan").exists()


@pytest.mark.parametrize("how", ["remove", "ban"])
def test_staff_removing_the_only_owner_hand_the_group_on(ana, bea, cem, make_user, make_group, how):
    group = make_group(ana.account, "club")
    member(group, bea, ana)
    staff = make_user("operator")
    staff.is_staff = True
    staff.save()
    if how == "remove":
        communities.remove_member(staff.account, group, ana.account, "abandoned")
    else:
        communities.ban(staff.account, group, ana.account, "abandoned")
    assert roles(group) == {"bea": Role.OWNER}
    entry = GroupLogEntry.objects.get(group=group, action=LogAction.ROLE)
    assert entry.target_account == bea.account and "last owner" in entry.reason


def test_a_banned_member_is_told(ana, bea, make_group):
    from wikisocial.notifications.models import Kind, Notification

    group = make_group(ana.account, "club")
    member(group, bea, ana)
    communities.ban(ana.account, group, bea.account, "spam")
    assert Notification.objects.filter(
        recipient=bea.account, kind=Kind.GROUP_REMOVED, group=group
    ).exists()
