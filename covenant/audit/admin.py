from django.contrib import admin

from covenant.admin_readonly import ReadOnlyAdmin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["sequence", "recorded_at", "action", "actor", "nation", "target_type"]
    list_filter = ["action", "nation"]
    search_fields = ["action", "actor", "target_id"]
