"""Seed steps that packages outside the core add to `manage.py seed` (the sectors add projects)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SeedOptions:
    demo: bool
    projects: int | None
    write: Callable[[str], Any]


_steps: list[tuple[str, Callable[[SeedOptions], None]]] = []


def register_seed_step(name: str, step: Callable[[SeedOptions], None]) -> None:
    if all(existing != name for existing, _ in _steps):
        _steps.append((name, step))


def seed_steps() -> list[tuple[str, Callable[[SeedOptions], None]]]:
    return list(_steps)
