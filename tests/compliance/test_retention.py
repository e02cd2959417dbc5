"""Retention: the rules, `run_retention --dry-run` (prints, changes nothing), archives that
verify before anything is deleted and restore exactly, minimisation after 24 months."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core import serializers
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from compliance import retention
from compliance.models import Archive, PrivacyRequest
from compliance.retention import ArchiveInvalid, archive_root, retention_run
from covenant.audit.models import AuditEntry
from covenant.audit.selectors import audit_chain_verify
from covenant.nations.tenancy import nation_scope
from covenant.outbox.models import OutboxMessage
from covenant.personal_data import RetentionAction, RetentionRule, retention_rules
from tests.conftest import client_for

URL = "/api/v1/privacy/requests/"


def old_messages(count: int, *, days: int = 40) -> list[int]:
    sent = timezone.now() - dt.timedelta(days=days)
    rows = [
        OutboxMessage(
            task="tests.noop",
            args=[n, "x"],
            kwargs={"k": n},
            dispatched_at=sent,
            created_at=sent,
            not_before=sent,
            attempts=1,
        )
        for n in range(count)
    ]
    return [row.pk for row in OutboxMessage.objects.bulk_create(rows)] or list(
        OutboxMessage.objects.filter(task="tests.noop").values_list("pk", flat=True)
    )


def snapshot(pks: list[int]) -> list[dict]:
    return serializers.serialize("python", OutboxMessage.objects.filter(pk__in=pks).order_by("pk"))


def test_the_rules_shipped_now() -> None:
    rules = {rule.name: rule for rule in retention_rules()}
    assert rules["privacy-requests-minimised"].keep == dt.timedelta(days=730)
    assert rules["privacy-requests-minimised"].action == RetentionAction.MINIMISE
    assert rules["privacy-exports-purged"].action == RetentionAction.PURGE
    assert rules["outbox-sent"].action == RetentionAction.ARCHIVE
    assert rules["outbox-sent"].keep == dt.timedelta(days=30)


@pytest.mark.django_db
def test_a_dry_run_prints_what_it_would_do_and_changes_nothing() -> None:
    pks = old_messages(3)
    OutboxMessage.objects.create(task="tests.noop", dispatched_at=timezone.now())  # too young
    out = StringIO()
    call_command("run_retention", "--dry-run", stdout=out)
    assert "outbox-sent: would archive and delete 3 outbox.OutboxMessage rows" in out.getvalue()
    assert OutboxMessage.objects.filter(pk__in=pks).count() == 3
    assert not archive_root().exists() or not any(archive_root().rglob("*.gz"))
    listing = StringIO()
    call_command("run_retention", "--list", stdout=listing)
    assert "privacy-requests-minimised" in listing.getvalue()


@pytest.mark.django_db
def test_an_archive_round_trip_restores_exactly(settings) -> None:
    pks = old_messages(7)
    before = snapshot(pks)
    out = StringIO()
    call_command("run_retention", "--rule", "outbox-sent", stdout=out)
    assert "outbox-sent: archive and deleted 7 of 7" in out.getvalue()
    assert OutboxMessage.objects.filter(pk__in=pks).count() == 0
    archive = Archive.objects.get()
    path = archive_root() / archive.path
    manifest = json.loads(Path(f"{path}.manifest.json").read_text())
    assert manifest["rows"] == 7 and manifest["pks"] == sorted(pks)
    assert manifest["sha256"] == archive.sha256 and archive.verified_at is not None
    with gzip.open(path, "rt") as lines:
        assert len(lines.readlines()) == 7
    audit = AuditEntry.objects.get(action="retention.archived")
    assert audit.data["sha256"] == archive.sha256
    verify = StringIO()
    call_command("archive_restore", archive.path, "--verify", stdout=verify)
    assert "archive intact: 7 outbox.OutboxMessage rows" in verify.getvalue()
    call_command("archive_restore", str(path), stdout=StringIO())
    assert snapshot(pks) == before  # every field, every row, the same primary keys
    with pytest.raises(CommandError):  # the rows exist again: no second restore
        call_command("archive_restore", str(path), stdout=StringIO())
    assert audit_chain_verify().ok


@pytest.mark.django_db
def test_nothing_is_deleted_when_the_archive_does_not_verify(monkeypatch) -> None:
    pks = old_messages(4)

    def corrupt(path: Path) -> dict:
        raise ArchiveInvalid("simulated: the file read back differs")

    monkeypatch.setattr(retention, "archive_verify", corrupt)
    with pytest.raises(ArchiveInvalid):
        retention_run(only="outbox-sent")
    assert OutboxMessage.objects.filter(pk__in=pks).count() == 4
    assert Archive.objects.count() == 0


@pytest.mark.django_db
def test_a_tampered_archive_is_refused(tmp_path) -> None:
    pks = old_messages(2)
    retention_run(only="outbox-sent")
    path = archive_root() / Archive.objects.get().path
    data = gzip.decompress(path.read_bytes()).replace(b'"x"', b'"y"')
    path.write_bytes(gzip.compress(data))
    with pytest.raises(CommandError, match="SHA-256 does not match"):
        call_command("archive_restore", str(path), stdout=StringIO())
    assert OutboxMessage.objects.filter(pk__in=pks).count() == 0


@pytest.mark.django_db
def test_closed_requests_are_minimised_after_24_months(cast, kenya) -> None:
    client = client_for(cast.user("KEN", "citizen"))
    admin = client_for(cast.user("KEN", "nation_admin"))
    old = client.post(URL, {"nation": "KEN", "regime": "gdpr", "type": "objection",
                            "details": "my words"}, format="json").json()  # fmt: skip
    young = client.post(URL, {"nation": "KEN", "regime": "gdpr", "type": "restriction",
                              "details": "my words"}, format="json").json()  # fmt: skip
    admin.post(f"{URL}{old['id']}/reject/", {"reason_code": "public_task"}, format="json")
    admin.post(f"{URL}{young['id']}/complete/", {}, format="json")
    with nation_scope(kenya):
        PrivacyRequest.objects.filter(pk=old["id"]).update(
            closed_at=timezone.now() - dt.timedelta(days=731)
        )
    [outcome] = retention_run(only="privacy-requests-minimised")
    assert (outcome.matched, outcome.done) == (1, 1)
    with nation_scope(kenya):
        minimised = PrivacyRequest.objects.get(pk=old["id"])
        kept = PrivacyRequest.objects.get(pk=young["id"])
    assert minimised.subject is None and minimised.details == "" and minimised.minimised_at
    assert (minimised.type, minimised.status, minimised.reason_code) == (
        "objection", "rejected", "public_task",
    )  # fmt: skip
    assert kept.details == "my words" and kept.subject is not None
    assert retention_run(only="privacy-requests-minimised")[0].matched == 0  # once


def test_other_apps_register_rules_of_their_own() -> None:
    from covenant.personal_data import _rules, register_retention_rule

    rule = RetentionRule(
        name="governance-proposals-archived",
        model="outbox.OutboxMessage",  # governance's models arrive at merge; any model serves
        category="Closed proposals",
        age_field="created_at",
        keep=dt.timedelta(days=5 * 365),
        action=RetentionAction.ARCHIVE,
    )
    try:
        register_retention_rule(rule)
        assert rule in retention_rules()
    finally:
        _rules.pop(rule.name)
