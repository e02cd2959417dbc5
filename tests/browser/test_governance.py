"""A council member in the browser: logs in, opens the dashboard, votes on a proposal's page,
sees the receipt and the tally change without a reload; voting with the keyboard alone; and
axe-core finds no serious violation on the dashboard, council and proposal pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from playwright.sync_api import expect

from tests.browser.axe import serious_violations

PASSWORD = "a-long-browser-password-2026"


@pytest.fixture
def _append_only_tables_flushable(transactional_db: Any) -> Iterator[None]:
    """SQLite only: the database's guards (append-only ledger, audit log and vote log; ballots
    never deleted) also refuse the DELETEs with which a transactional test is emptied. Empty
    the tables here, guards lifted for the moment, and put the guards back. (PostgreSQL
    empties them with TRUNCATE, which the guards do not trap.)"""
    yield
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        triggers = cursor.fetchall()
        for name, _ in triggers:
            cursor.execute(f'DROP TRIGGER "{name}"')
    try:
        call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
    finally:
        with connection.cursor() as cursor:
            for _, sql in triggers:
                cursor.execute(sql)


@pytest.fixture
def vote(_append_only_tables_flushable: None) -> dict[str, Any]:
    """Kenya's council: our member (with a password), two more, and an open proposal."""
    from covenant.access.principal import SYSTEM, Principal
    from covenant.access.services import role_grant, user_get_or_create
    from covenant.nations.models import Nation
    from governance.services import proposal_open
    from tests.governance.conftest import council_of, draft

    kenya = Nation.objects.get(iso3="KEN")
    people = []
    for email in ("amina@covenant.test", "baraka@covenant.test", "chege@covenant.test"):
        user, _ = user_get_or_create(email=email)
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
        role_grant(nation=kenya, user=user, role="council_member", actor=SYSTEM, four_eyes=False)
        people.append(user)
    proposal = draft(council_of(kenya), people[1], title="Solar pumps for the Rift Valley")
    proposal_open(proposal=proposal, actor=Principal(user=people[1]))
    return {"member": people[0], "proposal": proposal, "council": proposal.council_id}


def log_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.console_errors.clear()  # the sign-in page is allauth's own (no favicon link)


def test_a_member_votes_and_sees_the_receipt_and_the_tally_without_a_reload(
    live_server: Any, page: Any, vote: dict[str, Any]
) -> None:
    log_in(page, live_server.url, vote["member"].email)
    page.goto(f"{live_server.url}/dashboard/")
    header = page.inner_text("header")
    assert "KEN: Council member" in header
    card = page.locator(".proposal-card", has_text="Solar pumps for the Rift Valley")
    expect(card).to_contain_text("0 of 3 seats have voted")
    card.get_by_role("link", name="Solar pumps for the Rift Valley").click()
    page.wait_for_url(f"**/proposals/{vote['proposal'].pk}/")
    page.evaluate("window.__marker = 'same page'")
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Cast ballot").click()
    receipt = page.locator("#ballot-panel .receipt-hash")
    expect(receipt).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    expect(page.locator("#ballot-panel")).to_contain_text("Your ballot is cast.")
    standing = page.locator(f"#standing-{vote['proposal'].pk}")
    expect(standing).to_contain_text("1 of 3 seats have voted")
    expect(standing).to_contain_text("Yes 1 seat,")
    assert page.evaluate("window.__marker") == "same page"  # no reload
    from covenant.nations.tenancy import all_nations
    from governance.models import Ballot

    with all_nations(reason="test"):
        assert Ballot.objects.get().receipt == receipt.inner_text()
    assert page.console_errors == []


def test_voting_with_the_keyboard_alone(live_server: Any, page: Any, vote: dict[str, Any]) -> None:
    log_in(page, live_server.url, vote["member"].email)
    page.goto(f"{live_server.url}/proposals/{vote['proposal'].pk}/")
    for _ in range(60):  # Tab through the page until a ballot choice has the focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.name") == "choice":
            break
    else:
        pytest.fail("no ballot choice is reachable with Tab")
    page.keyboard.press("Space")  # choose the focused option (Yes)
    page.keyboard.press("ArrowDown")  # move to No: arrows move within a radio group
    assert page.evaluate("document.activeElement.value") == "no"
    page.keyboard.press("Tab")  # past Abstain to the button
    assert page.evaluate("document.activeElement.textContent.trim()") == "Cast ballot"
    page.keyboard.press("Enter")
    expect(page.locator("#ballot-panel .my-choice")).to_have_text("No")
    expect(page.locator(f"#standing-{vote['proposal'].pk}")).to_contain_text("no 1 seat,")


def test_no_serious_accessibility_violation_on_the_governance_pages(
    live_server: Any, page: Any, vote: dict[str, Any]
) -> None:
    log_in(page, live_server.url, vote["member"].email)
    for path in (
        "/dashboard/",
        "/councils/",
        f"/councils/{vote['council']}/",
        f"/proposals/{vote['proposal'].pk}/",
        "/notifications/",
    ):
        page.goto(f"{live_server.url}{path}")
        assert serious_violations(page) == [], path
    # and as the public sees them, on a phone
    page.context.clear_cookies()
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/dashboard/", f"/proposals/{vote['proposal'].pk}/"):
        page.goto(f"{live_server.url}{path}")
        assert serious_violations(page) == [], path
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)  # nothing overflows the phone's width
