"""`manage.py seed`: every council (idempotent); with --demo, proposals and ballots."""

from __future__ import annotations

from covenant.access.principal import Principal
from covenant.seeding import SeedOptions, register_seed_step

from .services import councils_sync

SEED = Principal.system("seed")


def councils_seed_step(options: SeedOptions) -> None:
    result = councils_sync(actor=SEED)
    options.write(
        f"councils: {result['councils_created']} created, {result['seats_filled']} seats filled"
    )


def register() -> None:
    register_seed_step("governance: councils", councils_seed_step)
