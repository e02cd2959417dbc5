"""The Django admin shows the core's records read-only: every write goes through a service,
which checks the rules and writes the audit entry."""

from __future__ import annotations

from typing import Any

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        return bool(getattr(request.user, "is_platform_admin", False))

    def has_module_permission(self, request: Any) -> bool:
        return bool(getattr(request.user, "is_platform_admin", False))
