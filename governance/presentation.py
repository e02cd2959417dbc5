"""How the pages say things: a rule and where a vote stands in words, and the fund's chart
(server-rendered SVG geometry, no JavaScript)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from . import counting
from .models import Proposal
from .selectors import Standing


def _share(value: Fraction) -> str:
    """0.5 → "half", 2/3 → "two thirds", else a percentage with up to four decimals."""
    names = {
        Fraction(1, 2): "half",
        Fraction(2, 3): "two thirds",
        Fraction(3, 5): "three fifths",
        Fraction(1, 3): "a third",
        Fraction(1, 4): "a quarter",
        Fraction(3, 4): "three quarters",
        Fraction(1): "all",
        Fraction(0): "none",
    }
    if value in names:
        return names[value]
    percent = Decimal(value.numerator * 100) / Decimal(value.denominator)
    return f"{percent.quantize(Decimal('0.0001')).normalize():f} %"


def weight_for_reading(value: Fraction, *, weighting: str) -> str:
    """A weight as people read it, still exact: digits grouped, no trailing zeros; a pledge
    weight is US dollars ("$2,929,801,300", "$218,582,161.07"), a Penrose weight a number
    ("53,932.260572"). The API, the bundle and the roster table keep the six-place form."""
    whole, _, decimals = counting.weight_text(value).partition(".")
    decimals = decimals.rstrip("0")
    if weighting == "pledge" and decimals:
        decimals = decimals.ljust(2, "0")
    text = f"{int(whole):,}" + (f".{decimals}" if decimals else "")
    return f"${text}" if weighting == "pledge" else text


def weight_words(value: Fraction, *, weighting: str) -> str:
    """Seats when every seat weighs 1 ("1 seat", "3 seats"), else the weight."""
    if weighting == "equal" and value.denominator == 1:
        seats = value.numerator
        return f"{seats:,} seat" if seats == 1 else f"{seats:,} seats"
    reading = weight_for_reading(value, weighting=weighting)
    return f"{reading} of pledges" if weighting == "pledge" else f"weight {reading}"


def rule_in_words(proposal: Proposal) -> list[str]:
    """The rule as sentences people read on the proposal page."""
    rule = proposal.rule
    base = {
        "cast": "of the weight of the yes and no ballots (abstentions do not count)",
        "cast_with_abstain": "of the weight of all ballots, abstentions included",
        "roster": "of the whole roster's weight (not voting counts as not for)",
    }[rule.base]
    if rule.threshold == "unanimous":
        majority = "It passes if no seat votes against it and at least one votes for it."
    elif rule.threshold == "simple":
        majority = f"It passes with more than half {base}; a tie fails."
    else:
        share = {"three_fifths": "three fifths", "two_thirds": "two thirds"}[rule.threshold]
        majority = f"It passes with at least {share} {base}."
    weights = {
        "equal": "Every seat weighs the same: one seat, one vote.",
        "pledge": "Each seat weighs its nation's annual pledge in US dollars.",
        "penrose": "Each seat weighs the square root of its nation's annual pledge "
        "(Penrose's rule), to six decimal places.",
    }[rule.weighting]
    if rule.quorum == 0:
        quorum = "There is no quorum."
    else:
        quorum = (
            f"Quorum: at least {_share(rule.quorum)} of the roster's weight must cast a "
            "ballot (abstaining counts)."
        )
    sentences = [quorum, majority, weights]
    if rule.double_majority is not None:
        sentences.append(
            f"Double majority: also at least {_share(rule.double_majority)} of the seats counted "
            "in the base must vote yes, one seat one vote."
        )
    sentences.append("Weights were fixed when the vote opened; the roster is frozen.")
    if proposal.secret_ballot:
        sentences.append(
            "Secret ballot: who voted is public; how each seat voted is not. Each voter gets a "
            "tracker to find their ballot in the published count."
        )
    if proposal.hide_results_until_close:
        sentences.append("Results stay hidden until the vote closes.")
    return sentences


@dataclass(frozen=True)
class StandingWords:
    headline: str
    details: list[str]


def standing_in_words(proposal: Proposal, standing: Standing) -> StandingWords:
    weighting = proposal.weighting
    participation = f"{standing.seats_voted} of {standing.seats} seats have voted."
    if standing.status == "draft":
        return StandingWords("Not open yet.", [])
    if standing.status == "withdrawn":
        return StandingWords("Withdrawn.", [participation] if standing.seats else [])
    if not standing.visible:
        return StandingWords("Results are hidden until the vote closes.", [participation])
    tally = standing.tally
    assert tally is not None
    counts = (
        f"Yes {weight_words(tally.yes, weighting=weighting)}, "
        f"no {weight_words(tally.no, weighting=weighting)}, "
        f"abstain {weight_words(tally.abstain, weighting=weighting)}."
    )
    if standing.status == "closed":
        outcome = {"passed": "Passed.", "rejected": "Rejected.", "no_quorum": "No quorum."}
        return StandingWords(
            outcome.get(standing.outcome or "", "Closed."), [counts, participation]
        )
    prospect = standing.prospect
    details = [counts, participation]
    if prospect is None:
        return StandingWords("Open.", details)
    if prospect.quorum_weight_needed > 0:
        details.append(
            "Quorum not reached yet: "
            f"{weight_words(prospect.quorum_weight_needed, weighting=weighting)} more must vote."
        )
    if prospect.yes_seats_needed == 0:
        headline = "Passing as things stand."
    elif prospect.yes_seats_needed is None:
        headline = (
            "Failing: the seats that have not voted cannot pass it on their own; only changed "
            "ballots could."
        )
    else:
        needed = prospect.yes_seats_needed
        seats = "seat" if needed == 1 else "seats"
        headline = f"To pass: {needed} more {seats} voting yes"
        if weighting != "equal" and prospect.yes_weight_needed is not None:
            headline += f" ({weight_words(prospect.yes_weight_needed, weighting=weighting)})"
        headline += f", of the {prospect.seats_left} that have not voted."
    return StandingWords(headline, details)


# --- The fund's chart -----------------------------------------------------------------------


@dataclass(frozen=True)
class FundBar:
    label: str
    value_text: str
    y: int
    width: int
    pledged_width: int
    text_y: int


@dataclass(frozen=True)
class FundChart:
    title: str
    description: str
    width: int
    height: int
    bar_x: int
    bars: list[FundBar]


def _millions(amount: Decimal) -> str:
    if amount >= Decimal(10) ** 9:
        return f"${amount / Decimal(10) ** 9:,.2f} B"
    return f"${amount / Decimal(10) ** 6:,.1f} M"


def fund_chart(title: str, rows: list[tuple[str, Decimal, Decimal]]) -> FundChart:
    """Horizontal bars: what each row (a region, or a nation) pledged (light) and received
    (dark) this year, labelled with both."""
    row_height, bar_x, bar_max = 34, 200, 300
    top = max((pledged for _, pledged, _ in rows), default=Decimal(0))

    def scale(value: Decimal) -> int:
        return int(value / top * bar_max) if top > 0 else 0

    bars = []
    for index, (label, pledged, received) in enumerate(rows):
        y = 10 + index * row_height
        paid = f"{int(received / pledged * 100)} %" if pledged > 0 else "—"
        bars.append(
            FundBar(
                label=label,
                value_text=f"{_millions(received)} of {_millions(pledged)} ({paid})",
                y=y,
                width=max(scale(received), 2) if received > 0 else 0,
                pledged_width=max(scale(pledged), 2) if pledged > 0 else 0,
                text_y=y + 17,
            )
        )
    description = "; ".join(f"{bar.label}: received {bar.value_text}" for bar in bars)
    return FundChart(
        title=title,
        description=description or "No pledges yet.",
        width=760,
        height=max(20 + len(bars) * row_height, 40),
        bar_x=bar_x,
        bars=bars,
    )
