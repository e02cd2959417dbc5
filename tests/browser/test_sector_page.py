"""A person on a sector page: the chart reads without JavaScript, the project list filters in
place as they choose a status or type a search, and a project opens its own page."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

ROWS = "#projects-list tbody th[scope=row]"


def test_the_project_list_filters_in_place(live_server: Any, page: Any) -> None:
    from sectors.core.seed import flagships_load

    flagships_load()
    page.goto(f"{live_server.url}/sectors/health/")
    assert "Primary care" in page.inner_text("main")
    assert page.locator("svg.bar-chart title").text_content() == "Health: budget by region"
    expect(page.locator(ROWS)).to_have_count(6)  # the six health flagships
    page.evaluate("window.__marker = 'same page'")
    page.fill("#project-q", "malaria")
    expect(page.locator(ROWS)).to_have_count(1)
    assert page.evaluate("window.__marker") == "same page"
    assert "q=malaria" in page.url
    page.fill("#project-q", "")
    expect(page.locator(ROWS)).to_have_count(6)
    page.select_option("#project-status", "suspended")
    expect(page.locator(ROWS)).to_have_count(0)
    page.select_option("#project-status", "")
    expect(page.locator(ROWS)).to_have_count(6)
    page.locator(ROWS).first.locator("a").click()
    page.wait_for_url("**/projects/*/")
    assert "Beneficiaries" in page.inner_text("main")
    assert page.console_errors == []
