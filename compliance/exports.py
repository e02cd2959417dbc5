"""Access and portability exports: a person's rows, streamed in chunks into a ZIP on disk.

Memory stays bounded whatever the size: rows come from the database `CHUNK_ROWS` at a time
(a server-side cursor on PostgreSQL) and go straight into the ZIP entry being written, hashed
on the way. Each declared category gets a JSON and a CSV file; `README.html` summarises;
`manifest.json` lists every file with its SHA-256 and row count, and its own hash goes to the
audit log.

Exactly once: a build writes a temp file of its own, then, holding the export row's lock,
renames it into place and marks the export ready — unless another build already did, in which
case it throws its file away. A worker killed mid-way leaves a temp file and a `building` row;
the message comes back (acks_late + reject_on_worker_lost), or the sweep re-queues it when its
lease runs out, and the next build finishes the job."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import logging
import os
import socket
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from covenant.audit.services import audit_record
from covenant.nations.tenancy import all_nations
from covenant.outbox.services import outbox_enqueue
from covenant.personal_data import (
    PSEUDONYM_PATTERN,
    PersonalData,
    Subject,
    declarations,
    redact_pseudonyms,
)

from .models import ExportState, PrivacyExport, PrivacyRequest, Status

logger = logging.getLogger("covenant.compliance")

EXPORT_DAYS = 7
CHUNK_ROWS = 2000
MAX_ATTEMPTS = 5
LEASE = dt.timedelta(minutes=10)
HEARTBEAT_SECONDS = 15.0
LINK_SALT = "compliance.export.link"
FORMAT = "covenant-privacy-export/1"


def private_root() -> Path:
    """Private files live under MEDIA_ROOT/private: never served as media, only through views
    that check who asks."""
    root = getattr(settings, "COMPLIANCE_PRIVATE_ROOT", None)
    return Path(root) if root else Path(settings.MEDIA_ROOT) / "private"


def export_root() -> Path:
    return private_root() / "exports"


def export_path(export: PrivacyExport) -> Path:
    return export_root() / export.file_name


def _ensure_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)


# --- the signed link ----------------------------------------------------------------------------


def export_link_token(export: PrivacyExport) -> str:
    """A signed token naming the export and its expiry; valid EXPORT_DAYS, for its subject."""
    assert export.expires_at is not None
    return signing.dumps(
        {"e": export.pk, "n": export.nation_id, "x": int(export.expires_at.timestamp())},
        salt=LINK_SALT,
    )


def export_download_path(request: PrivacyRequest, *, viewer_id: int | None) -> str | None:
    """The signed download link of the request's export: for its subject only, while ready."""
    export = getattr(request, "export", None)
    if (
        export is None
        or export.state != ExportState.READY
        or request.subject_id is None
        or request.subject_id != viewer_id
    ):
        return None
    return reverse("privacy-export-download", kwargs={"token": export_link_token(export)})


class LinkExpired(Exception):
    pass


class LinkInvalid(Exception):
    pass


def export_link_open(token: str) -> tuple[int, int]:
    """(nation id, export id) of a valid token; LinkInvalid if tampered, LinkExpired if old."""
    try:
        payload = signing.loads(
            token, salt=LINK_SALT, max_age=dt.timedelta(days=EXPORT_DAYS, minutes=5)
        )
    except signing.SignatureExpired:
        raise LinkExpired from None
    except signing.BadSignature:
        raise LinkInvalid from None
    if not isinstance(payload, dict) or not {"e", "n", "x"} <= set(payload):
        raise LinkInvalid
    if payload["x"] < time.time():
        raise LinkExpired
    return int(payload["n"]), int(payload["e"])


# --- starting an export -------------------------------------------------------------------------


def export_enqueue(export: PrivacyExport, *, round_key: str) -> None:
    outbox_enqueue(
        task="compliance.build_export",
        args=[export.nation_id, export.pk],
        dedupe_key=f"privacy-export:{export.pk}:{round_key}",
    )


def export_start(*, request: PrivacyRequest) -> PrivacyExport:
    """Create (or re-arm a failed or expired) export of the request and queue its build; call
    inside the service's transaction, in the request's nation scope."""
    export = PrivacyExport.objects.select_for_update().filter(request=request).first()
    now = timezone.now()
    if export is None:
        export = PrivacyExport.objects.create(
            nation_id=request.nation_id, request=request, created_at=now, lease_until=now + LEASE
        )
    elif export.state in (ExportState.FAILED, ExportState.EXPIRED):
        export.state = ExportState.PENDING
        export.attempts = 0
        export.last_error = ""
        export.file_name = ""
        export.created_at = now
        export.lease_until = now + LEASE
        export.save()
    elif export.state == ExportState.READY:
        return export
    export_enqueue(export, round_key=uuid.uuid4().hex[:12])
    return export


# --- writing the ZIP ----------------------------------------------------------------------------


class _Hashing:
    """A binary sink that hashes and counts what goes through it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.raw.write(data)
        self.sha.update(data)
        self.size += len(data)


@dataclass
class ExportFile:
    name: str
    category: str
    model: str
    rows: int
    sha256: str
    bytes: int


@dataclass
class Manifest:
    files: list[ExportFile] = field(default_factory=list)
    sha256: str = ""

    @property
    def rows(self) -> int:
        return sum(item.rows for item in self.files if item.name.endswith(".json"))


def _column_converter(model_field: Any, keep: str | None) -> Callable[[Any], Any] | None:
    """How one column's values become JSON: chosen once per column, not per value."""
    from django.db import models

    if isinstance(model_field, models.DateTimeField):
        return lambda value: None if value is None else value.astimezone(dt.UTC).isoformat()
    if isinstance(model_field, models.DateField):
        return lambda value: None if value is None else value.isoformat()
    if isinstance(model_field, models.DecimalField | models.UUIDField):
        return lambda value: None if value is None else str(value)
    if isinstance(model_field, models.BinaryField):
        return lambda value: None
    if isinstance(model_field, models.JSONField):
        return lambda value: redact_pseudonyms(value, keep=keep)
    if isinstance(model_field, models.CharField | models.TextField):

        def text(value: Any) -> Any:
            # another person's pseudonym reads "another person" (a cheap test first)
            if value and value[:2] == "p_" and value != keep and PSEUDONYM_PATTERN.match(value):
                return "another person"
            return value

        return text
    return None


class RowWriter:
    """Turns a declaration's value tuples into export rows: a link to a user reads "you" or
    "another person"; another person's pseudonym reads "another person"."""

    def __init__(self, declaration: PersonalData, subject: Subject) -> None:
        self.columns = declaration.field_names()
        model = declaration.model_class
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        user_columns = declaration.user_columns()
        me = subject.user_id

        def person(value: Any) -> Any:
            if value is None:
                return None
            return "you" if value == me else "another person"

        self.converters: list[Callable[[Any], Any] | None] = [
            person
            if name in user_columns
            else _column_converter(by_attname.get(name), subject.pseudonym)
            for name in self.columns
        ]

    def row(self, values: tuple[Any, ...]) -> list[Any]:
        return [
            value if convert is None else convert(value)
            for convert, value in zip(self.converters, values, strict=True)
        ]


def _zip_info(name: str, stamp: dt.datetime) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=stamp.astimezone(dt.UTC).timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    return info


FLUSH_BYTES = 256 * 1024


def _csv_cell(cell: Any) -> Any:
    if cell is None:
        return ""
    if isinstance(cell, dict | list):
        return json.dumps(cell, ensure_ascii=False, sort_keys=True)
    return cell


def _write_category(
    archive: zipfile.ZipFile,
    base: str,
    stamp: dt.datetime,
    writer: RowWriter,
    rows: Iterator[tuple[Any, ...]],
    spool_dir: Path,
) -> tuple[tuple[int, str, int], tuple[int, str, int]]:
    """One pass over the rows: the JSON goes straight into its ZIP entry, the CSV into a spool
    file on disk that is then copied into its own entry. Memory: one buffer of each."""
    count = 0
    encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
    columns = writer.columns
    text = io.StringIO()
    table = csv.writer(text, lineterminator="\n")
    table.writerow(columns)
    with tempfile.TemporaryFile(dir=spool_dir) as spool:
        csv_sink = _Hashing(spool)
        with archive.open(_zip_info(f"{base}.json", stamp), "w", force_zip64=True) as raw:
            json_sink = _Hashing(raw)
            parts: list[str] = ["["]
            size = 1
            for values in rows:
                row = writer.row(values)
                record = encode(dict(zip(columns, row, strict=True)))
                parts.append(",\n" + record if count else "\n" + record)
                size += len(record) + 2
                table.writerow([_csv_cell(cell) for cell in row])
                count += 1
                if size > FLUSH_BYTES:
                    json_sink.write("".join(parts).encode())
                    parts, size = [], 0
                    csv_sink.write(text.getvalue().encode())
                    text.seek(0)
                    text.truncate()
            parts.append("\n]\n")
            json_sink.write("".join(parts).encode())
        csv_sink.write(text.getvalue().encode())
        spool.seek(0)
        with archive.open(_zip_info(f"{base}.csv", stamp), "w", force_zip64=True) as out:
            while chunk := spool.read(1024 * 1024):
                out.write(chunk)
    return (
        (count, json_sink.sha.hexdigest(), json_sink.size),
        (count, csv_sink.sha.hexdigest(), csv_sink.size),
    )


def _write_bytes(
    archive: zipfile.ZipFile, name: str, stamp: dt.datetime, data: bytes
) -> tuple[str, int]:
    with archive.open(_zip_info(name, stamp), "w") as raw:
        raw.write(data)
    return hashlib.sha256(data).hexdigest(), len(data)


def on_chunk() -> None:
    """Called between chunks of rows (the heartbeat hangs off it; tests slow it down)."""


def _chunks(
    declaration: PersonalData, subject: Subject, columns: list[str], tick: Callable[[], None]
) -> Iterator[tuple[Any, ...]]:
    rows = declaration.rows_of(subject).values_list(*columns).iterator(chunk_size=CHUNK_ROWS)
    for number, values in enumerate(rows, 1):
        if number % CHUNK_ROWS == 0:
            tick()
        yield values


def write_export_zip(
    path: Path,
    *,
    subject: Subject,
    stamp: dt.datetime,
    about: dict[str, Any],
    heartbeat: Callable[[], None] = lambda: None,
) -> Manifest:
    """Write the ZIP of `subject`'s rows to `path`; returns its manifest. Bounded memory."""
    manifest = Manifest()
    summary: list[dict[str, Any]] = []

    def tick() -> None:
        on_chunk()
        heartbeat()

    with (
        zipfile.ZipFile(path, "w", allowZip64=True) as archive,
        # Reviewed cross-nation read: the person's own rows, whichever nation holds them.
        all_nations(reason="a data subject's export: their own rows in every nation"),
    ):
        for declaration in declarations():
            if not declaration.exported:
                continue
            writer = RowWriter(declaration, subject)
            base = declaration.slug
            rows = _chunks(declaration, subject, writer.columns, tick)
            as_json, as_csv = _write_category(archive, base, stamp, writer, rows, path.parent)
            for suffix, (count, sha, size) in ((".json", as_json), (".csv", as_csv)):
                manifest.files.append(
                    ExportFile(
                        base + suffix, declaration.category, declaration.model, count, sha, size
                    )
                )
            summary.append(
                {
                    "category": declaration.category,
                    "model": declaration.model,
                    "purpose": declaration.purpose,
                    "strategy": declaration.strategy.label,
                    "legal_basis": declaration.legal_basis,
                    "rows": as_json[0],
                    "json": f"{base}.json",
                    "csv": f"{base}.csv",
                }
            )
        readme = render_to_string(
            "compliance/export_readme.html",
            {"about": about, "summary": summary, "generated_at": stamp},
        ).encode()
        sha, size = _write_bytes(archive, "README.html", stamp, readme)
        manifest.files.append(ExportFile("README.html", "Summary", "", 0, sha, size))
        body = {
            "format": FORMAT,
            **about,
            "generated_at": stamp.astimezone(dt.UTC).isoformat(),
            "files": [
                {
                    "name": item.name,
                    "category": item.category,
                    "model": item.model,
                    "rows": item.rows,
                    "sha256": item.sha256,
                    "bytes": item.bytes,
                }
                for item in manifest.files
            ],
        }
        manifest_bytes = json.dumps(body, indent=2, ensure_ascii=False).encode()
        manifest.sha256, _ = _write_bytes(archive, "manifest.json", stamp, manifest_bytes)
    return manifest


# --- the build, exactly once --------------------------------------------------------------------


def _claim(export_id: int) -> PrivacyExport | None:
    """Take the export for one build; None when there is nothing to build."""
    with transaction.atomic():
        export = (
            PrivacyExport.objects.select_for_update(of=("self",))
            .select_related("request", "request__subject", "nation")
            .filter(pk=export_id)
            .first()
        )
        if export is None or export.state in (
            ExportState.READY,
            ExportState.EXPIRED,
            ExportState.FAILED,
        ):
            return None
        request = export.request
        if request.status != Status.IN_PROGRESS or request.subject is None:
            export.state = ExportState.EXPIRED
            export.lease_until = None
            export.save(update_fields=["state", "lease_until"])
            return None
        now = timezone.now()
        export.state = ExportState.BUILDING
        export.attempts += 1
        export.started_at = now
        export.lease_until = now + LEASE
        export.worker = f"{socket.gethostname()}:{os.getpid()}"[:120]
        export.save(update_fields=["state", "attempts", "started_at", "lease_until", "worker"])
        return export


def _fail(export_id: int, error: BaseException) -> None:
    with transaction.atomic():
        export = PrivacyExport.objects.select_for_update().get(pk=export_id)
        if export.state != ExportState.BUILDING:
            return
        export.last_error = f"{type(error).__name__}: {error}"[:300]
        export.lease_until = None
        export.state = (
            ExportState.FAILED if export.attempts >= MAX_ATTEMPTS else ExportState.PENDING
        )
        export.save(update_fields=["last_error", "lease_until", "state"])
        if export.state == ExportState.FAILED:
            audit_record(
                action="privacy.export.failed",
                actor="system:worker",
                nation=export.nation.iso3,
                target_type="privacy_request",
                target_id=export.request_id,
                data={"attempts": export.attempts},
            )


def _heartbeat(export_id: int) -> Callable[[], None]:
    last = [time.monotonic()]

    def beat() -> None:
        now = time.monotonic()
        if now - last[0] >= HEARTBEAT_SECONDS:
            last[0] = now
            PrivacyExport.objects.filter(pk=export_id, state=ExportState.BUILDING).update(
                lease_until=timezone.now() + LEASE
            )

    return beat


def export_build(*, export_id: int) -> str:
    """Build the export (idempotent: a ready export is left as it is); returns its state."""
    export = _claim(export_id)
    if export is None:
        current = PrivacyExport.objects.filter(pk=export_id).values_list("state", flat=True)
        return current.first() or "missing"
    request = export.request
    subject_user = request.subject
    assert subject_user is not None
    nation_dir = export_root() / export.nation.iso3.lower()
    _ensure_dir(nation_dir)
    temp = nation_dir / f"{export.pk}-{uuid.uuid4().hex}.zip.part"
    about = {
        "request": request.pk,
        "nation": export.nation.iso3,
        "regime": request.regime,
        "type": request.type,
        "received_on": request.received_on.isoformat(),
        "subject": subject_user.pseudonym,
    }
    try:
        manifest = write_export_zip(
            temp,
            subject=Subject.of(subject_user),
            stamp=export.created_at,
            about=about,
            heartbeat=_heartbeat(export.pk),
        )
        os.chmod(temp, 0o600)
        with temp.open("rb") as handle:
            zip_sha = hashlib.file_digest(handle, "sha256").hexdigest()
    except BaseException as error:
        temp.unlink(missing_ok=True)
        logger.warning("export %s failed: %s", export.pk, error)
        _fail(export.pk, error)
        raise
    return _finish(export.pk, temp, manifest, zip_sha)


def _finish(export_id: int, temp: Path, manifest: Manifest, zip_sha: str) -> str:
    from .services import notify_subject_later, request_close

    with transaction.atomic():
        export = (
            PrivacyExport.objects.select_for_update(of=("self",))
            .select_related("request", "nation")
            .get(pk=export_id)
        )
        request = PrivacyRequest.objects.select_for_update().get(pk=export.request_id)
        if export.state == ExportState.READY:  # another build finished first: keep its file
            temp.unlink(missing_ok=True)
            return export.state
        if request.status != Status.IN_PROGRESS:  # rejected meanwhile: nothing to hand over
            temp.unlink(missing_ok=True)
            export.state = ExportState.EXPIRED
            export.save(update_fields=["state"])
            return export.state
        final_name = f"{export.nation.iso3.lower()}/{export.pk}.zip"
        final = export_root() / final_name
        os.replace(temp, final)  # atomic on one file system
        now = timezone.now()
        export.state = ExportState.READY
        export.file_name = final_name
        export.size_bytes = final.stat().st_size
        export.rows = manifest.rows
        export.sha256 = zip_sha
        export.manifest_sha256 = manifest.sha256
        export.ready_at = now
        export.expires_at = now + dt.timedelta(days=EXPORT_DAYS)
        export.lease_until = None
        export.last_error = ""
        export.save()
        audit_record(
            action="privacy.export.ready",
            actor="system:worker",
            nation=export.nation.iso3,
            target_type="privacy_request",
            target_id=request.pk,
            data={
                "subject": request.subject_pseudonym,
                "manifest_sha256": manifest.sha256,
                "zip_sha256": zip_sha,
                "rows": manifest.rows,
                "files": len(manifest.files),
                "attempts": export.attempts,
            },
        )
        request_close(request=request, status=Status.COMPLETED, actor_pseudonym="system:worker")
        notify_subject_later(request=request, event="export_ready")
    return ExportState.READY


def export_purge(export: PrivacyExport, *, actor_pseudonym: str) -> None:
    """Delete an export's file and mark it expired (its row stays, without the file)."""
    path = export_path(export) if export.file_name else None
    with transaction.atomic():
        locked = PrivacyExport.objects.select_for_update().get(pk=export.pk)
        if locked.state == ExportState.EXPIRED and not locked.file_name:
            return
        locked.state = ExportState.EXPIRED
        locked.file_name = ""
        locked.purged_at = timezone.now()
        locked.save(update_fields=["state", "file_name", "purged_at"])
        audit_record(
            action="privacy.export.purged",
            actor=actor_pseudonym,
            nation=export.nation.iso3,
            target_type="privacy_request",
            target_id=export.request_id,
            data={"manifest_sha256": locked.manifest_sha256},
        )
        if path is not None:
            transaction.on_commit(lambda: path.unlink(missing_ok=True))
