"""What access holds about a person: the roles they hold and granted, their tokens."""

from __future__ import annotations

from covenant.personal_data import Strategy, declare

declare(
    "access.RoleAssignment",
    category="Roles",
    purpose="The roles you hold or held in each nation, and the grants you made or approved: "
    "the record of who could do what, and when.",
    subject_fields=("user", "granted_by", "approved_by", "revoked_by"),
    # The history stays (the person is never deleted from under their grants); it then leads
    # to the anonymised account only.
    strategy=Strategy.ANONYMISE,
)
declare(
    "access.PersonalAccessToken",
    category="API tokens",
    purpose="Your personal access tokens for the API (only their hashes are kept).",
    subject_fields=("user",),
    strategy=Strategy.DELETE,
    secret_fields=("token_hash",),
)
