"""The ledger: balanced, append-only postings in Decimal; totals derived from the lines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from covenant.access.principal import SYSTEM, Principal
from covenant.audit.models import AuditEntry
from covenant.errors import Conflict, Forbidden, Invalid
from covenant.ledger.models import Account, Kind, LedgerEntry, LedgerLine
from covenant.ledger.selectors import ledger_totals, ledger_totals_by_nation
from covenant.ledger.services import (
    Line,
    allocation_post,
    contribution_post,
    entry_reverse,
    ledger_post,
    pledge_post,
    profit_share_post,
)
from covenant.nations.tenancy import all_nations, nation_scope
from tests.conftest import assert_error, client_for, postgres_only

TODAY = dt.date(2026, 6, 1)


def postings() -> int:
    with all_nations(reason="test: count every posting"):
        return LedgerEntry.objects.count() + LedgerLine.objects.count()


@pytest.mark.django_db
def test_pledge_contribution_allocation_profit_and_reversal_move_the_totals_exactly(
    cast, kenya, brazil
) -> None:
    admin = Principal(user=cast.platform_admin)
    pledge_post(nation=kenya, fiscal_year=2026, actor=SYSTEM)
    pledge_post(nation=brazil, fiscal_year=2026, actor=SYSTEM)
    first = contribution_post(
        nation=kenya,
        amount_usd=Decimal("5000000.10"),
        received_on=TODAY,
        reference="KE-1",
        actor=admin,
    )
    contribution_post(
        nation=kenya, amount_usd=Decimal("0.05"), received_on=TODAY, reference="KE-2", actor=admin
    )
    allocation_post(
        nation=kenya,
        amount_usd=Decimal("1000000.00"),
        source="proposal:1",
        actor=SYSTEM,
        on=TODAY,
    )
    profit_share_post(
        nation=kenya,
        fund_usd=Decimal("30.00"),
        source="project:9",
        actor=SYSTEM,
        on=TODAY,
    )
    totals = ledger_totals_by_nation()[kenya.pk]
    assert totals.pledged_usd == Decimal("12039753.78")
    assert totals.received_usd == Decimal("5000000.15")
    assert totals.outstanding_usd == Decimal("12039753.78") - Decimal("5000000.15")
    assert totals.disbursed_usd == Decimal("1000000.00")
    assert totals.balance_usd == Decimal("5000000.15") - Decimal("1000000.00") + Decimal("30.00")

    entry_reverse(entry=first, reason="bank returned the transfer", actor=admin)
    after = ledger_totals_by_nation()[kenya.pk]
    assert after.received_usd == Decimal("0.05")
    assert after.balance_usd == Decimal("0.05") - Decimal("1000000.00") + Decimal("30.00")
    assert ledger_totals().pledged_usd == kenya.annual_pledge_usd + brazil.annual_pledge_usd
    with pytest.raises(Conflict):
        entry_reverse(entry=first, reason="again", actor=admin)


@pytest.mark.django_db
def test_the_service_refuses_an_unbalanced_posting_and_writes_nothing(kenya) -> None:
    before = postings()
    audit_before = AuditEntry.objects.count()
    bad_postings = [
        [Line(Account.FUND_CASH, debit=Decimal("10.00"))],
        [
            Line(Account.FUND_CASH, debit=Decimal("10.00")),
            Line(Account.PLEDGES_RECEIVABLE, credit=Decimal("9.99")),
        ],
        [
            Line(Account.FUND_CASH, debit=Decimal("10.00"), credit=Decimal("10.00")),
            Line(Account.PLEDGES_RECEIVABLE, credit=Decimal("0")),
        ],
        [
            Line(Account.FUND_CASH, debit=Decimal("-5.00")),
            Line(Account.PLEDGES_RECEIVABLE, credit=Decimal("-5.00")),
        ],
    ]
    for lines in bad_postings:
        with pytest.raises(Invalid):
            ledger_post(
                nation=kenya,
                kind=Kind.CONTRIBUTION,
                lines=lines,
                effective_on=TODAY,
                actor=SYSTEM,
            )
    assert postings() == before
    assert AuditEntry.objects.count() == audit_before


@pytest.mark.django_db
@pytest.mark.parametrize("amount", ["0", "-1.00", "0.001", "NaN", "Infinity", "1000000000000.01"])
def test_contribution_amounts_are_checked_in_the_service(cast, kenya, amount) -> None:
    with pytest.raises(Invalid):
        contribution_post(
            nation=kenya,
            amount_usd=Decimal(amount),
            received_on=TODAY,
            reference="x",
            actor=Principal(user=cast.platform_admin),
        )


@pytest.mark.django_db
def test_only_platform_admins_post_contributions(cast, kenya) -> None:
    for role in ("nation_admin", "auditor", "council_member"):
        with pytest.raises(Forbidden):
            contribution_post(
                nation=kenya,
                amount_usd=Decimal("1.00"),
                received_on=TODAY,
                reference="x",
                actor=cast.principal("KEN", role),
            )


@pytest.mark.django_db
def test_a_pledge_is_posted_once_a_year_and_never_for_a_nation_without_gdp(kenya) -> None:
    pledge_post(nation=kenya, fiscal_year=2026, actor=SYSTEM)
    with pytest.raises(Conflict):
        pledge_post(nation=kenya, fiscal_year=2026, actor=SYSTEM)
    from covenant.nations.models import Nation

    with pytest.raises(Conflict):
        pledge_post(nation=Nation.objects.get(iso3="PRK"), fiscal_year=2026, actor=SYSTEM)


@pytest.mark.django_db
def test_no_person_posts_a_pledge_or_an_allocation(cast, kenya) -> None:
    admin = Principal(user=cast.platform_admin)
    with pytest.raises(Forbidden):
        pledge_post(nation=kenya, fiscal_year=2026, actor=admin)
    for person in (admin, cast.principal("KEN", "council_member")):
        with pytest.raises(Forbidden):
            allocation_post(
                nation=kenya,
                amount_usd=Decimal("5.00"),
                source="proposal:1",
                actor=person,
                on=TODAY,
            )
    assert postings() == 0


@pytest.mark.django_db
def test_an_allocation_is_posted_once_per_source(kenya) -> None:
    allocation_post(
        nation=kenya, amount_usd=Decimal("5.00"), source="proposal:7", actor=SYSTEM, on=TODAY
    )
    with pytest.raises(Conflict):
        allocation_post(
            nation=kenya,
            amount_usd=Decimal("5.00"),
            source="proposal:7",
            actor=SYSTEM,
            on=TODAY,
        )


@pytest.mark.django_db
def test_every_posting_writes_an_audit_entry(cast, kenya) -> None:
    entry = pledge_post(nation=kenya, fiscal_year=2026, actor=SYSTEM)
    audit = AuditEntry.objects.get(target_type="ledger_entry", target_id=str(entry.pk))
    assert audit.action == "ledger.pledge" and audit.nation == "KEN"
    assert audit.data["amount_usd"] == "12039753.78"


@pytest.mark.django_db
def test_the_database_refuses_update_and_delete_of_postings(kenya) -> None:
    entry = pledge_post(nation=kenya, fiscal_year=2026, actor=SYSTEM)
    with nation_scope(kenya):
        with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
            LedgerLine.objects.filter(entry=entry).update(debit=Decimal("1.00"))
        with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
            LedgerEntry.objects.filter(pk=entry.pk).update(memo="changed")
        with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
            LedgerLine.objects.filter(entry=entry).delete()
        assert LedgerLine.objects.filter(entry=entry).count() == 2


@pytest.mark.django_db
def test_a_line_with_both_sides_or_none_is_refused_by_a_constraint(kenya) -> None:
    entry = pledge_post(nation=kenya, fiscal_year=2026, actor=SYSTEM)
    with nation_scope(kenya):
        for debit, credit in (("1.00", "1.00"), ("0", "0"), ("-1.00", "0")):
            with pytest.raises(IntegrityError), transaction.atomic():
                LedgerLine.objects.create(
                    nation=kenya,
                    entry=entry,
                    account=Account.FUND_CASH,
                    debit=Decimal(debit),
                    credit=Decimal(credit),
                )


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_postgresql_refuses_an_unbalanced_posting_at_commit(kenya) -> None:
    with pytest.raises(IntegrityError, match="unbalanced"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO ledger_ledgerentry (nation_id, kind, effective_on, fiscal_year, "
                "reference, memo, source, recorded_at, recorded_by) VALUES "
                "(%s, 'contribution', '2026-01-01', 2026, '', '', '', now(), 'attacker') "
                "RETURNING id",
                [kenya.pk],
            )
            entry_id = cursor.fetchone()[0]
            cursor.execute(
                "INSERT INTO ledger_ledgerline (nation_id, entry_id, account, debit, credit) "
                "VALUES (%s, %s, 'fund_cash', 100, 0), (%s, %s, 'pledges_receivable', 0, 99)",
                [kenya.pk, entry_id, kenya.pk, entry_id],
            )
    with pytest.raises(IntegrityError, match="unbalanced"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO ledger_ledgerentry (nation_id, kind, effective_on, fiscal_year, "
                "reference, memo, source, recorded_at, recorded_by) VALUES "
                "(%s, 'contribution', '2026-01-01', 2026, '', '', '', now(), 'attacker')",
                [kenya.pk],
            )
    with all_nations(reason="test"):
        assert LedgerEntry.objects.count() == 0


# --- the API ------------------------------------------------------------------------------------


def contribution(client, iso3: str = "KEN", **overrides):
    body = {"amount_usd": "2500000.50", "received_on": "2026-03-14", "reference": "SWIFT 123"}
    body.update(overrides)
    return client.post(f"/api/v1/nations/{iso3}/contributions/", body, format="json")


@pytest.mark.django_db
def test_a_platform_admin_posts_a_contribution_through_the_api(cast, kenya) -> None:
    client = client_for(cast.platform_admin)
    response = contribution(client)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "contribution" and body["nation"] == "KEN"
    assert body["amount_usd"] == "2500000.50"
    assert body["lines"] == [
        {"account": "fund_cash", "debit": "2500000.50", "credit": "0.00"},
        {"account": "pledges_receivable", "debit": "0.00", "credit": "2500000.50"},
    ]
    covenant = client.get("/api/v1/covenant/").json()
    assert covenant["received_usd"] == "2500000.50" and covenant["balance_usd"] == "2500000.50"
    kenya_row = client.get("/api/v1/nations/KEN/").json()
    assert kenya_row["received_usd"] == "2500000.50"
    listed = client.get("/api/v1/nations/KEN/contributions/").json()
    assert listed["count"] == 1


BAD_CONTRIBUTIONS = [
    ({"amount_usd": "-5.00"}, "amount_usd"),
    ({"amount_usd": "0"}, "amount_usd"),
    ({"amount_usd": "twelve"}, "amount_usd"),
    ({"amount_usd": "NaN"}, "amount_usd"),
    ({"amount_usd": "Infinity"}, "amount_usd"),
    ({"amount_usd": "1.001"}, "amount_usd"),
    ({"amount_usd": "9" * 40}, "amount_usd"),
    ({"amount_usd": None}, "amount_usd"),
    ({"received_on": "2026-02-30"}, "received_on"),
    ({"received_on": "yesterday"}, "received_on"),
    ({"received_on": "2999-01-01"}, "received_on"),
    ({"received_on": "1999-12-31"}, "received_on"),
    ({"reference": "x" * 100_000}, "reference"),
    ({"surprise": "field"}, "surprise"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("override", "field"), BAD_CONTRIBUTIONS)
def test_bad_contributions_get_a_400_naming_the_field_and_nothing_is_written(
    cast, kenya, override, field
) -> None:
    before, audit_before = postings(), AuditEntry.objects.count()
    response = contribution(client_for(cast.platform_admin), **override)
    error = assert_error(response, 400, "invalid")
    assert field in error["fields"], error
    assert postings() == before and AuditEntry.objects.count() == audit_before


@pytest.mark.django_db
def test_malformed_bodies_get_a_400(cast, kenya) -> None:
    client = client_for(cast.platform_admin)
    url = "/api/v1/nations/KEN/contributions/"
    assert_error(client.post(url, "{not json", content_type="application/json"), 400)
    assert_error(client.post(url, "[1, 2]", content_type="application/json"), 400)
    assert_error(client.post(url, '"text"', content_type="application/json"), 400)
    assert_error(client.post(url, "amount=1", content_type="text/plain"), 415)
    huge = '{"reference": "' + "x" * (2 * 1024 * 1024) + '"}'
    response = client.post(url, huge, content_type="application/json")
    assert response.status_code in (400, 413)
    assert_error(response, response.status_code)
    assert postings() == 0


@pytest.mark.django_db
def test_ledger_entries_are_for_auditors_of_their_nation_and_platform_admins(
    cast, kenya, brazil
) -> None:
    pledge_post(nation=kenya, fiscal_year=2026, actor=SYSTEM)
    pledge_post(nation=brazil, fiscal_year=2026, actor=SYSTEM)
    everything = client_for(cast.platform_admin).get("/api/v1/ledger/entries/").json()
    assert {row["nation"] for row in everything["results"]} == {"KEN", "BRA"}
    kenyan_auditor = client_for(cast.user("KEN", "auditor"))
    mine = kenyan_auditor.get("/api/v1/ledger/entries/").json()
    assert {row["nation"] for row in mine["results"]} == {"KEN"}
    assert kenyan_auditor.get("/api/v1/ledger/entries/?nation=KEN&kind=pledge").json()["count"] == 1
    assert_error(kenyan_auditor.get("/api/v1/ledger/entries/?nation=BRA"), 403)
    assert_error(kenyan_auditor.get("/api/v1/ledger/entries/?kind=bogus"), 400)
    brazilian_entry = everything["results"][
        [r["nation"] for r in everything["results"]].index("BRA")
    ]
    assert_error(kenyan_auditor.get(f"/api/v1/ledger/entries/{brazilian_entry['id']}/"), 404)
    for role in ("nation_admin", "council_member", "citizen", "sector_steward", "delegate"):
        assert_error(client_for(cast.user("KEN", role)).get("/api/v1/ledger/entries/"), 403)
    assert_error(client_for(None).get("/api/v1/ledger/entries/"), 403)


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_postings_cannot_be_changed_through_the_api(cast, kenya, method) -> None:
    entry = pledge_post(nation=kenya, fiscal_year=2026, actor=SYSTEM)
    client = client_for(cast.platform_admin)
    for url in ("/api/v1/ledger/entries/", f"/api/v1/ledger/entries/{entry.pk}/"):
        response = getattr(client, method)(url, {"memo": "x"}, format="json")
        assert_error(response, 405, "method_not_allowed")


@pytest.mark.django_db
def test_a_platform_admin_reverses_a_posting_through_the_api(cast, kenya) -> None:
    client = client_for(cast.platform_admin)
    posted = contribution(client).json()
    url = f"/api/v1/ledger/entries/{posted['id']}/reverse/"
    assert_error(client_for(cast.user("KEN", "auditor")).post(url, {"reason": "x"}), 403)
    assert_error(client.post(url, {}, format="json"), 400)
    response = client.post(url, {"reason": "duplicate transfer"}, format="json")
    assert response.status_code == 201 and response.json()["reverses"] == posted["id"]
    assert_error(client.post(url, {"reason": "again"}, format="json"), 409, "conflict")
    assert client.get("/api/v1/covenant/").json()["received_usd"] == "0.00"


@pytest.mark.django_db
def test_demo_seed_records_a_realistic_year(cast) -> None:
    from covenant.nations.demo import demo_ledger_seed

    pledges, contributions = demo_ledger_seed(year=2026)
    assert pledges == 193
    assert contributions > 150
    assert demo_ledger_seed(year=2026) == (0, 0)  # idempotent
    totals = ledger_totals_by_nation()
    paid = sum(1 for t in totals.values() if t.outstanding_usd == 0)
    partly = sum(1 for t in totals.values() if 0 < t.received_usd < t.pledged_usd)
    unpaid = sum(1 for t in totals.values() if t.received_usd == 0)
    assert paid > 100 and partly > 10 and unpaid > 10
    assert all(t.received_usd <= t.pledged_usd for t in totals.values())
    latest = timezone.now().date()
    with all_nations(reason="test"):
        assert not LedgerEntry.objects.filter(effective_on__gt=latest).exists()
