from django.contrib import admin

from covenant.admin_readonly import ReadOnlyAdmin

from .models import Archive, LegalHold, PrivacyExport, PrivacyRequest


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(ReadOnlyAdmin):
    """Requests are answered in the nation's queue (/n/<iso3>/privacy/) or the API (audited)."""

    list_display = ["id", "nation", "type", "regime", "status", "received_on", "due_on"]
    list_filter = ["status", "regime", "type"]
    list_select_related = ["nation"]
    exclude = ["details"]


@admin.register(PrivacyExport)
class PrivacyExportAdmin(ReadOnlyAdmin):
    list_display = ["request", "state", "attempts", "rows", "ready_at", "expires_at"]
    list_filter = ["state"]
    exclude = ["file_name"]


@admin.register(LegalHold)
class LegalHoldAdmin(ReadOnlyAdmin):
    list_display = ["id", "nation", "placed_at", "released_at"]
    list_select_related = ["nation"]


@admin.register(Archive)
class ArchiveAdmin(ReadOnlyAdmin):
    list_display = ["path", "rule", "model", "rows", "verified_at", "restored_at"]
    list_filter = ["rule"]
