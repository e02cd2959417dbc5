"""The tally bundle of a closed proposal: everything needed to recount it offline with
`recount.py` and nothing that a secret ballot keeps.

- `roster`: the frozen roster's (seat, holder pseudonym, weight) rows; `roster_hash` its
  SHA-256 (published at opening); `weights.basis`: the pledges behind pledge or Penrose
  weights, so that each weight can be re-derived.
- `chain`: the whole vote log (open, every ballot event, close), each entry with its body
  (canonical JSON), `prev_hash` and `hash`; `head`: the last hash. A receipt is an entry's
  hash.
- `ballots`: the ballot that counts for each seat:
  - open ballot: by seat, with its choice, weight and receipt (how each seat voted is public);
  - secret ballot: by tracker (a random name known only to the seat's holder), sorted by
    tracker, so that no one can tell which seat cast which; the log shows only who voted,
    with a commitment each voter can open with the salt given to them.
- `openings` (results hidden until close, ballot not secret): the choice and salt of every
  committed ballot event, so that anyone re-checks every commitment of the chain.
- `result`: the outcome and the tally, as the portal computed them."""

from __future__ import annotations

import contextlib
from typing import Any

from django.core.cache import cache

from covenant.nations.tenancy import owner_scope

from . import counting
from .models import Ballot, Proposal, ProposalStatus, RosterEntry, VoteLogEntry

VERIFY_COMMAND = "python3 governance/recount.py bundle.json [--receipt HASH]"
CACHE_SECONDS = 24 * 3600


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def build_bundle(proposal: Proposal) -> dict[str, Any]:
    if proposal.status != ProposalStatus.CLOSED:
        raise ValueError("a bundle is published when the vote closes")
    council = proposal.council
    with owner_scope(proposal.nation_id):
        roster = list(RosterEntry.objects.filter(proposal=proposal).order_by("seat_code"))
        chain = list(VoteLogEntry.objects.filter(proposal=proposal).order_by("sequence"))
        ballots = list(Ballot.objects.filter(proposal=proposal).order_by("seat_code"))
    weights = {entry.seat_code: entry.weight_text for entry in roster}
    bundle: dict[str, Any] = {
        "format": counting.BUNDLE_FORMAT,
        "proposal": {
            "id": proposal.pk,
            "council": {
                "id": council.pk,
                "name": council.name,
                "nation": council.nation.iso3 if council.nation is not None else None,
            },
            "kind": proposal.kind,
            "title": proposal.title,
            "project": proposal.project_id,
            "amount_usd": None if proposal.amount_usd is None else str(proposal.amount_usd),
            "secret_ballot": proposal.secret_ballot,
            "hide_results_until_close": proposal.hide_results_until_close,
            "opened_at": _iso(proposal.opened_at),
            "closes_at": _iso(proposal.closes_at),
            "closed_at": _iso(proposal.closed_at),
        },
        "rule": proposal.rule.to_json(),
        "roster": [
            {"seat": entry.seat_code, "holder": entry.holder, "weight": entry.weight_text}
            for entry in roster
        ],
        "roster_hash": proposal.roster_hash,
        "weights": {
            "weighting": proposal.weighting,
            "basis": (
                []
                if proposal.weighting == "equal"
                else [
                    {
                        "seat": entry.seat_code,
                        "pledge_usd": None if entry.pledge_usd is None else str(entry.pledge_usd),
                    }
                    for entry in roster
                ]
            ),
        },
        "chain": [
            {
                "sequence": entry.sequence,
                "prev_hash": entry.prev_hash,
                "hash": entry.hash,
                "body": entry.body,
            }
            for entry in chain
        ],
        "head": proposal.log_head,
        "result": {
            "outcome": proposal.outcome,
            "tally": proposal.live_tally.to_json(),
            "roster_seats": proposal.roster_seats,
            "roster_weight": counting.weight_text(proposal.roster_weight),
        },
        "verify": VERIFY_COMMAND,
    }
    if proposal.secret_ballot:
        bundle["ballots"] = sorted(
            (
                {"tracker": b.tracker, "choice": b.choice, "weight": weights[b.seat_code]}
                for b in ballots
            ),
            key=lambda row: row["tracker"],
        )
    else:
        bundle["ballots"] = [
            {
                "seat": b.seat_code,
                "choice": b.choice,
                "weight": weights[b.seat_code],
                "receipt": b.receipt,
            }
            for b in ballots
        ]
        if proposal.hide_results_until_close:
            bundle["openings"] = [
                {"sequence": entry.sequence, "choice": entry.choice, "salt": entry.salt}
                for entry in chain
                if entry.event == "ballot"
            ]
    return bundle


def proposal_bundle(proposal: Proposal) -> dict[str, Any]:
    """The bundle of a closed proposal; it never changes, so it is cached (by its head)."""
    key = f"governance:bundle:{proposal.pk}:{proposal.log_head}"
    try:
        cached = cache.get(key)
    except Exception:  # the cache is an accelerator: without it, build from the database
        cached = None
    if cached is not None:
        return dict(cached)
    bundle = build_bundle(proposal)
    with contextlib.suppress(Exception):  # a cache that is down is not an error
        cache.set(key, bundle, CACHE_SECONDS)
    return bundle
