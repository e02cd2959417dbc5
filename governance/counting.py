"""How a council's vote is counted: the rule of SPEC §3 in exact rational arithmetic, the hashes
of the vote log, the roster and the ballot commitments.

This module needs nothing but Python's standard library, on purpose: the portal counts with it
(services, pages) and so does the offline recount tool (`recount.py`, next to it), so the rule
the portal applies and the rule a citizen re-runs are one and the same text. Keep it that way:
no Django, no project import.

Numbers: weights are snapshotted at opening with six decimal places and handled here as
`Fraction`s (exactly), or as whole micro-units (weight × 10^6) where a database sums them.
Fractions of the rule (quorum, double majority) are decimal strings in JSON ("0.5")."""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

BUNDLE_FORMAT = "covenant-tally-bundle/1"
GENESIS_HASH = "0" * 64
WEIGHT_PLACES = 6
MICRO = 10**WEIGHT_PLACES

YES, NO, ABSTAIN = "yes", "no", "abstain"
CHOICES = (YES, NO, ABSTAIN)
THRESHOLDS = ("simple", "three_fifths", "two_thirds", "unanimous")
BASES = ("cast", "cast_with_abstain", "roster")
WEIGHTINGS = ("equal", "pledge", "penrose")
PASSED, REJECTED, NO_QUORUM = "passed", "rejected", "no_quorum"
OUTCOMES = (PASSED, REJECTED, NO_QUORUM)
EVENTS = ("open", "ballot", "close", "withdraw")

# threshold → (fraction, strict): simple needs more than half; the others at least their share.
THRESHOLD_FRACTIONS: dict[str, tuple[Fraction, bool]] = {
    "simple": (Fraction(1, 2), True),
    "three_fifths": (Fraction(3, 5), False),
    "two_thirds": (Fraction(2, 3), False),
}

_DECIMAL_TEXT = re.compile(r"^(0|[1-9][0-9]*)(\.[0-9]{1,12})?$")


class RuleError(ValueError):
    """A rule, a weight or a number that the counting rules cannot accept (names the field)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


# --- Numbers -------------------------------------------------------------------------------------


def fraction_from_text(text: Any, *, field: str = "value") -> Fraction:
    """A plain decimal string ("0.5", "1", "0.666667") as an exact fraction. Floats, exponents,
    signs, NaN and infinities are refused: a rule is text, never a binary float."""
    if isinstance(text, bool) or not isinstance(text, str | int | Decimal):
        raise RuleError(field, 'a decimal string such as "0.5"')
    value = str(text)
    if not _DECIMAL_TEXT.match(value):
        raise RuleError(field, f'{value[:40]!r} is not a plain decimal such as "0.5"')
    return Fraction(value)


def fraction_text(value: Fraction) -> str:
    """The shortest exact decimal string of a fraction whose denominator divides a power of
    ten ("0.5", "1", "0.55"); others are refused rather than rounded."""
    value = Fraction(value)
    if value < 0:
        raise RuleError("value", "negative")
    places = 0
    while 10**places % value.denominator:
        places += 1
        if places > 30:
            raise RuleError("value", "not a terminating decimal")
    scaled = value * 10**places
    assert scaled.denominator == 1
    digits = str(scaled.numerator).rjust(places + 1, "0")
    if places == 0:
        return digits
    return f"{digits[:-places]}.{digits[-places:]}"


def weight_from_micro(micro: int) -> Fraction:
    return Fraction(micro, MICRO)


def weight_text(value: Fraction) -> str:
    """A weight (or a sum of weights) with exactly six decimal places: "1.000000"."""
    scaled = Fraction(value) * MICRO
    if scaled.denominator != 1 or scaled < 0:
        raise RuleError("weight", f"{value} is not a non-negative multiple of 10^-6")
    digits = str(scaled.numerator).rjust(WEIGHT_PLACES + 1, "0")
    return f"{digits[:-WEIGHT_PLACES]}.{digits[-WEIGHT_PLACES:]}"


def weight_from_text(text: Any, *, field: str = "weight") -> Fraction:
    value = fraction_from_text(text, field=field)
    if (value * MICRO).denominator != 1:
        raise RuleError(field, "more than six decimal places")
    return value


def _pledge_cents(pledge_usd: Any) -> int:
    if pledge_usd is None:
        return 0
    cents = Fraction(fraction_from_text(pledge_usd, field="pledge_usd")) * 100
    if cents.denominator != 1:
        raise RuleError("pledge_usd", "more than two decimal places")
    return cents.numerator


def pledge_weight_micro(pledge_usd: Any) -> int:
    """`pledge` weighting: the nation's annual pledge in USD (no pledge: weight 0)."""
    return _pledge_cents(pledge_usd) * (MICRO // 100)


def penrose_weight_micro(pledge_usd: Any) -> int:
    """`penrose` weighting: √pledge, rounded half-even to six places, computed exactly with
    integers: √(cents / 100) × 10^6 = √(cents × 10^10); the exact midpoint cannot occur (4n is
    even, (2r+1)² odd), so comparing 4n with (2r+1)² rounds correctly."""
    n = _pledge_cents(pledge_usd) * 10**10
    root = math.isqrt(n)
    return root + 1 if 4 * n > (2 * root + 1) ** 2 else root


def weight_micro_for(weighting: str, pledge_usd: Any) -> int:
    if weighting == "equal":
        return MICRO
    if weighting == "pledge":
        return pledge_weight_micro(pledge_usd)
    if weighting == "penrose":
        return penrose_weight_micro(pledge_usd)
    raise RuleError("weighting", f"one of {', '.join(WEIGHTINGS)}")


# --- The rule -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """quorum: share of the roster's weight that must cast a ballot (abstain counts), reached
    if ≥; threshold on `base`; `weighting` of the seats; optional double majority: the share
    of yes seats among the base's seats (one seat one vote) must also be ≥ it."""

    quorum: Fraction = Fraction(1, 2)
    threshold: str = "simple"
    base: str = "cast"
    weighting: str = "equal"
    double_majority: Fraction | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.quorum <= 1:
            raise RuleError("quorum", "between 0 and 1")
        if self.threshold not in THRESHOLDS:
            raise RuleError("threshold", f"one of {', '.join(THRESHOLDS)}")
        if self.base not in BASES:
            raise RuleError("base", f"one of {', '.join(BASES)}")
        if self.weighting not in WEIGHTINGS:
            raise RuleError("weighting", f"one of {', '.join(WEIGHTINGS)}")
        if self.double_majority is not None and not 0 < self.double_majority <= 1:
            raise RuleError("double_majority", "above 0 and at most 1, or null")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Rule:
        if not isinstance(data, Mapping):
            raise RuleError("rule", "an object")
        unknown = sorted(
            set(data) - {"quorum", "threshold", "base", "weighting", "double_majority"}
        )
        if unknown:
            raise RuleError(str(unknown[0]), "unknown field")
        double = data.get("double_majority")
        return cls(
            quorum=fraction_from_text(data.get("quorum", "0.5"), field="quorum"),
            threshold=str(data.get("threshold", "simple")),
            base=str(data.get("base", "cast")),
            weighting=str(data.get("weighting", "equal")),
            double_majority=(
                None if double is None else fraction_from_text(double, field="double_majority")
            ),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "quorum": fraction_text(self.quorum),
            "threshold": self.threshold,
            "base": self.base,
            "weighting": self.weighting,
            "double_majority": (
                None if self.double_majority is None else fraction_text(self.double_majority)
            ),
        }


@dataclass(frozen=True)
class Tally:
    """Weights (exact) and seat counts of each choice."""

    yes: Fraction = Fraction(0)
    no: Fraction = Fraction(0)
    abstain: Fraction = Fraction(0)
    yes_seats: int = 0
    no_seats: int = 0
    abstain_seats: int = 0

    @property
    def seats_voted(self) -> int:
        return self.yes_seats + self.no_seats + self.abstain_seats

    @property
    def weight_voted(self) -> Fraction:
        return self.yes + self.no + self.abstain

    def plus(self, choice: str, weight: Fraction, seats: int = 1) -> Tally:
        if choice == YES:
            return Tally(
                self.yes + weight,
                self.no,
                self.abstain,
                self.yes_seats + seats,
                self.no_seats,
                self.abstain_seats,
            )
        if choice == NO:
            return Tally(
                self.yes,
                self.no + weight,
                self.abstain,
                self.yes_seats,
                self.no_seats + seats,
                self.abstain_seats,
            )
        if choice == ABSTAIN:
            return Tally(
                self.yes,
                self.no,
                self.abstain + weight,
                self.yes_seats,
                self.no_seats,
                self.abstain_seats + seats,
            )
        raise RuleError("choice", f"one of {', '.join(CHOICES)}")

    def to_json(self) -> dict[str, Any]:
        return {
            "yes": weight_text(self.yes),
            "no": weight_text(self.no),
            "abstain": weight_text(self.abstain),
            "seats_voted": self.seats_voted,
            "yes_seats": self.yes_seats,
            "no_seats": self.no_seats,
            "abstain_seats": self.abstain_seats,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Tally:
        return cls(
            yes=weight_from_text(data["yes"], field="yes"),
            no=weight_from_text(data["no"], field="no"),
            abstain=weight_from_text(data["abstain"], field="abstain"),
            yes_seats=int(data["yes_seats"]),
            no_seats=int(data["no_seats"]),
            abstain_seats=int(data["abstain_seats"]),
        )


def tally_of(ballots: Iterable[tuple[str, Fraction]]) -> Tally:
    """The tally of (choice, weight) pairs: one per seat (the seat's last ballot)."""
    tally = Tally()
    for choice, weight in ballots:
        tally = tally.plus(choice, weight)
    return tally


def _majority_reached(rule: Rule, tally: Tally, roster_weight: Fraction, roster_seats: int) -> bool:
    if rule.threshold == "unanimous":
        weight_ok = tally.no == 0 and tally.yes > 0
    else:
        base = {
            "cast": tally.yes + tally.no,
            "cast_with_abstain": tally.yes + tally.no + tally.abstain,
            "roster": roster_weight,
        }[rule.base]
        if base <= 0:
            weight_ok = False
        else:
            share, strict = THRESHOLD_FRACTIONS[rule.threshold]
            weight_ok = tally.yes / base > share if strict else tally.yes / base >= share
    if not weight_ok:
        return False
    if rule.double_majority is None:
        return True
    base_seats = {
        "cast": tally.yes_seats + tally.no_seats,
        "cast_with_abstain": tally.seats_voted,
        "roster": roster_seats,
    }[rule.base]
    return base_seats > 0 and Fraction(tally.yes_seats, base_seats) >= rule.double_majority


def quorum_reached(rule: Rule, tally: Tally, roster_weight: Fraction) -> bool:
    return tally.weight_voted >= rule.quorum * roster_weight


def outcome(rule: Rule, tally: Tally, roster_weight: Fraction, roster_seats: int) -> str:
    """passed, rejected or no_quorum. No ballot at all: no_quorum (rejected if the quorum is
    0); quorum not reached: no_quorum; else passed iff the majority (and the double majority,
    if any) is reached. A tie under `simple` fails."""
    if tally.seats_voted == 0:
        return NO_QUORUM if rule.quorum > 0 else REJECTED
    if not quorum_reached(rule, tally, roster_weight):
        return NO_QUORUM
    return PASSED if _majority_reached(rule, tally, roster_weight, roster_seats) else REJECTED


# --- What it still takes to pass -----------------------------------------------------------------


@dataclass(frozen=True)
class Prospect:
    """Where an open vote stands, as if it closed now, and what it still takes to pass:
    `yes_seats_needed` more yes ballots from the seats that have not voted (the heaviest
    first), carrying `yes_weight_needed`; 0 when it passes as it stands; None when the seats
    left cannot pass it on their own (only changed ballots could). `quorum_weight_needed`: the
    least ballot weight (any choice) still to cast for the quorum, in whole micro-units."""

    outcome_now: str
    yes_seats_needed: int | None
    yes_weight_needed: Fraction | None
    quorum_weight_needed: Fraction
    seats_left: int


def prospect(
    rule: Rule,
    tally: Tally,
    roster_weight: Fraction,
    roster_seats: int,
    *,
    weights_left: Sequence[Fraction] | None = None,
    seats_left: int | None = None,
    uniform_weight: Fraction | None = None,
) -> Prospect:
    """Give the weights of the seats that have not voted (`weights_left`), or, when every seat
    weighs the same, their number and that weight (`seats_left`, `uniform_weight`). Passing
    only grows with more yes ballots, so the fewest is found by bisection."""
    if weights_left is not None:
        ordered = sorted(weights_left, reverse=True)
        prefix = [Fraction(0)]
        for weight in ordered:
            prefix.append(prefix[-1] + weight)
        left = len(ordered)

        def weight_of(k: int) -> Fraction:
            return prefix[k]
    else:
        if seats_left is None or uniform_weight is None:
            raise ValueError("give weights_left, or seats_left and uniform_weight")
        left = seats_left
        uniform = uniform_weight

        def weight_of(k: int) -> Fraction:
            return uniform * k

    def passes(k: int) -> bool:
        trial = tally.plus(YES, weight_of(k), seats=k) if k else tally
        return outcome(rule, trial, roster_weight, roster_seats) == PASSED

    now = outcome(rule, tally, roster_weight, roster_seats)
    # weights are whole micro-units, so the least weight that can close the gap is the gap
    # rounded up to a micro-unit
    gap = max(Fraction(0), rule.quorum * roster_weight - tally.weight_voted)
    quorum_gap = Fraction(math.ceil(gap * MICRO), MICRO)
    if now == PASSED:
        return Prospect(now, 0, Fraction(0), quorum_gap, left)
    if not passes(left):
        return Prospect(now, None, None, quorum_gap, left)
    low, high = 0, left  # passes(high) holds, passes(low) does not
    while high - low > 1:
        middle = (low + high) // 2
        if passes(middle):
            high = middle
        else:
            low = middle
    return Prospect(now, high, weight_of(high), quorum_gap, left)


# --- Hashes ---------------------------------------------------------------------------------------


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 kept: the text that is hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chain_hash(prev_hash: str, body_text: str) -> str:
    """hash_i = SHA-256(hash_{i−1} ‖ canonical JSON of entry i), as the audit log."""
    return sha256_text(prev_hash + body_text)


def roster_rows(roster: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The roster as hashed: (seat, holder, weight) rows, in seat order."""
    rows = [
        {"seat": str(row["seat"]), "holder": str(row["holder"]), "weight": str(row["weight"])}
        for row in roster
    ]
    return sorted(rows, key=lambda row: row["seat"])


def roster_hash(roster: Iterable[Mapping[str, Any]]) -> str:
    """SHA-256 of the canonical JSON of the roster's (seat, holder, weight) rows."""
    return sha256_text(canonical_json(roster_rows(roster)))


def ballot_commitment(
    *, proposal: int, seat: str, choice: str, salt: str, tracker: str = ""
) -> str:
    """What the vote log records instead of the choice when results are hidden or the ballot
    is secret: SHA-256 of (proposal, seat, choice, salt[, tracker]). Only who holds the salt
    (the voter; everyone after close when only the results were hidden) can open it."""
    return sha256_text(
        canonical_json(
            {"proposal": proposal, "seat": seat, "choice": choice, "salt": salt, "tracker": tracker}
        )
    )


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    entries: int
    head: str
    first_bad: int | None  # the sequence number of the first entry that fails
    reason: str


def verify_chain(
    entries: Sequence[Mapping[str, Any]], *, proposal: int | None = None
) -> ChainCheck:
    """Each entry: {"sequence", "prev_hash", "hash", "body"} where body is the canonical JSON
    text of the entry. Sequences run 1, 2, 3 …; each links to its predecessor's hash and hashes
    to its own; its body names its own sequence (and proposal), so it cannot be moved."""
    expected_prev = GENESIS_HASH
    for position, entry in enumerate(entries, start=1):
        sequence = entry.get("sequence")

        def bad(
            reason: str,
            sequence: Any = sequence,
            position: int = position,
            head: str = expected_prev,
        ) -> ChainCheck:
            first = sequence if isinstance(sequence, int) else position
            return ChainCheck(False, position, head, first, reason)

        if sequence != position:
            return bad(f"sequence {sequence} found where {position} was expected")
        if entry.get("prev_hash") != expected_prev:
            return bad("prev_hash does not match the previous entry's hash")
        body_text = entry.get("body")
        if not isinstance(body_text, str):
            return bad("body is not the entry's canonical JSON text")
        try:
            body = json.loads(body_text)
        except ValueError:
            return bad("body is not JSON")
        if canonical_json(body) != body_text:
            return bad("body is not in canonical form")
        if body.get("sequence") != position or (
            proposal is not None and body.get("proposal") != proposal
        ):
            return bad("body names another sequence or proposal")
        if body.get("event") not in EVENTS:
            return bad("unknown event")
        if chain_hash(expected_prev, body_text) != entry.get("hash"):
            return bad("content does not match its hash")
        expected_prev = str(entry["hash"])
    return ChainCheck(True, len(entries), expected_prev, None, "intact")
