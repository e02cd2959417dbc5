"""The pages: /privacy/ for every signed-in person, /n/<iso3>/privacy/ for that nation's admins
(a 404 for everybody else); forms work without JavaScript (post, redirect) and with htmx
(the result swapped in place)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from compliance.models import PrivacyRequest
from covenant.nations.tenancy import nation_scope
from tests.conftest import NATION_ROLES

D = dt.date


def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_the_privacy_page_needs_a_sign_in(client) -> None:
    response = client.get("/privacy/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_the_privacy_page_shows_what_is_held_and_why(cast, client) -> None:
    page = signed_in(client, cast.outsider).get("/privacy/")
    html = page.content.decode()
    assert page.status_code == 200
    for words in (
        "What we hold about you",
        "Your account",
        "Roles",
        "Audit log",
        "on erasure: kept, for a legal reason",
        "File a request",
        "Right to know",
    ):
        assert words in html, words
    assert "<script>" not in html and "style=" not in html  # strict CSP: nothing inline
    assert 'href="/privacy/"' in html  # the nav link
    assert 'rel="stylesheet" href="/static/css/privacy.css"' in html


@pytest.mark.django_db
def test_filing_without_javascript_posts_and_redirects(cast, client, kenya, clock) -> None:
    clock.set(D(2026, 1, 31))
    signed_in(client, cast.outsider)
    response = client.post(
        "/privacy/", {"nation": "KEN", "request": "gdpr:rectification", "details": "typo"}
    )
    assert response.status_code == 302 and response["Location"] == "/privacy/"
    page = client.get("/privacy/").content.decode()
    assert "filed: due by 28 February 2026" in page
    assert "Rectification (Art. 16)" in page
    with nation_scope(kenya):
        request = PrivacyRequest.objects.get()
    assert request.subject == cast.outsider and request.status == "in_progress"
    # a duplicate, and nonsense, are answered on the page with a 400
    again = client.post("/privacy/", {"nation": "KEN", "request": "gdpr:rectification"})
    assert again.status_code == 400 and "already have an open request" in again.content.decode()
    wrong = client.post("/privacy/", {"nation": "KEN", "request": "gdpr:opt_out"})
    assert wrong.status_code == 400 and "not a GDPR request type" in wrong.content.decode()
    assert client.post("/privacy/", {"nation": "ZZZ", "request": "x"}).status_code == 400


@pytest.mark.django_db
def test_filing_with_htmx_swaps_the_list_in_place(cast, client) -> None:
    signed_in(client, cast.user("KEN", "citizen"))
    response = client.post(
        "/privacy/", {"nation": "KEN", "request": "gdpr:access"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200 and html.startswith('<section id="my-requests"')
    assert "Download your data (ZIP" in html  # eager: the export is ready already
    link = re.search(r'href="(/privacy/exports/[^"]+)"', html).group(1)
    assert client.get(link).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("role", [r for r in NATION_ROLES if r != "nation_admin"])
def test_the_queue_is_a_404_for_everybody_but_the_nations_admins(cast, client, role) -> None:
    assert signed_in(client, cast.user("KEN", role)).get("/n/ken/privacy/").status_code == 404
    assert (
        signed_in(client, cast.user("BRA", "nation_admin")).get("/n/ken/privacy/").status_code
        == 404
    )
    assert client.post("/n/ken/privacy/1/complete/").status_code == 404
    assert signed_in(client, cast.outsider).get("/n/ken/privacy/").status_code == 404
    assert client.get("/n/zzz/privacy/").status_code == 404


@pytest.mark.django_db
def test_admins_work_the_queue_in_place_and_without_javascript(cast, client, kenya, clock):
    clock.set(D(2026, 3, 10))
    admin = signed_in(client, cast.user("KEN", "nation_admin"))
    recorded = admin.post(
        "/n/ken/privacy/file/",
        {"subject_email": "letter@example.org", "request": "gdpr:rectification",
         "received_on": "2026-01-31", "channel": "post", "details": "by post"},
    )  # fmt: skip
    assert recorded.status_code == 302
    with nation_scope(kenya):
        late = PrivacyRequest.objects.get(subject_email="letter@example.org")
    assert (late.received_on, late.due_on, late.channel) == (D(2026, 1, 31), D(2026, 2, 28), "post")
    soon = admin.post(
        "/n/ken/privacy/file/",
        {"subject_email": cast.user("KEN", "citizen").email, "request": "ccpa:correct",
         "received_on": "2026-03-09", "channel": "email"},
    )  # fmt: skip
    assert soon.status_code == 302
    page = admin.get("/n/ken/privacy/").content.decode()
    cards = re.findall(r'<li class="request([^"]*)" id="request-(\d+)"', page)
    assert [int(pk) for _, pk in cards] == [late.pk, late.pk + 1]  # sorted by due date
    assert "overdue" in cards[0][0] and "Overdue by 10 days" in page
    # htmx: verify, then extend (late: refused), then complete — the card swapped each time
    url = f"/n/ken/privacy/{late.pk}/"
    card = admin.post(f"{url}verify/", {"outcome": "verified"}, HTTP_HX_REQUEST="true")
    html = card.content.decode().strip()
    assert html.startswith(f'<li class="request overdue" id="request-{late.pk}"')
    assert "In progress" in html
    refused = admin.post(f"{url}extend/", {"reason": "late"}, HTTP_HX_REQUEST="true")
    assert "has passed" in refused.content.decode() and 'role="alert"' in refused.content.decode()
    done = admin.post(f"{url}complete/", {}, HTTP_HX_REQUEST="true").content.decode()
    assert "Completed" in done
    # without JavaScript: post and redirect back to the card
    with nation_scope(kenya):
        other = PrivacyRequest.objects.exclude(pk=late.pk).get()
    response = admin.post(
        f"/n/ken/privacy/{other.pk}/reject/", {"reason_code": "identity_not_verified"}
    )
    assert response.status_code == 302 and response["Location"].endswith(f"#request-{other.pk}")
    closed = admin.get("/n/ken/privacy/?show=closed").content.decode()
    assert "Identity could not be verified" in closed
    assert admin.post(f"{url}launch/").status_code == 404


@pytest.mark.django_db
def test_a_request_on_behalf_cannot_claim_it_came_through_the_portal(cast, client, kenya):
    """The form offers post, e-mail and telephone; a hand-made POST saying "portal" is refused
    by the service (the portal's own filings are the subject's), and nothing is recorded."""
    admin = signed_in(client, cast.user("KEN", "nation_admin"))
    refused = admin.post(
        "/n/ken/privacy/file/",
        {"subject_email": "someone@example.org", "request": "gdpr:access", "channel": "portal"},
        follow=True,
    )
    assert "was received by post, e-mail or telephone" in refused.content.decode()
    with nation_scope(kenya):
        assert not PrivacyRequest.objects.filter(subject_email="someone@example.org").exists()
