"""Data generations: one row per kind of public data; its token changes in the transaction of
every write of that data, so a cache key that holds it is never served after the write."""

from __future__ import annotations

from django.db import models


class DataGeneration(models.Model):
    name = models.CharField(max_length=40, primary_key=True)
    # random, never reused: a rolled-back write's token can never match a committed one
    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name}@{self.token}"
