"""Shared pieces of the API views: strict input, the nation in scope from the URL, the principal."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, ClassVar, Literal

from django.db import transaction
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from covenant.access.principal import Principal, principal_of_request, scopes_allow
from covenant.errors import Forbidden, Invalid, NotFound
from covenant.money import CENT
from covenant.nations.models import Nation
from covenant.nations.selectors import nation_get
from covenant.nations.tenancy import nation_scope
from covenant.text import search_text, text_checked, text_pattern

from . import idempotency
from .models import IdempotencyRecord

MAX_TEXT = 10_000


def query_text(request: Request, name: str, *, max_length: int = 120) -> str:
    """A query-string value, trimmed, without control characters (PostgreSQL refuses NUL)."""
    return search_text(request.query_params.get(name, ""), max_length=max_length)


ISO3_PATTERN = r"^[A-Za-z]{3}$"


def iso3_parameter(
    name: str = "nation", *, location: Literal["query", "path"] = "query"
) -> OpenApiParameter:
    """The schema of a nation filter or path segment: an ISO 3166 alpha-3 code, any case."""
    return OpenApiParameter(
        name,
        OpenApiTypes.STR,
        location,
        pattern=ISO3_PATTERN,
        description="ISO 3166 alpha-3 code of a member nation (any case)",
    )


def query_nation(request: Request, name: str = "nation") -> Nation | None:
    """The nation named by a query parameter: None when absent, 400 when not an ISO3 code,
    404 when no member nation has it."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not re.fullmatch(ISO3_PATTERN, raw, re.ASCII):
        raise serializers.ValidationError({name: ["an ISO 3166 alpha-3 code, such as KEN"]})
    nation = nation_get(iso3=raw)
    if nation is None:
        raise NotFound(f"no member nation {raw.upper()}")
    return nation


def query_choice(request: Request, name: str, choices: list[str]) -> str | None:
    """A query parameter that must be one of `choices` if present (400 otherwise)."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if raw not in choices:
        raise serializers.ValidationError({name: [f"one of {', '.join(choices)}"]})
    return raw


def printable_name(name: object) -> str:
    """A client-chosen name (a JSON key) safe to echo in an error: cut, escaped if odd."""
    text = str(name)[:64]
    return text.encode("utf-8", "backslashreplace").decode("utf-8").translate(_CONTROL_ESCAPES)


_CONTROL_ESCAPES = {code: f"\\x{code:02x}" for code in (*range(32), 127)}


class StrictSerializer(serializers.Serializer):
    """Refuses unknown fields and non-object bodies with a 400 naming them. Its request body is
    documented with `additionalProperties: false` (covenant.api.schema)."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["expected a JSON object"]})
        unknown = sorted((str(name) for name in set(data) - set(self.fields)), key=str)
        if unknown:
            raise serializers.ValidationError(
                {printable_name(name): ["unknown field"] for name in unknown[:20]}
            )
        # JSON types as the schema states them: DRF would also read 0, "yes" or "1" as a
        # boolean and "12" or 12.0 as an integer; a strict API reads only true/false and 12.
        wrong: dict[str, list[str]] = {}
        for name, field in self.fields.items():
            value = data.get(name)
            if value is None or field.read_only:
                continue
            if isinstance(field, serializers.BooleanField) and not isinstance(value, bool):
                wrong[name] = ["true or false (a JSON boolean)"]
            elif isinstance(field, serializers.IntegerField) and (
                isinstance(value, bool) or not isinstance(value, int)
            ):
                wrong[name] = ["a whole number (a JSON integer)"]
        if wrong:
            raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)


# Money as text: ASCII digits, at most two decimals, a sign only where a field allows negatives.
# Nothing else is read as an amount: no JSON numbers (a float cannot hold every cent), no
# exponents, separators, spaces or non-ASCII digits. The field's regular expression *is* its
# rule (range included, through the number of digits), and the schema documents that very
# expression, so that what the schema allows and what the API accepts are the same.
MONEY_WHOLE_DIGITS = 12  # below one trillion (MAX_USD): far above any single amount
OUTPUT_WHOLE_DIGITS = 18  # sums over the covenant (GDP) are larger than any single amount


def money_pattern(
    *, signed: bool = False, positive: bool = False, whole_digits: int = MONEY_WHOLE_DIGITS
) -> str:
    """The regular expression of an amount (also valid as an OpenAPI/ECMA pattern)."""
    if positive:  # at least one non-zero digit
        return (
            rf"^(0*[1-9][0-9]{{0,{whole_digits - 1}}}(\.[0-9]{{1,2}})?"
            r"|0+\.(0[1-9]|[1-9][0-9]?))$"
        )
    return rf"^{'-?' if signed else ''}0*[0-9]{{1,{whole_digits}}}(\.[0-9]{{1,2}})?$"


def output_money_pattern(*, signed: bool) -> str:
    return rf"^{'-?' if signed else ''}[0-9]{{1,{OUTPUT_WHOLE_DIGITS}}}\.[0-9]{{2}}$"


class MoneyField(serializers.Field):
    """USD (or another two-place quantity) as text: digits, at most two decimals, a sign only
    if `signed`; `positive` refuses zero; `whole_digits` bounds the amount (10^digits)."""

    default_error_messages = {
        "not_text": 'money is text such as "1234.50", not a JSON {kind}',
        "invalid": 'not an amount: digits with at most two decimals, such as "1234.50"',
        "negative": "must not be negative",
        "not_positive": "must be greater than 0",
        "too_many_digits": "at most {digits} digits before the decimal point",
    }

    def __init__(
        self,
        *,
        signed: bool = False,
        positive: bool = False,
        whole_digits: int = MONEY_WHOLE_DIGITS,
        **kwargs: Any,
    ) -> None:
        self.signed = signed
        self.positive = positive
        read_only = kwargs.get("read_only", False)
        self.whole_digits = OUTPUT_WHOLE_DIGITS if read_only else whole_digits
        self.pattern = (
            output_money_pattern(signed=signed)
            if read_only
            else money_pattern(signed=signed, positive=positive, whole_digits=whole_digits)
        )
        self._regex = re.compile(self.pattern, re.ASCII)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Decimal:
        if not isinstance(data, str):
            kind = {bool: "boolean", int: "number", float: "number"}.get(type(data), "value")
            self.fail("not_text", kind=kind)
        if self._regex.fullmatch(data):
            return Decimal(data).quantize(CENT)
        if not re.fullmatch(r"-?[0-9]+(\.[0-9]{1,2})?", data, re.ASCII):
            self.fail("invalid")
        if data.startswith("-") and not self.signed:
            self.fail("negative")
        if self.positive and Decimal(data) == 0:
            self.fail("not_positive")
        self.fail("too_many_digits", digits=self.whole_digits)
        raise AssertionError  # unreachable: fail() raises

    def to_representation(self, value: Any) -> str:
        return format(Decimal(value).quantize(CENT), "f")


class CleanTextField(serializers.CharField):
    """Text checked by the shared rule (covenant.text): no control or bidi characters, at most
    `max_length` characters as given, at least one visible character unless blank is allowed;
    then NFC and trimmed. Its schema pattern is the rule itself (covenant.text.text_pattern)."""

    def __init__(self, *, multiline: bool = False, **kwargs: Any) -> None:
        self.multiline = multiline
        kwargs.setdefault("max_length", MAX_TEXT if multiline else 200)
        kwargs["trim_whitespace"] = False  # checked as given, trimmed after
        super().__init__(**kwargs)
        self.pattern = text_pattern(multiline=multiline, allow_blank=self.allow_blank)

    def run_validation(self, data: Any = serializers.empty) -> Any:
        if data == "" and self.allow_blank:
            return ""
        return super().run_validation(data)

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, bool) or not isinstance(data, str):
            self.fail("invalid")
        try:
            return text_checked(
                data,
                field=self.field_name or "text",
                max_length=self.max_length or MAX_TEXT,
                multiline=self.multiline,
                allow_blank=self.allow_blank,
            )
        except Invalid as error:
            raise serializers.ValidationError(next(iter((error.fields or {}).values()))) from None


PUBLIC = "public"  # anyone, anonymous included
SIGNED_IN = "signed-in"  # any signed-in person, no particular capability


class CovenantAPIView(APIView):
    """The base of every API view. `principal` is who acts. `access` declares, per method, what
    the operation needs: a capability (`"ledger:read"`), alternatives where the object decides
    which one applies (`"ballots:cast|global_ballots:cast"`: a national or the Global Council),
    PUBLIC or SIGNED_IN. It is documented
    in the schema (`x-capability`), walked by tests/hardening/test_scopes.py, and a token whose
    scopes exclude the capability is refused (403) before the body is even read; the decision
    itself is `may()`, in the service or selector."""

    access: ClassVar[dict[str, str]] = {}
    # Data generations a public GET answer depends on: set it to serve anonymous GETs from the
    # cache in front of the middleware (covenant.api.fastpath), invalidated by data_changed().
    public_cache: ClassVar[tuple[str, ...] | list[str] | None] = None

    @property
    def principal(self) -> Principal:
        return principal_of_request(self.request)

    _idempotency: IdempotencyRecord | None = None

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if request.method != "POST" or idempotency.HEADER not in request.headers:
            return super().dispatch(request, *args, **kwargs)
        # A keyed POST runs in one transaction with its key's record (see covenant.api.idempotency)
        with transaction.atomic():
            response = super().dispatch(request, *args, **kwargs)
            if self._idempotency is not None:
                idempotency.idempotency_store(self._idempotency, response)
        return response

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        needed = self.access.get((request.method or "").lower())
        if needed not in (None, PUBLIC, SIGNED_IN):
            alternatives = needed.split("|")
            if not any(scopes_allow(self.principal, one) for one in alternatives):
                raise Forbidden(f"this token's scopes do not include {' or '.join(alternatives)}")
        key = idempotency.requested_key(request)
        if key is not None and self.principal.is_authenticated:
            self._idempotency = idempotency.idempotency_claim(
                owner=self.principal.pseudonym, key=key, request=request._request
            )

    def handle_exception(self, exc: Exception) -> Any:
        if isinstance(exc, idempotency.IdempotentReplay):
            return exc.response()
        return super().handle_exception(exc)


class NationAPIView(CovenantAPIView):
    """Views under /nations/<ISO3>/: the nation comes from the URL and is put in scope for the
    whole request; an unknown code is a 404."""

    nation: Nation
    _nation: Nation | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if self._nation is None:
            raise Http404("no such nation")
        self.nation = self._nation
        super().initial(request, *args, **kwargs)

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        self._nation = nation_get(iso3=str(kwargs.get("iso3", "")))
        if self._nation is None:
            return super().dispatch(request, *args, **kwargs)  # initial() answers the 404
        with nation_scope(self._nation):
            return super().dispatch(request, *args, **kwargs)
