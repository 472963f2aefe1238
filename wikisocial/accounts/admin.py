"""The admin. Changes with side effects go through accounts.actions, as on every other door:
approving, rejecting and deleting are admin actions; profiles are edited by their owners."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import models
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from wikisocial.accounts import actions
from wikisocial.accounts.models import (
    Account,
    AccountDeletion,
    AccountLanguage,
    Affiliation,
    ApprovalState,
    CodeOfConductAcceptance,
    User,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = [
        "username",
        "email",
        "approval",
        "email_confirmed_at",
        "is_staff",
        "date_joined",
    ]
    list_filter = ["approval", "is_staff", "is_superuser", "is_active"]
    search_fields = ["username", "email"]
    actions = ["approve", "reject", "delete_accounts"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (
            _("WikiSocial"),
            {
                "fields": (
                    "approval",
                    "signup_reason",
                    "email_confirmed_at",
                    "pending_email",
                    "locale",
                )
            },
        ),
    )

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return False  # "Delete the selected accounts" closes accounts the proper way

    def save_model(self, request: HttpRequest, obj: User, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            actions.ensure_account(obj)

    @admin.action(description=_("Approve the selected sign-ups"))
    def approve(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        # Deleted and disabled users stay as they are (and get no e-mail).
        pending = queryset.exclude(approval=ApprovalState.APPROVED).filter(is_active=True)
        for user in pending:
            actions.approve_registration(user)
        count = len(pending)
        text = ngettext("%(n)d sign-up approved.", "%(n)d sign-ups approved.", count)
        messages.success(request, text % {"n": count})

    @admin.action(description=_("Reject the selected sign-ups"))
    def reject(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        pending = queryset.filter(approval=ApprovalState.PENDING, is_active=True)
        for user in pending:
            actions.reject_registration(user)
        count = len(pending)
        text = ngettext("%(n)d sign-up rejected.", "%(n)d sign-ups rejected.", count)
        messages.success(request, text % {"n": count})

    @admin.action(description=_("Delete the selected accounts"))
    def delete_accounts(
        self, request: HttpRequest, queryset: QuerySet[User]
    ) -> TemplateResponse | None:
        accounts = Account.objects.filter(user__in=queryset)
        return _delete_accounts(self, request, queryset, accounts)


def _delete_accounts(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    selected: QuerySet,
    accounts: QuerySet[Account],
) -> TemplateResponse | None:
    """Ask first, then delete each account as its owner would: closed at once, its data
    purged by the worker, the username kept reserved."""
    accounts = accounts.filter(deleted_at__isnull=True).order_by("username")
    if request.POST.get("post") != "yes":
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": _("Delete the selected accounts"),
            "accounts": accounts,
            "selected": selected,
            "action": request.POST.get("action", ""),
            "opts": modeladmin.model._meta,
        }
        return TemplateResponse(request, "accounts/admin/delete_accounts.html", context)
    count = 0
    for account in accounts:
        actions.delete_account(account, by_self=False)
        count += 1
    text = ngettext("%(n)d account deleted.", "%(n)d accounts deleted.", count)
    messages.success(request, text % {"n": count})
    return None


class AccountLanguageInline(admin.TabularInline):
    model = AccountLanguage
    extra = 0


class AffiliationInline(admin.TabularInline):
    model = Affiliation
    extra = 0
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["username", "domain", "display_name", "actor_type", "created_at", "deleted_at"]
    list_filter = ["actor_type", "locked"]
    search_fields = ["username", "domain", "display_name"]
    # The bio (rendered to bio_html) and the pictures (checked and re-encoded) are changed by
    # their owner on the settings page, which goes through actions.update_profile.
    readonly_fields = [
        "bio",
        "bio_html",
        "avatar",
        "header",
        "created_at",
        "updated_at",
        "deleted_at",
    ]
    inlines = [AccountLanguageInline, AffiliationInline]
    actions = ["delete_accounts"]

    def has_delete_permission(self, request: HttpRequest, obj: Account | None = None) -> bool:
        return False  # "Delete the selected accounts" closes accounts the proper way

    @admin.action(description=_("Delete the selected accounts"))
    def delete_accounts(
        self, request: HttpRequest, queryset: QuerySet[Account]
    ) -> TemplateResponse | None:
        return _delete_accounts(self, request, queryset, queryset)


@admin.register(AccountDeletion)
class AccountDeletionAdmin(admin.ModelAdmin):
    list_display = ["account", "requested_at", "requested_by_self", "purged_at", "federated_at"]
    readonly_fields = [
        "account",
        "requested_at",
        "content_handling",
        "requested_by_self",
        "purged_at",
        "federated_at",
    ]


@admin.register(CodeOfConductAcceptance)
class CodeOfConductAcceptanceAdmin(admin.ModelAdmin):
    list_display = ["user", "version", "accepted_at"]
    readonly_fields = ["user", "version", "accepted_at"]
