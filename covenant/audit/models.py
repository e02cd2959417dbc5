"""The audit log: append-only and hash-chained; pseudonyms only, never personal data."""

from __future__ import annotations

from django.db import models

GENESIS_HASH = "0" * 64


class AuditEntry(models.Model):
    """hash = SHA-256(prev_hash ‖ canonical JSON of the entry). One global chain for the platform;
    `nation` is the ISO3 code of the nation concerned (a plain code, so that an entry outlives
    anything it talks about)."""

    sequence = models.PositiveBigIntegerField(unique=True)
    recorded_at = models.DateTimeField()
    action = models.CharField(max_length=64, db_index=True)
    actor = models.CharField(max_length=80)  # a pseudonym, "system:<name>" or "anonymous"
    nation = models.CharField(max_length=3, blank=True, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=80, blank=True)
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64, unique=True)  # unique: the chain cannot fork
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["sequence"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action}"
