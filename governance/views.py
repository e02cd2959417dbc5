"""Governance pages: the dashboard, the councils, a proposal (its rule, roster, ballot form,
receipt, how to verify, outcome), the inbox. Server-rendered, htmx as progressive enhancement:
every form posts and redirects without JavaScript; with it, the region filter, the ballot and
the live tallies swap in place."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from covenant.access.object_grants import object_sharing
from covenant.access.principal import may, principal_of_request
from covenant.dashboard import dashboard_parts
from covenant.errors import DomainError
from covenant.ledger.selectors import ledger_totals_by_nation, register_source_link
from covenant.nations.models import Nation
from covenant.nations.selectors import regions
from covenant.summary import covenant_summary
from covenant.text import search_text
from sectors.core.presentation import metric_rows
from sectors.core.registry import sector_spec, sector_specs
from sectors.core.selectors import (
    sector_overview,
    sector_overviews,
    sector_region_statistics,
)

from .models import Base as RuleBase
from .models import Choice, Proposal, ProposalKind, ProposalStatus, Threshold, Weighting
from .presentation import fund_chart, rule_in_words, standing_in_words
from .selectors import (
    Standing,
    ballots_of,
    council_get,
    council_list,
    council_seat,
    council_seats,
    councils_of,
    may_read_vote_log,
    my_roster_seats,
    notification_list,
    notification_settings,
    proposal_get,
    proposal_list,
    proposal_standing,
    proposal_standings,
    roster_votes,
    unread_count,
)
from .services import (
    ProposalFields,
    ballot_cast,
    chair_set,
    may_propose,
    may_steer,
    notification_settings_update,
    notifications_read_all,
    proposal_close,
    proposal_create,
    proposal_open,
    proposal_update,
    proposal_withdraw,
)

DASHBOARD_PROPOSALS = 12
STANDING_POLL = "every 5s"


def register() -> None:
    """Hooks into the core: the ledger links an allocation's source to its proposal; /me/ shows
    the person's notifications and their settings."""
    from covenant.access.me import MePart, register_me_part

    register_source_link("proposal", _proposal_link)
    register_me_part(
        MePart(slug="notifications", title="Notifications", order=50, render=_me_notifications)
    )


def _me_notifications(request: HttpRequest, principal: Any) -> str | None:
    if principal.user is None:
        return None
    return render_to_string(
        "governance/_me_notifications.html",
        {
            "unread": unread_count(user=principal.user),
            "settings": notification_settings(user=principal.user),
        },
        request=request,
    )


def _proposal_link(rest: str) -> str:
    return reverse("proposal", args=[int(rest)]) if rest.isdigit() else ""


# --- The dashboard -------------------------------------------------------------------------------


def _region_param(request: HttpRequest) -> str:
    region = search_text(request.GET.get("region", ""), max_length=64)
    return region if region in regions() else ""


def _fund(region: str) -> dict[str, Any]:
    """The fund's totals (the covenant's, or a region's) and the chart of pledged vs received."""
    nations = list(
        Nation.objects.order_by("name").only("id", "name", "region", "annual_pledge_usd")
    )
    totals = ledger_totals_by_nation()
    zero = Decimal("0.00")

    def received(nation: Nation) -> Decimal:
        found = totals.get(nation.pk)
        return found.received_usd if found else zero

    if region:
        chosen = [n for n in nations if n.region == region]
        figures = {
            "annual_pledge_usd": sum((n.annual_pledge_usd or zero for n in chosen), zero),
            "received_usd": sum((received(n) for n in chosen), zero),
            "disbursed_usd": sum(
                (totals[n.pk].disbursed_usd for n in chosen if n.pk in totals), zero
            ),
            "balance_usd": sum((totals[n.pk].balance_usd for n in chosen if n.pk in totals), zero),
            "nations": len(chosen),
        }
        top = sorted(chosen, key=lambda n: n.annual_pledge_usd or zero, reverse=True)[:12]
        rows = [(n.name, n.annual_pledge_usd or zero, received(n)) for n in top]
        title = f"{region}: pledged and received this year, the 12 largest pledges"
    else:
        summary = covenant_summary()
        keys = ("annual_pledge_usd", "received_usd", "disbursed_usd", "balance_usd", "nations")
        figures = {key: summary[key] for key in keys}
        by_region: dict[str, list[Decimal]] = {}
        for nation in nations:
            sums = by_region.setdefault(nation.region, [zero, zero])
            sums[0] += nation.annual_pledge_usd or zero
            sums[1] += received(nation)
        rows = [(name, sums[0], sums[1]) for name, sums in sorted(by_region.items())]
        title = "Pledged and received this year, by region"
    return {"figures": figures, "chart": fund_chart(title, rows), "region": region}


def _sector_cards(region: str) -> list[dict[str, Any]]:
    cards = []
    if region:
        for spec in sector_specs():
            overview = sector_overview(spec, sector_region_statistics(spec.slug).get(region))
            cards.append(
                {**overview, "metric_rows": metric_rows(spec, overview["metrics"], compact=True)}
            )
        return cards
    for overview in sector_overviews():
        found = sector_spec(overview["slug"])
        if found is not None:
            cards.append(
                {**overview, "metric_rows": metric_rows(found, overview["metrics"], compact=True)}
            )
    return cards


def _cards_of(proposals: list[Proposal]) -> list[dict[str, Any]]:
    standings = proposal_standings(proposals)
    return [_proposal_card(p, standings[p.pk]) for p in proposals]


def _proposal_card(proposal: Proposal, standing: Standing | None = None) -> dict[str, Any]:
    standing = standing or proposal_standing(proposal)
    return {
        "proposal": proposal,
        "standing": standing,
        "words": standing_in_words(proposal, standing),
        "poll": STANDING_POLL if proposal.status == ProposalStatus.OPEN else "",
    }


def dashboard(request: HttpRequest) -> HttpResponse:
    principal = principal_of_request(request)
    region = _region_param(request)
    context: dict[str, Any] = {
        "fund": _fund(region),
        "cards": _sector_cards(region),
        "regions": regions(),
        "region": region,
    }
    if getattr(request, "htmx", False) and request.headers.get("HX-Target") == "dashboard-figures":
        return render(request, "governance/_dashboard_figures.html", context)
    mine = councils_of(principal)
    open_proposals = proposal_list(principal=principal, status=ProposalStatus.OPEN)
    if mine:
        open_proposals = open_proposals.filter(council__in=mine)
    context.update(
        my_councils=mine,
        proposals=_cards_of(list(open_proposals.order_by("closes_at", "id")[:DASHBOARD_PROPOSALS])),
        parts=dashboard_parts(request),
    )
    return render(request, "governance/dashboard.html", context)


# --- Councils ------------------------------------------------------------------------------------


def councils_page(request: HttpRequest) -> HttpResponse:
    councils = list(council_list())
    return render(
        request,
        "governance/councils.html",
        {
            "global_council": next((c for c in councils if c.is_global_council), None),
            "national": [c for c in councils if not c.is_global_council],
            "mine": councils_of(principal_of_request(request)),
        },
    )


class ProposalForm(forms.Form):
    """The proposal form of the council page; the rules are the service's."""

    title = forms.CharField(max_length=200)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}), required=False, max_length=20_000
    )
    kind = forms.ChoiceField(choices=ProposalKind.choices, initial="resolution")
    project = forms.IntegerField(required=False, min_value=1, label="Project id (budget only)")
    amount_usd = forms.DecimalField(
        required=False, max_digits=15, decimal_places=2, label="Amount in USD (budget only)"
    )
    quorum = forms.CharField(
        max_length=16, initial="0.5", label="Quorum (a fraction of the roster)"
    )
    threshold = forms.ChoiceField(choices=Threshold.choices, initial="simple")
    base = forms.ChoiceField(choices=RuleBase.choices, initial="cast", label="Majority of")
    weighting = forms.ChoiceField(choices=Weighting.choices, initial="equal")
    double_majority = forms.CharField(
        max_length=16, required=False, label="Double majority of seats (a fraction, optional)"
    )
    opens_at = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        label="Opens at (UTC, optional: else open it by hand)",
    )
    closes_at = forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        label="Closes at (UTC)",
    )
    secret_ballot = forms.BooleanField(required=False)
    hide_results_until_close = forms.BooleanField(required=False)

    def fields_for_service(self) -> ProposalFields:
        data = self.cleaned_data
        rule = {
            "quorum": data["quorum"].strip(),
            "threshold": data["threshold"],
            "base": data["base"],
            "weighting": data.get("weighting") or "equal",
            "double_majority": (data.get("double_majority") or "").strip() or None,
        }
        return ProposalFields.of(data, rule=rule)


def _add_domain_errors(form: forms.Form, error: DomainError) -> None:
    for name, problems in (error.fields or {}).items():
        field = name.removeprefix("rule.")
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)
    if not error.fields:
        form.add_error(None, error.message)


def council_page(request: HttpRequest, council_id: int) -> HttpResponse:
    council = council_get(council_id=council_id)
    if council is None:
        raise Http404("no such council")
    principal = principal_of_request(request)
    can_propose = may_propose(principal, council)
    form = None
    if can_propose:
        initial = {
            "closes_at": (timezone.now() + dt.timedelta(days=7)).replace(second=0, microsecond=0)
        }
        form = (
            ProposalForm(request.POST)
            if request.method == "POST"
            else ProposalForm(initial=initial)
        )
        if not council.is_global_council:  # a National Council weighs every seat equally
            del form.fields["weighting"]
        if request.method == "POST" and form.is_valid():
            try:
                proposal = proposal_create(
                    council=council, fields=form.fields_for_service(), actor=principal
                )
            except DomainError as error:
                _add_domain_errors(form, error)
            else:
                messages.success(request, "Your draft is saved. Open it when it is ready.")
                return HttpResponseRedirect(reverse("proposal", args=[proposal.pk]))
    elif request.method == "POST":
        raise Http404("only the council's members draft proposals here")
    proposals = list(proposal_list(principal=principal, council=council)[:100])
    cards = _cards_of(proposals)  # the standings of them all in one read
    by_status = {
        status: [card for card in cards if card["proposal"].status == status]
        for status in (
            ProposalStatus.OPEN,
            ProposalStatus.DRAFT,
            ProposalStatus.CLOSED,
            ProposalStatus.WITHDRAWN,
        )
    }
    status_code = 400 if form is not None and form.errors else 200
    return render(
        request,
        "governance/council.html",
        {
            "council": council,
            "seats": council_seats(council=council),
            "may_designate": may(principal, "roles:grant", nation=council.nation_id),
            "by_status": by_status,
            "has_proposals": bool(proposals),
            "form": form,
        },
        status=status_code,
    )


@require_POST
def council_chair(request: HttpRequest, council_id: int, code: str) -> HttpResponse:
    """Designate a chair, or undo it (the nation's admins; platform admins)."""
    council = council_get(council_id=council_id)
    seat = council_seat(council=council, code=code) if council else None
    if council is None or seat is None:
        raise Http404("no such seat")
    chair = request.POST.get("chair") == "1"
    try:
        chair_set(seat=seat, chair=chair, actor=principal_of_request(request))
    except DomainError as error:
        messages.error(request, f"Not done: {error.message}")
    else:
        messages.success(
            request, f"Seat {code} {'chairs' if chair else 'no longer chairs'} the council."
        )
    return HttpResponseRedirect(reverse("council", args=[council.pk]) + "#seats-heading")


# --- A proposal ----------------------------------------------------------------------------------


def _proposal_context(request: HttpRequest, proposal: Proposal) -> dict[str, Any]:
    principal = principal_of_request(request)
    ballots = ballots_of(proposal) if proposal.status != ProposalStatus.DRAFT else {}
    my_seats = my_roster_seats(principal=principal, proposal=proposal)
    return {
        "proposal": proposal,
        "council": proposal.council,
        "rule_words": rule_in_words(proposal),
        "card": _proposal_card(proposal),
        "roster_rows": roster_votes(proposal, ballots),
        "my_seats": my_seats,
        "my_ballots": [ballots[code] for code in my_seats if code in ballots],
        "choices": Choice.choices,
        "can_vote": bool(my_seats) and proposal.status == ProposalStatus.OPEN,
        "can_steer": may_steer(principal, proposal),
        "can_read_log": may_read_vote_log(principal, proposal),
        # an admin of the nation may share this one vote's log with a named auditor
        "sharing": object_sharing(principal, proposal),
        "project": proposal.project,
    }


def proposal_page(request: HttpRequest, proposal_id: int) -> HttpResponse:
    try:
        proposal = proposal_get(principal=principal_of_request(request), proposal_id=proposal_id)
    except DomainError:
        raise Http404("no such proposal") from None
    return render(request, "governance/proposal.html", _proposal_context(request, proposal))


def proposal_standing_fragment(request: HttpRequest, proposal_id: int) -> HttpResponse:
    """The live standing of a vote (polled by htmx every few seconds while it is open)."""
    try:
        proposal = proposal_get(principal=principal_of_request(request), proposal_id=proposal_id)
    except DomainError:
        raise Http404("no such proposal") from None
    return render(request, "governance/_standing.html", {"card": _proposal_card(proposal)})


@require_POST
def proposal_ballot(request: HttpRequest, proposal_id: int) -> HttpResponse:
    """Cast a ballot: with htmx, answer the ballot panel (with the receipt) and the standing,
    swapped in place; without, redirect to the proposal page, which shows the receipt."""
    principal = principal_of_request(request)
    try:
        proposal = proposal_get(principal=principal, proposal_id=proposal_id)
    except DomainError:
        raise Http404("no such proposal") from None
    error = None
    status = 200
    choice = search_text(request.POST.get("choice", ""), max_length=16)
    seat = search_text(request.POST.get("seat", ""), max_length=24) or None
    try:
        ballot_cast(proposal=proposal, choice=choice, actor=principal, seat_code=seat)
    except DomainError as failure:
        error, status = failure.message, failure.status
    if not getattr(request, "htmx", False):
        if error:
            messages.error(request, f"Your ballot was not cast: {error}")
        else:
            messages.success(request, "Your ballot is cast. Keep your receipt.")
        return HttpResponseRedirect(reverse("proposal", args=[proposal.pk]) + "#ballot")
    proposal = proposal_get(principal=principal, proposal_id=proposal_id)
    context = _proposal_context(request, proposal)
    context["ballot_error"] = error
    context["just_cast"] = error is None
    return render(request, "governance/_ballot_response.html", context, status=status)


def _form_initial(proposal: Proposal) -> dict[str, Any]:
    rule = proposal.rule.to_json()
    return {
        "title": proposal.title,
        "body": proposal.body,
        "kind": proposal.kind,
        "project": proposal.project_id,
        "amount_usd": proposal.amount_usd,
        "quorum": rule["quorum"],
        "threshold": proposal.threshold,
        "base": proposal.base,
        "weighting": proposal.weighting,
        "double_majority": rule["double_majority"] or "",
        "opens_at": proposal.opens_at,
        "closes_at": proposal.closes_at,
        "secret_ballot": proposal.secret_ballot,
        "hide_results_until_close": proposal.hide_results_until_close,
    }


def proposal_edit(request: HttpRequest, proposal_id: int) -> HttpResponse:
    """Edit a draft (its proposer or a chair): text, rule and dates, until it opens."""
    principal = principal_of_request(request)
    try:
        proposal = proposal_get(principal=principal, proposal_id=proposal_id)
    except DomainError:
        raise Http404("no such proposal") from None
    if proposal.status != ProposalStatus.DRAFT or not may_steer(principal, proposal):
        raise Http404("only its proposer or a chair edits a draft")
    form = (
        ProposalForm(request.POST)
        if request.method == "POST"
        else ProposalForm(initial=_form_initial(proposal))
    )
    if not proposal.council.is_global_council:
        del form.fields["weighting"]
    if request.method == "POST" and form.is_valid():
        try:
            proposal_update(proposal=proposal, fields=form.fields_for_service(), actor=principal)
        except DomainError as error:
            _add_domain_errors(form, error)
        else:
            messages.success(request, "The draft is saved.")
            return HttpResponseRedirect(reverse("proposal", args=[proposal.pk]))
    return render(
        request,
        "governance/proposal_edit.html",
        {"proposal": proposal, "council": proposal.council, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
def proposal_transition(request: HttpRequest, proposal_id: int, action: str) -> HttpResponse:
    services = {"open": proposal_open, "close": proposal_close, "withdraw": proposal_withdraw}
    service = services.get(action)
    if service is None:
        raise Http404("no such action")
    principal = principal_of_request(request)
    try:
        proposal = proposal_get(principal=principal, proposal_id=proposal_id)
        service(proposal=proposal, actor=principal)
    except DomainError as error:
        if error.status == 404:
            raise Http404("no such proposal") from None
        messages.error(request, f"Not done: {error.message}")
    else:
        done = {
            "open": "The vote is open.",
            "close": "The vote is closed.",
            "withdraw": "The proposal is withdrawn.",
        }
        messages.success(request, done[action])
    return HttpResponseRedirect(reverse("proposal", args=[proposal_id]))


# --- The inbox -----------------------------------------------------------------------------------


def notifications_page(request: HttpRequest) -> HttpResponse:
    principal = principal_of_request(request)
    if not principal.is_authenticated:
        return HttpResponseRedirect(f"{reverse('account_login')}?next={request.path}")
    assert principal.user is not None
    if request.method == "POST":
        if request.POST.get("action") == "read-all":
            notifications_read_all(actor=principal)
            messages.success(request, "Every notification is marked read.")
        elif request.POST.get("action") == "settings":
            notification_settings_update(
                actor=principal,
                muted=request.POST.get("muted") == "on",
                email_muted=request.POST.get("email_muted") == "on",
            )
            messages.success(request, "Your notification settings are saved.")
        else:
            return HttpResponseNotAllowed(["GET"])
        return HttpResponseRedirect(reverse("notifications"))
    return render(
        request,
        "governance/notifications.html",
        {
            "notifications": list(notification_list(user=principal.user)[:100]),
            "settings": notification_settings(user=principal.user),
        },
    )


# --- The recount tool, for download --------------------------------------------------------------

_TOOL_FILES = {"recount.py", "counting.py"}


def verify_file(request: HttpRequest, name: str) -> FileResponse:
    """The stdlib recount tool and its counting rules, to run anywhere."""
    if name not in _TOOL_FILES:
        raise Http404("no such file")
    path = Path(__file__).resolve().parent / name
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=name, content_type="text/x-python"
    )
