"""What compliance itself holds about a person: their requests, exports and legal holds."""

from __future__ import annotations

from django.db import transaction

from covenant.personal_data import ErasureContext, Strategy, Subject, declare


def _erase_exports(subject: Subject, context: ErasureContext) -> int:
    """Delete the person's export rows, and their files once the erasure commits."""
    from .exports import export_path
    from .models import PrivacyExport

    if subject.user_id is None:
        return 0
    exports = list(PrivacyExport.objects.filter(request__subject_id=subject.user_id))
    paths = [export_path(export) for export in exports if export.file_name]

    def remove_files() -> None:
        for path in paths:
            path.unlink(missing_ok=True)

    transaction.on_commit(remove_files)
    count, _ = PrivacyExport.objects.filter(pk__in=[export.pk for export in exports]).delete()
    return count


declare(
    "compliance.PrivacyRequest",
    category="Your privacy requests",
    purpose="The GDPR and CCPA requests you filed, or that were filed for you, and how they "
    "were answered: the proof that the law's deadlines were met.",
    subject_fields=("subject",),
    email_fields=("subject_email",),
    # The request itself stays as the record of its answer; what you wrote in it goes.
    strategy=Strategy.ANONYMISE,
    anonymise={"details": "", "subject_email": "", "extension_reason": ""},
    legal_basis="Proof of compliance with the request (GDPR Art. 5(2)); minimised after 24 months.",
)
declare(
    "compliance.PrivacyExport",
    category="Your privacy requests",
    purpose="The files of your access requests, downloadable for 7 days, then purged.",
    subject_fields=("request__subject",),
    strategy=Strategy.DELETE,
    erase=_erase_exports,
    secret_fields=("file_name", "worker", "last_error"),
)
declare(
    "compliance.LegalHold",
    category="Legal holds",
    purpose="A hold placed on your data for legal proceedings; while active, it prevents erasure.",
    subject_fields=("subject",),
    strategy=Strategy.RETAIN,
    legal_basis="Establishment, exercise or defence of legal claims (GDPR Art. 17(3)(e)).",
)
