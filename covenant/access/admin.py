from django.contrib import admin

from covenant.admin_readonly import ReadOnlyAdmin

from .models import PersonalAccessToken, RoleAssignment


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["user", "nation", "role", "sector", "status", "created_at"]
    list_filter = ["role", "status", "sector"]
    search_fields = ["user__email", "nation__iso3"]
    list_select_related = ["user", "nation"]


@admin.register(PersonalAccessToken)
class PersonalAccessTokenAdmin(ReadOnlyAdmin):
    list_display = ["prefix", "user", "name", "created_at", "expires_at", "revoked_at"]
    search_fields = ["prefix", "user__email"]
    exclude = ["token_hash"]
