"""allauth's account adapter: an exhausted sign-in limit (failed logins, sign-in codes) answers
429 "Too many attempts" in the portal's page, as every other rate limit does, instead of a
form error."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.ratelimit import respond_429

RATE_LIMITED_CODES = frozenset({"too_many_login_attempts"})


class CovenantAccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    def validation_error(self, code: str, *args: Any) -> Any:
        request = context.request
        if code in RATE_LIMITED_CODES and request is not None:
            raise ImmediateHttpResponse(respond_429(request))
        return super().validation_error(code, *args)
