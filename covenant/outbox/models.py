"""A Celery job recorded in the same transaction as the write that needs it. It is sent to the
broker after commit and, until a send succeeds, again by the beat's drain: a job is never lost
when Redis or the worker is down (delivery is at least once, so every job is idempotent)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxMessage(models.Model):
    task = models.CharField(max_length=200)  # the Celery task's registered name
    args = models.JSONField(default=list, blank=True)  # ids and plain values, never objects
    kwargs = models.JSONField(default=dict, blank=True)
    # at most one live message per key (e.g. "export:123"): enqueueing twice is harmless
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    not_before = models.DateTimeField(default=timezone.now)
    # a sender claims a message until this moment, so that two drains do not both send it
    claimed_until = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["not_before", "id"],
                condition=Q(dispatched_at__isnull=True),
                name="outbox_pending",
            )
        ]

    def __str__(self) -> str:
        state = "sent" if self.dispatched_at else "pending"
        return f"{self.task} #{self.pk} ({state})"
