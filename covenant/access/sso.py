"""Single sign-on through each nation's OpenID Connect identity provider (allauth's
`openid_connect` provider, PKCE on). A provider is configured per nation in the database
(`NationIdentityProvider`, the Django admin); `sso_provider_save` keeps allauth's SocialApp in
step (provider id = the nation's ISO3 code in lower case: `/accounts/oidc/ken/login/`).

A first login through a nation's provider creates a person who is a citizen of that nation and
nothing more (a RoleAssignment granted by `system:sso`, audited). Roles never come from claims,
except through an admin's explicit `SSORoleMapping` (none by default; never the four-eyes
roles nor delegate)."""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.db import transaction

from covenant.audit.services import audit_record
from covenant.errors import Conflict, Forbidden, Invalid
from covenant.nations.models import Nation
from covenant.nations.tenancy import nation_scope

from .models import NationIdentityProvider, RoleAssignment, RoleStatus
from .principal import Principal, may
from .roles import Role

SSO = Principal.system("sso")
OIDC = "openid_connect"


def sso_provider_save(
    *,
    nation: Nation,
    name: str,
    issuer: str,
    client_id: str,
    client_secret: str = "",
    enabled: bool = True,
    actor: Principal,
) -> NationIdentityProvider:
    """Create or update a nation's identity provider and its allauth SocialApp (platform
    admins and operators; audited, without the secret)."""
    from allauth.socialaccount.models import SocialApp

    if not (actor.is_system or actor.is_platform_admin):
        raise Forbidden("only a platform admin configures a nation's identity provider")
    issuer = issuer.strip().rstrip("/")
    if not issuer.startswith(("https://", "http://")):
        raise Invalid("the issuer is a URL", fields={"issuer": ["an https:// URL"]})
    if not client_id.strip():
        raise Invalid("a client id is needed", fields={"client_id": ["required"]})
    with transaction.atomic():
        provider = NationIdentityProvider.objects.filter(nation=nation).first()
        if provider is None:
            provider = NationIdentityProvider(nation=nation)
        provider.name, provider.issuer = name.strip() or f"{nation.name} sign-in", issuer
        provider.client_id, provider.enabled = client_id.strip(), enabled
        if client_secret:
            provider.client_secret = client_secret
        app = provider.social_app or SocialApp(provider=OIDC)
        app.provider_id = nation.iso3.lower()
        app.name = provider.name
        app.client_id = provider.client_id
        app.secret = provider.client_secret
        app.settings = {"server_url": issuer, "oauth_pkce_enabled": True}
        app.save()
        provider.social_app = app
        provider.save()
        audit_record(
            action="sso.configured",
            actor=actor.pseudonym,
            nation=nation,
            target_type="identity_provider",
            target_id=nation.iso3,
            data={"issuer": issuer, "enabled": enabled},
        )
    return provider


def provider_for_app(provider_id: str) -> NationIdentityProvider | None:
    return (
        NationIdentityProvider.objects.select_related("nation", "social_app")
        .filter(social_app__provider_id=provider_id, enabled=True)
        .first()
    )


def _claims(extra_data: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {}
    if isinstance(extra_data, dict):
        for part in ("userinfo", "id_token"):
            if isinstance(extra_data.get(part), dict):
                claims.update(extra_data[part])
        if not claims:
            claims = dict(extra_data)
    return claims


def _claim_values(claims: dict[str, Any], claim: str) -> set[str]:
    value = claims.get(claim)
    if isinstance(value, list):
        return {str(item) for item in value}
    return set() if value is None else {str(value)}


def sso_roles_apply(*, user: Any, provider: NationIdentityProvider, claims: dict[str, Any]) -> int:
    """Grant the roles an admin mapped explicitly from this provider's claims (none by
    default). Returns how many were granted now."""
    from .services import role_grant

    granted = 0
    nation = provider.nation
    for mapping in provider.role_mappings.all():
        if mapping.value not in _claim_values(claims, mapping.claim):
            continue
        with nation_scope(nation):
            held = (
                RoleAssignment.objects.filter(user=user, role=mapping.role, sector=mapping.sector)
                .exclude(status=RoleStatus.REVOKED)
                .exists()
            )
        if held:
            continue
        try:
            role_grant(
                nation=nation, user=user, role=mapping.role, sector=mapping.sector, actor=SSO
            )
            granted += 1
        except Conflict:
            continue
    return granted


def sso_first_login(*, user: Any, provider: NationIdentityProvider, claims: dict[str, Any]) -> None:
    """A person's first login through a nation's provider: a citizen of that nation (audited),
    plus only what an admin mapped explicitly."""
    from .services import role_grant

    if not may(SSO, "roles:grant", nation=provider.nation):
        raise Forbidden("the SSO actor may not grant roles")  # pragma: no cover
    role_grant(nation=provider.nation, user=user, role=Role.CITIZEN, actor=SSO)
    sso_roles_apply(user=user, provider=provider, claims=claims)


class NationSSOAdapter(DefaultSocialAccountAdapter):  # type: ignore[misc]
    """Only enabled nation providers are offered; a new person becomes that nation's citizen."""

    def list_apps(self, request: Any, provider: Any = None, client_id: Any = None) -> list[Any]:
        apps = super().list_apps(request, provider=provider, client_id=client_id)
        enabled = set(
            NationIdentityProvider.objects.filter(enabled=True).values_list(
                "social_app_id", flat=True
            )
        )
        return [app for app in apps if app.provider != OIDC or app.pk in enabled]

    def save_user(self, request: Any, sociallogin: Any, form: Any = None) -> Any:
        with transaction.atomic():
            user = super().save_user(request, sociallogin, form)
            provider = provider_for_app(sociallogin.account.provider)
            if provider is not None:
                sso_first_login(
                    user=user, provider=provider, claims=_claims(sociallogin.account.extra_data)
                )
        return user

    def pre_social_login(self, request: Any, sociallogin: Any) -> None:
        super().pre_social_login(request, sociallogin)
        if sociallogin.is_existing:
            provider = provider_for_app(sociallogin.account.provider)
            if provider is not None:
                sso_roles_apply(
                    user=sociallogin.user,
                    provider=provider,
                    claims=_claims(sociallogin.account.extra_data),
                )
