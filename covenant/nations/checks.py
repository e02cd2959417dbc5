"""System check: a model that points at a nation must be tenant-owned (or say why it is not)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core import checks
from django.db import models

from .tenancy import (
    NationOrGlobalOwned,
    NationOrGlobalScopedManager,
    NationOwned,
    NationScopedManager,
)

PROJECT_PACKAGES = ("covenant.", "sectors.", "governance.", "compliance.")


def _project_models() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models()
        if model.__module__.startswith(PROJECT_PACKAGES) and model._meta.app_label != "nations"
    ]


@checks.register(checks.Tags.models)
def tenant_models_use_the_base(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return tenancy_errors(_project_models())


def _is_nation(related: Any) -> bool:
    if related is None:
        return False
    if isinstance(related, str):  # a lazy reference not yet resolved
        return related.lower() == "nations.nation"
    return bool(related._meta.label == "nations.Nation")


def tenancy_errors(candidates: list[type[models.Model]]) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for model in candidates:
        points_at_nation = any(
            _is_nation(getattr(field, "related_model", None))
            for field in model._meta.get_fields()
            if field.concrete
        )
        exempt_reason = getattr(model, "tenancy_exempt", "")
        if issubclass(model, NationOwned):
            if not isinstance(model._default_manager, NationScopedManager):
                errors.append(
                    checks.Error(
                        f"{model._meta.label} is tenant-owned but its default manager is unscoped",
                        hint="Keep NationOwned's `objects` as the first manager.",
                        obj=model,
                        id="covenant.E002",
                    )
                )
        elif issubclass(model, NationOrGlobalOwned):
            if not isinstance(model._default_manager, NationOrGlobalScopedManager):
                errors.append(
                    checks.Error(
                        f"{model._meta.label} is nation-or-global owned but its default manager "
                        "is unscoped",
                        hint="Keep NationOrGlobalOwned's `objects` as the first manager.",
                        obj=model,
                        id="covenant.E002",
                    )
                )
        elif points_at_nation and not exempt_reason:
            errors.append(
                checks.Error(
                    f"{model._meta.label} points at a nation but does not derive from NationOwned",
                    hint="Derive from covenant.nations.tenancy.NationOwned, or set "
                    "`tenancy_exempt = '<why>'` on a model that is not tenant data.",
                    obj=model,
                    id="covenant.E001",
                )
            )
    return errors
