"""Cache keys versioned by data generations held in the database.

A write calls `data_changed("projects")` inside its own transaction: the generation's random
token changes with the data, atomically. Readers put the tokens in their cache keys
(`cached(...)`), so once the write commits no reader builds the old key again — whether or not
Redis was reachable when the write happened. Each process memoises the tokens for at most
GENERATION_MEMO_SECONDS (one small query a second at most), and a writing process forgets its
memos at once, so its own next read sees its write.

Names in use: "nations" (the member nations), "ledger" (postings), "projects" (the project
catalogue). Other packages add their own names freely; a new name needs no migration."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import IntegrityError, transaction

from covenant.memo import ProcessMemo, clear_process_memos

from .models import DataGeneration

GENERATION_MEMO_SECONDS = 1.0
DEFAULT_TTL_SECONDS = 600  # old generations' keys are never read again; they just expire
_T = TypeVar("_T")
_tokens: ProcessMemo[dict[str, str]] = ProcessMemo(GENERATION_MEMO_SECONDS)


def _load_tokens() -> dict[str, str]:
    return dict(DataGeneration.objects.values_list("name", "token"))


def generation_key(*names: str) -> str:
    """The current tokens of `names`, for a cache key ("-" for a name never changed)."""
    tokens = _tokens.get("all", _load_tokens)
    return ".".join(tokens.get(name, "-") for name in names)


def data_changed(*names: str) -> None:
    """Call inside the transaction of a write that changes public data of these kinds."""
    with transaction.atomic():
        for name in names:
            token = secrets.token_hex(8)
            if not DataGeneration.objects.filter(name=name).update(token=token):
                try:
                    with transaction.atomic():
                        DataGeneration.objects.create(name=name, token=token)
                except IntegrityError:  # created meanwhile by another writer
                    DataGeneration.objects.filter(name=name).update(token=token)
    clear_process_memos()  # this transaction reads its own writes
    transaction.on_commit(clear_process_memos)  # and, after commit, this process at once


def cached(
    key: str,
    compute: Callable[[], _T],
    *,
    depends_on: tuple[str, ...],
    ttl: int = DEFAULT_TTL_SECONDS,
) -> _T:
    """`compute()`, kept in the shared cache under `key` and the generations it depends on.
    With the cache unavailable it is simply computed (the backend answers a miss)."""
    full_key = f"{key}@{generation_key(*depends_on)}"
    value = cache.get(full_key)
    if value is None:
        value = compute()
        cache.set(full_key, value, ttl)
    return value
