"""Saving, conflicts, reverts, protection, deletion, watching and links: wiki.actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from wikisocial.accounts.models import Account
from wikisocial.communities import actions as group_actions
from wikisocial.communities.models import GroupLogEntry, LogAction
from wikisocial.core.ratelimit import Limit
from wikisocial.notifications.models import Kind, Notification
from wikisocial.wiki import actions
from wikisocial.wiki.actions import EditConflict, save_page
from wikisocial.wiki.models import Page, PageLink, PageWatch, Protection, Revision

pytestmark = pytest.mark.django_db


def old_account(user, days: int = 30):
    Account.objects.filter(pk=user.account.pk).update(
        created_at=timezone.now() - timedelta(days=days)
    )
    user.account.refresh_from_db()
    return user.account


def make_staff(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user.account


# --- creating and editing ----------------------------------------------------------------------


def test_create_page(ana):
    saved = save_page(ana.account, None, "code of_conduct", "Be kind.", "markdown", "first")
    page = saved.page
    assert saved.created and saved.changed
    assert (page.title, page.key, page.group) == ("Code of conduct", "code of conduct", None)
    assert page.current == saved.revision
    revision = saved.revision
    assert (revision.text, revision.summary, revision.author, revision.base) == (
        "Be kind.",
        "first",
        ana.account,
        None,
    )
    assert revision.size == len(b"Be kind.")
    assert PageWatch.objects.filter(page=page, account=ana.account).exists()


def test_edit_names_its_base(ana, bea, save):
    first = save(ana.account, None, "Rules", "One.").revision
    second = save(bea.account, None, "rules", "One. Two ünïcode.", minor=True).revision
    assert second.base == first
    assert second.minor
    assert second.size == len("One. Two ünïcode.".encode())
    page = Page.objects.get()
    assert page.current == second and page.title == "Rules"


def test_saving_the_same_text_makes_no_revision(ana, save):
    first = save(ana.account, None, "Rules", "Same text.").revision
    saved = save(ana.account, None, "Rules", "Same text.  \n")
    assert not saved.changed
    assert saved.revision == first
    assert Revision.objects.count() == 1


def test_changing_only_the_markup_is_a_revision(ana, save):
    save(ana.account, None, "Rules", "'''x'''")
    saved = save(ana.account, None, "Rules", "'''x'''", markup="wikitext")
    assert saved.changed
    assert saved.page.markup == "wikitext" and saved.revision.markup == "wikitext"


@pytest.mark.parametrize(
    ("title", "text", "markup", "field"),
    [
        ("a|b", "x", "markdown", "title"),
        ("", "x", "markdown", "title"),
        ("Ok", "", "markdown", "text"),
        ("Ok", "x" * 100_001, "markdown", "text"),
        ("Ok", "x", "html", "markup"),
    ],
)
def test_bad_input_names_the_field(ana, title, text, markup, field):
    with pytest.raises(ValidationError) as error:
        save_page(ana.account, None, title, text, markup)
    assert field in error.value.message_dict
    assert not Page.objects.exists()


def test_long_summary_refused(ana):
    with pytest.raises(ValidationError) as error:
        save_page(ana.account, None, "Ok", "x", "markdown", "s" * 501)
    assert "summary" in error.value.message_dict


def test_an_existing_page_may_be_blanked(ana, save):
    save(ana.account, None, "Rules", "text")
    assert save(ana.account, None, "Rules", "").revision.text == ""


# --- conflicts ---------------------------------------------------------------------------------

BASE = "Intro line.\nMiddle line.\nLast line."


def test_conflict_with_a_clean_merge(ana, bea, cem, save):
    start = save(ana.account, None, "Plan", BASE).revision
    save(bea.account, None, "Plan", BASE.replace("Intro", "INTRO"))
    with pytest.raises(EditConflict) as raised:
        save_page(
            cem.account, None, "Plan", BASE.replace("Last", "LAST"), "markdown",
            base_revision_id=start.pk,
        )  # fmt: skip
    conflict = raised.value
    assert conflict.theirs == "INTRO line.\nMiddle line.\nLast line."
    assert conflict.yours == "Intro line.\nMiddle line.\nLAST line."
    assert conflict.merged == "INTRO line.\nMiddle line.\nLAST line."
    assert conflict.base == start
    assert Revision.objects.count() == 2  # nothing saved for cem
    # Saving the merge on top of the current revision works.
    saved = save_page(
        cem.account, None, "Plan", conflict.merged, "markdown",
        base_revision_id=conflict.current.pk,
    )  # fmt: skip
    assert saved.page.current.text == "INTRO line.\nMiddle line.\nLAST line."


def test_conflict_on_the_same_line(ana, bea, cem, save):
    start = save(ana.account, None, "Plan", BASE).revision
    save(bea.account, None, "Plan", BASE.replace("Middle", "Centre"))
    with pytest.raises(EditConflict) as raised:
        save_page(
            cem.account, None, "Plan", BASE.replace("Middle", "Central"), "markdown",
            base_revision_id=start.pk,
        )  # fmt: skip
    assert raised.value.merged is None
    assert "Centre" in raised.value.theirs and "Central" in raised.value.yours
    assert Page.objects.get().current.text == BASE.replace("Middle", "Centre")


def test_creating_a_page_someone_just_created_is_a_conflict(ana, bea, save):
    save(ana.account, None, "New", "Ana's text")
    with pytest.raises(EditConflict) as raised:
        save_page(bea.account, None, "new", "Bea's text", "markdown", base_revision_id=None)
    assert raised.value.theirs == "Ana's text"
    assert raised.value.yours == "Bea's text"


def test_simultaneous_creation_is_a_conflict(ana, bea, monkeypatch):
    save_page(ana.account, None, "New", "Ana's text")
    # Bea's save started before Ana's page was there: her lookup found nothing.
    monkeypatch.setattr(actions, "_page_for_update", lambda group, key: None)
    with pytest.raises(EditConflict) as raised:
        save_page(bea.account, None, "New", "Bea's text")
    assert raised.value.theirs == "Ana's text"
    assert Revision.objects.count() == 1


def test_an_unknown_base_is_a_conflict(ana, save):
    save(ana.account, None, "Plan", BASE)
    with pytest.raises(EditConflict) as raised:
        save_page(ana.account, None, "Plan", "x", "markdown", base_revision_id=999_999)
    assert raised.value.base is None


# --- revert ------------------------------------------------------------------------------------


def test_revert(ana, bea, save):
    first = save(ana.account, None, "Rules", "Good text").revision
    save(bea.account, None, "Rules", "Vandalism")
    page = Page.objects.get()
    saved = actions.revert(ana.account, page, first)
    assert saved.changed
    assert saved.revision.text == "Good text"
    assert saved.revision.reverted_to == first
    assert "Reverted to the revision of" in saved.revision.summary
    assert actions.revert(ana.account, page, first, "again").changed is False


def test_revert_with_a_stale_view_is_a_conflict(ana, bea, save):
    first = save(ana.account, None, "Rules", "Good text").revision
    second = save(bea.account, None, "Rules", "Vandalism").revision
    save(bea.account, None, "Rules", "More")
    page = Page.objects.get()
    with pytest.raises(EditConflict):
        actions.revert(ana.account, page, first, base_revision_id=second.pk)


def test_revert_to_a_revision_of_another_page(ana, save):
    other = save(ana.account, None, "Other", "x").revision
    page = save(ana.account, None, "Rules", "y").page
    with pytest.raises(ValidationError):
        actions.revert(ana.account, page, other)


# --- who may edit ------------------------------------------------------------------------------


def test_instance_wiki_editors(ana, bea, make_user, save):
    page = save(ana.account, None, "Rules", "x").page
    assert actions.access.can_edit(bea.account, None, Protection.NONE)
    assert not actions.access.can_edit(None, None, Protection.NONE)
    inactive = make_user("gone")
    inactive.is_active = False
    inactive.save()
    with pytest.raises(PermissionDenied):
        save(inactive.account, None, "Rules", "y")
    assert page.revisions.count() == 1


def test_instance_wiki_semi_protection(ana, bea, cem, save):
    page = save(ana.account, None, "Rules", "x").page
    actions.protect(make_staff(ana), page, Protection.MEMBERS)
    with pytest.raises(PermissionDenied) as refused:
        save(bea.account, None, "Rules", "new account")
    assert "new accounts" in str(refused.value)
    save(old_account(cem), None, "Rules", "an established account")
    save(ana.account, None, "Rules", "staff")


def test_instance_wiki_full_protection(ana, bea, save):
    page = save(ana.account, None, "Rules", "x").page
    actions.protect(make_staff(ana), page, Protection.MODERATORS)
    with pytest.raises(PermissionDenied):
        save(old_account(bea), None, "Rules", "y")
    save(ana.account, None, "Rules", "staff edit")


def test_protecting_the_instance_wiki_needs_staff(ana, bea, save):
    page = save(ana.account, None, "Rules", "x").page
    with pytest.raises(PermissionDenied):
        actions.protect(bea.account, page, Protection.MODERATORS)
    actions.protect(make_staff(ana), page, Protection.MODERATORS)
    page.refresh_from_db()
    assert page.protection == Protection.MODERATORS
    assert not GroupLogEntry.objects.exists()


def test_public_group_wiki_open_to_non_members(ana, bea, make_group, save):
    group = make_group(ana.account, "chapter")
    saved = save(bea.account, group, "Plans", "from a passer-by")
    assert saved.page.group == group


def test_restricted_group_wiki_needs_membership(ana, bea, cem, make_group, add_member, save):
    group = make_group(ana.account, "project", kind="restricted")
    with pytest.raises(PermissionDenied) as refused:
        save(bea.account, group, "Plans", "x")
    assert "members" in str(refused.value)
    add_member(group, cem.account)
    save(cem.account, group, "Plans", "a member writes")


def test_private_group_wiki_refuses_outsiders(ana, bea, make_group, save):
    group = make_group(ana.account, "board", kind="private")
    save(ana.account, group, "Minutes", "x")
    with pytest.raises(PermissionDenied):
        save(bea.account, group, "Minutes", "y")


def test_group_protection_levels(ana, bea, cem, make_user, make_group, add_member, save):
    group = make_group(ana.account, "chapter")
    add_member(group, bea.account)
    add_member(group, cem.account, role="moderator")
    outsider = make_user("dan").account
    page = save(ana.account, group, "Rules", "x").page

    actions.protect(cem.account, page, Protection.MEMBERS)
    with pytest.raises(PermissionDenied):
        save(outsider, group, "Rules", "outsider")
    save(bea.account, group, "Rules", "member")

    actions.protect(cem.account, page, Protection.MODERATORS)
    with pytest.raises(PermissionDenied):
        save(bea.account, group, "Rules", "member again")
    save(cem.account, group, "Rules", "moderator")
    save(ana.account, group, "Rules", "owner")


def test_protection_is_logged_and_needs_a_moderator(ana, bea, make_group, add_member, save):
    group = make_group(ana.account, "chapter")
    add_member(group, bea.account)
    page = save(ana.account, group, "Rules", "x").page
    with pytest.raises(PermissionDenied):
        actions.protect(bea.account, page, Protection.MODERATORS)
    actions.protect(ana.account, page, Protection.MODERATORS, "edit war")
    entry = GroupLogEntry.objects.get(action=LogAction.PROTECT)
    assert entry.group == group and entry.actor == ana.account
    assert entry.detail == "Rules: Moderators only"
    assert entry.reason == "edit war"
    with pytest.raises(ValidationError):
        actions.protect(ana.account, page, "everyone")


def test_banned_members_cannot_edit(ana, bea, make_group, add_member, save):
    group = make_group(ana.account, "chapter")
    add_member(group, bea.account)
    save(bea.account, group, "Rules", "before the ban")
    group_actions.ban(ana.account, group, bea.account, "spam")
    with pytest.raises(PermissionDenied) as refused:
        save(bea.account, group, "Rules", "after the ban")
    assert "banned" in str(refused.value)


def test_a_forum_only_for_moderators_keeps_an_open_wiki(ana, bea, make_group, add_member, save):
    group = make_group(ana.account, "chapter", posting_restricted_to_mods=True)
    add_member(group, bea.account)
    save(bea.account, group, "Notes", "members edit the wiki")


def test_edits_are_rate_limited(ana, save, monkeypatch):
    monkeypatch.setattr(actions, "EDIT_RATE", Limit(2, 60))
    save(ana.account, None, "A", "1")
    save(ana.account, None, "A", "2")
    with pytest.raises(ValidationError) as error:
        save(ana.account, None, "A", "3")
    assert "very fast" in error.value.messages[0]


# --- watchers ----------------------------------------------------------------------------------


def test_watchers_are_notified(ana, bea, cem, save):
    page = save(ana.account, None, "Rules", "x").page
    actions.watch(bea.account, page)
    save(cem.account, None, "Rules", "changed")
    notes = Notification.objects.filter(kind=Kind.WIKI_EDIT)
    assert {(n.recipient, n.actor, n.wiki_page) for n in notes} == {
        (ana.account, cem.account, page),
        (bea.account, cem.account, page),
    }
    actions.unwatch(bea.account, page)
    save(ana.account, None, "Rules", "again")
    assert not Notification.objects.filter(recipient=bea.account, kind=Kind.WIKI_EDIT).exclude(
        actor=cem.account
    )


def test_watchers_who_lost_access_are_not_told(ana, bea, make_group, add_member, save):
    group = make_group(ana.account, "board", kind="private")
    add_member(group, bea.account)
    page = save(ana.account, group, "Minutes", "x").page
    actions.watch(bea.account, page)
    group_actions.remove_member(ana.account, group, bea.account, "left the board")
    save(ana.account, group, "Minutes", "secret")
    assert not Notification.objects.filter(recipient=bea.account, kind=Kind.WIKI_EDIT)


def test_watching_needs_reading(ana, bea, make_group, save):
    group = make_group(ana.account, "board", kind="private")
    page = save(ana.account, group, "Minutes", "x").page
    with pytest.raises(PermissionDenied):
        actions.watch(bea.account, page)


# --- links -------------------------------------------------------------------------------------


def links_of(page):
    return set(PageLink.objects.filter(source=page).values_list("target_key", flat=True))


def test_links_follow_the_current_text(ana, save, make_group):
    page = save(ana.account, None, "Home", "[[Rules]] [[help]] [[Home]] [[w:Foo]]").page
    assert links_of(page) == {"rules", "help"}
    save(ana.account, None, "Home", "== x ==\n[[Rules]] [[/Sub]]", markup="wikitext")
    assert links_of(page) == {"rules", "home/sub"}
    group = make_group(ana.account, "chapter")
    other = save(ana.account, group, "Home", "[[Rules]]").page
    assert PageLink.objects.get(source=other).group == group


def test_deleting_and_restoring(ana, bea, make_group, add_member, save):
    group = make_group(ana.account, "chapter")
    add_member(group, bea.account)
    page = save(ana.account, group, "Spam", "[[Rules]]").page
    with pytest.raises(PermissionDenied):
        actions.delete_page(bea.account, page)
    actions.delete_page(ana.account, page, "spam")
    assert not Page.objects.visible_to(bea.account).filter(pk=page.pk).exists()
    assert not links_of(page)
    assert GroupLogEntry.objects.filter(action=LogAction.WIKI_DELETE, group=group).exists()
    actions.restore_page(ana.account, page)
    assert Page.objects.visible_to(bea.account).filter(pk=page.pk).exists()
    assert links_of(page) == {"rules"}
    restored = GroupLogEntry.objects.get(action=LogAction.WIKI_RESTORE, group=group)
    assert restored.detail == "Spam"


def test_a_deleted_page_is_created_again_on_top_of_its_history(ana, save):
    page = save(ana.account, None, "Gone", "old").page
    actions.delete_page(make_staff(ana), page)
    saved = save(ana.account, None, "Gone", "new start")
    assert saved.page == page and saved.page.deleted_at is None
    assert page.revisions.count() == 2


def test_a_base_from_another_page_is_never_shown(ana, bea, make_group, save):
    group = make_group(ana.account, "board", kind="private")
    secret = save(ana.account, group, "Minutes", "the secret line").revision
    save(bea.account, None, "Plan", BASE)
    with pytest.raises(EditConflict) as raised:
        save_page(bea.account, None, "Plan", "mine", "markdown", base_revision_id=secret.pk)
    assert raised.value.base is None
    assert "secret" not in (raised.value.merged or "")


def test_editing_a_page_deleted_meanwhile_is_a_conflict(ana, bea, save):
    start = save(bea.account, None, "Gone", "text").revision
    actions.delete_page(make_staff(ana), start.page)
    with pytest.raises(EditConflict) as raised:
        save_page(bea.account, None, "Gone", "edit", "markdown", base_revision_id=start.pk)
    assert raised.value.current is None and raised.value.theirs == ""
    assert raised.value.merged is None
