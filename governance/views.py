"""Governance pages."""

from __future__ import annotations


def register() -> None:
    pass
