from django.contrib import admin

from covenant.admin_readonly import ReadOnlyAdmin

from .models import LedgerEntry, LedgerLine


class LedgerLineInline(admin.TabularInline):
    model = LedgerLine
    extra = 0
    can_delete = False
    fields = ["account", "debit", "credit"]
    readonly_fields = ("account", "debit", "credit")

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "nation", "kind", "effective_on", "reference", "recorded_at"]
    list_filter = ["kind", "fiscal_year"]
    search_fields = ["nation__iso3", "reference"]
    list_select_related = ["nation"]
    inlines = [LedgerLineInline]
