"""Real concurrency on PostgreSQL (threads, each with its own connection): a hundred ballots at
once leave one row per seat and a tally equal to the ballots; closes racing each other (and the
beat) close once and post one allocation."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connections

from covenant.access.principal import Principal
from covenant.errors import Conflict
from covenant.ledger.models import Kind, LedgerEntry
from covenant.ledger.selectors import ledger_totals
from covenant.nations.tenancy import nation_scope
from governance import counting
from governance.models import Ballot, Proposal, Seat, VoteLogEntry
from governance.services import (
    BEAT,
    ballot_cast,
    proposal_close,
    proposal_open,
    proposals_tick,
    tally_recount,
)
from sectors.core.models import Project
from tests.conftest import postgres_only
from tests.governance.conftest import add_members, council_of, draft

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


def all_at_once(jobs: list[Callable[[], Any]]) -> tuple[list[Any], list[BaseException]]:
    """Run every job in its own thread, released together by a barrier."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(job: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            value = job()
            with lock:
                results.append(value)
        except BaseException as error:
            with lock:
                errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results, errors


def test_a_hundred_simultaneous_ballots_leave_one_row_per_seat_and_a_true_tally(cast, kenya):
    council = council_of(kenya)
    add_members(kenya, 99)  # 100 seats
    proposer = cast.user("KEN", "council_member")
    proposal = proposal_open(proposal=draft(council, proposer), actor=Principal(user=proposer))
    with nation_scope(kenya):
        seats = {
            seat.code: Principal(user=seat.holder.user)
            for seat in Seat.objects.filter(council=council).select_related("holder__user")
        }
    codes = sorted(seats)
    assert len(codes) == 100
    first = {code: counting.CHOICES[index % 3] for index, code in enumerate(codes)}
    # every seat votes, and 20 seats vote a second time at the same moment (a change of mind)
    jobs = [
        (lambda code=code: ballot_cast(proposal=proposal, choice=first[code], actor=seats[code]))
        for code in codes
    ] + [
        (lambda code=code: ballot_cast(proposal=proposal, choice="yes", actor=seats[code]))
        for code in codes[:20]
    ]
    results, errors = all_at_once(jobs)
    assert errors == [] and len(results) == 120
    with nation_scope(kenya):
        rows = {b.seat_code: b for b in Ballot.objects.filter(proposal=proposal)}
        stored = Proposal.objects.get(pk=proposal.pk)
        log = list(VoteLogEntry.objects.filter(proposal=proposal).order_by("sequence"))
    assert len(rows) == 100  # exactly one row per seat
    # the last logged ballot of each seat is its row's choice and its receipt
    last = {}
    for entry in log:
        if entry.event == "ballot":
            last[entry.seat_code] = entry
    assert set(last) == set(rows)
    for code, ballot in rows.items():
        assert ballot.receipt == last[code].hash
        assert ballot.choice == json.loads(last[code].body)["choice"]
    expected = counting.tally_of((b.choice, counting.Fraction(1)) for b in rows.values())
    assert stored.live_tally == tally_recount(stored) == expected
    assert counting.verify_chain(
        [
            {"sequence": e.sequence, "prev_hash": e.prev_hash, "hash": e.hash, "body": e.body}
            for e in log
        ],
        proposal=proposal.pk,
    ).ok
    changes = sum(1 for code in codes[:20] if first[code] != "yes")
    assert len(log) == 1 + 100 + changes  # a same-choice retry appends nothing


def test_racing_closes_post_the_allocation_once(cast, kenya):
    council = council_of(kenya)
    voters = [cast.user("KEN", "council_member"), *add_members(kenya, 2)]
    with nation_scope(kenya):
        project = Project.objects.create(
            nation=kenya, sector="health", name="District clinics", budget_usd=Decimal("9000000")
        )
    proposal = draft(council, voters[0], kind="budget", project=project, amount_usd="2500000.00")
    proposal_open(proposal=proposal, actor=Principal(user=voters[0]))
    for voter in voters:
        ballot_cast(proposal=proposal, choice="yes", actor=Principal(user=voter))
    disbursed_before = ledger_totals().disbursed_usd

    def close_by(actor: Principal) -> str:
        try:
            return proposal_close(proposal=proposal, actor=actor).outcome or ""
        except Conflict:
            return "conflict"

    later = proposal.closes_at
    jobs: list[Callable[[], Any]] = [
        (lambda: close_by(Principal(user=voters[0]))) for _ in range(6)
    ] + [(lambda: close_by(BEAT)), (lambda: proposals_tick(now=later)["closed"])]
    results, errors = all_at_once(jobs)
    assert errors == []
    closes = [r for r in results if r == "passed"] + [r for r in results if r == 1]
    assert len(closes) == 1, results
    with nation_scope(kenya):
        allocations = LedgerEntry.objects.filter(kind=Kind.ALLOCATION)
        assert allocations.count() == 1
        assert allocations.get().source == f"proposal:{proposal.pk}"
        assert VoteLogEntry.objects.filter(proposal=proposal, event="close").count() == 1
    assert ledger_totals().disbursed_usd - disbursed_before == Decimal("2500000.00")
    # and a retry of the close, later, changes nothing
    with pytest.raises(Conflict):
        proposal_close(proposal=proposal, actor=BEAT)
    with nation_scope(kenya):
        assert LedgerEntry.objects.filter(kind=Kind.ALLOCATION).count() == 1


def test_the_beat_and_a_person_opening_together_open_once(cast, kenya):
    council = council_of(kenya)
    proposer = cast.user("KEN", "council_member")
    proposal = draft(council, proposer, opens_in_hours=0.001)
    moment = proposal.opens_at

    def by_person() -> str:
        try:
            return proposal_open(proposal=proposal, actor=Principal(user=proposer)).status
        except Conflict:
            return "conflict"

    results, errors = all_at_once(
        [by_person, by_person, lambda: proposals_tick(now=moment)["opened"]]
    )
    assert errors == []
    assert sorted(map(str, results)).count("open") + results.count(1) == 1, results
    with nation_scope(kenya):
        assert VoteLogEntry.objects.filter(proposal=proposal, event="open").count() == 1
        assert Proposal.objects.get(pk=proposal.pk).roster_seats == 1
