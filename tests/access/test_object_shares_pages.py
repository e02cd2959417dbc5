"""Sharing one object with a named person in the pages: a nation's admin shares one proposal's
vote log with an auditor of another nation (the issue's example) and one project's write access
with a steward of another sector; nobody else may, and taking it back closes it again."""

from __future__ import annotations

import pytest
from django.test import Client

from covenant.audit.models import AuditEntry
from tests.conftest import client_for
from tests.governance.conftest import council_of, opened
from tests.sectors.conftest import make_project


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.mark.django_db
def test_an_admin_shares_one_votes_log_with_an_auditor_of_another_nation(cast, kenya) -> None:
    proposal = opened(council_of(kenya), cast.user("KEN", "council_member"))
    outside_auditor = cast.user("BRA", "auditor")
    log = f"/api/v1/proposals/{proposal.pk}/log/"
    assert client_for(outside_auditor).get(log).status_code == 403
    admin = signed_in(cast.user("KEN", "nation_admin"))
    page = admin.get(f"/proposals/{proposal.pk}/").content.decode()
    assert "Shared with named people" in page and "votes:read_log" in page
    share_url = f"/shares/governance.Proposal/{proposal.pk}/"
    shared = admin.post(
        share_url,
        {"email": outside_auditor.email, "capability": "votes:read_log",
         "next": f"/proposals/{proposal.pk}/"},
    )  # fmt: skip
    assert shared.status_code == 302 and shared["Location"] == f"/proposals/{proposal.pk}/"
    assert outside_auditor.email in admin.get(f"/proposals/{proposal.pk}/").content.decode()
    assert client_for(outside_auditor).get(log).status_code == 200  # this one vote's log
    other = opened(council_of(kenya), cast.user("KEN", "council_member"), title="Another")
    assert client_for(outside_auditor).get(f"/api/v1/proposals/{other.pk}/log/").status_code == 403
    assert AuditEntry.objects.filter(action="object_grant.granted").count() == 1
    admin.post(
        share_url,
        {"action": "revoke", "email": outside_auditor.email, "capability": "votes:read_log"},
    )
    assert client_for(outside_auditor).get(log).status_code == 403
    assert AuditEntry.objects.filter(action="object_grant.revoked").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["council_member", "auditor", "citizen"])
def test_nobody_but_the_nations_admins_shares(cast, kenya, who) -> None:
    proposal = opened(council_of(kenya), cast.user("KEN", "council_member"))
    person = signed_in(cast.user("KEN", who))
    assert (
        "Shared with named people" not in person.get(f"/proposals/{proposal.pk}/").content.decode()
    )
    refused = person.post(
        f"/shares/governance.Proposal/{proposal.pk}/",
        {"email": cast.user("KEN", who).email, "capability": "votes:read_log"},
    )
    assert refused.status_code == 404
    brazil_admin = signed_in(cast.user("BRA", "nation_admin"))
    assert (
        brazil_admin.post(
            f"/shares/governance.Proposal/{proposal.pk}/",
            {"email": cast.user("BRA", "auditor").email, "capability": "votes:read_log"},
        ).status_code
        == 404
    )
    assert not AuditEntry.objects.filter(action="object_grant.granted").exists()


@pytest.mark.django_db
def test_an_admin_shares_one_projects_write_access(cast, kenya) -> None:
    project = make_project(cast.platform_admin, kenya, "health")
    steward = cast.user("KEN", "sector_steward")  # energy: not health
    patch = {"description": "Updated by the energy steward"}
    assert (
        client_for(steward)
        .patch(f"/api/v1/projects/{project.pk}/", patch, format="json")
        .status_code
        == 403
    )
    admin = signed_in(cast.user("KEN", "nation_admin"))
    assert "Shared with named people" in admin.get(f"/projects/{project.pk}/").content.decode()
    admin.post(
        f"/shares/sectors_core.Project/{project.pk}/",
        {"email": steward.email, "capability": "projects:update"},
    )
    assert (
        client_for(steward)
        .patch(f"/api/v1/projects/{project.pk}/", patch, format="json")
        .status_code
        == 200
    )
    unknown = admin.post(
        f"/shares/sectors_core.Project/{project.pk}/",
        {"email": "nobody@example.org", "capability": "projects:update",
         "next": f"/projects/{project.pk}/"},
    )  # fmt: skip
    assert unknown.status_code == 302
    assert "no account has this e-mail" in admin.get(f"/projects/{project.pk}/").content.decode()
