"""The audit chain: intact on a used database; any change, deletion, insertion or reordering
is found and named; concurrent writers never fork it."""

from __future__ import annotations

import copy
import datetime as dt
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, connection, connections, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from covenant.audit.chain import chain_hash, entry_body, verify_entries
from covenant.audit.models import GENESIS_HASH, AuditEntry
from covenant.audit.selectors import audit_chain_verify
from covenant.audit.services import audit_record
from covenant.db.append_only import drop_append_only_sql
from tests.conftest import postgres_only


def write_some(count: int = 6) -> None:
    for number in range(count):
        audit_record(
            action="test.event",
            actor=f"p_{number:04d}",
            nation="KEN" if number % 2 else "BRA",
            target_type="thing",
            target_id=number,
            data={"n": number, "amount_usd": "12.50", "nested": {"b": [1, 2], "a": None}},
        )


def tamper(sql: str, params: list | None = None) -> None:
    """Play the attacker who has the database: drop the append-only guard, then change rows."""
    with connection.cursor() as cursor:
        for statement in drop_append_only_sql(connection.vendor, "audit_auditentry"):
            cursor.execute(statement)
        cursor.execute(sql, params or [])


def verify_fails_at(sequence: int) -> None:
    result = audit_chain_verify()
    assert not result.ok
    assert result.first_bad == sequence, result
    with pytest.raises(CommandError, match=f"#{sequence}"):
        call_command("audit_verify")


@pytest.mark.django_db
def test_a_used_log_verifies_and_the_command_says_so(cast, capsys) -> None:
    write_some()
    result = audit_chain_verify()
    assert result.ok and result.first_bad is None
    assert result.entries == AuditEntry.objects.count()
    call_command("audit_verify")
    assert "audit log intact" in capsys.readouterr().out
    # the operator's verification is itself the next entry, and the chain still holds
    assert AuditEntry.objects.order_by("-sequence").first().action == "audit.verified"
    assert audit_chain_verify().ok


@pytest.mark.django_db
def test_entries_hold_pseudonyms_not_e_mail_addresses(cast) -> None:
    for entry in AuditEntry.objects.all():
        text = f"{entry.actor} {entry.target_id} {entry.data}"
        assert "@" not in text, entry


@pytest.mark.django_db
def test_the_database_refuses_update_and_delete() -> None:
    write_some(2)
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        AuditEntry.objects.filter(sequence=1).update(action="changed")
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        AuditEntry.objects.filter(sequence=2).delete()
    assert AuditEntry.objects.count() == 2


@pytest.mark.django_db
def test_a_changed_entry_is_named() -> None:
    write_some()
    tamper("UPDATE audit_auditentry SET actor = %s WHERE sequence = 4", ["p_evil"])
    verify_fails_at(4)


@pytest.mark.django_db
def test_changed_data_is_named() -> None:
    write_some()
    tamper("UPDATE audit_auditentry SET data = %s WHERE sequence = 3", ['{"n": 99}'])
    verify_fails_at(3)


@pytest.mark.django_db
def test_a_deleted_entry_is_found() -> None:
    write_some()
    tamper("DELETE FROM audit_auditentry WHERE sequence = 3")
    verify_fails_at(4)


@pytest.mark.django_db
def test_a_deleted_last_entry_cannot_be_hidden_from_a_published_head() -> None:
    write_some()
    head = audit_chain_verify().head
    tamper("DELETE FROM audit_auditentry WHERE sequence = 6")
    result = audit_chain_verify()
    assert result.ok and result.head != head  # a truncated tail shows as a different head


@pytest.mark.django_db
def test_an_inserted_entry_is_found() -> None:
    write_some()
    tamper("UPDATE audit_auditentry SET sequence = sequence + 100 WHERE sequence >= 4")
    forged = entry_body(
        sequence=4,
        recorded_at=dt.datetime.now(dt.UTC),
        action="test.forged",
        actor="p_evil",
        nation="KEN",
        target_type="",
        target_id="",
        data={},
    )
    prev = AuditEntry.objects.get(sequence=3).hash
    AuditEntry.objects.create(
        sequence=4,
        recorded_at=dt.datetime.fromisoformat(forged["recorded_at"]),
        action="test.forged",
        actor="p_evil",
        nation="KEN",
        data={},
        prev_hash="f" * 64,  # the real successor already holds the unique prev_hash
        hash=chain_hash(prev, forged),
    )
    verify_fails_at(4)


@pytest.mark.django_db
def test_reordered_entries_are_found() -> None:
    write_some()
    tamper("UPDATE audit_auditentry SET sequence = 1000 WHERE sequence = 2")
    tamper("UPDATE audit_auditentry SET sequence = 2 WHERE sequence = 5")
    tamper("UPDATE audit_auditentry SET sequence = 5 WHERE sequence = 1000")
    verify_fails_at(2)


def _chain(length: int) -> list[AuditEntry]:
    entries, prev = [], GENESIS_HASH
    moment = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for number in range(1, length + 1):
        entry = AuditEntry(
            sequence=number,
            recorded_at=moment + dt.timedelta(seconds=number),
            action="test.event",
            actor=f"p_{number}",
            nation="KEN",
            target_type="thing",
            target_id=str(number),
            data={"n": number},
            prev_hash=prev,
        )
        entry.hash = chain_hash(
            prev,
            entry_body(
                **{
                    field: getattr(entry, field)
                    for field in (
                        "sequence",
                        "recorded_at",
                        "action",
                        "actor",
                        "nation",
                        "target_type",
                        "target_id",
                        "data",
                    )
                }
            ),
        )
        prev = entry.hash
        entries.append(entry)
    return entries


FIELDS = ["action", "actor", "nation", "target_type", "target_id", "data", "recorded_at"]


@settings(max_examples=200, deadline=None)
@given(
    length=st.integers(min_value=1, max_value=12),
    data=st.data(),
)
def test_property_any_single_change_breaks_the_chain_at_that_entry(length, data) -> None:
    entries = _chain(length)
    assert verify_entries(entries).ok
    index = data.draw(st.integers(min_value=0, max_value=length - 1))
    field = data.draw(st.sampled_from(FIELDS))
    tampered = copy.deepcopy(entries)
    victim = tampered[index]
    if field == "data":
        victim.data = {"n": victim.data["n"] + 1}
    elif field == "recorded_at":
        victim.recorded_at += dt.timedelta(microseconds=1)
    else:
        setattr(victim, field, getattr(victim, field) + "x")
    result = verify_entries(tampered)
    assert not result.ok and result.first_bad == index + 1


@settings(max_examples=100, deadline=None)
@given(length=st.integers(min_value=2, max_value=12), data=st.data())
def test_property_deleting_or_swapping_entries_is_found(length, data) -> None:
    entries = _chain(length)
    i = data.draw(st.integers(min_value=0, max_value=length - 2))
    dropped = entries[:i] + entries[i + 1 :]
    assert not verify_entries(dropped).ok
    swapped = list(entries)
    swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
    assert not verify_entries(swapped).ok


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_do_not_fork_the_chain_on_postgresql() -> None:
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        try:
            for number in range(15):
                audit_record(action="test.concurrent", actor=f"p_w{worker}", data={"n": number})
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    result = audit_chain_verify()
    assert result.ok and result.entries == 90


# --- the API ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_auditors_read_their_nations_entries_and_platform_admins_all(cast) -> None:
    from tests.conftest import assert_error, client_for

    audit_record(action="test.platform", actor="system:test")  # no nation
    kenyan = client_for(cast.user("KEN", "auditor"))
    mine = kenyan.get("/api/v1/audit/entries/?page_size=200").json()
    assert mine["count"] > 0 and {row["nation"] for row in mine["results"]} == {"KEN"}
    assert all("@" not in str(row) for row in mine["results"])
    assert_error(kenyan.get("/api/v1/audit/entries/?nation=BRA"), 403)
    assert kenyan.get("/api/v1/audit/entries/?nation=KEN").json()["count"] == mine["count"]
    everything = client_for(cast.platform_admin).get("/api/v1/audit/entries/?page_size=200").json()
    assert everything["count"] == AuditEntry.objects.count()
    for role in ("nation_admin", "council_member", "citizen", "sector_steward", "delegate"):
        assert_error(client_for(cast.user("KEN", role)).get("/api/v1/audit/entries/"), 403)
        assert_error(client_for(cast.user("KEN", role)).get("/api/v1/audit/verify/"), 403)
    assert_error(client_for(None).get("/api/v1/audit/entries/"), 401)


@pytest.mark.django_db
def test_the_verify_endpoint_reports_the_chain_to_each_as_they_may_see_it(cast) -> None:
    """A platform admin gets the whole chain's count and head; a nation's auditor the whole
    chain's verdict, but the count, first bad entry and head of their own nations only."""
    from tests.conftest import client_for

    write_some()
    admin = client_for(cast.platform_admin)
    brazilian, kenyan = (client_for(cast.user(iso3, "auditor")) for iso3 in ("BRA", "KEN"))
    last = AuditEntry.objects.order_by("-sequence").first()
    assert admin.get("/api/v1/audit/verify/").json() == {
        "ok": True,
        "entries": AuditEntry.objects.count(),
        "first_bad": None,
        "head": last.hash,
        "nations": None,
    }
    brazils = AuditEntry.objects.filter(nation="BRA").order_by("sequence")
    assert 0 < brazils.count() < AuditEntry.objects.count()
    assert brazilian.get("/api/v1/audit/verify/").json() == {
        "ok": True,
        "entries": brazils.count(),
        "first_bad": None,
        "head": brazils.last().hash,
        "nations": ["BRA"],
    }
    kenyan_entry = AuditEntry.objects.filter(nation="KEN").order_by("sequence")[1]
    tamper(
        "UPDATE audit_auditentry SET action = 'forged' WHERE sequence = %s",
        [kenyan_entry.sequence],
    )
    assert admin.get("/api/v1/audit/verify/").json()["first_bad"] == kenyan_entry.sequence
    mine = kenyan.get("/api/v1/audit/verify/").json()
    assert mine == {**mine, "ok": False, "first_bad": kenyan_entry.sequence, "entries": 1}
    theirs = brazilian.get("/api/v1/audit/verify/").json()
    # the break is reported (one chain), but not where: it is not one of Brazil's entries
    assert theirs == {**theirs, "ok": False, "first_bad": None, "nations": ["BRA"]}
    assert theirs["entries"] == brazils.filter(sequence__lt=kenyan_entry.sequence).count()
