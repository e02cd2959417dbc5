"""A person on the overview: filters the nations by region (htmx swaps the table in place),
follows a nation, and moves around with the keyboard."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

ROWS = "#nations-table tbody th[scope=row]"


def rows(page: Any) -> int:
    return page.locator(ROWS).count()


def test_region_filter_swaps_the_table_in_place(live_server: Any, page: Any) -> None:
    page.goto(f"{live_server.url}/")
    assert rows(page) == 195
    page.evaluate("window.__marker = 'same page'")  # survives only if the page is not reloaded
    page.select_option("#region", "Oceania")
    expect(page.locator(ROWS)).to_have_count(14)
    assert page.evaluate("window.__marker") == "same page"
    assert "region=Oceania" in page.url  # the filter is in the address, so it can be shared
    assert "Fiji" in page.inner_text("#nations-table")
    page.fill("#q", "new")
    expect(page.locator(ROWS)).to_have_count(3)  # Australia: sub-region "Australia and New Zealand"
    table = page.inner_text("#nations-table")
    assert all(name in table for name in ("New Zealand", "Papua New Guinea", "Australia"))
    page.click("text=New Zealand")
    page.wait_for_url("**/n/nzl/")
    assert "0.01 % of GDP" in page.inner_text("main")
    assert page.console_errors == []  # no CSP violation, no script error


def test_keyboard_users_can_skip_to_the_content(live_server: Any, page: Any) -> None:
    page.goto(f"{live_server.url}/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.strip() == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_the_page_works_on_a_phone(live_server: Any, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    assert "195 member nations" in page.inner_text("main")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375  # the wide table scrolls inside its own box, not the page
    page.screenshot(path="/tmp/covenant-overview-phone.png")
    context.close()
