"""What access holds about a person: the roles they hold and granted, their tokens, the API
keys they created for a nation."""

from __future__ import annotations

from django.utils import timezone

from covenant.personal_data import ErasureContext, Strategy, Subject, declare


def _end_roles(subject: Subject, context: ErasureContext) -> int:
    """The person's live assignments end through the same service as any revocation (audited,
    and what follows a revocation follows: a council seat is vacated, a delegate's place freed);
    the rows stay and lead to the anonymised account. Grants they made for others stay."""
    from .models import RoleAssignment, RoleStatus
    from .principal import Principal
    from .services import role_revoke

    if subject.user_id is None:
        return 0
    live = list(
        RoleAssignment.objects.filter(user_id=subject.user_id)
        .exclude(status=RoleStatus.REVOKED)
        .select_related("nation", "user")
    )
    eraser = Principal.system("compliance")
    for assignment in live:
        role_revoke(assignment=assignment, actor=eraser)
    return len(live)


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


def _revoke_keys(subject: Subject, context: ErasureContext) -> int:
    """A nation's keys stay in its record (leading to the anonymised account); those still live
    are revoked, so nothing acts on the erased person's behalf any more."""
    from .models import ApiKey

    if subject.user_id is None:
        return 0
    return int(
        ApiKey.objects.filter(created_by_id=subject.user_id, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    )


declare(
    "access.ApiKey",
    category="API keys",
    purpose="The API keys you created or revoked for a nation's integrators (only their hashes "
    "are kept): the nation's record of who opened access to its data.",
    subject_fields=("created_by", "revoked_by"),
    strategy=Strategy.ANONYMISE,
    secret_fields=("key_hash",),
    erase=_revoke_keys,
)
