from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from wikisocial.instance.actions import save_announcement
from wikisocial.instance.models import Announcement, CodeOfConduct, InstanceSettings, Rule


@admin.register(InstanceSettings)
class InstanceSettingsAdmin(admin.ModelAdmin):
    list_display = ["name", "registration_mode", "contact_email", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:  # a single row, made on first use
        return not InstanceSettings.objects.exists()

    def has_delete_permission(
        self, request: HttpRequest, obj: InstanceSettings | None = None
    ) -> bool:
        return False


@admin.register(CodeOfConduct)
class CodeOfConductAdmin(admin.ModelAdmin):
    list_display = ["version", "summary_of_changes", "published_at"]
    readonly_fields = ["published_at"]

    def get_readonly_fields(
        self, request: HttpRequest, obj: CodeOfConduct | None = None
    ) -> list[str]:
        # A published version is a record of what people accepted: publish a new one instead.
        if obj is not None:
            return ["version", "text", "summary_of_changes", "published_at"]
        return self.readonly_fields

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        current = CodeOfConduct.current()
        if current is None:
            return {"version": 1}
        return {"version": current.version + 1, "text": current.text}

    def has_delete_permission(self, request: HttpRequest, obj: CodeOfConduct | None = None) -> bool:
        return False


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ["text", "position"]
    list_editable = ["position"]


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    list_display = ["__str__", "published", "published_at", "starts_at", "ends_at"]
    list_filter = ["published"]
    readonly_fields = ["published_at", "created_at", "updated_at"]

    def save_model(self, request: HttpRequest, obj: Announcement, form: Any, change: bool) -> None:
        save_announcement(obj)
