"""The OpenAPI schema tells the truth, by construction (covenant.api.schema) for every view:
error statuses with the error shape, strict bodies, enums, money and text patterns that are the
fields' very rules, the shapes the views really answer."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from covenant.api.base import CleanTextField, MoneyField
from tests.conftest import client_for

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def test_every_operation_documents_its_errors_in_the_error_shape(schema) -> None:
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        expected = {"400", "401", "403", "404", "406", "414", "429"}
        if method != "get":
            expected |= {"409"}
        if method in ("post", "put", "patch"):
            expected |= {"413", "415"}
        assert expected <= set(responses), (method, path, sorted(responses))
        for status in expected:
            content = responses[status]["content"]["application/json"]["schema"]
            assert content == {"$ref": "#/components/schemas/Error"}, (method, path, status)
        assert "Retry-After" in responses["429"]["headers"]
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    detail = resolve(schema, error["properties"]["error"])
    assert set(detail["required"]) == {"code", "message"}


def test_descriptions_are_the_views_own(schema) -> None:
    for path, method, operation in operations(schema):
        description = operation.get("description", "")
        assert description and "self.principal" not in description, (method, path)
        assert "Every API view" not in description


def test_strict_request_bodies_refuse_other_properties(schema) -> None:
    bodies = 0
    for path, method, operation in operations(schema):
        body = operation.get("requestBody")
        if not body:
            continue
        component = resolve(schema, body["content"]["application/json"]["schema"])
        assert component.get("additionalProperties") is False, (method, path)
        bodies += 1
    assert bodies >= 6


def test_post_documents_the_idempotency_key(schema) -> None:
    for path, method, operation in operations(schema):
        names = {parameter["name"] for parameter in operation.get("parameters", [])}
        assert ("Idempotency-Key" in names) == (method == "post"), (method, path)


def test_closed_vocabularies_are_enums(schema) -> None:
    components = schema["components"]["schemas"]
    project = components["Project"]["properties"]
    assert set(resolve(schema, project["sector"])["enum"]) == {
        "agriculture", "minerals", "energy", "technology", "health", "education",
    }  # fmt: skip
    assert set(resolve(schema, project["status"])["enum"]) == {
        "planned", "active", "completed", "suspended",
    }  # fmt: skip
    entry = components["LedgerEntry"]["properties"]
    assert "contribution" in resolve(schema, entry["kind"])["enum"]
    role = components["RoleAssignment"]["properties"]
    assert "auditor" in resolve(schema, role["role"])["enum"]
    assert "pending_approval" in resolve(schema, role["status"])["enum"]
    grant = components["RoleGrantInputRequest"]["properties"]
    assert "platform_admin" not in resolve(schema, grant["role"])["enum"]


def test_money_is_text_with_its_exact_pattern(schema) -> None:
    components = schema["components"]["schemas"]
    contribution = components["ContributionInputRequest"]["properties"]["amount_usd"]
    assert contribution["type"] == "string" and "-?" not in contribution["pattern"]
    carbon = components["ProjectCreateRequest"]["properties"]["carbon_tco2e"]
    assert carbon["pattern"].startswith("^-?")
    budget = components["ProjectCreateRequest"]["properties"]["budget_usd"]
    assert budget["pattern"] == r"^0*[0-9]{1,12}(\.[0-9]{1,2})?$"
    assert components["Project"]["properties"]["budget_usd"]["pattern"] == (
        r"^[0-9]{1,18}\.[0-9]{2}$"
    )


def test_nation_detail_role_delete_and_csv_are_documented_as_they_answer(schema, cast) -> None:
    detail = schema["paths"]["/api/v1/nations/{iso3}/"]["get"]["responses"]["200"]
    documented = resolve(schema, detail["content"]["application/json"]["schema"])
    actual = client_for(None).get("/api/v1/nations/KEN/").json()
    assert set(documented["properties"]) == set(actual)
    assert isinstance(actual["sectors"], list) and "nation" not in actual
    delete = schema["paths"]["/api/v1/nations/{iso3}/roles/{assignment_id}/"]["delete"]
    assert "200" in delete["responses"] and "204" not in delete["responses"]
    for path in ("/api/v1/nations/{iso3}/esg.csv", "/api/v1/sectors/{slug}/esg.csv"):
        content = schema["paths"][path]["get"]["responses"]["200"]["content"]
        assert set(content) == {"text/csv"}


def _accepts(field: serializers.Field, value: str) -> bool:
    try:
        field.run_validation(value)
    except serializers.ValidationError:
        return False
    return True


MONEY_FIELDS = [
    MoneyField(),
    MoneyField(positive=True),
    MoneyField(signed=True, whole_digits=11),
]
TEXT_FIELDS = [
    CleanTextField(max_length=200),
    CleanTextField(max_length=200, allow_blank=True),
    CleanTextField(multiline=True, max_length=10_000),
]
for _field in (*MONEY_FIELDS, *TEXT_FIELDS):
    _field.bind("value", serializers.Serializer())

MONEYISH = st.from_regex(r"\A-?[0-9 ._e١]{0,16}\Z") | st.text(max_size=20)


@settings(max_examples=300, deadline=None)
@given(value=MONEYISH)
def test_a_money_field_accepts_exactly_what_its_pattern_matches(value: str) -> None:
    for field in MONEY_FIELDS:
        matched = re.fullmatch(field.pattern, value, re.ASCII) is not None
        assert _accepts(field, value) == matched, (field.pattern, value)
        if matched:
            assert Decimal(value) >= (Decimal("0.01") if field.positive else -(Decimal(10) ** 11))


@settings(max_examples=300, deadline=None)
@given(value=st.text(max_size=30))
def test_a_text_field_accepts_exactly_what_its_pattern_matches(value: str) -> None:
    for field in TEXT_FIELDS:
        if re.search(r"[\ud800-\udfff]", value):
            continue  # refused by the JSON parser before any field sees it
        matched = re.fullmatch(field.pattern, value) is not None
        assert _accepts(field, value) == matched, (field.pattern, repr(value))
