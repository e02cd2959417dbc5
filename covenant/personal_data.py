"""The vocabulary of personal data: what each model holds about a person, why, how to find a
person's rows in it, and what an erasure does to them.

Every app declares its own models in a module of its own, `<app>/personal_data.py`, which the
compliance app discovers as the admin discovers `admin.py` (so no app imports compliance):

    from covenant.personal_data import Strategy, declare

    declare(
        "governance.Notification",
        category="Notifications",
        purpose="Tells you about proposals and votes of your councils.",
        subject_fields=("user",),
        strategy=Strategy.DELETE,
    )

A system check (compliance) fails when a model that holds personal data — a link to the user
model, an e-mail field, a name-like field, or a field marked with `personal(...)` — has no
declaration. Retention rules (what is minimised, archived or purged, and when) are declared the
same way with `register_retention_rule`.

The strategies, for an erasure:
- DELETE: the person's rows are deleted.
- ANONYMISE: the rows stay, with the fields in `anonymise` overwritten; a link to the user
  stays too, and leads to the anonymised account.
- PSEUDONYMISE: the rows stay and name the person only by pseudonym (or through the anonymised
  account); the erasure rotates the pseudonym, so the old one no longer leads to anybody.
- RETAIN: the rows stay as they are, for the stated `legal_basis` (the ledger, the audit log);
  they hold pseudonyms only, so the rotation cuts their link to the person too."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import Q, QuerySet

if TYPE_CHECKING:
    from django.db.models import Model


class Strategy(models.TextChoices):
    DELETE = "delete", "Deleted"
    ANONYMISE = "anonymise", "Anonymised"
    PSEUDONYMISE = "pseudonymise", "Kept under a pseudonym that is then cut from you"
    RETAIN = "retain", "Kept, for a legal reason"


# Field names that hold a person's name. `name` alone is not one (projects and nations have names).
NAME_LIKE_FIELDS = frozenset(
    {
        "first_name",
        "last_name",
        "middle_name",
        "display_name",
        "full_name",
        "given_name",
        "family_name",
        "surname",
        "maiden_name",
        "nickname",
        "legal_name",
        "contact_name",
    }
)
PSEUDONYM_PATTERN = re.compile(r"^p_[0-9a-f]{20}$")


def personal(model_field: Any) -> Any:
    """Mark a field as personal data that the system check cannot guess (free text about a
    person, a phone number…): `notes = personal(models.TextField(blank=True))`."""
    model_field.covenant_personal = True
    return model_field


@dataclass(frozen=True)
class Subject:
    """A data subject as the declarations find them: by account, by pseudonym, by e-mail. A
    person known only by e-mail (a request received by post) has no account and no pseudonym."""

    user_id: int | None
    pseudonym: str | None
    email: str | None

    @classmethod
    def of(cls, user: Any) -> Subject:
        return cls(user_id=user.pk, pseudonym=user.pseudonym, email=user.email)


@dataclass
class ErasureContext:
    """What one erasure collects while it runs: cache keys to delete after commit, counts."""

    subject: Subject
    cache_keys: set[str] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)
    after_commit: list[Callable[[], None]] = field(default_factory=list)


@dataclass(frozen=True)
class PersonalData:
    """One model's declaration. `subject_fields` are lookups leading to the user (`"user"`,
    `"email_address__user"`); `pseudonym_fields` hold the person's pseudonym (`"actor"`,
    `"data__subject"`); `email_fields` hold an e-mail address (for people with no account)."""

    model: str
    category: str
    purpose: str
    strategy: Strategy
    subject_fields: tuple[str, ...] = ()
    pseudonym_fields: tuple[str, ...] = ()
    email_fields: tuple[str, ...] = ()
    legal_basis: str = ""
    anonymise: Mapping[str, Any] = field(default_factory=dict)
    export_fields: tuple[str, ...] | None = None  # None: every concrete field but the secret ones
    secret_fields: tuple[str, ...] = ()  # never exported (hashes, passwords, keys)
    # custom finder and eraser, for what lookups cannot express (sessions, the user row itself)
    rows: Callable[[Subject], QuerySet[Any]] | None = None
    erase: Callable[[Subject, ErasureContext], int] | None = None
    cache_keys: Callable[[Subject], Iterable[str]] | None = None
    after_erase: Callable[[Subject, ErasureContext], None] | None = None
    optional: bool = False  # declared for an app that may not be installed (skipped if absent)
    exported: bool = True  # False: held, but not worth a file (a session's opaque blob)
    order: int = 100  # erasure order: the user row goes last (its pseudonym is still needed)

    @property
    def model_class(self) -> type[Model]:
        return apps.get_model(self.model)

    @property
    def installed(self) -> bool:
        return _label_installed(self.model)

    @property
    def slug(self) -> str:
        return self.model.replace(".", "-").lower()

    def subject_query(self, subject: Subject) -> Q | None:
        """The rows of this subject, as one Q; None when the subject cannot be found here."""
        condition = Q()
        found = False
        if subject.user_id is not None:
            for lookup in self.subject_fields:
                condition |= Q(**{lookup: subject.user_id})
                found = True
        if subject.pseudonym:
            for lookup in self.pseudonym_fields:
                condition |= Q(**{lookup: subject.pseudonym})
                found = True
        if subject.email:
            for lookup in self.email_fields:
                condition |= Q(**{f"{lookup}__iexact": subject.email})
                found = True
        return condition if found else None

    def rows_of(self, subject: Subject) -> QuerySet[Any]:
        """The subject's rows (call inside the scope the model needs: all_nations for a
        nation's rows of a person who may be in several nations)."""
        if self.rows is not None:
            return self.rows(subject)
        condition = self.subject_query(subject)
        manager = self.model_class._default_manager
        if condition is None:
            return manager.none()
        return manager.filter(condition).order_by("pk")

    def field_names(self) -> list[str]:
        """The exported columns: attnames, so a foreign key is its id (never a joined row)."""
        model = self.model_class
        if self.export_fields is not None:
            return [
                getattr(model._meta.get_field(name), "attname", name) for name in self.export_fields
            ]
        return [
            model_field.attname
            for model_field in model._meta.concrete_fields
            if model_field.name not in self.secret_fields
            and model_field.attname not in self.secret_fields
        ]

    def user_columns(self) -> set[str]:
        """The exported columns that point at a user: shown as "you" or "another person"."""
        user_model = _user_model()
        return {
            model_field.attname
            for model_field in self.model_class._meta.concrete_fields
            if model_field.is_relation and model_field.related_model is user_model
        }

    def erase_rows(self, subject: Subject, context: ErasureContext) -> int:
        """Carry out this declaration's strategy on the subject's rows; returns rows touched."""
        if self.erase is not None:
            touched = self.erase(subject, context)
        elif self.strategy == Strategy.DELETE:
            touched, _ = self.rows_of(subject).delete()
        elif self.anonymise:
            values = {
                name: value() if callable(value) else value
                for name, value in self.anonymise.items()
            }
            touched = self.rows_of(subject).update(**values)
        else:  # PSEUDONYMISE / RETAIN / ANONYMISE through the account: the rows stay
            touched = 0
        if self.cache_keys is not None:
            context.cache_keys.update(self.cache_keys(subject))
        if self.after_erase is not None:
            self.after_erase(subject, context)
        return touched


_declarations: dict[str, PersonalData] = {}


def declare(model: str, **options: Any) -> PersonalData:
    """Declare what `model` ("app_label.ModelName") holds about a person; see the module."""
    declaration = PersonalData(model=model, **options)
    if declaration.strategy == Strategy.RETAIN and not declaration.legal_basis.strip():
        raise ValueError(f"{model}: RETAIN needs a legal_basis")
    _declarations[model.lower()] = declaration
    return declaration


def declarations() -> list[PersonalData]:
    """Every declaration of an installed app, in erasure order."""
    found = [item for item in _declarations.values() if item.installed]
    return sorted(found, key=lambda item: (item.order, item.category, item.model))


def all_declared() -> list[PersonalData]:
    """Every declaration made, of installed apps or not (the system check inspects them all)."""
    return list(_declarations.values())


def declaration_for(model: type[Model] | str) -> PersonalData | None:
    label = model if isinstance(model, str) else model._meta.label
    declared = _declarations.get(label.lower())
    return declared if declared is not None and declared.installed else None


def _label_installed(model_label: str) -> bool:
    try:
        apps.get_app_config(model_label.split(".", 1)[0])
    except LookupError:
        return False
    return True


def _user_model() -> type[Model]:
    from django.contrib.auth import get_user_model

    return get_user_model()


def personal_fields(model: type[Model]) -> dict[str, str]:
    """The fields of `model` that hold personal data, with why: the system check's rule."""
    user_model = _user_model()
    found: dict[str, str] = {}
    for model_field in model._meta.get_fields():
        if model_field.auto_created and not model_field.concrete:
            continue  # reverse relations: the other side declares itself
        related = getattr(model_field, "related_model", None)
        if isinstance(related, str):  # a lazy reference not yet resolved
            points_at_user = related.lower() == settings.AUTH_USER_MODEL.lower()
        else:
            points_at_user = related is user_model
        if model_field.is_relation and points_at_user:
            found[model_field.name] = "a link to a person's account"
        elif isinstance(model_field, models.EmailField):
            found[model_field.name] = "an e-mail address"
        elif model_field.name in NAME_LIKE_FIELDS:
            found[model_field.name] = "a person's name"
        elif getattr(model_field, "covenant_personal", False):
            found[model_field.name] = "marked personal"
    return found


# --- retention ----------------------------------------------------------------------------------


class RetentionAction(models.TextChoices):
    ARCHIVE = "archive", "Archived, then deleted once the archive verifies"
    MINIMISE = "minimise", "Minimised in place (personal fields cleared)"
    PURGE = "purge", "Purged (data whose keeping would itself be wrong: expired files, sessions)"


@dataclass(frozen=True)
class RetentionRule:
    """Rows of `model` matching `condition` whose `age_field` is older than `keep` are archived
    (gzip NDJSON with a manifest and SHA-256, verified before anything is deleted), minimised
    (`minimise` fields overwritten) or purged (`purge` called on each batch)."""

    name: str
    model: str
    category: str
    age_field: str
    keep: dt.timedelta
    action: RetentionAction
    condition: Callable[[], Q] = lambda: Q()
    minimise: Mapping[str, Any] = field(default_factory=dict)
    purge: Callable[[QuerySet[Any]], int] | None = None
    description: str = ""
    optional: bool = False

    @property
    def model_class(self) -> type[Model]:
        return apps.get_model(self.model)

    @property
    def installed(self) -> bool:
        return _label_installed(self.model)


_rules: dict[str, RetentionRule] = {}


def register_retention_rule(rule: RetentionRule) -> RetentionRule:
    """Add a retention rule (by name; registering the same name again replaces it)."""
    if rule.action == RetentionAction.MINIMISE and not rule.minimise:
        raise ValueError(f"{rule.name}: a minimise rule names the fields it clears")
    _rules[rule.name] = rule
    return rule


def retention_rules() -> list[RetentionRule]:
    return [rule for name, rule in sorted(_rules.items()) if rule.installed]


def redact_pseudonyms(value: Any, *, keep: str | None) -> Any:
    """Another person's pseudonym in an export becomes "another person" (recursively in JSON)."""
    if isinstance(value, str):
        if value != keep and PSEUDONYM_PATTERN.match(value):
            return "another person"
        return value
    if isinstance(value, dict):
        return {key: redact_pseudonyms(item, keep=keep) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_pseudonyms(item, keep=keep) for item in value]
    return value
