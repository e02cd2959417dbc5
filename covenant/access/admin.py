from typing import Any

from django import forms
from django.contrib import admin, messages

from covenant.admin_readonly import ReadOnlyAdmin
from covenant.errors import DomainError

from .models import (
    ApiKey,
    NationIdentityProvider,
    PersonalAccessToken,
    RoleAssignment,
    SSORoleMapping,
)
from .principal import Principal


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


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    list_display = [
        "prefix",
        "last_four",
        "nation",
        "name",
        "created_by",
        "expires_at",
        "revoked_at",
    ]
    search_fields = ["prefix", "name", "nation__iso3"]
    list_select_related = ["nation", "created_by"]
    exclude = ["key_hash"]


class PlatformAdminOnly:
    """Editable by platform admins only (the SSO configuration)."""

    def has_module_permission(self, request: Any) -> bool:
        return bool(getattr(request.user, "is_platform_admin", False))

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: Any, *args: Any) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return self.has_module_permission(request)


class SSORoleMappingInline(PlatformAdminOnly, admin.TabularInline):  # type: ignore[type-arg]
    model = SSORoleMapping
    extra = 0


class NationIdentityProviderForm(forms.ModelForm):  # type: ignore[type-arg]
    issuer = forms.URLField(max_length=300, assume_scheme="https")
    client_secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="leave empty to keep the current secret",
    )

    class Meta:
        model = NationIdentityProvider
        fields = ["nation", "name", "issuer", "client_id", "client_secret", "enabled"]

    def clean_issuer(self) -> str:
        issuer = str(self.cleaned_data["issuer"]).strip()
        if not issuer.startswith(("https://", "http://")):
            raise forms.ValidationError("the issuer is an https:// URL")
        return issuer


@admin.register(NationIdentityProvider)
class NationIdentityProviderAdmin(PlatformAdminOnly, admin.ModelAdmin):  # type: ignore[type-arg]
    """One OpenID Connect provider per nation; saving goes through `sso_provider_save`
    (audited), which keeps allauth's SocialApp in step."""

    form = NationIdentityProviderForm
    list_display = ["nation", "name", "issuer", "enabled"]
    list_select_related = ["nation"]
    inlines = [SSORoleMappingInline]

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        from .sso import sso_provider_save

        try:
            saved = sso_provider_save(
                nation=form.cleaned_data["nation"],
                name=form.cleaned_data["name"],
                issuer=form.cleaned_data["issuer"],
                client_id=form.cleaned_data["client_id"],
                client_secret=form.cleaned_data.get("client_secret") or "",
                enabled=form.cleaned_data["enabled"],
                actor=Principal(user=request.user),
            )
        except DomainError as error:  # the form checks first; a refusal is said, not a 500
            messages.error(request, error.message)
            return
        obj.pk = saved.pk
        obj.refresh_from_db()
