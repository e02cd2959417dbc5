"""The counting rule (SPEC §3) as a pure function: the rule's own numbers, then random ballots
under every threshold, base, weighting and double majority against an independent oracle."""

from __future__ import annotations

import ast
from decimal import ROUND_HALF_EVEN, Decimal, getcontext
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance import counting
from governance.counting import Rule, Tally
from tests.governance.oracle import oracle_fewest_yes, oracle_outcome

ONE = Fraction(1)


def tally(yes: int = 0, no: int = 0, abstain: int = 0) -> Tally:
    """Seats of weight 1."""
    return Tally(Fraction(yes), Fraction(no), Fraction(abstain), yes, no, abstain)


def rule(**fields: str | None) -> Rule:
    return Rule.from_json(fields)


# --- The rule's own numbers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("the_rule", "votes", "seats", "expected"),
    [
        # simple: yes / (yes + no) > 1/2; a tie fails
        ({}, (3, 2, 0), 5, "passed"),
        ({}, (2, 2, 0), 5, "rejected"),  # tie under simple
        ({}, (2, 2, 5), 9, "rejected"),  # abstentions do not break a tie on base "cast"
        ({"base": "cast_with_abstain"}, (3, 2, 1), 6, "rejected"),  # 3/6 is not > 1/2
        ({"base": "cast_with_abstain"}, (4, 2, 1), 7, "passed"),
        ({"base": "roster"}, (3, 0, 0), 6, "rejected"),  # 3/6 of the roster
        ({"base": "roster"}, (4, 0, 0), 6, "passed"),
        # two thirds: exactly 2/3 passes, a hair less fails
        ({"threshold": "two_thirds"}, (2, 1, 0), 3, "passed"),
        ({"threshold": "two_thirds"}, (4, 2, 0), 6, "passed"),
        ({"threshold": "two_thirds"}, (5, 3, 0), 8, "rejected"),  # 5/8 < 2/3
        # three fifths: exactly 3/5 passes
        ({"threshold": "three_fifths"}, (3, 2, 0), 5, "passed"),
        ({"threshold": "three_fifths"}, (5, 4, 0), 9, "rejected"),  # 5/9 < 3/5
        # unanimous: no vote against, at least one for
        ({"threshold": "unanimous"}, (1, 0, 4), 5, "passed"),
        ({"threshold": "unanimous"}, (4, 1, 0), 5, "rejected"),
        ({"threshold": "unanimous", "quorum": "0.2"}, (0, 0, 5), 5, "rejected"),
        # quorum: reached when exactly reached (abstain counts), missed by one seat
        ({"quorum": "0.5"}, (1, 0, 1), 4, "passed"),  # 2 of 4 seats cast: exactly half
        ({"quorum": "0.5"}, (1, 0, 0), 4, "no_quorum"),
        ({"quorum": "0.75"}, (3, 0, 0), 4, "passed"),
        ({"quorum": "0.75"}, (2, 0, 0), 4, "no_quorum"),
        ({"quorum": "1"}, (4, 0, 1), 5, "passed"),
        # no ballot at all: no quorum, unless the quorum is 0: then rejected
        ({}, (0, 0, 0), 5, "no_quorum"),
        ({"quorum": "0"}, (0, 0, 0), 5, "rejected"),
        ({"quorum": "0"}, (1, 0, 0), 5, "passed"),
        # double majority: also yes seats / base seats >= the fraction (one seat, one vote)
        ({"double_majority": "0.55"}, (11, 9, 0), 20, "passed"),  # 11/20 = 0.55 exactly
        ({"double_majority": "0.6"}, (11, 9, 0), 20, "rejected"),
    ],
)
def test_outcomes_by_the_rules_numbers(the_rule, votes, seats, expected) -> None:
    yes, no, abstain = votes
    assert counting.outcome(rule(**the_rule), tally(yes, no, abstain), Fraction(seats), seats) == (
        expected
    )


def test_a_double_majority_of_nations_and_pledge_weight() -> None:
    """55 % of the nations and 65 % of the pledge weight (the SPEC's example), on the base
    "cast": three big contributors for, five small ones against."""
    the_rule = rule(threshold="two_thirds", double_majority="0.55", weighting="pledge")
    big, small = Fraction(100), Fraction(10)
    weights = Tally(yes=3 * big, no=5 * small, yes_seats=3, no_seats=5)
    # weight: 300 / 350 ≥ 2/3, but seats: 3 / 8 < 0.55 → rejected
    assert counting.outcome(the_rule, weights, 3 * big + 5 * small, 8) == "rejected"
    turned = Tally(yes=3 * big + 2 * small, no=3 * small, yes_seats=5, no_seats=3)
    assert counting.outcome(the_rule, turned, 3 * big + 5 * small, 8) == "passed"  # 5/8 ≥ 0.55


def test_weights_are_snapshotted_exactly_to_six_places() -> None:
    assert counting.weight_micro_for("equal", None) == 1_000_000
    assert counting.weight_micro_for("pledge", "2345678.91") == 2_345_678_910_000
    assert counting.weight_micro_for("pledge", None) == 0  # no GDP, no pledge, no weight
    # √2 = 1.41421356… → 1.414214; √100 = 10 exactly
    assert counting.weight_micro_for("penrose", "2.00") == 1_414_214
    assert counting.weight_micro_for("penrose", "100.00") == 10_000_000
    getcontext().prec = 60
    for cents in (1, 99, 12_345, 2_936_184_291_234, 7_777_777_777_77):
        exact = (Decimal(cents) / 100).sqrt().quantize(Decimal("0.000001"), ROUND_HALF_EVEN)
        assert counting.penrose_weight_micro(str(Decimal(cents) / 100)) == int(exact * 10**6)


def test_rule_json_round_trips_and_refuses_floats_and_nonsense() -> None:
    the_rule = Rule.from_json(
        {
            "quorum": "0.5",
            "threshold": "two_thirds",
            "base": "roster",
            "weighting": "penrose",
            "double_majority": "0.55",
        }
    )
    assert the_rule.to_json() == {
        "quorum": "0.5",
        "threshold": "two_thirds",
        "base": "roster",
        "weighting": "penrose",
        "double_majority": "0.55",
    }
    assert Rule().to_json() == {
        "quorum": "0.5",
        "threshold": "simple",
        "base": "cast",
        "weighting": "equal",
        "double_majority": None,
    }
    for bad in (
        {"quorum": 0.5},
        {"quorum": "1.5"},
        {"quorum": "-0.1"},
        {"quorum": "NaN"},
        {"quorum": "1e-1"},
        {"threshold": "most"},
        {"base": "everyone"},
        {"weighting": "gdp"},
        {"double_majority": "0"},
        {"double_majority": "1.01"},
        {"surprise": "1"},
    ):
        with pytest.raises(counting.RuleError):
            Rule.from_json(bad)


def test_fraction_text_is_exact() -> None:
    for text in ("0", "1", "0.5", "0.55", "0.666667", "0.000001"):
        assert counting.fraction_text(counting.fraction_from_text(text)) == text
    with pytest.raises(counting.RuleError):
        counting.fraction_text(Fraction(1, 3))


def test_the_counting_module_imports_only_the_standard_library() -> None:
    source = Path(counting.__file__).read_text("utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative import"
            imported.add((node.module or "").split(".")[0])
    assert imported <= {
        "__future__",
        "hashlib",
        "json",
        "math",
        "re",
        "collections",
        "dataclasses",
        "decimal",
        "fractions",
        "typing",
    }


# --- Random ballots against the oracle ------------------------------------------------------------

FRACTIONS = st.one_of(
    st.sampled_from(["0", "0.5", "0.6", "0.666667", "0.75", "1", "0.55", "0.65", "0.333333"]),
    st.integers(min_value=0, max_value=1_000_000).map(
        lambda micro: counting.fraction_text(Fraction(micro, 1_000_000))
    ),
)
RULES = st.fixed_dictionaries(
    {
        "quorum": FRACTIONS,
        "threshold": st.sampled_from(counting.THRESHOLDS),
        "base": st.sampled_from(counting.BASES),
        "weighting": st.sampled_from(counting.WEIGHTINGS),
        "double_majority": st.one_of(st.none(), FRACTIONS.filter(lambda text: text != "0")),
    }
)


@st.composite
def votes(draw: st.DrawFn, max_seats: int = 12) -> tuple[dict, dict[str, int], dict[str, str]]:
    the_rule = draw(RULES)
    size = draw(st.integers(min_value=1, max_value=max_seats))
    if the_rule["weighting"] == "equal":
        weights = [1_000_000] * size
    elif draw(st.booleans()):  # few distinct weights: ties become likely
        weights = [draw(st.sampled_from([0, 1_000_000, 2_000_000, 3_000_000])) for _ in range(size)]
    else:
        weights = [draw(st.integers(min_value=0, max_value=10**15)) for _ in range(size)]
    roster = {f"S{index:02d}": weight for index, weight in enumerate(weights)}
    ballots = {}
    for seat in roster:
        choice = draw(st.sampled_from([None, "yes", "no", "abstain"]))
        if choice is not None:
            ballots[seat] = choice
    return the_rule, roster, ballots


def _counted(the_rule: dict, roster: dict[str, int], ballots: dict[str, str]) -> str:
    result = counting.tally_of(
        (choice, Fraction(roster[seat], 1_000_000)) for seat, choice in ballots.items()
    )
    return counting.outcome(
        Rule.from_json(the_rule),
        result,
        Fraction(sum(roster.values()), 1_000_000),
        len(roster),
    )


@settings(max_examples=600, deadline=None)
@given(votes())
def test_property_outcome_matches_the_oracle(case) -> None:
    the_rule, roster, ballots = case
    assert _counted(the_rule, roster, ballots) == oracle_outcome(the_rule, roster, ballots)


@settings(max_examples=300, deadline=None)
@given(votes(), st.randoms(use_true_random=False))
def test_property_the_tally_does_not_depend_on_the_order_of_ballots(case, rng) -> None:
    _, roster, ballots = case
    items = list(ballots.items())
    rng.shuffle(items)
    assert counting.tally_of(
        (choice, Fraction(roster[seat], 10**6)) for seat, choice in items
    ) == counting.tally_of(
        (choice, Fraction(roster[seat], 10**6)) for seat, choice in ballots.items()
    )


@settings(max_examples=300, deadline=None)
@given(votes(max_seats=8))
def test_property_what_it_takes_to_pass_is_the_fewest_yes_ballots(case) -> None:
    the_rule, roster, ballots = case
    rule_ = Rule.from_json(the_rule)
    result = counting.tally_of(
        (choice, Fraction(roster[seat], 10**6)) for seat, choice in ballots.items()
    )
    left = [Fraction(w, 10**6) for seat, w in roster.items() if seat not in ballots]
    total = Fraction(sum(roster.values()), 10**6)
    prospect = counting.prospect(rule_, result, total, len(roster), weights_left=left)
    assert prospect.yes_seats_needed == oracle_fewest_yes(the_rule, roster, ballots)
    # the quorum's gap in whole micro-units: the least weight that can still close it
    gap = max(Fraction(0), rule_.quorum * total - result.weight_voted)
    assert gap <= prospect.quorum_weight_needed < gap + Fraction(1, 10**6)
    assert counting.weight_text(prospect.quorum_weight_needed)
    if the_rule["weighting"] == "equal":
        uniform = counting.prospect(
            rule_, result, total, len(roster), seats_left=len(left), uniform_weight=ONE
        )
        assert uniform == prospect


def test_what_it_takes_in_words_of_the_rule() -> None:
    """10 seats, simple majority of yes+no, quorum 0.5: 2 yes, 3 no so far (5 of 10 cast:
    the quorum is reached exactly) → rejected now; 2 more yes would pass it (4 against 3)."""
    prospect = counting.prospect(
        Rule(), tally(2, 3, 0), Fraction(10), 10, seats_left=5, uniform_weight=ONE
    )
    assert prospect.outcome_now == "rejected"
    assert prospect.yes_seats_needed == 2 and prospect.yes_weight_needed == 2
    assert prospect.quorum_weight_needed == 0  # 5 of 10 already
    hopeless = counting.prospect(
        Rule(threshold="unanimous"),
        tally(2, 1, 0),
        Fraction(5),
        5,
        seats_left=2,
        uniform_weight=ONE,
    )
    assert hopeless.yes_seats_needed is None  # a no stands until its seat changes it


# --- Hashes -------------------------------------------------------------------------------------


def _chain(length: int) -> list[dict]:
    entries, prev = [], counting.GENESIS_HASH
    for sequence in range(1, length + 1):
        body = counting.canonical_json(
            {
                "event": "open" if sequence == 1 else "ballot",
                "proposal": 7,
                "sequence": sequence,
                "seat": f"S{sequence}",
                "choice": "yes",
            }
        )
        digest = counting.chain_hash(prev, body)
        entries.append({"sequence": sequence, "prev_hash": prev, "hash": digest, "body": body})
        prev = digest
    return entries


def test_a_chain_verifies_and_any_change_is_found() -> None:
    entries = _chain(5)
    assert counting.verify_chain(entries, proposal=7).ok
    assert not counting.verify_chain(entries, proposal=8).ok  # moved to another proposal
    changed = [dict(entry) for entry in entries]
    changed[2]["body"] = changed[2]["body"].replace('"yes"', '"no"')
    assert counting.verify_chain(changed).first_bad == 3
    dropped = entries[:2] + entries[3:]
    assert counting.verify_chain(dropped).first_bad == 4  # the entry found after the gap
    swapped = [entries[0], entries[2], entries[1], *entries[3:]]
    assert not counting.verify_chain(swapped).ok


def test_the_roster_hash_is_of_its_rows_in_seat_order() -> None:
    rows = [
        {"seat": "KEN-2", "holder": "p_b", "weight": "1.000000"},
        {"seat": "KEN-1", "holder": "p_a", "weight": "1.000000"},
    ]
    digest = counting.roster_hash(rows)
    assert digest == counting.roster_hash(list(reversed(rows)))
    assert digest == counting.sha256_text(
        '[{"holder":"p_a","seat":"KEN-1","weight":"1.000000"},'
        '{"holder":"p_b","seat":"KEN-2","weight":"1.000000"}]'
    )
    rows[0]["weight"] = "2.000000"
    assert counting.roster_hash(rows) != digest
