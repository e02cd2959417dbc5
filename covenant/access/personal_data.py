"""What access holds about a person: the roles they hold and granted, their tokens."""

from __future__ import annotations

from django.utils import timezone

from covenant.personal_data import ErasureContext, Strategy, Subject, declare


def _end_roles(subject: Subject, context: ErasureContext) -> int:
    """The person's live assignments end (revoked, as history); the rows stay and lead to the
    anonymised account. Grants they made for others are left as they are."""
    from .models import RoleAssignment, RoleStatus

    if subject.user_id is None:
        return 0
    return int(
        RoleAssignment.objects.filter(user_id=subject.user_id)
        .exclude(status=RoleStatus.REVOKED)
        .update(status=RoleStatus.REVOKED, revoked_at=timezone.now())
    )


declare(
    "access.RoleAssignment",
    category="Roles",
    purpose="The roles you hold or held in each nation, and the grants you made or approved: "
    "the record of who could do what, and when.",
    subject_fields=("user", "granted_by", "approved_by", "revoked_by"),
    # The history stays (the person is never deleted from under their grants); it then leads
    # to the anonymised account only.
    strategy=Strategy.ANONYMISE,
    erase=_end_roles,
)
declare(
    "access.PersonalAccessToken",
    category="API tokens",
    purpose="Your personal access tokens for the API (only their hashes are kept).",
    subject_fields=("user",),
    strategy=Strategy.DELETE,
    secret_fields=("token_hash",),
)
