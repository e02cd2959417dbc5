"""The Codex verses shown on the sector cards (fixtures/codex_verses.json)."""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings

VERSES_FILE = Path(settings.BASE_DIR) / "fixtures" / "codex_verses.json"


@lru_cache(maxsize=1)
def codex_verses() -> tuple[dict[str, str], ...]:
    """Every verse: {"ref", "sector", "text"}; read once per process."""
    try:
        rows: list[dict[str, Any]] = json.loads(VERSES_FILE.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ()
    return tuple(
        {"ref": str(row["ref"]), "sector": str(row["sector"]), "text": str(row["text"])}
        for row in rows
    )


def verse_for(sector: str, *, on: dt.date | None = None) -> dict[str, str] | None:
    """The sector's verse of the day (they take turns, one a day)."""
    verses = [verse for verse in codex_verses() if verse["sector"] == sector]
    if not verses:
        return None
    day = (on or dt.date.today()).toordinal()
    chosen = verses[day % len(verses)]
    return {"ref": chosen["ref"], "text": chosen["text"]}
