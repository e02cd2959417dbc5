"""Erasure, when a nation admin completes an erasure (GDPR) or delete (CCPA) request: every
declared model handled, history, sessions and caches included; the account anonymised and its
pseudonym rotated, so the ledger and the audit chain keep their rows, totals and verification
while nothing leads back to the person. Legal holds block it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models
from rest_framework.test import APIClient

from compliance.models import LegalHold, PrivacyRequest
from compliance.services import legal_hold_place, legal_hold_release
from covenant.access.models import PersonalAccessToken, RoleAssignment
from covenant.access.principal import Principal
from covenant.access.services import token_issue
from covenant.accounts.models import User
from covenant.audit.models import AuditEntry
from covenant.audit.selectors import audit_chain_verify
from covenant.ledger.models import Account, Kind, LedgerEntry
from covenant.ledger.selectors import ledger_totals
from covenant.ledger.services import Line, ledger_post, pledge_post
from covenant.nations.tenancy import all_nations, nation_scope
from tests.conftest import assert_error, client_for

URL = "/api/v1/privacy/requests/"
PASSWORD = "a-long-password-for-tests"


def cache_keys() -> list[str]:
    """Every key in the cache (local memory on the embedded pass, Redis on the other)."""
    backend = cache._cache if hasattr(cache, "_cache") else None
    if isinstance(backend, dict):
        return [str(key) for key in backend]
    client = cache._cache.get_client()
    return [key.decode() for key in client.scan_iter("*")]


def text_holding(value: str) -> list[str]:
    """Every row of every installed model whose text holds `value` (case-insensitive)."""
    found = []
    with all_nations(reason="test: scan every table"):
        for model in apps.get_models():
            fields = [
                f.name
                for f in model._meta.concrete_fields
                if isinstance(f, models.CharField | models.TextField | models.JSONField)
            ]
            if not fields:
                continue
            condition = models.Q()
            for name in fields:
                condition |= models.Q(**{f"{name}__icontains": value})
            for pk in model._default_manager.filter(condition).values_list("pk", flat=True):
                found.append(f"{model._meta.label}#{pk}")
    return found


def erase(admin_client, email) -> dict:
    response = admin_client.post(
        URL, {"nation": "KEN", "regime": "gdpr", "type": "erasure", "subject_email": email},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    request_id = response.json()["id"]
    assert admin_client.post(f"{URL}{request_id}/verify/", {}, format="json").status_code == 200
    return admin_client.post(f"{URL}{request_id}/complete/", {}, format="json")


@pytest.mark.django_db
def test_an_erasure_leaves_nothing_that_leads_back_to_the_person(cast, kenya, settings) -> None:
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
    person = cast.user("KEN", "council_member")
    person.display_name = "Wanjiku Kamau"
    person.set_password(PASSWORD)
    person.save()
    email, old_pseudonym, person_id = person.email, person.pseudonym, person.pk
    # What the portal comes to hold about the person: a session, a token, a failed login in
    # the rate limiter, an admin history entry, a request of their own, ledger and audit rows.
    browser = APIClient()
    assert browser.login(email=email, password=PASSWORD)
    failed = APIClient().post("/accounts/login/", {"login": email, "password": "wrong"})
    assert failed.status_code in (200, 400)
    _, token = token_issue(user=person, actor=Principal(user=person), days=30)
    LogEntry.objects.log_actions(
        user_id=cast.platform_admin.pk, queryset=[person], action_flag=CHANGE
    ) if hasattr(LogEntry.objects, "log_actions") else LogEntry.objects.create(
        user_id=cast.platform_admin.pk,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(person.pk),
        object_repr=email,
        action_flag=CHANGE,
    )
    own = client_for(person).post(
        URL, {"nation": "KEN", "regime": "gdpr", "type": "objection", "details": "I am Wanjiku"},
        format="json",
    ).json()  # fmt: skip
    pledge_post(nation=kenya, fiscal_year=2026, actor=Principal.system("test"))
    ledger_post(
        nation=kenya, kind=Kind.CONTRIBUTION, effective_on=dt.date(2026, 3, 1),
        lines=[Line(Account.FUND_CASH, debit=Decimal("10.00")),
               Line(Account.PLEDGES_RECEIVABLE, credit=Decimal("10.00"))],
        actor=Principal(user=person), reference="erasure-test",
    )  # fmt: skip
    totals_before = ledger_totals()
    with all_nations(reason="test"):
        roles_before = RoleAssignment.objects.filter(user_id=person_id).count()
    hashed = hashlib.sha256(f"testserver:{email}".encode()).hexdigest()
    assert any(hashed in key for key in cache_keys())
    assert text_holding(email)
    audit_by_person = AuditEntry.objects.filter(actor=old_pseudonym).count()
    assert audit_by_person >= 2

    response = erase(client_for(cast.user("KEN", "nation_admin")), email)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "completed"

    # the account: anonymised, no way in, a new pseudonym
    person = User.objects.get(pk=person_id)
    assert person.email.endswith("@erased.invalid") and person.display_name == ""
    assert not person.has_usable_password() and not person.is_active
    assert person.pseudonym != old_pseudonym
    assert not APIClient().login(email=email, password=PASSWORD)
    assert browser.get("/api/v1/me/").status_code in (401, 403)  # the session is gone
    assert_error(APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {token}"), 401)
    assert not PersonalAccessToken.objects.filter(user_id=person_id).exists()
    assert not any(
        s.get_decoded().get("_auth_user_id") == str(person_id) for s in Session.objects.all()
    )
    # nothing anywhere holds the address or the name; no cache entry keyed by it
    assert text_holding(email) == [] and text_holding("Wanjiku") == []
    assert not any(hashed in key for key in cache_keys())
    # the record stays: roles (leading to the anonymised account), the ledger, the audit chain
    with all_nations(reason="test"):
        assert RoleAssignment.objects.filter(user_id=person_id).count() == roles_before
        # their live roles ended (a seat or a delegate's place is free again), as history
        assert set(
            RoleAssignment.objects.filter(user_id=person_id).values_list("status", flat=True)
        ) == {"revoked"}
        assert LedgerEntry.objects.filter(recorded_by=old_pseudonym).count() == 1
        request = PrivacyRequest.objects.get(pk=own["id"])
    assert request.details == "" and request.subject_id == person_id
    assert ledger_totals() == totals_before
    assert AuditEntry.objects.filter(actor=old_pseudonym).count() == audit_by_person
    assert not User.objects.filter(pseudonym=old_pseudonym).exists()  # leads to nobody
    verification = audit_chain_verify()
    assert verification.ok, verification.reason
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert "audit log intact" in out.getvalue()
    erased = AuditEntry.objects.get(action="privacy.erasure.carried_out")
    assert erased.data["subject"] == old_pseudonym and person.pseudonym not in str(erased.data)
    assert erased.data["rows"]["accounts.User"] == 1


@pytest.mark.django_db
def test_a_legal_hold_blocks_erasure_until_released(cast, kenya) -> None:
    person = cast.user("KEN", "citizen")
    admin = cast.user("KEN", "nation_admin")
    hold = legal_hold_place(
        nation=kenya, subject=person, reason="pending litigation", actor=Principal(user=admin)
    )
    client = client_for(admin)
    error = assert_error(erase(client, person.email), 409, "legal_hold")
    assert "legal_hold" in error["message"]
    assert User.objects.get(pk=person.pk).is_active
    with nation_scope(kenya):
        request = PrivacyRequest.objects.get(type="erasure")
    rejected = client.post(
        f"{URL}{request.pk}/reject/", {"reason_code": "legal_hold"}, format="json"
    )
    assert rejected.json()["reason_code"] == "legal_hold"
    legal_hold_release(hold=hold, actor=Principal(user=admin))
    assert erase(client, person.email).status_code == 200
    with nation_scope(kenya):
        assert LegalHold.objects.get(pk=hold.pk).subject_id == person.pk  # the hold's record stays


@pytest.mark.django_db
def test_a_ccpa_delete_request_erases_too_and_a_person_without_account_is_just_answered(
    cast,
) -> None:
    admin = client_for(cast.user("KEN", "nation_admin"))
    person = cast.user("KEN", "auditor")
    created = admin.post(
        URL, {"nation": "KEN", "regime": "ccpa", "type": "delete", "subject_email": person.email},
        format="json",
    ).json()  # fmt: skip
    admin.post(f"{URL}{created['id']}/verify/", {}, format="json")
    assert admin.post(f"{URL}{created['id']}/complete/", {}, format="json").status_code == 200
    assert not User.objects.get(pk=person.pk).is_active
    nobody = erase(admin, "never.signed.up@example.org")
    assert nobody.status_code == 200 and nobody.json()["status"] == "completed"


@pytest.mark.django_db
def test_only_the_nations_admins_complete_an_erasure(cast) -> None:
    admin = client_for(cast.user("KEN", "nation_admin"))
    created = admin.post(
        URL, {"nation": "KEN", "regime": "gdpr", "type": "erasure",
              "subject_email": cast.user("KEN", "citizen").email}, format="json",
    ).json()  # fmt: skip
    admin.post(f"{URL}{created['id']}/verify/", {}, format="json")
    for intruder in (cast.user("BRA", "nation_admin"), cast.user("KEN", "auditor")):
        assert_error(
            client_for(intruder).post(f"{URL}{created['id']}/complete/", {}, format="json"), 404
        )
    assert User.objects.get(pk=cast.user("KEN", "citizen").pk).is_active


@pytest.mark.django_db
def test_the_operator_places_and_releases_legal_holds(cast, kenya) -> None:
    person = cast.user("KEN", "citizen")
    out = StringIO()
    call_command(
        "legal_hold", "place", person.email, "--nation", "KEN", "--reason", "court order",
        stdout=out,
    )  # fmt: skip
    with nation_scope(kenya):
        hold = LegalHold.objects.get()
    assert f"legal hold #{hold.pk} placed" in out.getvalue()
    listing = StringIO()
    call_command("legal_hold", "list", "--nation", "KEN", stdout=listing)
    assert "active" in listing.getvalue() and "court order" in listing.getvalue()
    call_command("legal_hold", "release", str(hold.pk), "--nation", "KEN", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("legal_hold", "release", str(hold.pk), "--nation", "KEN", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("legal_hold", "place", "nobody@x.org", "--nation", "KEN", "--reason", "r")
    assert AuditEntry.objects.filter(action__startswith="privacy.legal_hold.").count() == 2


@pytest.mark.django_db
def test_an_erased_delegates_place_can_be_filled_again(cast, kenya) -> None:
    from covenant.access.principal import SYSTEM
    from covenant.access.services import role_grant
    from tests.conftest import make_user

    delegate = cast.user("KEN", "delegate")
    assert erase(client_for(cast.user("KEN", "nation_admin")), delegate.email).status_code == 200
    successor = make_user("new.delegate.ken@covenant.test")
    granted = role_grant(
        nation=kenya, user=successor, role="delegate", actor=SYSTEM, four_eyes=False
    )
    assert granted.status == "active"


@pytest.mark.django_db
def test_an_erased_admins_keys_stop_working_and_their_second_factors_go(cast, kenya) -> None:
    from allauth.mfa.models import Authenticator

    from covenant.access.models import ApiKey
    from covenant.access.services import api_key_create

    admin = cast.user("KEN", "nation_admin")  # the cast's admins have TOTP
    key, secret = api_key_create(
        nation=kenya, name="integrator", scopes=["roles:read"], actor=Principal(user=admin)
    )
    assert (
        APIClient()
        .get("/api/v1/nations/KEN/roles/", HTTP_AUTHORIZATION=f"Bearer {secret}")
        .status_code
        == 200
    )
    assert Authenticator.objects.filter(user=admin).exists()
    second_admin = User.objects.create_user(email="second-admin@covenant.test")
    from covenant.access.services import role_grant

    role_grant(nation=kenya, user=second_admin, role="nation_admin", actor=Principal.system("t"),
               four_eyes=False)  # fmt: skip
    from covenant.access.mfa import totp_activate
    from tests.conftest import CAST_TOTP_SECRET

    totp_activate(user=second_admin, secret=CAST_TOTP_SECRET)
    response = erase(client_for(second_admin), admin.email)
    assert response.status_code == 200, response.content
    assert_error(
        APIClient().get("/api/v1/nations/KEN/roles/", HTTP_AUTHORIZATION=f"Bearer {secret}"), 401
    )
    with nation_scope(kenya):
        kept = ApiKey.objects.get(pk=key.pk)  # the nation's record of the key stays, revoked
    assert kept.revoked_at is not None and kept.created_by_id == admin.pk
    assert not Authenticator.objects.filter(user_id=admin.pk).exists()


@pytest.mark.django_db
def test_stored_idempotent_answers_naming_the_person_are_erased(cast, kenya) -> None:
    from covenant.api.models import IdempotencyRecord

    admin = client_for(cast.user("KEN", "nation_admin"))
    email = "new.citizen@example.org"
    granted = admin.post(
        "/api/v1/nations/KEN/roles/", {"email": email, "role": "citizen"}, format="json",
        HTTP_IDEMPOTENCY_KEY="grant-new-citizen-1",
    )  # fmt: skip
    assert granted.status_code == 201, granted.content
    assert any(email.encode() in bytes(r.body) for r in IdempotencyRecord.objects.all())
    response = erase(admin, email)
    assert response.status_code == 200, response.content
    assert not any(email.encode() in bytes(r.body) for r in IdempotencyRecord.objects.all())


@pytest.mark.django_db
def test_erasing_a_council_member_keeps_every_vote_verifiable(cast, kenya) -> None:
    """Ballots cast in office stay, under a pseudonym that now leads to nobody: the bundle and
    its recount are the same before and after; the erased member's seat is vacated."""
    from governance.bundle import build_bundle
    from governance.models import Seat
    from governance.recount import recount
    from governance.services import ballot_cast, proposal_close
    from tests.governance.conftest import add_members, council_of, opened

    council = council_of(kenya)
    voters = [cast.user("KEN", "council_member"), *add_members(kenya, 3)]
    proposal = opened(council, voters[0])
    receipts = [
        ballot_cast(proposal=proposal, choice=choice, actor=Principal(user=person)).receipt
        for person, choice in zip(voters, ["yes", "yes", "no", "abstain"], strict=True)
    ]
    closed = proposal_close(proposal=proposal, actor=Principal(user=voters[0]))
    before = build_bundle(closed)
    assert recount(before).outcome == closed.outcome == "passed"
    member = voters[1]
    old_pseudonym = member.pseudonym
    assert old_pseudonym in json.dumps(before)

    response = erase(client_for(cast.user("KEN", "nation_admin")), member.email)
    assert response.status_code == 200, response.content

    closed.refresh_from_db()
    after = build_bundle(closed)
    assert after == before  # the record is untouched: same roster, ballots, chain, result
    assert recount(after).outcome == "passed"
    assert receipts[1] in json.dumps(after)  # the erased member's receipt still proves inclusion
    assert not User.objects.filter(pseudonym=old_pseudonym).exists()  # leads to nobody
    with nation_scope(kenya):
        assert not Seat.objects.filter(council=council, holder__user_id=member.pk).exists()
    assert audit_chain_verify().ok
