from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
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
    actions = ["approve", "reject"]
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

    @admin.action(description=_("Approve the selected sign-ups"))
    def approve(self, request, queryset):
        pending = queryset.exclude(approval=ApprovalState.APPROVED)
        for user in pending:
            actions.approve_registration(user)
        count = len(pending)
        text = ngettext("%(n)d sign-up approved.", "%(n)d sign-ups approved.", count)
        messages.success(request, text % {"n": count})

    @admin.action(description=_("Reject the selected sign-ups"))
    def reject(self, request, queryset):
        pending = queryset.filter(approval=ApprovalState.PENDING)
        for user in pending:
            actions.reject_registration(user)
        count = len(pending)
        text = ngettext("%(n)d sign-up rejected.", "%(n)d sign-ups rejected.", count)
        messages.success(request, text % {"n": count})


class AccountLanguageInline(admin.TabularInline):
    model = AccountLanguage
    extra = 0


class AffiliationInline(admin.TabularInline):
    model = Affiliation
    extra = 0


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["username", "domain", "display_name", "actor_type", "created_at", "deleted_at"]
    list_filter = ["actor_type", "locked"]
    search_fields = ["username", "domain", "display_name"]
    readonly_fields = ["bio_html", "created_at", "updated_at", "deleted_at"]
    inlines = [AccountLanguageInline, AffiliationInline]


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
