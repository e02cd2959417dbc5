"""Tenant isolation of governance: walk every governance endpoint on Kenya's council as every
person of Brazil (and an outsider, and anonymously). Kenya's drafts are not found; nothing of
Kenya's council can be written (no proposal, ballot, transition, chair, read mark); the public
reads of Kenya's open and closed votes show nothing that is hidden."""

from __future__ import annotations

import json

import pytest

from covenant.access.principal import Principal
from covenant.audit.models import AuditEntry
from covenant.nations.tenancy import all_nations, nation_scope
from governance.models import (
    Ballot,
    Notification,
    NotificationKind,
    Proposal,
    RosterEntry,
    Seat,
    VoteLogEntry,
)
from governance.services import ballot_cast, notifications_create, proposal_close
from tests.conftest import NATION_ROLES, client_for
from tests.governance.conftest import add_members, council_of, draft, opened


def snapshot() -> tuple:
    with all_nations(reason="test: count every row"):
        return (
            tuple(Proposal.objects.order_by("pk").values_list("pk", "status", "title", "log_head")),
            Ballot.objects.count(),
            tuple(Ballot.objects.order_by("pk").values_list("choice", flat=True)),
            VoteLogEntry.objects.count(),
            RosterEntry.objects.count(),
            tuple(Seat.objects.order_by("pk").values_list("is_chair", flat=True)),
            Notification.objects.filter(read_at__isnull=True).count(),
            AuditEntry.objects.count(),
        )


@pytest.fixture
def kenyan_votes(cast, kenya):
    """A draft, an open vote (one ballot), a hidden open vote and a closed vote of Kenya's
    council, and a notification in a Kenyan member's inbox."""
    council = council_of(kenya)
    member = cast.user("KEN", "council_member")
    other = add_members(kenya, 1)[0]
    the_draft = draft(council, member, title="Secret draft of Kenya")
    voting = opened(council, member, title="Open vote")
    ballot_cast(proposal=voting, choice="yes", actor=Principal(user=other))
    hidden = opened(council, member, title="Hidden vote", hide_results_until_close=True)
    ballot_cast(proposal=hidden, choice="no", actor=Principal(user=other))
    closed = proposal_close(
        proposal=opened(council, member, title="Closed vote"), actor=Principal(user=member)
    )
    notifications_create(proposal=voting, kind=NotificationKind.OPENED)
    with nation_scope(kenya):
        seat = Seat.objects.filter(council=council).first()
    notification = Notification.objects.filter(user=member).first()
    return {
        "council": council.pk,
        "draft": the_draft.pk,
        "open": voting.pk,
        "hidden": hidden.pk,
        "closed": closed.pk,
        "seat": seat.code,
        "notification": notification.pk,
    }


def walk(v: dict) -> list[tuple[str, str, object, set[int]]]:
    """(method, url, body, the statuses that are acceptable for someone from elsewhere)."""
    refused = {401, 403, 404}
    hidden = {404}
    return [
        # drafts: not found, whatever the method
        ("get", f"/api/v1/proposals/{v['draft']}/", None, hidden),
        ("get", f"/api/v1/proposals/{v['draft']}/tally/", None, hidden),
        ("get", f"/api/v1/proposals/{v['draft']}/ballots/", None, hidden),
        ("get", f"/api/v1/proposals/{v['draft']}/bundle/", None, hidden),
        ("get", f"/api/v1/proposals/{v['draft']}/log/", None, refused),
        ("patch", f"/api/v1/proposals/{v['draft']}/", {"title": "Mine"}, refused),
        ("post", f"/api/v1/proposals/{v['draft']}/open/", None, refused),
        ("post", f"/api/v1/proposals/{v['draft']}/withdraw/", None, refused),
        ("post", f"/api/v1/proposals/{v['draft']}/ballots/", {"choice": "yes"}, refused),
        # writes into Kenya's council
        (
            "post",
            f"/api/v1/councils/{v['council']}/proposals/",
            {"kind": "resolution", "title": "Mole", "closes_at": "2099-01-01T00:00:00Z"},
            refused,
        ),
        (
            "post",
            f"/api/v1/councils/{v['council']}/seats/{v['seat']}/chair/",
            {"chair": True},
            refused,
        ),
        ("post", f"/api/v1/proposals/{v['open']}/ballots/", {"choice": "no"}, refused),
        (
            "post",
            f"/api/v1/proposals/{v['open']}/ballots/",
            {"choice": "yes", "seat": v["seat"]},
            refused,
        ),
        ("post", f"/api/v1/proposals/{v['open']}/close/", None, refused),
        ("post", f"/api/v1/proposals/{v['open']}/withdraw/", None, refused),
        ("post", f"/api/v1/proposals/{v['hidden']}/ballots/", {"choice": "yes"}, refused),
        ("post", f"/api/v1/proposals/{v['closed']}/open/", None, refused | {409}),
        # the live vote log is for Kenya's auditors
        ("get", f"/api/v1/proposals/{v['open']}/log/", None, refused),
        ("get", f"/api/v1/proposals/{v['hidden']}/log/", None, refused),
        # a Kenyan's inbox
        ("post", f"/api/v1/notifications/{v['notification']}/read/", None, refused),
        # the pages: a draft is not found; forms refuse (redirect with a message, or 404)
        ("get", f"/proposals/{v['draft']}/", None, hidden),
        ("get", f"/proposals/{v['draft']}/standing/", None, hidden),
        ("post", f"/proposals/{v['draft']}/open/", {}, hidden),
        ("post", f"/proposals/{v['draft']}/ballot/", {"choice": "yes"}, hidden),
        ("post", f"/proposals/{v['open']}/close/", {}, {302}),
        ("post", f"/proposals/{v['open']}/ballot/", {"choice": "no"}, {302}),
        ("post", f"/councils/{v['council']}/", {"title": "Mole"}, {302, 404}),
        ("post", f"/councils/{v['council']}/seats/{v['seat']}/chair/", {"chair": "1"}, {302}),
        ("get", f"/proposals/{v['draft']}/edit/", None, hidden),
        ("post", f"/proposals/{v['draft']}/edit/", {"title": "Mole"}, hidden),
    ]


def call(client, method: str, url: str, body):
    if url.startswith("/api/"):
        return (
            getattr(client, method)(url, body, format="json")
            if body is not None
            else (getattr(client, method)(url))
        )
    return getattr(client, method)(url, body) if body is not None else getattr(client, method)(url)


def web_client(user):
    from django.test import Client

    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("who", [*NATION_ROLES, "outsider", "anonymous"])
def test_nobody_from_another_nation_reaches_kenyas_council(cast, kenyan_votes, who) -> None:
    user = {"outsider": cast.outsider, "anonymous": None}.get(who) or (
        cast.user("BRA", who) if who in NATION_ROLES else None
    )
    api, web = client_for(user), web_client(user)
    before = snapshot()
    for method, url, body, acceptable in walk(kenyan_votes):
        response = call(api if url.startswith("/api/") else web, method, url, body)
        assert response.status_code in acceptable, (who, method, url, response.status_code)
        if url.startswith("/api/"):
            error = response.json()["error"]
            assert error["code"] and error["message"]
        assert "Secret draft of Kenya" not in response.content.decode(errors="replace")
    assert snapshot() == before, who


@pytest.mark.django_db
@pytest.mark.parametrize("who", [*NATION_ROLES, "outsider", "anonymous"])
def test_public_reads_of_kenyas_votes_show_nothing_hidden(cast, kenyan_votes, who) -> None:
    user = {"outsider": cast.outsider, "anonymous": None}.get(who) or (
        cast.user("BRA", who) if who in NATION_ROLES else None
    )
    api, web = client_for(user), web_client(user)
    listed = api.get(f"/api/v1/proposals/?council={kenyan_votes['council']}").json()["results"]
    assert {p["id"] for p in listed} == {kenyan_votes[k] for k in ("open", "hidden", "closed")}
    hidden = api.get(f"/api/v1/proposals/{kenyan_votes['hidden']}/").json()
    assert hidden["tally"] is None and hidden["to_pass"] is None
    assert api.get(f"/api/v1/proposals/{kenyan_votes['hidden']}/tally/").json()["tally"] is None
    who_voted = api.get(f"/api/v1/proposals/{kenyan_votes['hidden']}/ballots/").json()
    assert {row["choice"] for row in who_voted} == {None}
    if user is not None:
        assert api.get(f"/api/v1/proposals/{kenyan_votes['open']}/ballots/mine/").json() == []
    page = web.get(f"/proposals/{kenyan_votes['hidden']}/").content.decode()
    assert "Results are hidden until the vote closes" in page
    assert "Cast ballot" not in web.get(f"/proposals/{kenyan_votes['open']}/").content.decode()
    council_page = web.get(f"/councils/{kenyan_votes['council']}/").content.decode()
    assert "Secret draft of Kenya" not in council_page and "Draft a proposal" not in council_page
    assert "Secret draft of Kenya" not in json.dumps(listed)
