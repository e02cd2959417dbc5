"""Access exports: the ZIP (JSON and CSV per category, README, a manifest whose hashes match
its files), the signed link for the subject only, exactly-once builds, and purge on expiry."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core import mail, signing
from django.utils import timezone

from compliance import exports
from compliance.exports import LINK_SALT, export_build, export_path
from compliance.models import ExportState, PrivacyExport, PrivacyRequest
from compliance.retention import retention_run
from covenant.access.principal import Principal
from covenant.access.services import token_issue
from covenant.audit.models import AuditEntry
from covenant.audit.services import audit_record
from covenant.nations.tenancy import nation_scope
from tests.conftest import client_for

URL = "/api/v1/privacy/requests/"


def file_access(user, nation="KEN"):
    response = client_for(user).post(
        URL, {"nation": nation, "regime": "gdpr", "type": "access"}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def signed_in(client, user):
    client.force_login(user)
    return client


def read_zip(content: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(content))


@pytest.mark.django_db
def test_an_access_request_filed_by_its_subject_completes_with_its_export(cast, client) -> None:
    citizen = cast.user("KEN", "citizen")
    token_issue(user=citizen, actor=Principal(user=citizen), scopes=["privacy:file"], days=5)
    audit_record(action="test.other", actor=cast.user("KEN", "nation_admin").pseudonym,
                 data={"subject": citizen.pseudonym})  # fmt: skip
    body = file_access(citizen)
    assert body["status"] == "completed" and body["export_state"] == "ready"
    listed = client_for(citizen).get(URL).json()["results"][0]
    assert listed["export_url"].startswith("http://testserver/privacy/exports/")
    response = signed_in(client, citizen).get(listed["export_url"])
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert {"private", "no-store"} <= set(response["Cache-Control"].split(", "))
    archive = read_zip(b"".join(response.streaming_content))
    names = set(archive.namelist())
    assert {"manifest.json", "README.html", "accounts-user.json", "accounts-user.csv"} <= names
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["request"] == body["id"] and manifest["nation"] == "KEN"
    listed_files = {item["name"]: item for item in manifest["files"]}
    assert set(listed_files) == names - {"manifest.json"}
    for name, item in listed_files.items():  # every file hashes to what the manifest says
        data = archive.read(name)
        assert hashlib.sha256(data).hexdigest() == item["sha256"], name
        assert len(data) == item["bytes"]
    # the account: the subject's own row, no password hash
    [account] = json.loads(archive.read("accounts-user.json"))
    assert account["email"] == citizen.email and "password" not in account
    assert listed_files["accounts-user.json"]["rows"] == 1
    # roles: links to people read "you" / "another person", never someone else's id
    roles = json.loads(archive.read("access-roleassignment.json"))
    assert [row["user_id"] for row in roles] == ["you"]
    # tokens: the hash is never exported
    [token] = json.loads(archive.read("access-personalaccesstoken.json"))
    assert "token_hash" not in token and token["scopes"] == ["privacy:file"]
    # the audit log: the subject's entries; another person's pseudonym is redacted
    audit = json.loads(archive.read("audit-auditentry.json"))
    other = next(row for row in audit if row["action"] == "test.other")
    assert other["actor"] == "another person" and other["data"]["subject"] == citizen.pseudonym
    assert (
        cast.user("KEN", "nation_admin").pseudonym
        not in archive.read("audit-auditentry.csv").decode()
    )
    rows = list(csv.reader(io.StringIO(archive.read("audit-auditentry.csv").decode())))
    assert len(rows) == 1 + listed_files["audit-auditentry.csv"]["rows"] == 1 + len(audit)
    assert "Your data from the Covenant portal" in archive.read("README.html").decode()
    # the manifest's hash is in the audit log; the person was told
    ready = AuditEntry.objects.get(action="privacy.export.ready")
    assert (
        ready.data["manifest_sha256"] == hashlib.sha256(archive.read("manifest.json")).hexdigest()
    )
    assert "@" not in json.dumps(ready.data)
    assert any("ready to download" in message.subject for message in mail.outbox)
    assert AuditEntry.objects.filter(action="privacy.export.downloaded").count() == 1


@pytest.mark.django_db
def test_the_export_is_stored_privately_not_as_media(cast, settings, kenya) -> None:
    citizen = cast.user("KEN", "citizen")
    body = file_access(citizen)
    with nation_scope(kenya):
        export = PrivacyExport.objects.get(request_id=body["id"])
    path = export_path(export)
    assert path.exists() and Path(settings.COMPLIANCE_PRIVATE_ROOT) in path.parents
    assert path.stat().st_mode & 0o077 == 0  # readable by the portal's user only
    assert client_for(citizen).get(f"/media/private/exports/{export.file_name}").status_code == 404


@pytest.mark.django_db
def test_the_link_is_for_the_subject_only_and_refuses_tampering_and_age(cast, client) -> None:
    citizen = cast.user("KEN", "citizen")
    file_access(citizen)
    url = client_for(citizen).get(URL).json()["results"][0]["export_url"]
    path = url.removeprefix("http://testserver")
    # someone else, even the nation's admin, finds nothing; the anonymous are sent to sign in
    assert signed_in(client, cast.user("KEN", "nation_admin")).get(path).status_code == 404
    client.logout()
    assert client.get(path).status_code == 302
    token = path.split("/")[-2]
    signed_in(client, citizen)
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert client.get(f"/privacy/exports/{tampered}/").status_code == 404
    payload = signing.loads(token, salt=LINK_SALT)
    forged = signing.dumps({**payload, "e": payload["e"] + 1}, salt="another.salt")
    assert client.get(f"/privacy/exports/{forged}/").status_code == 404
    expired = signing.dumps({**payload, "x": int(timezone.now().timestamp()) - 1}, salt=LINK_SALT)
    assert client.get(f"/privacy/exports/{expired}/").status_code == 410
    assert client.get(path).status_code == 200


@pytest.mark.django_db
def test_a_link_older_than_seven_days_is_gone(cast, client, monkeypatch) -> None:
    citizen = cast.user("KEN", "citizen")
    file_access(citizen)
    path = (
        client_for(citizen)
        .get(URL)
        .json()["results"][0]["export_url"]
        .removeprefix("http://testserver")
    )
    later = timezone.now().timestamp() + 8 * 86400
    monkeypatch.setattr("time.time", lambda: later)
    assert signed_in(client, citizen).get(path).status_code == 410


@pytest.mark.django_db
def test_expired_exports_are_purged_by_retention(cast, client, kenya) -> None:
    citizen = cast.user("KEN", "citizen")
    body = file_access(citizen)
    path = (
        client_for(citizen)
        .get(URL)
        .json()["results"][0]["export_url"]
        .removeprefix("http://testserver")
    )
    with nation_scope(kenya):
        export = PrivacyExport.objects.get(request_id=body["id"])
    file = export_path(export)
    outcomes = retention_run(now=export.expires_at + dt.timedelta(minutes=1))
    purged = next(o for o in outcomes if o.rule == "privacy-exports-purged")
    assert purged.done == 1 and not file.exists()
    with nation_scope(kenya):
        export.refresh_from_db()
    assert export.state == ExportState.EXPIRED and export.file_name == ""
    assert signed_in(client, citizen).get(path).status_code == 410
    assert AuditEntry.objects.filter(action="privacy.export.purged").count() == 1


@pytest.mark.django_db
def test_a_build_that_runs_again_completes_exactly_once(cast, kenya, tmp_path) -> None:
    """A worker killed mid-build leaves a `building` row and a temp file; the redelivered
    message builds again and completes once; a third delivery changes nothing."""
    citizen = cast.user("KEN", "citizen")
    with nation_scope(kenya):
        from compliance.services import Filing, privacy_request_file

        real = exports.export_enqueue
        exports.export_enqueue = lambda export, round_key: None  # the message is "lost"
        try:
            request = privacy_request_file(
                nation=kenya, filing=Filing(regime="gdpr", type="access"),
                actor=Principal(user=citizen),
            )  # fmt: skip
        finally:
            exports.export_enqueue = real
        export = PrivacyExport.objects.get(request=request)
        # a first build dies half-way: the row says building, a temp file lies around
        PrivacyExport.objects.filter(pk=export.pk).update(
            state=ExportState.BUILDING, attempts=1, lease_until=timezone.now()
        )
        leftover = exports.export_root() / "ken" / f"{export.pk}-dead.zip.part"
        leftover.parent.mkdir(parents=True, exist_ok=True)
        leftover.write_bytes(b"half a zip")
        assert export_build(export_id=export.pk) == ExportState.READY
        assert export_build(export_id=export.pk) == ExportState.READY  # delivered again
        export.refresh_from_db()
        request.refresh_from_db()
    assert (export.state, export.attempts, request.status) == ("ready", 2, "completed")
    assert AuditEntry.objects.filter(action="privacy.export.ready").count() == 1
    assert AuditEntry.objects.filter(action="privacy.request.completed").count() == 1
    assert sum("ready to download" in m.subject for m in mail.outbox) == 1
    assert [p.name for p in (exports.export_root() / "ken").glob("*.zip")] == [f"{export.pk}.zip"]


@pytest.mark.django_db
def test_two_builds_racing_keep_one_file_and_one_completion(cast, kenya, monkeypatch) -> None:
    """The second build to finish finds the export ready under the lock and throws its own
    file away."""
    citizen = cast.user("KEN", "citizen")
    body = file_access(citizen)
    with nation_scope(kenya):
        export = PrivacyExport.objects.get(request_id=body["id"])
        first_sha = export.sha256
        # a late build of the same export (its message delivered twice) arrives now
        PrivacyExport.objects.filter(pk=export.pk).update(state=ExportState.BUILDING)
        PrivacyRequest.objects.filter(pk=body["id"]).update(status="in_progress")
        claimed = exports._claim(export.pk)
        assert claimed is not None
        PrivacyExport.objects.filter(pk=export.pk).update(state=ExportState.READY)
        temp = exports.export_root() / "ken" / "late.zip.part"
        temp.write_bytes(b"the late build's file")
        state = exports._finish(export.pk, temp, exports.Manifest(), "0" * 64)
        export.refresh_from_db()
    assert state == "ready" and not temp.exists() and export.sha256 == first_sha
    assert AuditEntry.objects.filter(action="privacy.export.ready").count() == 1


@pytest.mark.django_db
def test_a_failing_build_is_retried_then_marked_failed_and_an_admin_restarts_it(
    cast, kenya, monkeypatch
) -> None:
    citizen = cast.user("KEN", "citizen")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    original = exports.write_export_zip
    monkeypatch.setattr(exports, "write_export_zip", broken)
    body = file_access(citizen)  # eager: the first attempt fails, the outbox keeps the job
    assert body["status"] == "in_progress" and body["export_state"] == "pending"
    with nation_scope(kenya):
        export = PrivacyExport.objects.get(request_id=body["id"])
        for _ in range(exports.MAX_ATTEMPTS - 1):
            with pytest.raises(OSError):
                export_build(export_id=export.pk)
        export.refresh_from_db()
    assert (export.state, export.attempts) == ("failed", exports.MAX_ATTEMPTS)
    assert "disk full" in export.last_error
    assert not list((exports.export_root() / "ken").glob("*.part"))  # no temp file left
    monkeypatch.setattr(exports, "write_export_zip", original)
    admin = client_for(cast.user("KEN", "nation_admin"))
    response = admin.post(f"{URL}{body['id']}/complete/", {}, format="json")
    assert response.status_code == 202
    # eager: the restarted build ran after commit and completed the request
    assert admin.get(f"{URL}{body['id']}/").json()["status"] == "completed"


@pytest.mark.django_db
def test_the_sweep_requeues_an_export_whose_build_stopped(cast, kenya) -> None:
    from compliance.notifications import exports_sweep

    citizen = cast.user("KEN", "citizen")
    real = exports.export_enqueue
    exports.export_enqueue = lambda export, round_key: None
    try:
        body = file_access(citizen)
    finally:
        exports.export_enqueue = real
    assert body["export_state"] == "pending"
    assert exports_sweep() == 0  # its lease has not run out yet
    with nation_scope(kenya):
        PrivacyExport.objects.filter(request_id=body["id"]).update(
            state="building", lease_until=timezone.now() - dt.timedelta(seconds=1)
        )
    assert exports_sweep() == 1  # eager: re-queued and built
    assert client_for(citizen).get(f"{URL}{body['id']}/").json()["status"] == "completed"


def _peak_of_export(subject, tmp_path, name: str) -> int:
    import tracemalloc

    tracemalloc.start()
    try:
        exports.write_export_zip(
            tmp_path / f"{name}.zip", subject=subject, stamp=timezone.now(), about={}
        )
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.django_db
def test_an_exports_memory_does_not_grow_with_the_rows(cast, tmp_path) -> None:
    """Bounded memory: ten times the rows, about the same peak (the benchmark measures 200,000
    rows against a naive export; this is the law behind it, on a smaller scale)."""
    from covenant.personal_data import Subject

    citizen = cast.user("KEN", "citizen")
    subject = Subject.of(citizen)

    def add_rows(start: int, count: int) -> None:
        AuditEntry.objects.bulk_create(
            AuditEntry(
                sequence=5_000_000 + n, recorded_at=timezone.now(), action="test.activity",
                actor=citizen.pseudonym, data={"n": n, "note": "x" * 40},
                prev_hash=f"{7 * 10**12 + n:064x}", hash=f"{8 * 10**12 + n:064x}",
            )
            for n in range(start, start + count)
        )  # fmt: skip

    add_rows(0, 2_000)
    small = _peak_of_export(subject, tmp_path, "small")
    add_rows(2_000, 18_000)
    large = _peak_of_export(subject, tmp_path, "large")
    assert large < small + 1.5 * 2**20, (small, large)  # 10x the rows, < 1.5 MiB more
