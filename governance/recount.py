#!/usr/bin/env python3
"""Recount a Covenant council vote offline, from its tally bundle, with Python alone.

    python3 governance/recount.py bundle.json
    python3 governance/recount.py bundle.json --receipt 3f9a…
    python3 governance/recount.py bundle.json --receipt 3f9a… --choice yes --salt … [--tracker …]
    python3 governance/recount.py - < bundle.json          (the bundle on standard input)

The bundle is published at /api/v1/proposals/<id>/bundle/ once the vote closes. This tool
needs nothing but Python's standard library and `counting.py` (the counting rules, the same
file the portal counts with), which sits next to it: copy both files anywhere and run.

It checks that the vote log is an unbroken hash chain ending at the published head; that the
roster hashes to the SHA-256 published when the vote opened, and that its weights follow the
rule (re-derived from the pledges for pledge or Penrose weights); that every ballot comes from
a seat of the roster and only each seat's last ballot counts; that the published ballots are
those of the log (for a secret ballot: as many as the seats that voted, under unlinkable
trackers); it recounts the tally in exact fractions and decides the outcome by the rule, and
compares both with what the portal published. With --receipt it finds your ballot in the log
and tells whether it counted; with --choice and --salt (and --tracker, for a secret ballot) it
opens your ballot's commitment and checks the choice that was counted for you.

Exit status: 0 when everything checks, 1 when something does not (each problem is printed),
2 when the input is not a bundle.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

if __package__:
    from . import counting
else:  # run as a script: counting.py is next to this file, on sys.path[0]
    import counting  # type: ignore[no-redef]


class NotABundle(Exception):
    pass


@dataclass
class Recount:
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    outcome: str | None = None
    tally: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def say(self, line: str) -> None:
        self.lines.append(line)

    def problem(self, line: str) -> None:
        self.problems.append(line)
        self.lines.append(f"PROBLEM: {line}")


def _short(digest: Any) -> str:
    text = str(digest)
    return f"{text[:12]}…" if len(text) > 12 else text


def _rule_in_words(rule: counting.Rule) -> str:
    threshold = {
        "simple": "more than half",
        "three_fifths": "at least three fifths",
        "two_thirds": "at least two thirds",
        "unanimous": "no vote against and at least one for",
    }[rule.threshold]
    base = {
        "cast": "of the yes and no weight",
        "cast_with_abstain": "of the yes, no and abstain weight",
        "roster": "of the whole roster's weight",
    }[rule.base]
    words = f"quorum {counting.fraction_text(rule.quorum)} of the roster's weight; {threshold}"
    if rule.threshold != "unanimous":
        words += f" {base}"
    words += f"; weights: {rule.weighting}"
    if rule.double_majority is not None:
        words += (
            f"; and at least {counting.fraction_text(rule.double_majority)} of the seats"
            " (one seat, one vote)"
        )
    return words


def _bodies(chain: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [json.loads(entry["body"]) for entry in chain]


def recount(bundle: Mapping[str, Any]) -> Recount:
    """Every check of the bundle; the report lists what was found."""
    report = Recount()
    if not isinstance(bundle, Mapping) or bundle.get("format") != counting.BUNDLE_FORMAT:
        raise NotABundle(f"not a tally bundle (format {counting.BUNDLE_FORMAT} expected)")
    try:
        meta = bundle["proposal"]
        proposal_id = int(meta["id"])
        rule = counting.Rule.from_json(bundle["rule"])
        roster_rows = list(bundle["roster"])
        chain = list(bundle["chain"])
        ballots = list(bundle["ballots"])
        result = bundle["result"]
    except (KeyError, TypeError, ValueError) as error:
        raise NotABundle(f"a part of the bundle is missing or malformed: {error}") from error
    council = meta.get("council") or {}
    report.say(f"Proposal {proposal_id}: {meta.get('title', '')!s} ({council.get('name', '?')})")
    report.say(f"Rule: {_rule_in_words(rule)}")
    secret = bool(meta.get("secret_ballot"))
    hidden = bool(meta.get("hide_results_until_close"))

    # 1. The roster and its hash, and its weights.
    weights: dict[str, Fraction] = {}
    for row in roster_rows:
        seat = str(row.get("seat"))
        if seat in weights:
            report.problem(f"seat {seat} is twice on the roster")
        try:
            weights[seat] = counting.weight_from_text(row.get("weight"), field=f"weight of {seat}")
        except counting.RuleError as error:
            report.problem(str(error))
    roster_weight = sum(weights.values(), Fraction(0))
    computed_roster_hash = counting.roster_hash(roster_rows)
    if computed_roster_hash != bundle.get("roster_hash"):
        report.problem(
            f"the roster hashes to {_short(computed_roster_hash)}, not to the published "
            f"{_short(bundle.get('roster_hash'))}"
        )
    else:
        report.say(
            f"Roster: {len(weights)} seats, weight {counting.weight_text(roster_weight)}; "
            f"SHA-256 {computed_roster_hash} matches"
        )
    basis = {
        str(row["seat"]): row.get("pledge_usd")
        for row in bundle.get("weights", {}).get("basis", [])
    }
    for seat, weight in weights.items():
        if rule.weighting == "equal":
            expected = counting.MICRO
        elif seat in basis:
            expected = counting.weight_micro_for(rule.weighting, basis[seat])
        else:
            report.problem(f"seat {seat}: no pledge given for its {rule.weighting} weight")
            continue
        if weight * counting.MICRO != expected:
            report.problem(
                f"seat {seat}: weight {counting.weight_text(weight)} is not its {rule.weighting} "
                f"weight {counting.weight_text(Fraction(expected, counting.MICRO))}"
            )

    # 2. The vote log: an unbroken chain, ending at the published head.
    check = counting.verify_chain(chain, proposal=proposal_id)
    if not check.ok:
        report.problem(f"vote log broken at entry {check.first_bad}: {check.reason}")
        return report
    if check.head != bundle.get("head"):
        report.problem(f"the log ends at {_short(check.head)}, not at the published head")
    else:
        report.say(f"Vote log: {check.entries} entries, an unbroken chain; head {check.head}")
    bodies = _bodies(chain)
    if not bodies or bodies[0].get("event") != "open":
        report.problem("the log does not begin with the opening")
        return report
    opening = bodies[0]
    if opening.get("rule") != rule.to_json():
        report.problem("the rule of the bundle is not the rule the vote opened with")
    if opening.get("roster_hash") != bundle.get("roster_hash"):
        report.problem("the roster hash of the bundle is not the one published at opening")
    if opening.get("secret_ballot") != secret or opening.get("hide_results_until_close") != hidden:
        report.problem("the ballot's secrecy differs from the one the vote opened with")
    closing = bodies[-1]
    if closing.get("event") != "close":
        report.problem("the log does not end with the close")

    # 3. The ballots: each seat's last ballot event counts.
    last: dict[str, dict[str, Any]] = {}
    for body in bodies[1:]:
        if body.get("event") == "ballot":
            seat = str(body.get("seat"))
            if seat not in weights:
                report.problem(f"entry {body.get('sequence')}: seat {seat} is not on the roster")
            last[seat] = body
        elif body.get("event") != "close" or body is not closing:
            report.problem(f"entry {body.get('sequence')}: unexpected {body.get('event')} event")
    choices: list[tuple[str, Fraction]] = []
    if secret:
        trackers = [str(row.get("tracker")) for row in ballots]
        if len(set(trackers)) != len(trackers):
            report.problem("a tracker appears twice among the ballots")
        if len(ballots) != len(last):
            report.problem(
                f"{len(ballots)} secret ballots published, but {len(last)} seats voted in the log"
            )
        common = set(weights.values())
        for row in ballots:
            try:
                weight = counting.weight_from_text(row.get("weight"))
            except counting.RuleError as error:
                report.problem(str(error))
                continue
            if weight not in common or len(common) != 1:
                report.problem("a secret ballot carries a weight that is not every seat's")
            if row.get("choice") not in counting.CHOICES:
                report.problem(f"tracker {_short(row.get('tracker'))}: no valid choice")
                continue
            choices.append((str(row["choice"]), weight))
        report.say(
            f"Ballots: {len(last)} seats voted (secret: published under {len(ballots)} "
            "unlinkable trackers)"
        )
    else:
        openings = {int(row["sequence"]): row for row in bundle.get("openings", [])}
        final: dict[str, str] = {}
        for seat, body in last.items():
            if "choice" in body:
                final[seat] = str(body["choice"])
            else:
                opened = openings.get(int(body["sequence"]))
                if opened is None:
                    report.problem(f"entry {body['sequence']}: a committed ballot without opening")
                    continue
                final[seat] = str(opened["choice"])
        for sequence, opened in openings.items():
            body = bodies[sequence - 1] if 0 < sequence <= len(bodies) else {}
            expected = counting.ballot_commitment(
                proposal=proposal_id,
                seat=str(body.get("seat")),
                choice=str(opened.get("choice")),
                salt=str(opened.get("salt")),
            )
            if body.get("commitment") != expected:
                report.problem(f"entry {sequence}: the opening does not match its commitment")
        published = {str(row.get("seat")): row for row in ballots}
        if set(published) != set(final):
            report.problem("the published ballots are not those of the seats that voted")
        for seat, choice in sorted(final.items()):
            row = published.get(seat, {})
            if row.get("choice") != choice:
                report.problem(f"seat {seat}: published {row.get('choice')}, logged {choice}")
            if row.get("receipt") != next(
                (e["hash"] for e in chain if e["sequence"] == last[seat]["sequence"]), None
            ):
                report.problem(f"seat {seat}: its receipt is not its last ballot's entry")
            if choice not in counting.CHOICES:
                report.problem(f"seat {seat}: {choice!r} is not a choice")
                continue
            choices.append((choice, weights.get(seat, Fraction(0))))
        report.say(f"Ballots: {len(final)} seats voted; each seat's last ballot counts")

    # 4. The recount, by the rule, in exact fractions.
    tally = counting.tally_of(choices)
    outcome = counting.outcome(rule, tally, roster_weight, len(weights))
    report.outcome, report.tally = outcome, tally.to_json()
    report.say(
        f"Recount: yes {counting.weight_text(tally.yes)} ({tally.yes_seats} seats), "
        f"no {counting.weight_text(tally.no)} ({tally.no_seats}), "
        f"abstain {counting.weight_text(tally.abstain)} ({tally.abstain_seats}) → {outcome}"
    )
    if result.get("outcome") != outcome:
        report.problem(f"the portal published {result.get('outcome')}, the recount gives {outcome}")
    if result.get("tally") != tally.to_json():
        report.problem("the published tally differs from the recount")
    if closing.get("outcome") != outcome or closing.get("tally") != tally.to_json():
        report.problem("the closing entry of the log differs from the recount")
    if result.get("roster_seats") != len(weights) or result.get(
        "roster_weight"
    ) != counting.weight_text(roster_weight):
        report.problem("the published roster size or weight differs from the roster")
    return report


def check_receipt(
    bundle: Mapping[str, Any],
    receipt: str,
    *,
    choice: str | None = None,
    salt: str | None = None,
    tracker: str | None = None,
) -> Recount:
    """Find a receipt in the log; with choice and salt (and tracker), open its commitment."""
    report = Recount()
    chain = list(bundle.get("chain", []))
    proposal_id = int(bundle["proposal"]["id"])
    found = next((entry for entry in chain if entry.get("hash") == receipt.strip().lower()), None)
    if found is None:
        report.problem(f"receipt {_short(receipt)} is not an entry of this vote's log")
        return report
    body = json.loads(found["body"])
    if body.get("event") != "ballot":
        report.problem(
            f"receipt {_short(receipt)} is the log's {body.get('event')} entry, not a ballot"
        )
        return report
    seat = str(body.get("seat"))
    later = [json.loads(entry["body"]) for entry in chain if entry["sequence"] > found["sequence"]]
    superseded = next(
        (b for b in later if b.get("event") == "ballot" and str(b.get("seat")) == seat), None
    )
    report.say(
        f"Receipt {receipt}: entry {found['sequence']} of the log, a ballot of seat {seat} "
        f"cast {body.get('recorded_at')}; it is in the chain that ends at the published head"
    )
    if superseded is not None:
        report.say(
            f"It was superseded by the seat's later ballot at entry {superseded['sequence']}: "
            "only the last ballot of a seat counts"
        )
    else:
        report.say("It is the seat's last ballot: it counted")
    if "choice" in body:
        report.say(f"Choice recorded: {body['choice']}")
        if choice is not None and choice != body["choice"]:
            report.problem(f"the log records {body['choice']}, not {choice}")
        return report
    secret = bool(bundle["proposal"].get("secret_ballot"))
    opening = next(
        (row for row in bundle.get("openings", []) if row.get("sequence") == found["sequence"]),
        None,
    )
    if opening is not None and choice is None:
        choice, salt = str(opening["choice"]), str(opening["salt"])
    if choice is None or salt is None:
        report.say(
            "The log holds a commitment to the choice; give --choice and --salt "
            + ("and --tracker " if secret else "")
            + "(shown with your receipt) to open it"
        )
        return report
    expected = counting.ballot_commitment(
        proposal=proposal_id, seat=seat, choice=choice, salt=salt, tracker=tracker or ""
    )
    if body.get("commitment") != expected:
        report.problem("the choice, salt (and tracker) given do not open this entry's commitment")
        return report
    report.say(f"The commitment opens to: {choice}")
    if secret and superseded is None:
        listed = [row for row in bundle.get("ballots", []) if row.get("tracker") == tracker]
        if not listed:
            report.problem(f"tracker {_short(tracker)} is not among the counted ballots")
        elif listed[0].get("choice") != choice:
            report.problem(f"tracker {_short(tracker)} was counted as {listed[0].get('choice')}")
        else:
            report.say(f"Your tracker is counted with that choice: {choice}")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Recount a Covenant council vote from its tally bundle (stdlib only)."
    )
    parser.add_argument("bundle", help="the bundle's JSON file, or - for standard input")
    parser.add_argument("--receipt", help="a ballot's receipt (the hash of its log entry)")
    parser.add_argument("--choice", choices=counting.CHOICES, help="your choice, to open it")
    parser.add_argument("--salt", help="the salt given with your receipt")
    parser.add_argument("--tracker", help="your tracker (secret ballots)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    try:
        if args.bundle == "-":
            bundle = json.load(sys.stdin)
        else:
            with open(args.bundle, encoding="utf-8") as handle:
                bundle = json.load(handle)
        report = recount(bundle)
        receipt = (
            check_receipt(
                bundle, args.receipt, choice=args.choice, salt=args.salt, tracker=args.tracker
            )
            if args.receipt
            else None
        )
    except (OSError, ValueError, NotABundle, KeyError, TypeError) as error:
        print(f"recount: {error}", file=sys.stderr)
        return 2
    problems = report.problems + (receipt.problems if receipt else [])
    if args.json:
        print(
            json.dumps(
                {
                    "ok": not problems,
                    "outcome": report.outcome,
                    "tally": report.tally,
                    "problems": problems,
                    "receipt": None if receipt is None else receipt.lines,
                },
                indent=2,
            )
        )
    else:
        for line in report.lines + (receipt.lines if receipt else []):
            print(line)
        print(
            "OK: the recount agrees with the published result."
            if not problems
            else f"FAILED: {len(problems)} problem(s) found."
        )
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
