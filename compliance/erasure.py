"""Erasure: every declaration's strategy carried out on one person's rows, in every nation, in
the caller's transaction; the account last (anonymised, its pseudonym rotated). Cache entries
the declarations name are deleted once the transaction commits."""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import transaction

from covenant.accounts.models import User
from covenant.nations.tenancy import all_nations
from covenant.personal_data import ErasureContext, Subject, declarations

from .models import PrivacyRequest

logger = logging.getLogger("covenant.compliance")


def purge_cache_keys(keys: list[str]) -> None:
    """Delete cache entries; the cache may be down (they then expire within their window)."""
    if not keys:
        return
    try:
        cache.delete_many(keys)
    except Exception:
        logger.warning("erasure: %d cache entries not deleted (cache unreachable)", len(keys))


def erase_subject(*, user: User, request: PrivacyRequest) -> dict[str, int]:
    """Carry out every declaration on `user`'s rows; returns rows touched per model."""
    subject = Subject.of(user)
    context = ErasureContext(subject=subject)
    # Reviewed cross-nation write: one person's rows, whichever nations hold them (the account
    # is one; so is its erasure).
    with all_nations(reason="an erasure: a data subject's own rows in every nation"):
        for declaration in declarations():
            context.counts[declaration.model] = declaration.erase_rows(subject, context)
    keys = sorted(context.cache_keys)
    transaction.on_commit(lambda: purge_cache_keys(keys))
    for callback in context.after_commit:
        transaction.on_commit(callback)
    return context.counts
