"""Privacy in the browser: a citizen files an access request on /privacy/ and downloads the ZIP
(its manifest's hashes match its files); a nation admin extends and completes a request in the
queue, in place. Both pages have no serious accessibility violation."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from playwright.sync_api import expect

from compliance.services import Filing, privacy_request_file, privacy_request_verify
from covenant.access.mfa import totp_activate, totp_code
from covenant.access.principal import SYSTEM
from covenant.access.services import role_grant
from covenant.audit.models import AuditEntry
from covenant.db.append_only import _forward_sql, drop_append_only_sql
from covenant.nations.models import Nation
from tests.browser.axe import serious_violations
from tests.conftest import CAST_TOTP_SECRET, make_user

PASSWORD = "browser-test-password-2026"


@pytest.fixture(autouse=True)
def _jobs_run_at_once(settings: Any, tmp_path: Any) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the export is built as soon as the request commits
    settings.COMPLIANCE_PRIVATE_ROOT = str(tmp_path / "private")


@pytest.fixture(autouse=True)
def _empty_the_audit_log_afterwards(transactional_db: Any) -> Iterator[None]:
    """These tests write audit entries; on SQLite the append-only triggers refuse the DELETE
    with which the test runner empties tables (PostgreSQL truncates), so lift them for the
    clean-up and put them back."""
    yield
    if connection.vendor != "sqlite":
        return
    table = AuditEntry._meta.db_table
    with connection.cursor() as cursor:
        for statement in drop_append_only_sql("sqlite", table):
            cursor.execute(statement)
        cursor.execute(f"DELETE FROM {table}")
        for statement in _forward_sql("sqlite", table):
            cursor.execute(statement)


def person(email: str, role: str) -> Any:
    user = make_user(email, PASSWORD)
    role_grant(
        nation=Nation.objects.get(iso3="KEN"), user=user, role=role, actor=SYSTEM, four_eyes=False
    )
    if role == "nation_admin":  # a privileged role: nothing on the web without a second factor
        totp_activate(user=user, secret=CAST_TOTP_SECRET)
    return user


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    if "/accounts/2fa/authenticate/" in page.url:
        page.fill("input[name=code]", totp_code(CAST_TOTP_SECRET))
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_url(lambda url: "/2fa/authenticate/" not in url)
    page.console_errors.clear()  # allauth's own page asks for /favicon.ico; ours link theirs


def test_a_citizen_files_an_access_request_and_downloads_the_zip(
    live_server: Any, page: Any, tmp_path: Any
) -> None:
    person("citizen.browser@covenant.test", "citizen")
    sign_in(page, live_server.url, "citizen.browser@covenant.test")
    page.click("nav >> text=Privacy")
    page.wait_for_url("**/privacy/")
    assert serious_violations(page) == []
    page.evaluate("window.__marker = 'same page'")
    page.select_option("#nation", "KEN")
    page.select_option("#request-type", "gdpr:access")
    page.click("text=File the request")
    download_link = page.locator("#my-requests a.download")
    expect(download_link).to_be_visible()
    assert page.evaluate("window.__marker") == "same page"  # swapped in place by htmx
    assert "Completed" in page.inner_text("#my-requests")
    with page.expect_download() as pending:
        download_link.click()
    path = tmp_path / "export.zip"
    pending.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["type"] == "access" and manifest["nation"] == "KEN"
        for item in manifest["files"]:
            assert hashlib.sha256(archive.read(item["name"])).hexdigest() == item["sha256"]
        [account] = json.loads(archive.read("accounts-user.json"))
    assert account["email"] == "citizen.browser@covenant.test"
    assert serious_violations(page) == []
    assert page.console_errors == []


def test_a_nation_admin_extends_and_completes_a_request_in_the_queue(
    live_server: Any, page: Any
) -> None:
    kenya = Nation.objects.get(iso3="KEN")
    person("nation-admin.browser@covenant.test", "nation_admin")
    request = privacy_request_file(
        nation=kenya,
        filing=Filing(
            regime="gdpr",
            type="rectification",
            subject_email="letter.writer@example.org",
            received_on=dt.date.today() - dt.timedelta(days=3),
            channel="post",
            details="My name is misspelt.",
        ),
        actor=SYSTEM,
    )
    privacy_request_verify(request=request, actor=SYSTEM)
    sign_in(page, live_server.url, "nation-admin.browser@covenant.test")
    page.goto(f"{live_server.url}/n/ken/privacy/")
    card = page.locator(f"#request-{request.pk}")
    expect(card).to_contain_text("received by post")
    assert serious_violations(page) == []
    page.evaluate("window.__marker = 'same page'")
    card.get_by_label("Reason for the extension").fill("Records kept on paper in two offices")
    card.get_by_role("button", name=f"Extend #{request.pk}").click()
    card = page.locator(f"#request-{request.pk}")
    expect(card).to_contain_text("Extended")
    expect(card.get_by_role("button", name=f"Extend #{request.pk}")).to_have_count(0)
    card.get_by_role("button", name=f"Complete #{request.pk}").click()
    expect(page.locator(f"#request-{request.pk}")).to_contain_text("Completed")
    assert page.evaluate("window.__marker") == "same page"
    assert serious_violations(page) == []
    assert page.console_errors == []
