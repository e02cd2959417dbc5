"""The OpenAPI schema tells the truth, for every API view without extra work by its author:

- every operation documents its error statuses (400, 401, 403, 404, 406, 414, 429; and 409,
  413, 415 for writes) with the one error shape (`Error`), and 429 its `Retry-After`;
- every POST documents the `Idempotency-Key` header (covenant.api.idempotency);
- a StrictSerializer's request body has `additionalProperties: false`;
- money (MoneyField) is text with its exact pattern (a sign only where allowed);
- descriptions come from the view's and the method's *own* docstrings (never a base class's),
  plus what the operation needs (`CovenantAPIView.access`), also given as `x-capability`.
"""

from __future__ import annotations

import inspect
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from .base import ISO3_PATTERN, PUBLIC, SIGNED_IN, MoneyField, StrictSerializer

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
BODY_METHODS = {"POST", "PUT", "PATCH"}
ERROR_STATUSES: dict[str, str] = {
    "400": "The request is not valid (the error names the fields).",
    "401": "Authentication failed (a bad, expired or revoked token).",
    "403": "Not allowed: the principal lacks the capability, or the token's scopes exclude it.",
    "404": "No such resource (or not visible to this principal).",
    "406": "No acceptable representation for the Accept header.",
    "409": "Conflict with the current state (or an Idempotency-Key reused with another body).",
    "413": "The request body is too large.",
    "414": "The address is longer than 4096 characters.",
    "415": "The request body is not JSON.",
    "429": "Too many requests: retry after the number of seconds in Retry-After.",
}


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A stable, machine-readable code, e.g. `invalid`.")
    message = serializers.CharField(help_text="What went wrong, for people.")
    fields = serializers.DictField(  # type: ignore[assignment]
        required=False,
        help_text="For 400: each invalid field (dotted for nested ones) and its problems.",
    )


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API."""

    error = ErrorDetailSerializer()


class MoneyFieldExtension(OpenApiSerializerFieldExtension):  # type: ignore[no-untyped-call]
    target_class = "covenant.api.base.MoneyField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        field: MoneyField = self.target
        schema: dict[str, Any] = {
            "type": "string",
            "pattern": field.pattern,
            "example": "1234.50",
            "description": ((field.help_text and f"{field.help_text} ") or "")
            + "Money as text: digits with "
            + ("exactly two decimals" if field.read_only else "at most two decimals")
            + ("; may be negative." if field.signed else "; never negative."),
        }
        return schema


class CleanTextFieldExtension(OpenApiSerializerFieldExtension):  # type: ignore[no-untyped-call]
    target_class = "covenant.api.base.CleanTextField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        schema["pattern"] = self.target.pattern
        return dict(schema)


def access_of(view: Any, method: str) -> str | None:
    return getattr(view, "access", {}).get(method.lower())


def _own_doc(obj: Any) -> str:
    doc = obj.__dict__.get("__doc__") if isinstance(obj, type) else getattr(obj, "__doc__", None)
    return inspect.cleandoc(doc) if doc else ""


# Path parameters named by the core's conventions, whatever view they belong to.
PATH_PARAMETERS: dict[str, dict[str, Any]] = {
    "iso3": {"type": "string", "pattern": ISO3_PATTERN},
}


class CovenantAutoSchema(AutoSchema):
    def _resolve_path_parameters(self, variables: Any) -> Any:
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            known = PATH_PARAMETERS.get(parameter["name"])
            if known is not None:
                parameter["schema"] = dict(known)
        return parameters

    def get_description(self) -> str:  # type: ignore[override]
        handler = getattr(self.view, self.method.lower(), None)
        parts = [_own_doc(handler) if handler is not None else "", _own_doc(type(self.view))]
        access = access_of(self.view, self.method)
        if access == PUBLIC:
            parts.append("Public: no sign-in needed.")
        elif access == SIGNED_IN:
            parts.append("Any signed-in person.")
        elif access:
            needed = " or ".join(f"`{one}`" for one in access.split("|"))
            parts.append(
                f"Needs the capability {needed} (through a role, and in a token's scopes)."
            )
        text = "\n\n".join(part for part in dict.fromkeys(parts) if part)
        return text or f"{self.method} {self.path}"

    def get_extensions(self) -> dict[str, Any]:
        extensions = dict(super().get_extensions())
        access = access_of(self.view, self.method)
        if access:
            extensions["x-capability"] = access
        return extensions

    def get_auth(self) -> list[dict[str, Any]]:
        auths = [auth for auth in super().get_auth() if auth]
        access = access_of(self.view, self.method)
        if access == PUBLIC or not auths:
            auths.append({})  # anonymous allowed
        return auths

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if self.method == "POST":
            parameters.append(
                OpenApiParameter(
                    "Idempotency-Key",
                    str,
                    OpenApiParameter.HEADER,
                    required=False,
                    description=(
                        "1 to 255 printable ASCII characters. The same key with the same body "
                        "(byte for byte) from the same principal on the same path replays the "
                        "first response, stored for 24 hours (with `Idempotent-Replayed: true`); "
                        "the same key with another body is a 409."
                    ),
                    pattern=r"^[\x21-\x7e]{1,255}$",
                )
            )
        return parameters

    def _map_serializer(
        self, serializer: Any, direction: Any, bypass_extensions: bool = False
    ) -> Any:
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        if not _own_doc(type(serializer)) and "description" in schema:
            del schema["description"]  # a base class's docstring says nothing of this body
        if direction == "request" and isinstance(serializer, StrictSerializer):
            schema["additionalProperties"] = False
        return schema

    def _error_reference(self) -> dict[str, Any]:
        component = self.resolve_serializer(ErrorSerializer, "response")
        assert isinstance(component, ResolvedComponent)
        return component.ref

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = dict(super()._get_response_bodies(direction))
        if direction != "response":
            return responses
        statuses = ["400", "401", "403", "404", "406", "414", "429"]
        if self.method in WRITE_METHODS:
            statuses.append("409")
        if self.method in BODY_METHODS:
            statuses += ["413", "415"]
        error = {"application/json": {"schema": self._error_reference()}}
        for status in sorted(statuses):
            if status not in responses:
                responses[status] = {"description": ERROR_STATUSES[status], "content": error}
        if "429" in responses:  # also where a view documented its 429 itself
            responses["429"] = {
                **responses["429"],
                "headers": {
                    "Retry-After": {
                        "schema": {"type": "integer", "minimum": 0},
                        "description": "Seconds to wait before trying again.",
                    }
                },
            }
        return responses
