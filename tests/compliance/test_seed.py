"""Demo data: the demo admins get a queue (several states, one overdue, one due soon, one
received by post), citizen.ken an earlier completed access request with its export; twice is
the same as once."""

from __future__ import annotations

from collections import Counter

import pytest

from compliance import deadlines
from compliance.models import PrivacyExport, PrivacyRequest
from compliance.seed import privacy_seed_step
from covenant.accounts.models import User
from covenant.nations.demo import demo_people_seed
from covenant.nations.tenancy import all_nations
from covenant.seeding import SeedOptions, seed_steps


@pytest.mark.django_db
def test_the_demo_queue_and_the_citizens_earlier_request() -> None:
    demo_people_seed()
    assert "compliance: privacy requests for the demo" in [name for name, _ in seed_steps()]
    lines: list[str] = []
    options = SeedOptions(demo=True, projects=None, write=lines.append)
    privacy_seed_step(options)
    privacy_seed_step(options)  # idempotent
    assert lines == ["privacy: 11 demo requests", "privacy: 0 demo requests"]
    today = deadlines.utc_today()
    with all_nations(reason="test"):
        kenya = list(PrivacyRequest.objects.filter(nation__iso3="KEN", on_behalf=True))
        citizen = User.objects.get(email="citizen.ken@covenant.test")
        earlier = PrivacyRequest.objects.get(subject=citizen, type="access")
        export = PrivacyExport.objects.get(request=earlier)
    assert Counter(r.status for r in kenya) == {"received": 2, "verifying": 1, "in_progress": 2}
    assert sum(deadlines.is_overdue(due_on=r.due_on, is_open=r.is_open) for r in kenya) == 1
    assert any(0 <= (r.due_on - today).days <= 3 for r in kenya)  # one due soon
    assert any(r.channel == "post" for r in kenya)
    assert earlier.status == "completed" and export.state == "ready"
    assert earlier.received_on < today
    skipped: list[str] = []
    privacy_seed_step(SeedOptions(demo=False, projects=None, write=skipped.append))
    assert skipped == []
