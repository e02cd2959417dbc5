"""`seed --demo`: the demo council member and delegate can vote at once; closed votes have
bundles that recount; a passed budget funded a project; seeding again changes nothing."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from covenant.accounts.models import User
from covenant.nations.demo import DEMO_PASSWORD
from covenant.nations.tenancy import all_nations
from governance.bundle import build_bundle
from governance.models import Proposal
from tests.conftest import client_for
from tests.governance.test_bundle import recount


@pytest.mark.django_db
def test_the_demo_is_alive_on_first_start(tmp_path) -> None:
    out = StringIO()
    call_command("seed", "--demo", stdout=out)
    text = out.getvalue()
    assert "governance demo: 10 proposals created, 5 open" in text
    assert "council2.ken@covenant.test" in text and "delegate.deu@covenant.test" in text
    member = User.objects.get(email="council.ken@covenant.test")
    delegate = User.objects.get(email="delegate.ken@covenant.test")
    assert member.check_password(DEMO_PASSWORD)
    for person in (member, delegate):
        client = client_for(person)
        open_votes = client.get("/api/v1/proposals/?status=open").json()["results"]
        untouched = [
            p
            for p in open_votes
            if client.get(f"/api/v1/proposals/{p['id']}/ballots/mine/").json() == []
        ]
        votable = 0
        for proposal in untouched:
            response = client.post(
                f"/api/v1/proposals/{proposal['id']}/ballots/", {"choice": "yes"}, format="json"
            )
            votable += response.status_code == 201
        assert votable == 2, person.email  # two open votes each, not voted on yet
    with all_nations(reason="test"):
        closed = list(Proposal.objects.filter(status="closed"))
        drafts = list(Proposal.objects.filter(status="draft"))
    assert len(closed) == 4 and {p.outcome for p in closed} == {"passed", "rejected"}
    for proposal in closed:
        done = recount(build_bundle(proposal), tmp_path=tmp_path)
        assert done.returncode == 0, done.stdout
    funded = [p for p in closed if p.kind == "budget" and p.outcome == "passed"]
    assert funded
    page = Client().get(f"/projects/{funded[0].project_id}/").content.decode()
    assert "Funded:" in page and f'href="/proposals/{funded[0].pk}/"' in page
    assert Client().get("/dashboard/").status_code == 200
    [draft] = drafts
    assert client_for(None).get(f"/api/v1/proposals/{draft.pk}/").status_code == 404
    assert client_for(member).get(f"/api/v1/proposals/{draft.pk}/").status_code == 200
    again = StringIO()
    call_command("seed", "--demo", stdout=again)
    assert "governance demo: 0 proposals created" in again.getvalue()
    assert json.dumps(text).count("cross-nation") == 0
