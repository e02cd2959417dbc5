from django.contrib import admin

from covenant.admin_readonly import ReadOnlyAdmin

from .models import User


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    """People are managed through sign-up, `grant_role` and the roles API (audited)."""

    list_display = ["email", "pseudonym", "is_active", "is_platform_admin", "date_joined"]
    list_filter = ["is_active", "is_platform_admin"]
    search_fields = ["email", "pseudonym"]
    exclude = ["password"]
