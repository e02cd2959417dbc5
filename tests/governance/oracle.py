"""An independent oracle of SPEC §3's counting rule, for the property tests: whole micro-units
and integer cross-multiplication only (no Fraction, nothing from governance.counting), and the
rule read straight from its JSON text."""

from __future__ import annotations

from decimal import Decimal
from itertools import combinations


def _ratio(text: str) -> tuple[int, int]:
    """ "0.666667" → (666667, 1000000): numerator and denominator, integers."""
    value = Decimal(text)
    exponent = -value.as_tuple().exponent if value.as_tuple().exponent < 0 else 0  # type: ignore[operator]
    denominator = 10**exponent
    return int(value * denominator), denominator


def oracle_outcome(rule: dict, roster: dict[str, int], ballots: dict[str, str]) -> str:
    """roster: seat → weight in micro-units; ballots: seat → its last choice."""
    if not ballots:
        return "no_quorum" if Decimal(rule["quorum"]) > 0 else "rejected"
    weight = {"yes": 0, "no": 0, "abstain": 0}
    seats = {"yes": 0, "no": 0, "abstain": 0}
    for seat, choice in ballots.items():
        weight[choice] += roster[seat]
        seats[choice] += 1
    total = sum(roster.values())
    voted = weight["yes"] + weight["no"] + weight["abstain"]
    q_num, q_den = _ratio(rule["quorum"])
    if voted * q_den < q_num * total:
        return "no_quorum"
    yes = weight["yes"]
    if rule["threshold"] == "unanimous":
        ok = weight["no"] == 0 and yes > 0
    else:
        base = {
            "cast": weight["yes"] + weight["no"],
            "cast_with_abstain": voted,
            "roster": total,
        }[rule["base"]]
        if base == 0:
            ok = False
        elif rule["threshold"] == "simple":
            ok = 2 * yes > base
        elif rule["threshold"] == "three_fifths":
            ok = 5 * yes >= 3 * base
        else:
            ok = 3 * yes >= 2 * base
    if ok and rule.get("double_majority") is not None:
        base_seats = {
            "cast": seats["yes"] + seats["no"],
            "cast_with_abstain": seats["yes"] + seats["no"] + seats["abstain"],
            "roster": len(roster),
        }[rule["base"]]
        d_num, d_den = _ratio(rule["double_majority"])
        ok = base_seats > 0 and seats["yes"] * d_den >= d_num * base_seats
    return "passed" if ok else "rejected"


def oracle_fewest_yes(rule: dict, roster: dict[str, int], ballots: dict[str, str]) -> int | None:
    """By brute force over every subset of the seats that have not voted: the fewest that,
    voting yes, pass the proposal (None: no subset does)."""
    left = [seat for seat in roster if seat not in ballots]
    for size in range(len(left) + 1):
        for subset in combinations(left, size):
            trial = dict(ballots)
            trial.update({seat: "yes" for seat in subset})
            if oracle_outcome(rule, roster, trial) == "passed":
                return size
    return None
