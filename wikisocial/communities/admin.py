"""The admin for groups. Staff look at groups, members, bans and the moderation log here;
anything with side effects (removing, banning, changing roles, hiding a group) is an admin
action that calls ``communities.actions`` as the staff member, so it is logged in the
group's public log and federated like the same change made on the group's pages."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from wikisocial.accounts.models import Account
from wikisocial.communities import actions
from wikisocial.communities.forms import initial_of
from wikisocial.communities.models import (
    Group,
    GroupBan,
    GroupKind,
    GroupLogEntry,
    Membership,
    Role,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows are changed by actions only (the group pages, the command line, admin actions)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


def _staff_account(request: HttpRequest) -> Account | None:
    account = getattr(request.user, "account", None)
    if account is None:
        messages.error(request, _("Your login has no account on this server to act as."))
    return account


def _each(request: HttpRequest, items: QuerySet, act: Callable, done: str, done_plural: str):
    """Run ``act(staff_account, item)`` for each selected row; report what worked and why
    anything was refused."""
    staff = _staff_account(request)
    if staff is None:
        return
    count = 0
    for item in items:
        try:
            act(staff, item)
        except (ValidationError, PermissionDenied) as refusal:
            text = " ".join(getattr(refusal, "messages", [str(refusal)]))
            messages.error(request, f"{item}: {text}")
        else:
            count += 1
    messages.success(request, ngettext(done, done_plural, count) % {"n": count})


@admin.register(Group)
class GroupAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "name", "kind", "category", "members_count", "created_at"]
    list_filter = ["kind", "category"]
    search_fields = ["account__username", "account__display_name"]
    list_select_related = ["account"]
    actions = ["hide_groups", "recount_members"]

    @admin.action(description=_("Hide the selected groups (members only, not listed)"))
    def hide_groups(self, request: HttpRequest, queryset: QuerySet[Group]) -> None:
        def hide(staff: Account, group: Group) -> None:
            draft = actions.GroupDraft(**{**initial_of(group), "kind": GroupKind.HIDDEN})
            draft.questions = list(group.questions)
            actions.update_group(staff, group, draft)

        local = queryset.filter(account__domain="").select_related("account")
        _each(request, local, hide, "%(n)d group hidden.", "%(n)d groups hidden.")

    @admin.action(description=_("Count the members of the selected groups again"))
    def recount_members(self, request: HttpRequest, queryset: QuerySet[Group]) -> None:
        def recount(staff: Account, group: Group) -> None:
            actions.recount_members(group)

        _each(request, queryset, recount, "%(n)d group recounted.", "%(n)d groups recounted.")


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["account", "group", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["account__username", "group__account__username"]
    list_select_related = ["account", "group__account"]
    actions = ["remove_members", "make_moderators", "make_members"]

    @admin.action(description=_("Remove the selected members from their groups"))
    def remove_members(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        def remove(staff: Account, m: Membership) -> None:
            actions.remove_member(staff, m.group, m.account, str(_("Removed by the staff.")))

        _each(request, queryset, remove, "%(n)d member removed.", "%(n)d members removed.")

    @admin.action(description=_("Make the selected members moderators"))
    def make_moderators(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        def promote(staff: Account, m: Membership) -> None:
            actions.set_role(staff, m.group, m.account, Role.MODERATOR)

        _each(request, queryset, promote, "%(n)d role changed.", "%(n)d roles changed.")

    @admin.action(description=_("Make the selected members plain members"))
    def make_members(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        def demote(staff: Account, m: Membership) -> None:
            actions.set_role(staff, m.group, m.account, Role.MEMBER)

        _each(request, queryset, demote, "%(n)d role changed.", "%(n)d roles changed.")


@admin.register(GroupBan)
class GroupBanAdmin(ReadOnlyAdmin):
    list_display = ["account", "group", "reason", "banned_by", "expires_at", "created_at"]
    search_fields = ["account__username", "group__account__username", "reason"]
    list_select_related = ["account", "group__account", "banned_by"]
    actions = ["lift_bans"]

    @admin.action(description=_("Lift the selected bans"))
    def lift_bans(self, request: HttpRequest, queryset: QuerySet[GroupBan]) -> None:
        def lift(staff: Account, ban: GroupBan) -> None:
            actions.unban(staff, ban.group, ban.account)

        _each(request, queryset, lift, "%(n)d ban lifted.", "%(n)d bans lifted.")


@admin.register(GroupLogEntry)
class GroupLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "group", "actor", "action", "target_account", "reason"]
    list_filter = ["action"]
    search_fields = ["group__account__username", "actor__username", "reason"]
    list_select_related = ["group__account", "actor", "target_account"]
