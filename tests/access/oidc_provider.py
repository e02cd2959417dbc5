"""The test's identity provider: django-oauth-toolkit's OpenID Connect provider, standing in
for a nation's (say Kenya's eCitizen). Its people are accounts of its own; the claims it gives
about them are set per test in IDP_CLAIMS."""

from __future__ import annotations

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator

# idp login e-mail → the claims the provider asserts about that person
IDP_CLAIMS: dict[str, dict[str, Any]] = {}


class NationIdPValidator(OAuth2Validator):
    oidc_claim_scope = None  # give every claim below, whatever the scopes

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        return dict(IDP_CLAIMS.get(request.user.email, {}))
