"""The daily sweep: the nation's admins are reminded of requests due within 7 days and within 3
days (once each) and of overdue ones (every day); a second sweep the same day sends nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client

from compliance.models import PrivacyReminder
from compliance.notifications import deadlines_sweep
from compliance.selectors import overdue_dashboard_part, overdue_for_admin
from covenant.access.principal import Principal
from covenant.nations.tenancy import all_nations
from tests.conftest import client_for

D = dt.date
URL = "/api/v1/privacy/requests/"


def digests(nation_name: str) -> list:
    return [m for m in mail.outbox if nation_name in m.subject]


@pytest.mark.django_db
def test_reminders_at_seven_and_three_days_and_daily_when_overdue(cast, clock) -> None:
    clock.set(D(2026, 1, 5))
    client = client_for(cast.user("KEN", "citizen"))
    opt_out = client.post(URL, {"nation": "KEN", "regime": "ccpa", "type": "opt_out"},
                          format="json").json()  # fmt: skip
    assert opt_out["due_on"] == "2026-01-26"
    mail.outbox.clear()
    sent: dict[D, int] = {}
    for day in range(6, 32):
        today = D(2026, 1, day)
        clock.set(today)
        first = deadlines_sweep(today=today)
        again = deadlines_sweep(today=today)  # idempotent per day
        assert again["reminders"] == 0
        sent[today] = first["reminders"]
    reminded = {day for day, count in sent.items() if count}
    assert reminded == {D(2026, 1, 19), D(2026, 1, 23)} | {D(2026, 1, d) for d in range(27, 32)}
    with all_nations(reason="test"):
        kinds = list(PrivacyReminder.objects.order_by("sent_on").values_list("kind", flat=True))
    assert kinds == ["due_in_7", "due_in_3"] + ["overdue"] * 5
    kenyan = digests("Kenya")
    assert len(kenyan) == 7  # one digest a day with something to say
    assert kenyan[0].to == ["nation_admin.ken@covenant.test"]
    assert f"#{opt_out['id']}" in kenyan[-1].body and "overdue" in kenyan[-1].body
    assert cast.user("KEN", "citizen").email not in kenyan[-1].body  # no personal data in it


@pytest.mark.django_db
def test_a_missed_day_still_reminds_and_a_closed_request_is_not_reminded(cast, clock) -> None:
    clock.set(D(2026, 1, 1))
    client = client_for(cast.user("KEN", "citizen"))
    admin = client_for(cast.user("KEN", "nation_admin"))
    kept = client.post(URL, {"nation": "KEN", "regime": "gdpr", "type": "objection"},
                       format="json").json()  # fmt: skip
    closed = client.post(URL, {"nation": "KEN", "regime": "gdpr", "type": "restriction"},
                         format="json").json()  # fmt: skip
    admin.post(f"{URL}{closed['id']}/complete/", {}, format="json")
    # due 1 February; the sweep did not run until 30 January (2 days left): one due_in_3
    assert deadlines_sweep(today=D(2026, 1, 30))["reminders"] == 1
    with all_nations(reason="test"):
        assert list(PrivacyReminder.objects.values_list("request_id", "kind")) == [
            (kept["id"], "due_in_3")
        ]


@pytest.mark.django_db
def test_the_dashboard_part_lists_overdue_requests_for_admins_only(cast, clock) -> None:
    clock.set(D(2026, 1, 5))
    client = client_for(cast.user("KEN", "citizen"))
    late = client.post(URL, {"nation": "KEN", "regime": "ccpa", "type": "opt_out"},
                       format="json").json()  # fmt: skip
    clock.set(D(2026, 1, 30))
    admin = Principal(user=cast.user("KEN", "nation_admin"))
    assert [r.pk for r in overdue_for_admin(admin)] == [late["id"]]
    part = overdue_dashboard_part(admin)
    assert part is not None and part["count"] == 1 and part["items"][0]["days_late"] == 4
    assert part["items"][0]["url"] == f"/n/ken/privacy/#request-{late['id']}"
    brazilian = Principal(user=cast.user("BRA", "nation_admin"))
    assert overdue_for_admin(brazilian) == []
    assert overdue_dashboard_part(brazilian)["count"] == 0
    citizen = Principal(user=cast.user("KEN", "citizen"))
    assert overdue_for_admin(citizen) == []
    assert overdue_dashboard_part(citizen) is None
    # on the governance dashboard, through the core's registry (nobody imports the other)
    pages = Client()
    pages.force_login(cast.user("KEN", "nation_admin"))
    shown = pages.get("/dashboard/").content.decode()
    assert "Overdue privacy requests" in shown and f"#request-{late['id']}" in shown
    assert "4 days late" in shown
    pages.force_login(cast.user("KEN", "citizen"))
    assert "Overdue privacy requests" not in pages.get("/dashboard/").content.decode()
