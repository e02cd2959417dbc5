"""Stored responses of POSTs made with an `Idempotency-Key` (covenant.api.idempotency)."""

from __future__ import annotations

from django.db import models


class IdempotencyRecord(models.Model):
    """One key of one principal: the request it was first used with (its fingerprint) and the
    response that request got. The unique constraint is what resolves concurrent duplicates."""

    owner = models.CharField(max_length=80)  # the principal's pseudonym, never an e-mail
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of method, path and body
    status_code = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="idempotency_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.owner}:{self.key}"
