"""Demo data (`seed --demo`): the demo admins of Kenya and Brazil get a queue to work — requests
in several states, one overdue, one due soon, one received by post — and citizen.ken an earlier
completed access request with its export. Idempotent: a second run adds nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import transaction

from covenant.access.principal import Principal
from covenant.access.services import user_get_or_create
from covenant.accounts.models import User
from covenant.nations.models import Nation
from covenant.nations.tenancy import nation_scope
from covenant.seeding import SeedOptions

from . import deadlines
from .models import PrivacyRequest, Status
from .services import Filing, privacy_request_file, privacy_request_verify

SEED = Principal.system("seed")


def _at(received_on: dt.date, action: Callable[[], PrivacyRequest]) -> PrivacyRequest:
    """Run `action` with the deadline clock set to `received_on` (the demo's past)."""
    saved = deadlines.utc_today
    deadlines.utc_today = lambda: received_on  # type: ignore[assignment]
    try:
        return action()
    finally:
        deadlines.utc_today = saved  # type: ignore[assignment]


def _demo_queue(nation: Nation, today: dt.date) -> int:
    code = nation.iso3.lower()
    with nation_scope(nation):
        if PrivacyRequest.objects.filter(details__startswith="[demo]").exists():
            return 0
    people = [
        # (e-mail, regime:type, received days ago, verify?, channel, details)
        (f"council.{code}@covenant.test", "gdpr:access", 40, "started", "email",
         "[demo] Please send me everything you hold about me."),
        # not one of the demo logins: completing it erases the person for real
        (f"moving.away.{code}@example.org", "ccpa:delete", 42, "verified", "email",
         "[demo] Delete my data please."),
        (f"former.resident.{code}@example.org", "gdpr:rectification", 3, None, "post",
         "[demo] Letter: my name is misspelt in a council record."),
        (f"delegate.{code}@covenant.test", "ccpa:opt_out", 2, None, "phone",
         "[demo] Do not sell or share my data."),
        (f"auditor.{code}@covenant.test", "gdpr:objection", 1, "verified", "email",
         "[demo] I object to the processing of my login history."),
    ]  # fmt: skip
    # the person who asks to be deleted has an account (with nothing else): an erasure to try
    user_get_or_create(email=f"moving.away.{code}@example.org")
    count = 0
    for email, kind, days_ago, verify, channel, details in people:
        regime, request_type = kind.split(":")
        received_on = today - dt.timedelta(days=days_ago)
        with transaction.atomic():
            request = privacy_request_file(
                nation=nation,
                filing=Filing(
                    regime=regime,
                    type=request_type,
                    details=details,
                    subject_email=email,
                    received_on=received_on,
                    channel=channel,
                ),
                actor=SEED,
            )
            if verify == "started":
                privacy_request_verify(request=request, actor=SEED, outcome="started")
            elif verify == "verified" and not request.builds_export:
                privacy_request_verify(request=request, actor=SEED, outcome="verified")
        count += 1
    return count


def _citizen_access(today: dt.date) -> int:
    """citizen.ken's earlier access request, completed, with its export ready to download."""
    user = User.objects.filter(email="citizen.ken@covenant.test").first()
    nation = Nation.objects.filter(iso3="KEN").first()
    if user is None or nation is None:
        return 0
    with nation_scope(nation):
        if PrivacyRequest.objects.filter(subject=user, type="access").exists():
            return 0
    request = _at(
        today - dt.timedelta(days=2),
        lambda: privacy_request_file(
            nation=nation,
            filing=Filing(regime="gdpr", type="access", details="[demo] My data, please."),
            actor=Principal(user=user),
        ),
    )
    # In eager mode the export was built on commit; with a worker it is built when it runs.
    with nation_scope(nation):
        request.refresh_from_db()
    return 1 if request.status in (Status.COMPLETED, Status.IN_PROGRESS) else 0


def privacy_seed_step(options: SeedOptions) -> None:
    if not options.demo:
        return
    today = deadlines.utc_today()
    created = 0
    for nation in Nation.objects.filter(iso3__in=("KEN", "BRA")).order_by("iso3"):
        created += _demo_queue(nation, today)
    created += _citizen_access(today)
    options.write(f"privacy: {created} demo requests")
