"""System check: every model of every installed app that holds personal data is declared in a
`personal_data.py` (see covenant/personal_data.py), and every declaration is sound."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from covenant.personal_data import (
    PersonalData,
    Strategy,
    all_declared,
    declaration_for,
    personal_fields,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _declaring_module(model: type[models.Model]) -> str:
    """Where the declaration of `model` belongs: its own app's personal_data.py for the
    project's apps; the core's accounts module for third-party apps the core configures."""
    app_config = apps.get_app_config(model._meta.app_label)
    app_path = Path(app_config.path)
    if app_path.is_relative_to(PROJECT_ROOT):
        return (app_path.relative_to(PROJECT_ROOT) / "personal_data.py").as_posix()
    return "covenant/accounts/personal_data.py (third-party apps are declared by the core)"


def _snippet(model: type[models.Model], fields: dict[str, str]) -> str:
    user_links = [
        name
        for name, why in fields.items()
        if why == "a link to a person's account" and not model._meta.get_field(name).many_to_many
    ]
    emails = [name for name, why in fields.items() if why == "an e-mail address"]
    lines = [
        "from covenant.personal_data import Strategy, declare",
        "",
        "declare(",
        f'    "{model._meta.label}",',
        '    category="<what it is, as the person reads it>",',
        '    purpose="<why the portal holds it>",',
    ]
    if user_links:
        lines.append(f"    subject_fields={tuple(user_links)!r},")
    if emails:
        lines.append(f"    email_fields={tuple(emails)!r},")
    lines += [
        "    strategy=Strategy.DELETE,  # or ANONYMISE (anonymise={...}), PSEUDONYMISE,",
        '    #                            or RETAIN with legal_basis="..."',
        ")",
    ]
    return "\n".join(lines)


def undeclared_errors(candidates: list[type[models.Model]]) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for model in candidates:
        if model._meta.abstract or model._meta.proxy or model._meta.auto_created:
            continue
        fields = personal_fields(model)
        if not fields or declaration_for(model) is not None:
            continue
        why = ", ".join(f"{name} ({reason})" for name, reason in fields.items())
        errors.append(
            checks.Error(
                f"{model._meta.label} holds personal data but has no personal-data "
                f"declaration: {why}",
                hint=f"Declare it in {_declaring_module(model)}:\n\n{_snippet(model, fields)}\n",
                obj=model,
                id="compliance.E001",
            )
        )
    return errors


def _lookup_ok(model: type[models.Model], lookup: str) -> bool:
    """Does `lookup` ("user", "email_address__user", "data__subject") start with real fields?"""
    current: Any = model
    for part in lookup.split("__"):
        if part == "pk":
            return True
        try:
            model_field = current._meta.get_field(part)
        except FieldDoesNotExist:
            return False
        if isinstance(model_field, models.JSONField):
            return True  # the rest is a key inside the JSON
        if model_field.is_relation:
            current = model_field.related_model
        else:
            return True
    return True


def declaration_errors(found: list[PersonalData]) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for declaration in found:
        if not declaration.installed:
            if not declaration.optional:
                errors.append(
                    checks.Error(
                        f"personal-data declaration of {declaration.model}: no such installed app",
                        hint="Check the label (app_label.ModelName), or pass optional=True "
                        "for an app that may be absent.",
                        id="compliance.E002",
                    )
                )
            continue
        try:
            model = declaration.model_class
        except LookupError:
            errors.append(
                checks.Error(
                    f"personal-data declaration of {declaration.model}: no such model",
                    id="compliance.E002",
                )
            )
            continue
        problems: list[str] = []
        for lookup in (
            *declaration.subject_fields,
            *declaration.pseudonym_fields,
            *declaration.email_fields,
        ):
            if not _lookup_ok(model, lookup):
                problems.append(f"lookup {lookup!r} does not start with a field of the model")
        for name in (*declaration.anonymise, *(declaration.export_fields or ())):
            try:
                model._meta.get_field(name)
            except FieldDoesNotExist:
                problems.append(f"{name!r} is not a field of the model")
        finds = (
            declaration.subject_fields
            or declaration.pseudonym_fields
            or declaration.email_fields
            or declaration.rows
        )
        if not finds and declaration.strategy != Strategy.RETAIN:
            problems.append("it says how to erase rows but not how to find a person's rows")
        if declaration.strategy == Strategy.RETAIN and not declaration.legal_basis.strip():
            problems.append("RETAIN needs a legal_basis")
        for problem in problems:
            errors.append(
                checks.Error(
                    f"personal-data declaration of {declaration.model}: {problem}",
                    id="compliance.E003",
                )
            )
    return errors


@checks.register(checks.Tags.models)
def personal_data_is_declared(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    # Apps that are not the portal's (a test's stand-in identity provider) are named, with why,
    # in PERSONAL_DATA_CHECK_EXEMPT_APPS; every other model of every installed app is checked.
    exempt = getattr(settings, "PERSONAL_DATA_CHECK_EXEMPT_APPS", {})
    candidates = [model for model in apps.get_models() if model._meta.app_label not in exempt]
    return undeclared_errors(candidates) + declaration_errors(all_declared())
