"""The law of SPEC §3 through the whole path: random ballots (with changes of mind) cast through
the services into the database, closed, and compared with the independent oracle — on the
engine the suite runs on (SQLite, and PostgreSQL in the second pass)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from covenant.access.principal import Principal
from covenant.nations.tenancy import all_nations
from governance import counting
from governance.models import Council, Proposal, RosterEntry, Seat
from governance.services import ballot_cast, proposal_close, tally_recount
from tests.governance.conftest import add_delegates, add_members, opened
from tests.governance.oracle import oracle_outcome

FRACTIONS = st.sampled_from(["0", "0.25", "0.5", "0.6", "0.666667", "0.75", "1", "0.55"])
EXAMPLES = 35
DB_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def holders(council: Council) -> dict[str, Principal]:
    with all_nations(reason="test"):
        return {
            seat.code: Principal(user=seat.holder.user)
            for seat in Seat.objects.filter(council=council, holder__isnull=False).select_related(
                "holder__user"
            )
        }


def rules(weightings: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "quorum": FRACTIONS,
            "threshold": st.sampled_from(counting.THRESHOLDS),
            "base": st.sampled_from(counting.BASES),
            "weighting": st.sampled_from(weightings),
            "double_majority": st.one_of(st.none(), FRACTIONS.filter(lambda f: f != "0")),
        }
    )


def run_vote(council: Council, proposer: Any, the_rule: dict, events, flags) -> None:
    """Open with the rule, cast the events in order, close; compare with the oracle."""
    secret, hidden = flags
    if the_rule["weighting"] != "equal":
        secret = False
    proposal = opened(
        council,
        proposer,
        the_rule=counting.Rule.from_json(the_rule),
        secret_ballot=secret,
        hide_results_until_close=hidden,
    )
    seats = holders(council)
    codes = sorted(seats)
    final: dict[str, str] = {}
    for index, choice in events:
        code = codes[index % len(codes)]
        ballot_cast(proposal=proposal, choice=choice, actor=seats[code])
        final[code] = choice
    closed = proposal_close(proposal=proposal, actor=Principal(user=proposer))
    with all_nations(reason="test"):
        roster = {
            entry.seat_code: entry.weight_micro
            for entry in RosterEntry.objects.filter(proposal=proposal)
        }
        stored = Proposal.objects.get(pk=proposal.pk)
    assert closed.outcome == stored.outcome == oracle_outcome(the_rule, roster, final)
    expected = counting.tally_of(
        (choice, counting.weight_from_micro(roster[code])) for code, choice in final.items()
    )
    assert tally_recount(stored) == stored.live_tally == expected


EVENTS = st.lists(
    st.tuples(st.integers(min_value=0, max_value=50), st.sampled_from(counting.CHOICES)),
    max_size=14,
)
FLAGS = st.tuples(st.booleans(), st.booleans())


@pytest.mark.django_db
@DB_SETTINGS
@given(the_rule=rules(["equal"]), events=EVENTS, flags=FLAGS)
def test_property_national_votes_through_the_database_match_the_oracle(
    cast, kenya, kenyan_council, the_rule, events, flags
) -> None:
    if len(holders(kenyan_council)) < 7:
        add_members(kenya, 6)  # seven seats of weight 1
    run_vote(kenyan_council, cast.user("KEN", "council_member"), the_rule, events, flags)


@pytest.mark.django_db
@DB_SETTINGS
@given(the_rule=rules(["equal", "pledge", "penrose"]), events=EVENTS, flags=FLAGS)
def test_property_weighted_global_votes_through_the_database_match_the_oracle(
    cast, global_council, the_rule, events, flags
) -> None:
    if len(holders(global_council)) < 7:
        # pledges from the largest to none at all (North Korea: weight 0)
        add_delegates(["USA", "DEU", "IND", "NGA", "PRK"])
    run_vote(global_council, cast.user("KEN", "delegate"), the_rule, events, flags)
