from django.contrib import admin

from wikisocial.moderation.models import Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["target", "reporter", "created_at", "resolved_at"]
    list_filter = ["resolved_at"]
    search_fields = ["target__username", "target__domain", "comment"]
    raw_id_fields = ["reporter", "target", "posts"]
    readonly_fields = ["uri", "created_at"]
