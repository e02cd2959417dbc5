"""What the API keeps about a person: the responses stored for `Idempotency-Key` replays (24 h),
which may echo an e-mail address (a role granted by e-mail)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from covenant.personal_data import Strategy, Subject, declare


def _records(subject: Subject) -> QuerySet[Any]:
    """The person's own stored requests, and any other stored response naming their address
    (a day's worth at most: records expire after 24 hours, so scanning them is cheap)."""
    from .models import IdempotencyRecord

    condition = Q(pk__in=[])
    if subject.pseudonym:
        condition |= Q(owner=subject.pseudonym)
    if subject.email:
        needle = subject.email.lower().encode()
        naming = [
            pk
            for pk, body in IdempotencyRecord.objects.values_list("pk", "body").iterator(
                chunk_size=500
            )
            if needle in bytes(body).lower()
        ]
        condition |= Q(pk__in=naming)
    return IdempotencyRecord.objects.filter(condition).order_by("pk")


declare(
    "covenant_api.IdempotencyRecord",
    category="Retried API requests",
    purpose="For 24 hours, the answer to an API request sent with an Idempotency-Key, so that "
    "a retry gets the same answer instead of a second write.",
    strategy=Strategy.DELETE,
    rows=_records,
    exported=False,
)
