"""`Idempotency-Key` on every POST of the API (CovenantAPIView), for every view without extra
work by its author.

The same key from the same principal, with the same method, path and body (byte for byte),
replays the first response — stored in the database with the write, in one transaction — with
`Idempotent-Replayed: true`; the same key with another request is a 409. Concurrent duplicates
are resolved by the database: the record's unique constraint makes the second insert wait for
the first transaction (PostgreSQL) or the whole write wait (SQLite's BEGIN IMMEDIATE), then
replay its response. Only successful (2xx) responses are kept: a refused request may be retried
with the same key once corrected. Records expire after RETENTION (the beat purges them).
Anonymous requests are not keyed (there is no principal to scope the key to)."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone

from covenant.errors import Conflict, Invalid

from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
RETENTION = timedelta(hours=24)
_VALID_KEY = re.compile(r"[\x21-\x7e]{1,255}")


class IdempotentReplay(Exception):  # a signal, not an error
    def __init__(self, record: IdempotencyRecord) -> None:
        super().__init__(record.key)
        self.record = record

    def response(self) -> HttpResponse:
        response = HttpResponse(
            bytes(self.record.body),
            status=self.record.status_code or 200,
            content_type=self.record.content_type or "application/json",
        )
        response["Idempotent-Replayed"] = "true"
        return response


def requested_key(request: Any) -> str | None:
    """The request's Idempotency-Key, if it is a POST that carries one (400 if malformed)."""
    if request.method != "POST":
        return None
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not _VALID_KEY.fullmatch(key):
        raise Invalid(
            "malformed Idempotency-Key",
            fields={HEADER: ["1 to 255 printable ASCII characters, no spaces"]},
        )
    return key


def fingerprint(request: Any) -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.get_full_path(), request.content_type or ""):
        digest.update(part.encode("utf-8", "backslashreplace") + b"\0")
    digest.update(request.body)
    return digest.hexdigest()


def idempotency_claim(*, owner: str, key: str, request: Any) -> IdempotencyRecord:
    """Claim `key` for this request, inside the request's transaction; raise IdempotentReplay
    with the stored response of an earlier identical request, or Conflict for another one."""
    now = timezone.now()
    print_ = fingerprint(request)
    for _attempt in range(2):
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(
                    owner=owner, key=key, fingerprint=print_, expires_at=now + RETENTION
                )
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
        if existing is None:
            continue  # purged meanwhile: claim it afresh
        if existing.expires_at <= now:
            IdempotencyRecord.objects.filter(pk=existing.pk).delete()
            continue
        if existing.fingerprint != print_:
            raise Conflict(
                "this Idempotency-Key was already used with another request (method, path or "
                "body); use a new key for a new request",
                fields={HEADER: ["already used with another request"]},
            )
        if existing.status_code is None:
            raise Conflict("a request with this Idempotency-Key is still being processed")
        raise IdempotentReplay(existing)
    raise Conflict("this Idempotency-Key is contended; retry")


def idempotency_store(record: IdempotencyRecord, response: Any) -> None:
    """Keep a successful response with its key (same transaction as the write); forget the
    key of a refused request, so that the corrected request may use it."""
    if not 200 <= response.status_code < 300 or getattr(response, "streaming", False):
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        return
    if hasattr(response, "render") and not getattr(response, "is_rendered", True):
        response.render()
    record.status_code = response.status_code
    record.content_type = response.get("Content-Type", "application/json")[:100]
    record.body = bytes(response.content)
    record.save(update_fields=["status_code", "content_type", "body"])


def idempotency_purge() -> int:
    """Delete expired records (the beat, daily)."""
    deleted, _ = IdempotencyRecord.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
