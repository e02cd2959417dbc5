"""The governance pages without a browser: what they show, forms that work without JavaScript,
htmx fragments, the header, and the strict CSP (no inline script or style)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from covenant.access.principal import Principal
from covenant.dashboard import register_dashboard_part
from covenant.ledger.services import contribution_post
from covenant.nations.tenancy import nation_scope
from governance.models import Ballot, NotificationKind, NotificationSettings, Proposal
from governance.services import ballot_cast, notifications_create
from tests.governance.conftest import add_members, council_of, draft, opened

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "governance"


def browser(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def soon(days: int = 10) -> str:
    """A datetime-local value (UTC) some days ahead."""
    import datetime as dt

    from django.utils import timezone

    return (timezone.now() + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_no_inline_script_or_style_in_the_templates() -> None:
    for path in TEMPLATES.glob("*.html"):
        source = path.read_text("utf-8")
        assert "<script" not in source and "<style" not in source, path
        assert not re.search(r"\sstyle=", source), path
        assert not re.search(r"\son[a-z]+=", source), path  # no inline event handlers


@pytest.mark.django_db
def test_the_dashboard_shows_the_fund_the_sectors_and_open_votes(cast, kenya) -> None:
    from covenant.access.principal import SYSTEM
    from covenant.ledger.services import pledge_post

    pledge_post(nation=kenya, fiscal_year=2026, actor=Principal.system("beat"))
    contribution_post(
        nation=kenya,
        amount_usd=kenya.annual_pledge_usd,
        received_on=__import__("datetime").date(2026, 1, 2),
        reference="KEN-1",
        actor=Principal(user=cast.platform_admin),
    )
    assert SYSTEM
    council = council_of(kenya)
    voting = opened(council, cast.user("KEN", "council_member"), title="Irrigate the Rift Valley")
    page = browser().get("/dashboard/")
    assert page.status_code == 200
    body = text(page)
    assert "The fund" in body and 'class="bar-chart fund-chart"' in body
    assert "Pledged and received this year, by region" in body
    assert body.count('class="card sector-card"') == 6
    assert "Irrigate the Rift Valley" in body
    assert f'hx-get="/proposals/{voting.pk}/standing/"' in body and 'hx-trigger="every 5s"' in body
    assert "To pass: 1 more seat voting yes" in body
    # the region filter: the whole page without JavaScript, the figures alone with htmx
    africa = text(browser().get("/dashboard/?region=Africa"))
    assert "Africa: pledged and received this year" in africa and ">Kenya<" in africa
    fragment = browser().get(
        "/dashboard/?region=Africa", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="dashboard-figures"
    )
    assert fragment.content.decode().lstrip().startswith('<div id="dashboard-figures"')
    assert "<html" not in fragment.content.decode()
    assert "Pledged and received" in text(browser().get("/dashboard/?region=Atlantis"))


@pytest.mark.django_db
def test_a_member_sees_their_councils_votes_first(cast, kenya, brazil) -> None:
    opened(council_of(brazil), cast.user("BRA", "council_member"), title="Brazilian vote")
    opened(council_of(kenya), cast.user("KEN", "council_member"), title="Kenyan vote")
    member = text(browser(cast.user("KEN", "council_member")).get("/dashboard/"))
    assert "Open votes of your councils" in member and "Kenyan vote" in member
    assert "Brazilian vote" not in member
    anyone = text(browser().get("/dashboard/"))
    assert "Kenyan vote" in anyone and "Brazilian vote" in anyone


@pytest.mark.django_db
def test_hidden_results_stay_hidden_on_the_pages(cast, kenya) -> None:
    voters = [cast.user("KEN", "council_member"), *add_members(kenya, 1)]
    hidden = opened(council_of(kenya), voters[0], hide_results_until_close=True)
    ballot_cast(proposal=hidden, choice="no", actor=Principal(user=voters[1]))
    for url in (
        "/dashboard/",
        f"/proposals/{hidden.pk}/",
        f"/proposals/{hidden.pk}/standing/",
        f"/councils/{hidden.council_id}/",
    ):
        body = text(browser(voters[0]).get(url))
        assert "Results are hidden until the vote closes" in body, url
        assert "To pass" not in body and "no 1 seat" not in body.lower()


@pytest.mark.django_db
def test_a_member_drafts_opens_votes_and_closes_without_javascript(cast, kenya) -> None:
    council = council_of(kenya)
    member = cast.user("KEN", "council_member")
    other = add_members(kenya, 1)[0]
    client = browser(member)
    page = text(client.get(f"/councils/{council.pk}/"))
    assert "Draft a proposal" in page and 'name="closes_at"' in page
    bad = client.post(
        f"/councils/{council.pk}/",
        {
            "title": "",
            "kind": "resolution",
            "quorum": "2",
            "threshold": "simple",
            "base": "cast",
            "weighting": "equal",
            "closes_at": "2099-01-01T10:00",
        },
    )
    assert bad.status_code == 400 and "This field is required" in bad.content.decode()
    created = client.post(
        f"/councils/{council.pk}/",
        {
            "title": "Plant a million trees",
            "body": "Because.",
            "kind": "resolution",
            "quorum": "0.5",
            "threshold": "two_thirds",
            "base": "cast",
            "weighting": "equal",
            "closes_at": soon(),
        },
    )
    assert created.status_code == 302
    with nation_scope(kenya):
        proposal = Proposal.objects.get(title="Plant a million trees")
    assert created["Location"] == f"/proposals/{proposal.pk}/"
    draft_page = text(client.get(created["Location"]))
    assert "Open the vote now" in draft_page and "at least two thirds" in draft_page
    assert client.post(f"/proposals/{proposal.pk}/open/").status_code == 302
    voting = text(client.get(f"/proposals/{proposal.pk}/"))
    assert "Cast your ballot" in voting and "SHA-256 of the roster" in voting
    cast_ballot = client.post(f"/proposals/{proposal.pk}/ballot/", {"choice": "yes"})
    assert cast_ballot.status_code == 302 and cast_ballot["Location"].endswith("#ballot")
    after = text(client.get(f"/proposals/{proposal.pk}/"))
    with nation_scope(kenya):
        ballot = Ballot.objects.get(proposal=proposal)
    assert "Your ballot is cast" in after and ballot.receipt in after
    assert "Change your ballot" in after
    other_page = text(browser(other).get(f"/proposals/{proposal.pk}/"))
    assert "Close the vote now" not in other_page  # neither proposer nor chair
    assert client.post(f"/proposals/{proposal.pk}/close/").status_code == 302
    closed = text(client.get(f"/proposals/{proposal.pk}/"))
    assert "Passed." in closed and f"/api/v1/proposals/{proposal.pk}/bundle/" in closed


@pytest.mark.django_db
def test_voting_with_htmx_answers_the_receipt_and_the_new_tally(cast, kenya) -> None:
    voters = [cast.user("KEN", "council_member"), *add_members(kenya, 2)]
    proposal = opened(council_of(kenya), voters[0])
    response = browser(voters[1]).post(
        f"/proposals/{proposal.pk}/ballot/", {"choice": "no"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = text(response)
    assert body.lstrip().startswith('<div id="ballot-panel"')
    with nation_scope(kenya):
        ballot = Ballot.objects.get(proposal=proposal)
    assert "Your ballot is cast." in body and ballot.receipt in body
    assert f'id="standing-{proposal.pk}"' in body and 'hx-swap-oob="true"' in body
    assert "1 of 3 seats have voted" in body
    refused = browser(cast.user("BRA", "council_member")).post(
        f"/proposals/{proposal.pk}/ballot/", {"choice": "yes"}, HTTP_HX_REQUEST="true"
    )
    assert "Your ballot was not cast" in text(refused)
    bad = browser(voters[2]).post(
        f"/proposals/{proposal.pk}/ballot/", {"choice": "maybe"}, HTTP_HX_REQUEST="true"
    )
    assert "not a choice" in text(bad) or "one of yes" in text(bad)


@pytest.mark.django_db
def test_secret_ballot_pages_show_who_voted_not_how(cast, kenya) -> None:
    voters = [cast.user("KEN", "council_member"), *add_members(kenya, 1)]
    proposal = opened(council_of(kenya), voters[0], secret_ballot=True)
    ballot_cast(proposal=proposal, choice="no", actor=Principal(user=voters[1]))
    with nation_scope(kenya):
        ballot = Ballot.objects.get(proposal=proposal)
    mine = text(browser(voters[1]).get(f"/proposals/{proposal.pk}/"))
    assert ballot.tracker in mine and ballot.salt in mine  # the voter's own
    theirs = text(browser(voters[0]).get(f"/proposals/{proposal.pk}/"))
    assert ballot.tracker not in theirs and ballot.salt not in theirs
    assert "Secret ballot" in theirs and '<th scope="col">Ballot</th>' not in theirs
    # each sees which roster seat is theirs, and only theirs
    assert mine.count("your seat") == 1 and theirs.count("your seat") == 1
    seat = ballot.seat_code
    assert f"<code>{seat}</code> <span" in mine and f"<code>{seat}</code> <span" not in theirs
    assert "your seat" not in text(Client().get(f"/proposals/{proposal.pk}/"))


@pytest.mark.django_db
def test_the_header_shows_nation_roles_and_unread_count(cast, kenya) -> None:
    member = cast.user("KEN", "council_member")
    proposal = opened(council_of(kenya), member)
    notifications_create(proposal=proposal, kind=NotificationKind.OPENED)
    body = text(browser(member).get("/"))
    assert "KEN: Council member" in body
    assert 'href="/dashboard/"' in body and 'href="/councils/"' in body
    assert 'Inbox <span class="unread">1<span class="visually-hidden"> unread</span>' in body
    assert "KEN:" not in text(browser().get("/"))


@pytest.mark.django_db
def test_the_inbox_page_reads_and_mutes(cast, kenya) -> None:
    member = cast.user("KEN", "council_member")
    proposal = opened(council_of(kenya), member, title="A vote to read about")
    notifications_create(proposal=proposal, kind=NotificationKind.OPENED)
    client = browser(member)
    inbox = text(client.get("/notifications/"))
    assert "Vote open: A vote to read about" in inbox
    assert client.post("/notifications/", {"action": "read-all"}).status_code == 302
    assert "unread" not in text(client.get("/")).split("<main")[0].replace("visually-hidden", "")
    client.post("/notifications/", {"action": "settings", "email_muted": "on"})
    settings = NotificationSettings.objects.get(user=member)
    assert settings.email_muted and not settings.muted
    assert browser().get("/notifications/").status_code == 302  # log in first


@pytest.mark.django_db
def test_the_councils_pages(cast, kenya) -> None:
    from django.core.management import call_command

    call_command("seed", stdout=__import__("io").StringIO())
    directory = text(browser().get("/councils/"))
    assert "Global Council" in directory and directory.count("National Council of") == 195
    council = council_of(kenya)
    page = text(browser().get(f"/councils/{council.pk}/"))
    assert "A seat for each council member of" in page and "Draft a proposal" not in page
    assert browser().get("/councils/999999/").status_code == 404
    assert browser().get("/proposals/999999/").status_code == 404


@pytest.mark.django_db
def test_the_recount_tool_is_served_for_download(client) -> None:
    response = client.get("/verify/recount.py")
    assert response.status_code == 200
    assert b"def recount(" in b"".join(response.streaming_content)
    assert client.get("/verify/settings.py").status_code == 404


@pytest.mark.django_db
def test_a_dashboard_part_from_elsewhere_is_shown(cast) -> None:
    register_dashboard_part(
        "tests.hello",
        lambda request: "<p>Hello admins</p>" if request.user.is_authenticated else "",
    )
    try:
        assert "Hello admins" in text(browser(cast.platform_admin).get("/dashboard/"))
        assert "Hello admins" not in text(browser().get("/dashboard/"))
    finally:
        from covenant import dashboard

        dashboard._parts[:] = [p for p in dashboard._parts if p.name != "tests.hello"]


@pytest.mark.django_db
def test_drafts_render_for_their_council(cast, kenya) -> None:
    proposal = draft(council_of(kenya), cast.user("KEN", "council_member"))
    assert (
        browser(cast.user("KEN", "nation_admin")).get(f"/proposals/{proposal.pk}/").status_code
        == 200
    )
    assert browser(cast.user("KEN", "citizen")).get(f"/proposals/{proposal.pk}/").status_code == 404


@pytest.mark.django_db
def test_the_admin_shows_governance_read_only_and_never_a_ballot(cast, kenya) -> None:
    proposal = opened(council_of(kenya), cast.user("KEN", "council_member"), secret_ballot=True)
    admin = browser(cast.platform_admin)
    for model in ("council", "seat", "proposal", "votelogentry"):
        assert admin.get(f"/admin/governance/{model}/").status_code == 200, model
    assert admin.get(f"/admin/governance/proposal/{proposal.pk}/change/").status_code == 200
    assert admin.get("/admin/governance/ballot/").status_code == 404
    assert admin.get(f"/admin/governance/proposal/{proposal.pk}/delete/").status_code == 403
    assert browser(cast.user("KEN", "nation_admin")).get(
        "/admin/governance/council/"
    ).status_code in (302, 403)


@pytest.mark.django_db
def test_only_the_global_councils_form_offers_weights(cast, kenya) -> None:
    national = text(
        browser(cast.user("KEN", "council_member")).get(f"/councils/{council_of(kenya).pk}/")
    )
    assert "Draft a proposal" in national and 'name="weighting"' not in national
    delegate = browser(cast.user("KEN", "delegate"))
    global_page = text(delegate.get(f"/councils/{council_of(None).pk}/"))
    assert 'name="weighting"' in global_page
    created = delegate.post(
        f"/councils/{council_of(None).pk}/",
        {
            "title": "Weighted by pledge",
            "kind": "resolution",
            "quorum": "0.5",
            "threshold": "simple",
            "base": "cast",
            "weighting": "pledge",
            "closes_at": soon(),
        },
    )
    assert created.status_code == 302
    from covenant.nations.tenancy import global_scope

    with global_scope():
        assert Proposal.objects.get(title="Weighted by pledge").weighting == "pledge"


@pytest.mark.django_db
def test_admins_designate_chairs_on_the_council_page(cast, kenya) -> None:
    from governance.models import Seat

    council = council_of(kenya)
    with nation_scope(kenya):
        seat = Seat.objects.get(council=council)
    admin = browser(cast.user("KEN", "nation_admin"))
    assert "Make chair" in text(admin.get(f"/councils/{council.pk}/"))
    assert "Make chair" not in text(
        browser(cast.user("KEN", "council_member")).get(f"/councils/{council.pk}/")
    )
    url = f"/councils/{council.pk}/seats/{seat.code}/chair/"
    refused = browser(cast.user("KEN", "council_member")).post(url, {"chair": "1"}, follow=True)
    assert "Not done" in text(refused)
    admin.post(url, {"chair": "1"})
    seat.refresh_from_db()
    assert seat.is_chair
    assert "Remove as chair" in text(admin.get(f"/councils/{council.pk}/"))
    admin.post(url, {"chair": "0"})
    seat.refresh_from_db()
    assert not seat.is_chair
    assert (
        admin.post(f"/councils/{council.pk}/seats/NOPE/chair/", {"chair": "1"}).status_code == 404
    )


@pytest.mark.django_db
def test_the_proposer_edits_a_draft_on_its_page(cast, kenya) -> None:
    member = cast.user("KEN", "council_member")
    proposal = draft(council_of(kenya), member, title="First wording")
    client = browser(member)
    page = text(client.get(f"/proposals/{proposal.pk}/"))
    assert f'href="/proposals/{proposal.pk}/edit/"' in page
    form = text(client.get(f"/proposals/{proposal.pk}/edit/"))
    assert 'value="First wording"' in form and 'name="weighting"' not in form
    bad = client.post(
        f"/proposals/{proposal.pk}/edit/",
        {
            "title": "x",
            "kind": "resolution",
            "quorum": "1.5",
            "threshold": "simple",
            "base": "cast",
            "closes_at": soon(),
        },
    )
    assert bad.status_code == 400 and "between 0 and 1" in text(bad)
    saved = client.post(
        f"/proposals/{proposal.pk}/edit/",
        {
            "title": "Second wording",
            "kind": "resolution",
            "quorum": "0.6",
            "threshold": "two_thirds",
            "base": "cast",
            "closes_at": soon(),
            "body": "Better.",
        },
    )
    assert saved.status_code == 302
    proposal.refresh_from_db()
    assert (proposal.title, proposal.threshold, str(proposal.quorum)) == (
        "Second wording",
        "two_thirds",
        "0.600000",
    )
    other = browser(add_members(kenya, 1)[0])
    assert other.get(f"/proposals/{proposal.pk}/edit/").status_code == 404
    client.post(f"/proposals/{proposal.pk}/open/")
    assert client.get(f"/proposals/{proposal.pk}/edit/").status_code == 404


@pytest.mark.django_db
def test_me_shows_the_inbox_its_settings_and_the_way_to_ones_data(cast, kenya) -> None:
    from tests.governance.conftest import council_of, opened

    member = cast.user("KEN", "council_member")
    opened(council_of(kenya), cast.user("KEN", "council_member"))  # a notice to the members
    page = Client()
    page.force_login(member)
    me = page.get("/me/").content.decode()
    assert "Notifications" in me and "unread notification" in me
    assert 'name="muted"' in me and 'href="/notifications/"' in me
    assert "Your data" in me and 'href="/privacy/"' in me
    saved = page.post("/notifications/", {"action": "settings", "muted": "on"})
    assert saved.status_code == 302
    assert 'id="me-muted" name="muted" checked' in page.get("/me/").content.decode()
