"""The governance API (SPEC §5): councils, proposals and transitions, ballots with receipts,
the standing, the vote log, the bundle; the error shape and statuses; the OpenAPI schema."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from covenant.nations.tenancy import nation_scope
from governance.models import Proposal
from sectors.core.models import Project
from tests.conftest import assert_error, client_for
from tests.governance.conftest import add_delegates, add_members, council_of


def when(hours: float) -> str:
    return (timezone.now() + dt.timedelta(hours=hours)).isoformat()


def dotted(fields: dict, prefix: str = "") -> list[str]:
    """Field names of an error, nested serializers' as "rule.quorum" (as services name them)."""
    names = []
    for name, value in fields.items():
        names.append(prefix + name)
        if isinstance(value, dict):
            names += dotted(value, f"{prefix}{name}.")
    return names


def create(client, council_id: int, **overrides):
    body = {
        "kind": "resolution",
        "title": "Adopt the water charter",
        "body": "Whereas water is life.",
        "closes_at": when(48),
        "rule": {"quorum": "0.5", "threshold": "simple"},
    }
    body.update(overrides)
    return client.post(f"/api/v1/councils/{council_id}/proposals/", body, format="json")


@pytest.mark.django_db
def test_councils_are_public(api, cast, kenya) -> None:
    listed = api.get("/api/v1/councils/?page_size=200").json()
    assert set(listed) == {"count", "next", "previous", "results"}
    first = listed["results"][0]
    assert first == {
        "id": first["id"],
        "name": "Global Council",
        "kind": "global",
        "nation": None,
        "seats": 2,
    }
    kenyan = api.get("/api/v1/councils/?nation=KEN").json()["results"]
    assert [(c["name"], c["nation"], c["seats"]) for c in kenyan] == [
        ("National Council of Kenya", "KEN", 1)
    ]
    detail = api.get(f"/api/v1/councils/{kenyan[0]['id']}/").json()
    [seat] = detail["seat_list"]
    assert seat["nation"] == "KEN" and seat["holder"].startswith("p_") and not seat["chair"]
    assert "@" not in json.dumps(detail)
    assert_error(api.get("/api/v1/councils/?nation=XXX"), 404, "not_found")  # no such nation
    assert_error(api.get("/api/v1/councils/?nation=K1"), 400, "invalid")  # not a code
    assert_error(api.get("/api/v1/councils/999999/"), 404, "not_found")


@pytest.mark.django_db
def test_the_whole_life_of_a_vote_through_the_api(cast, kenya) -> None:
    council = council_of(kenya)
    members = [cast.user("KEN", "council_member"), *add_members(kenya, 2)]
    proposer = client_for(members[0])
    created = create(proposer, council.pk, rule={"quorum": "0.6", "threshold": "two_thirds"})
    assert created.status_code == 201, created.content
    proposal = created.json()
    assert proposal["status"] == "draft" and proposal["roster"] == []
    assert proposal["rule"] == {
        "quorum": "0.6",
        "threshold": "two_thirds",
        "base": "cast",
        "weighting": "equal",
        "double_majority": None,
    }
    assert proposal["tally"] is None and proposal["roster_hash"] is None
    pid = proposal["id"]
    # a draft is edited, its rule keys replaced one by one
    edited = proposer.patch(
        f"/api/v1/proposals/{pid}/", {"rule": {"base": "cast_with_abstain"}}, format="json"
    )
    assert edited.status_code == 200, edited.content
    assert edited.json()["rule"]["base"] == "cast_with_abstain"
    assert edited.json()["rule"]["threshold"] == "two_thirds"
    opened = proposer.post(f"/api/v1/proposals/{pid}/open/")
    assert opened.status_code == 200, opened.content
    body = opened.json()
    assert body["status"] == "open" and len(body["roster"]) == 3 and len(body["roster_hash"]) == 64
    assert {row["weight"] for row in body["roster"]} == {"1.000000"}
    assert body["tally"] == {
        "yes": "0.000000",
        "no": "0.000000",
        "abstain": "0.000000",
        "seats_voted": 0,
        "yes_seats": 0,
        "no_seats": 0,
        "abstain_seats": 0,
    }
    assert body["to_pass"]["yes_seats_needed"] == 2  # 2 of 3: quorum 0.6 and two thirds
    assert_error(proposer.patch(f"/api/v1/proposals/{pid}/", {"title": "x"}, format="json"), 409)
    assert_error(proposer.post(f"/api/v1/proposals/{pid}/open/"), 409, "conflict")
    voter = client_for(members[1])
    first = voter.post(f"/api/v1/proposals/{pid}/ballots/", {"choice": "yes"}, format="json")
    assert first.status_code == 201, first.content
    receipt = first.json()
    assert len(receipt["receipt"]) == 64 and receipt["choice"] == "yes" and receipt["changed"]
    assert receipt["tracker"] is None and receipt["salt"] is None
    again = voter.post(f"/api/v1/proposals/{pid}/ballots/", {"choice": "yes"}, format="json")
    assert again.status_code == 200 and again.json()["receipt"] == receipt["receipt"]
    assert again.json()["changed"] is False
    changed = voter.post(f"/api/v1/proposals/{pid}/ballots/", {"choice": "no"}, format="json")
    assert changed.status_code == 200 and changed.json()["receipt"] != receipt["receipt"]
    mine = voter.get(f"/api/v1/proposals/{pid}/ballots/mine/").json()
    assert [row["choice"] for row in mine] == ["no"]
    proposer.post(f"/api/v1/proposals/{pid}/ballots/", {"choice": "yes"}, format="json")
    client_for(members[2]).post(
        f"/api/v1/proposals/{pid}/ballots/", {"choice": "yes"}, format="json"
    )
    standing = client_for(None).get(f"/api/v1/proposals/{pid}/tally/").json()
    assert standing["tally"]["yes_seats"] == 2 and standing["tally"]["no_seats"] == 1
    assert standing["to_pass"] == {
        "outcome_now": "passed",
        "yes_seats_needed": 0,
        "yes_weight_needed": "0.000000",
        "quorum_weight_needed": "0.000000",
        "seats_left": 0,
    }
    who = client_for(None).get(f"/api/v1/proposals/{pid}/ballots/").json()
    assert sorted(row["choice"] for row in who) == ["no", "yes", "yes"]
    assert_error(client_for(None).get(f"/api/v1/proposals/{pid}/bundle/"), 409, "conflict")
    closed = proposer.post(f"/api/v1/proposals/{pid}/close/")
    assert closed.status_code == 200 and closed.json()["outcome"] == "passed"  # 2/3 exactly
    bundle = client_for(None).get(f"/api/v1/proposals/{pid}/bundle/")
    assert bundle.status_code == 200
    assert bundle.json()["result"]["outcome"] == "passed"
    assert closed.json()["bundle"] == f"/api/v1/proposals/{pid}/bundle/"
    assert_error(
        voter.post(f"/api/v1/proposals/{pid}/ballots/", {"choice": "yes"}, format="json"), 409
    )


@pytest.mark.django_db
def test_ballot_errors_have_the_right_status(cast, kenya, brazil) -> None:
    council = council_of(kenya)
    proposer = client_for(cast.user("KEN", "council_member"))
    pid = create(proposer, council.pk).json()["id"]
    ballot = f"/api/v1/proposals/{pid}/ballots/"
    assert_error(proposer.post(ballot, {"choice": "yes"}, format="json"), 409)  # a draft
    proposer.post(f"/api/v1/proposals/{pid}/open/")
    error = assert_error(proposer.post(ballot, {"choice": "maybe"}, format="json"), 400)
    assert "choice" in error["fields"]
    assert_error(proposer.post(ballot, {"choice": "yes", "x": 1}, format="json"), 400)
    assert_error(proposer.post(ballot, ["yes"], format="json"), 400)
    assert_error(client_for(None).post(ballot, {"choice": "yes"}, format="json"), 401)
    outsider = client_for(cast.user("BRA", "council_member"))
    assert_error(outsider.post(ballot, {"choice": "yes"}, format="json"), 403)
    assert_error(
        proposer.post("/api/v1/proposals/999999/ballots/", {"choice": "yes"}, format="json"), 404
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"kind": "decree"}, "kind"),
        ({"closes_at": "tomorrow"}, "closes_at"),
        ({"closes_at": "2001-01-01T00:00:00Z"}, "closes_at"),
        ({"rule": {"quorum": "1.5"}}, "rule.quorum"),
        ({"rule": {"quorum": 0.5}}, "rule.quorum"),
        ({"rule": {"quorum": "0.1234567"}}, "rule.quorum"),
        ({"rule": {"threshold": "most"}}, "rule"),
        ({"rule": {"weighting": "pledge"}}, "rule.weighting"),
        ({"rule": {"double_majority": "0"}}, "rule.double_majority"),
        ({"rule": {"secret": True}}, "rule"),
        ({"kind": "budget", "project": 999999, "amount_usd": "10.00"}, "project"),
        ({"kind": "budget", "amount_usd": "10.00"}, "project"),
        ({"amount_usd": "1.234"}, "amount_usd"),
        ({"amount_usd": "NaN"}, "amount_usd"),
        ({"surprise": 1}, "surprise"),
        ({"body": "x" * 20_001}, "body"),
    ],
)
def test_bad_proposals_get_a_400_naming_the_field(cast, kenya, overrides, field) -> None:
    council = council_of(kenya)
    response = create(client_for(cast.user("KEN", "council_member")), council.pk, **overrides)
    error = assert_error(response, 400, "invalid")
    assert any(name == field or name.startswith(field) for name in dotted(error["fields"])), error
    with nation_scope(kenya):
        assert not Proposal.objects.exists()


@pytest.mark.django_db
def test_who_may_create_and_steer(cast, kenya) -> None:
    council = council_of(kenya)
    assert_error(create(client_for(None), council.pk), 401)
    for role in ("citizen", "nation_admin", "auditor", "delegate"):
        assert_error(create(client_for(cast.user("KEN", role)), council.pk), 403)
    assert_error(create(client_for(cast.user("BRA", "council_member")), council.pk), 403)
    assert_error(create(client_for(cast.user("KEN", "council_member")), 999999), 404)
    pid = create(client_for(cast.user("KEN", "council_member")), council.pk).json()["id"]
    other = client_for(add_members(kenya, 1)[0])
    for action in ("open", "close", "withdraw"):
        assert_error(other.post(f"/api/v1/proposals/{pid}/{action}/"), 403)
    assert_error(
        other.patch(f"/api/v1/proposals/{pid}/", {"title": "Mine now"}, format="json"), 403
    )


@pytest.mark.django_db
def test_drafts_are_seen_by_the_council_only(cast, kenya) -> None:
    council = council_of(kenya)
    pid = create(client_for(cast.user("KEN", "council_member")), council.pk).json()["id"]
    seers = [
        cast.user("KEN", "council_member"),
        cast.user("KEN", "nation_admin"),
        cast.platform_admin,
    ]
    for user in seers:
        client = client_for(user)
        assert client.get(f"/api/v1/proposals/{pid}/").status_code == 200
        assert pid in [p["id"] for p in client.get("/api/v1/proposals/").json()["results"]]
    blind = [
        None,
        cast.user("KEN", "citizen"),
        cast.user("KEN", "auditor"),
        cast.user("KEN", "delegate"),
        cast.user("BRA", "council_member"),
    ]
    for user in blind:
        client = client_for(user)
        assert_error(client.get(f"/api/v1/proposals/{pid}/"), 404)
        assert pid not in [p["id"] for p in client.get("/api/v1/proposals/").json()["results"]]
        assert pid not in [
            p["id"]
            for p in client.get(f"/api/v1/councils/{council.pk}/proposals/").json()["results"]
        ]


@pytest.mark.django_db
def test_proposal_filters(cast, kenya) -> None:
    council = council_of(kenya)
    client = client_for(cast.user("KEN", "council_member"))
    first = create(client, council.pk).json()["id"]
    second = create(client, council.pk, title="Second").json()["id"]
    client.post(f"/api/v1/proposals/{second}/open/")
    by_status = client.get("/api/v1/proposals/?status=open").json()["results"]
    assert [p["id"] for p in by_status] == [second]
    by_council = client.get(f"/api/v1/proposals/?council={council.pk}").json()["results"]
    assert [p["id"] for p in by_council] == [second, first]
    assert_error(client.get("/api/v1/proposals/?status=pending"), 400)
    assert_error(client.get("/api/v1/proposals/?council=abc"), 400)
    assert_error(client.get("/api/v1/proposals/?council=999999"), 404)
    assert_error(client.get("/api/v1/proposals/?council=x1"), 400)


@pytest.mark.django_db
def test_hidden_results_are_hidden_everywhere_until_close(cast, kenya) -> None:
    council = council_of(kenya)
    members = [cast.user("KEN", "council_member"), *add_members(kenya, 1)]
    proposer = client_for(members[0])
    pid = create(proposer, council.pk, hide_results_until_close=True).json()["id"]
    proposer.post(f"/api/v1/proposals/{pid}/open/")
    cast_ballot = proposer.post(
        f"/api/v1/proposals/{pid}/ballots/", {"choice": "no"}, format="json"
    ).json()
    assert cast_ballot["salt"] and cast_ballot["tracker"] is None
    for client in (client_for(None), proposer, client_for(cast.platform_admin)):
        detail = client.get(f"/api/v1/proposals/{pid}/").json()
        assert detail["tally"] is None and detail["to_pass"] is None
        assert detail["participation"] == {"seats": 2, "seats_voted": 1}
        standing = client.get(f"/api/v1/proposals/{pid}/tally/").json()
        assert standing["tally"] is None and standing["results_visible"] is False
        who = client.get(f"/api/v1/proposals/{pid}/ballots/").json()
        assert {row["choice"] for row in who} == {None}
        listed = client.get(f"/api/v1/proposals/?council={council.pk}").json()["results"]
        assert listed[0]["tally"] is None
        assert_error(client.get(f"/api/v1/proposals/{pid}/bundle/"), 409)
    # even the auditor's live log holds a commitment, not the choice
    log = client_for(cast.user("KEN", "auditor")).get(f"/api/v1/proposals/{pid}/log/").json()
    assert log["count"] == 2 and '"no"' not in json.dumps(log)
    proposer.post(f"/api/v1/proposals/{pid}/close/")
    detail = client_for(None).get(f"/api/v1/proposals/{pid}/").json()
    assert detail["tally"]["no_seats"] == 1 and detail["outcome"] == "rejected"


@pytest.mark.django_db
def test_the_vote_log_is_for_auditors(cast, kenya, brazil) -> None:
    council = council_of(kenya)
    proposer = client_for(cast.user("KEN", "council_member"))
    pid = create(proposer, council.pk).json()["id"]
    proposer.post(f"/api/v1/proposals/{pid}/open/")
    url = f"/api/v1/proposals/{pid}/log/"
    log = client_for(cast.user("KEN", "auditor")).get(url).json()
    assert log["count"] == 1 and log["results"][0]["event"] == "open"
    assert client_for(cast.platform_admin).get(url).status_code == 200
    assert_error(client_for(None).get(url), 401)
    for user in (cast.user("KEN", "council_member"), cast.user("BRA", "auditor")):
        assert_error(client_for(user).get(url), 403)
    # the Global Council's log: the auditors of any member nation
    delegate = client_for(cast.user("KEN", "delegate"))
    gid = create(delegate, council_of(None).pk).json()["id"]
    delegate.post(f"/api/v1/proposals/{gid}/open/")
    assert (
        client_for(cast.user("BRA", "auditor")).get(f"/api/v1/proposals/{gid}/log/").status_code
        == 200
    )


@pytest.mark.django_db
def test_chairs_through_the_api(cast, kenya) -> None:
    council = council_of(kenya)
    seat = client_for(None).get(f"/api/v1/councils/{council.pk}/").json()["seat_list"][0]["seat"]
    url = f"/api/v1/councils/{council.pk}/seats/{seat}/chair/"
    assert_error(
        client_for(cast.user("KEN", "council_member")).post(url, {"chair": True}, format="json"),
        403,
    )
    response = client_for(cast.user("KEN", "nation_admin")).post(
        url, {"chair": True}, format="json"
    )
    assert response.status_code == 200 and response.json()["chair"] is True
    assert_error(
        client_for(cast.user("KEN", "nation_admin")).post(
            f"/api/v1/councils/{council.pk}/seats/NOPE/chair/", {"chair": True}, format="json"
        ),
        404,
    )


@pytest.mark.django_db
def test_a_global_budget_proposal_with_pledge_weights(cast, kenya, brazil) -> None:
    add_delegates(["DEU"])
    with nation_scope(brazil):
        project = Project.objects.create(
            nation=brazil, sector="energy", name="Wind farm", budget_usd=Decimal("80000000")
        )
    delegate = client_for(cast.user("KEN", "delegate"))
    created = create(
        delegate,
        council_of(None).pk,
        kind="budget",
        project=project.pk,
        amount_usd="12500000.50",
        rule={"weighting": "pledge", "threshold": "two_thirds", "double_majority": "0.55"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["amount_usd"] == "12500000.50" and body["project"] == project.pk
    assert body["nation"] is None
    opened = delegate.post(f"/api/v1/proposals/{body['id']}/open/").json()
    weights = {row["seat"]: row["weight"] for row in opened["roster"]}
    assert weights["BRA"] == f"{brazil.annual_pledge_usd}0000"  # two places, padded to six


@pytest.mark.django_db
def test_the_schema_documents_every_governance_operation(api) -> None:
    schema = api.get("/api/v1/schema/?format=json").json()
    paths = schema["paths"]
    expected = {
        "/api/v1/councils/": {"get": {"200", "400"}},
        "/api/v1/councils/{council_id}/": {"get": {"200", "404"}},
        "/api/v1/councils/{council_id}/proposals/": {
            "get": {"200", "400", "404"},
            "post": {"201", "400", "401", "403", "404"},
        },
        "/api/v1/proposals/": {"get": {"200", "400"}},
        "/api/v1/proposals/{proposal_id}/": {
            "get": {"200", "404"},
            "patch": {"200", "400", "401", "403", "404", "409"},
        },
        "/api/v1/proposals/{proposal_id}/open/": {"post": {"200", "401", "403", "404", "409"}},
        "/api/v1/proposals/{proposal_id}/close/": {"post": {"200", "401", "403", "404", "409"}},
        "/api/v1/proposals/{proposal_id}/withdraw/": {"post": {"200", "401", "403", "404", "409"}},
        "/api/v1/proposals/{proposal_id}/ballots/": {
            "get": {"200", "404"},
            "post": {"200", "201", "400", "401", "403", "404", "409"},
        },
        "/api/v1/proposals/{proposal_id}/tally/": {"get": {"200", "404"}},
        "/api/v1/proposals/{proposal_id}/log/": {"get": {"200", "401", "403", "404"}},
        "/api/v1/proposals/{proposal_id}/bundle/": {"get": {"200", "404", "409"}},
    }
    for path, operations in expected.items():
        assert path in paths, path
        for method, statuses in operations.items():
            # the statuses this operation answers (the core's schema adds every generic error
            # status on top: 401, 403, 404, 406, 414, 429…)
            assert set(paths[path][method]["responses"]) >= statuses, (path, method)
    components = schema["components"]["schemas"]
    assert components["ChoiceEnum"]["enum"] == ["yes", "no", "abstain"]
    assert set(components["ThresholdEnum"]["enum"]) == {
        "simple",
        "three_fifths",
        "two_thirds",
        "unanimous",
    }
    error = paths["/api/v1/proposals/{proposal_id}/ballots/"]["post"]["responses"]["403"]
    assert error["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    assert "fields" in components["ErrorDetail"]["properties"]


@pytest.mark.django_db
def test_the_proposal_list_costs_the_same_queries_whatever_its_length(cast, kenya) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.governance.conftest import opened, rule

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client_for(None).get("/api/v1/proposals/").status_code == 200
        return len(captured)

    delegate = cast.user("KEN", "delegate")
    for _ in range(2):
        opened(council_of(None), delegate, the_rule=rule(weighting="pledge"))
        opened(council_of(kenya), cast.user("KEN", "council_member"))
    few = queries()
    for _ in range(6):
        opened(council_of(None), delegate, the_rule=rule(weighting="penrose"))
        opened(council_of(kenya), cast.user("KEN", "council_member"))
    assert queries() == few <= 5


@pytest.mark.django_db
def test_hostile_input_gets_a_4xx_never_a_500(cast, kenya) -> None:
    council = council_of(kenya)
    member = client_for(cast.user("KEN", "council_member"))
    pid = create(member, council.pk).json()["id"]
    huge = "9" * 30
    for method, url, body in [
        ("get", f"/api/v1/proposals/{huge}/", None),
        ("get", f"/api/v1/proposals/{huge}/tally/", None),
        ("post", f"/api/v1/proposals/{huge}/ballots/", {"choice": "yes"}),
        ("get", f"/api/v1/councils/{huge}/", None),
        ("get", f"/api/v1/proposals/?council={huge}", None),
        ("post", f"/api/v1/councils/{council.pk}/proposals/", {"rule": "simple"}),
        (
            "post",
            f"/api/v1/councils/{council.pk}/proposals/",
            {"kind": "resolution", "title": "x", "closes_at": "9999-12-31T23:59:59Z"},
        ),
        (
            "post",
            f"/api/v1/councils/{council.pk}/proposals/",
            {
                "kind": "budget",
                "title": "x",
                "closes_at": when(5),
                "project": huge,
                "amount_usd": "1.00",
            },
        ),
        ("patch", f"/api/v1/proposals/{pid}/", {"rule": {"quorum": "\u0000"}}),
        ("patch", f"/api/v1/proposals/{pid}/", {"kind": "budget"}),
        ("patch", f"/api/v1/proposals/{pid}/", {"title": "é" * 300}),
        ("post", f"/api/v1/proposals/{pid}/ballots/", {"choice": "yes", "seat": "x" * 500}),
        ("post", f"/api/v1/proposals/{pid}/ballots/", {"choice": None}),
        ("post", f"/api/v1/councils/{council.pk}/seats/{'x' * 300}/chair/", {"chair": "maybe"}),
        ("patch", "/api/v1/notifications/settings/", {"muted": "loud"}),
        ("post", f"/api/v1/notifications/{huge}/read/", None),
    ]:
        response = (
            getattr(member, method)(url, body, format="json")
            if body is not None
            else getattr(member, method)(url)
        )
        assert 400 <= response.status_code < 500, (method, url, response.status_code)
        assert response.json()["error"]["message"]
    # control characters are dropped from filters: nothing left, no filter
    assert member.get("/api/v1/proposals/?status=%00").status_code == 200
    assert member.get("/api/v1/councils/?nation=%00%27").status_code in (200, 400)
    from django.test import Client

    page = Client()
    page.force_login(cast.user("KEN", "council_member"))
    for url in (
        f"/proposals/{huge}/",
        f"/councils/{huge}/",
        f"/proposals/{huge}/standing/",
        "/dashboard/?region=%00",
    ):
        assert page.get(url).status_code in (200, 404), url
    assert page.post(f"/proposals/{huge}/ballot/", {"choice": "yes"}).status_code == 404
    assert (
        page.post(
            f"/councils/{council.pk}/", {"closes_at": "garbage", "quorum": "x" * 99}
        ).status_code
        == 400
    )
