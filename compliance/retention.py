"""Retention and archival: the rules (a registry in the core, so governance adds its own) run by
beat and by `manage.py run_retention [--dry-run]`.

- ARCHIVE: the rows go to a gzip NDJSON file (one Django-serialised row a line) with a
  manifest (rule, model, rows, primary keys, SHA-256). The file is then re-read, re-hashed and
  every row parsed back; only when it verifies are the rows deleted, in the same transaction
  that locked them. `manage.py archive_restore <archive>` puts them back exactly.
- MINIMISE: personal fields cleared in place (the record stays, without the person).
- PURGE: data whose keeping would itself be wrong (expired export files, sessions, tokens).

Archives never hold personal data: what is personal is minimised or purged, not archived (an
archive would be one more copy for an erasure to find)."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from covenant.audit.services import audit_record
from covenant.nations.tenancy import all_nations
from covenant.personal_data import (
    RetentionAction,
    RetentionRule,
    register_retention_rule,
    retention_rules,
)

from .exports import private_root
from .models import Archive

ARCHIVE_FORMAT = "covenant-archive/1"
BATCH = 5000
ACTOR = "system:retention"


class ExactJSONEncoder(DjangoJSONEncoder):
    """Django's encoder, but keeping microseconds (it rounds datetimes to milliseconds): an
    archive restores exactly what it archived."""

    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime):
            return o.isoformat()
        if isinstance(o, dt.time):
            return o.isoformat()
        return super().default(o)


class ArchiveInvalid(Exception):
    """An archive that does not verify: nothing is deleted (or restored) from it."""


def archive_root() -> Path:
    return private_root() / "archives"


@dataclass
class RuleOutcome:
    rule: str
    action: str
    model: str
    matched: int
    done: int = 0
    archives: list[str] = field(default_factory=list)
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        verb = {
            "archive": "archive and delete",
            "minimise": "minimise",
            "purge": "purge",
        }[self.action]
        if self.dry_run:
            return f"{self.rule}: would {verb} {self.matched} {self.model} rows"
        extra = f" into {len(self.archives)} archive(s)" if self.archives else ""
        return f"{self.rule}: {verb}d {self.done} of {self.matched} {self.model} rows{extra}"


def _due(rule: RetentionRule, now: dt.datetime) -> QuerySet[Any]:
    model = rule.model_class
    return (
        model._default_manager.filter(rule.condition())
        .filter(**{f"{rule.age_field}__lt": now - rule.keep})
        .order_by("pk")
    )


# --- archives -----------------------------------------------------------------------------------


def _file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def manifest_path(archive_path: Path) -> Path:
    return archive_path.with_name(archive_path.name + ".manifest.json")


def archive_verify(archive_path: Path) -> dict[str, Any]:
    """Re-read the archive: its SHA-256, its row count and its primary keys must match the
    manifest, and every line must parse back into a row of the model. Returns the manifest."""
    manifest_file = manifest_path(archive_path)
    if not archive_path.exists() or not manifest_file.exists():
        raise ArchiveInvalid(f"{archive_path}: archive or manifest missing")
    manifest = json.loads(manifest_file.read_text("utf-8"))
    if manifest.get("format") != ARCHIVE_FORMAT:
        raise ArchiveInvalid(f"{archive_path}: not a {ARCHIVE_FORMAT} archive")
    if _file_sha256(archive_path) != manifest["sha256"]:
        raise ArchiveInvalid(f"{archive_path}: SHA-256 does not match its manifest")
    pks: list[Any] = []
    with gzip.open(archive_path, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record.get("model") != manifest["model"].lower():
                raise ArchiveInvalid(f"{archive_path}: a row of another model")
            list(serializers.deserialize("python", [record]))  # parses back, or raises
            pks.append(record["pk"])
    if len(pks) != manifest["rows"] or pks != manifest["pks"]:
        raise ArchiveInvalid(f"{archive_path}: rows do not match the manifest")
    return dict(manifest)


def _archive_write(rule: RetentionRule, rows: QuerySet[Any], now: dt.datetime) -> Path:
    """Write `rows` (locked by the caller) to a new archive and its manifest; returns its path."""
    label = rule.model_class._meta.label_lower
    directory = archive_root() / rule.name
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / f"{now:%Y%m%dT%H%M%S%f}-{label}.ndjson.gz"
    temp = path.with_name(path.name + ".part")
    pks: list[Any] = []
    with gzip.open(temp, "wt", encoding="utf-8") as out:
        for row in rows.iterator(chunk_size=1000):
            record = serializers.serialize("python", [row])[0]
            out.write(json.dumps(record, cls=ExactJSONEncoder, sort_keys=True) + "\n")
            pks.append(record["pk"])
    os.replace(temp, path)
    manifest = {
        "format": ARCHIVE_FORMAT,
        "rule": rule.name,
        "model": rule.model_class._meta.label,
        "rows": len(pks),
        "pks": pks,
        "sha256": _file_sha256(path),
        "created_at": now.isoformat(),
        "keep": str(rule.keep),
    }
    manifest_path(path).write_text(json.dumps(manifest, indent=1, cls=DjangoJSONEncoder))
    return path


def _archive_batch(rule: RetentionRule, pks: list[Any], now: dt.datetime) -> tuple[int, str]:
    """Archive these rows, verify the archive, then delete them; all or nothing."""
    model = rule.model_class
    with transaction.atomic():
        locked = model._default_manager.select_for_update().filter(pk__in=pks).order_by("pk")
        path = _archive_write(rule, locked, now)
        manifest = archive_verify(path)  # raises: nothing is deleted
        deleted, _ = model._default_manager.filter(pk__in=manifest["pks"]).delete()
        relative = path.relative_to(archive_root()).as_posix()
        manifest_sha = _file_sha256(manifest_path(path))
        Archive.objects.create(
            rule=rule.name,
            model=manifest["model"],
            path=relative,
            rows=manifest["rows"],
            sha256=manifest["sha256"],
            manifest_sha256=manifest_sha,
            created_at=now,
            verified_at=timezone.now(),
            deleted_rows=manifest["rows"],
        )
        audit_record(
            action="retention.archived",
            actor=ACTOR,
            target_type="archive",
            target_id=relative[:80],
            data={
                "rule": rule.name,
                "model": manifest["model"],
                "rows": manifest["rows"],
                "sha256": manifest["sha256"],
                "manifest_sha256": manifest_sha,
            },
        )
    return deleted, relative


def archive_restore(archive_path: Path) -> int:
    """Put an archive's rows back exactly (primary keys included); refuses an archive that does
    not verify or a row that exists again. Returns the rows restored."""
    manifest = archive_verify(archive_path)
    records: list[dict[str, Any]] = []
    with gzip.open(archive_path, "rt", encoding="utf-8") as lines:
        for line in lines:
            records.append(json.loads(line))
    from django.apps import apps

    model = apps.get_model(manifest["model"])
    with transaction.atomic(), all_nations(reason="restoring an archive of many nations' rows"):
        present = set(
            model._default_manager.filter(pk__in=manifest["pks"]).values_list("pk", flat=True)
        )
        if present:
            raise ArchiveInvalid(
                f"{len(present)} rows of this archive exist already (e.g. pk {min(present)})"
            )
        for obj in serializers.deserialize("python", records):
            obj.save()  # a raw save: exactly the archived values
        try:
            relative = archive_path.resolve().relative_to(archive_root().resolve()).as_posix()
        except ValueError:
            relative = archive_path.name
        Archive.objects.filter(path=relative).update(restored_at=timezone.now())
        audit_record(
            action="retention.restored",
            actor="system:operator",
            target_type="archive",
            target_id=relative[:80],
            data={
                "model": manifest["model"],
                "rows": manifest["rows"],
                "sha256": manifest["sha256"],
            },
        )
    return len(records)


# --- running the rules --------------------------------------------------------------------------


def _minimise_values(rule: RetentionRule) -> dict[str, Any]:
    return {name: value() if callable(value) else value for name, value in rule.minimise.items()}


def retention_run(
    *, dry_run: bool = False, now: dt.datetime | None = None, only: str | None = None
) -> list[RuleOutcome]:
    """Apply every retention rule (or the one named `only`); `dry_run` only counts."""
    now = now or timezone.now()
    outcomes: list[RuleOutcome] = []
    # Reviewed cross-nation read and write: retention applies to every nation's rows alike.
    with all_nations(reason="retention rules run over every nation's rows"):
        for rule in retention_rules():
            if only and rule.name != only:
                continue
            due = _due(rule, now)
            outcome = RuleOutcome(rule.name, rule.action, rule.model, due.count(), dry_run=dry_run)
            outcomes.append(outcome)
            if dry_run or not outcome.matched:
                continue
            if rule.action == RetentionAction.ARCHIVE:
                while True:
                    pks = list(_due(rule, now).values_list("pk", flat=True)[:BATCH])
                    if not pks:
                        break
                    deleted, relative = _archive_batch(rule, pks, now)
                    outcome.done += deleted
                    outcome.archives.append(relative)
            elif rule.action == RetentionAction.MINIMISE:
                with transaction.atomic():
                    outcome.done = due.update(**_minimise_values(rule))
                    audit_record(
                        action="retention.minimised",
                        actor=ACTOR,
                        data={"rule": rule.name, "model": rule.model, "rows": outcome.done},
                    )
            else:
                assert rule.purge is not None
                outcome.done = rule.purge(due)
                audit_record(
                    action="retention.purged",
                    actor=ACTOR,
                    data={"rule": rule.name, "model": rule.model, "rows": outcome.done},
                )
    return outcomes


# --- the rules shipped now ----------------------------------------------------------------------


def _purge_exports(due: QuerySet[Any]) -> int:
    from .exports import export_purge

    count = 0
    for export in due.select_related("nation"):
        export_purge(export, actor_pseudonym=ACTOR)
        count += 1
    return count


def _delete(due: QuerySet[Any]) -> int:
    deleted, _ = due.delete()
    return deleted


def register_builtin_rules() -> None:
    register_retention_rule(
        RetentionRule(
            name="privacy-requests-minimised",
            model="compliance.PrivacyRequest",
            category="Privacy requests",
            age_field="closed_at",
            keep=dt.timedelta(days=730),
            action=RetentionAction.MINIMISE,
            condition=lambda: Q(status__in=["completed", "rejected"], minimised_at__isnull=True),
            minimise={
                "subject": None,
                "subject_email": "",
                "details": "",
                "extension_reason": "",
                "minimised_at": timezone.now,
            },
            description="Closed requests are minimised 24 months (730 days) after they closed: "
            "the person, their words and the extension's reason go; type, dates and outcome "
            "stay as the record of the answer.",
        )
    )
    register_retention_rule(
        RetentionRule(
            name="privacy-exports-purged",
            model="compliance.PrivacyExport",
            category="Privacy exports",
            age_field="expires_at",
            keep=dt.timedelta(0),
            action=RetentionAction.PURGE,
            condition=lambda: Q(state="ready"),
            purge=_purge_exports,
            description="Export files are deleted when their 7 days are over.",
        )
    )
    register_retention_rule(
        RetentionRule(
            name="privacy-reminders-archived",
            model="compliance.PrivacyReminder",
            category="Privacy reminders",
            age_field="sent_on",
            keep=dt.timedelta(days=730),
            action=RetentionAction.ARCHIVE,
            description="Reminders (request ids and dates) are archived after 24 months.",
        )
    )
    register_retention_rule(
        RetentionRule(
            name="outbox-sent",
            model="outbox.OutboxMessage",
            category="Background jobs",
            age_field="dispatched_at",
            keep=dt.timedelta(days=30),
            action=RetentionAction.ARCHIVE,
            condition=lambda: Q(dispatched_at__isnull=False),
            description="Sent jobs (ids only) are archived 30 days after they were sent.",
        )
    )
    register_retention_rule(
        RetentionRule(
            name="tokens-expired",
            model="access.PersonalAccessToken",
            category="API tokens",
            age_field="expires_at",
            keep=dt.timedelta(days=90),
            action=RetentionAction.PURGE,
            purge=_delete,
            description="Personal access tokens are deleted 90 days after they expired.",
        )
    )
    register_retention_rule(
        RetentionRule(
            name="sessions-expired",
            model="sessions.Session",
            category="Sign-in sessions",
            age_field="expire_date",
            keep=dt.timedelta(0),
            action=RetentionAction.PURGE,
            purge=_delete,
            description="Expired sessions are deleted.",
        )
    )
