"""With Redis unreachable, the people of the portal still do what they came for: sign in (the
sign-in rate limits live in the cache), vote, file a privacy request, and call the API with a
token (whose throttle counts in Redis) — each once, never a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from compliance.models import PrivacyRequest
from covenant.access.principal import SYSTEM
from covenant.access.services import token_issue
from covenant.caching.backend import outage_limits
from covenant.nations.tenancy import all_nations
from tests.conftest import CAST_TOTP_SECRET, client_for
from tests.hardening.conftest import closed_port_url, needs_redis_server, use_redis_cache

pytestmark = needs_redis_server
PASSWORD = "outage-password-2026"


@pytest.fixture
def redis_down(settings) -> None:
    outage_limits.clear()  # what an earlier test's outage counted in this process
    use_redis_cache(settings, closed_port_url())
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key", "login": "30/m/ip"}
    settings.COVENANT_THROTTLE_RATES = {"token": "600/min", "user": "1200/min", "anon": "1200/min"}


@pytest.mark.django_db
def test_a_council_member_signs_in_and_votes(redis_down, cast, kenya) -> None:
    from governance.models import Ballot
    from tests.governance.conftest import council_of, opened

    member = cast.user("KEN", "council_member")
    member.set_password(PASSWORD)
    member.save()
    proposal = opened(council_of(kenya), member)
    browser = Client()
    wrong = browser.post("/accounts/login/", {"login": member.email, "password": "nope"})
    assert wrong.status_code in (200, 400)  # the failed attempt is counted (or not): no 500
    signed_in = browser.post("/accounts/login/", {"login": member.email, "password": PASSWORD})
    assert signed_in.status_code == 302
    assert browser.get("/dashboard/").status_code == 200
    voted = browser.post(f"/proposals/{proposal.pk}/ballot/", {"choice": "yes"})
    assert voted.status_code in (200, 302), voted.content[:300]
    with all_nations(reason="test: the ballot row"):
        assert Ballot.objects.filter(proposal_id=proposal.pk).count() == 1


@pytest.mark.django_db
def test_a_privileged_person_signs_in_with_a_second_factor(redis_down, cast) -> None:
    from covenant.access.mfa import totp_code

    admin = cast.user("KEN", "nation_admin")
    admin.set_password(PASSWORD)
    admin.save()
    browser = Client()
    step = browser.post("/accounts/login/", {"login": admin.email, "password": PASSWORD})
    assert step.status_code == 302 and "/accounts/2fa/authenticate/" in step["Location"]
    done = browser.post("/accounts/2fa/authenticate/", {"code": totp_code(CAST_TOTP_SECRET)})
    assert done.status_code == 302
    assert browser.get("/n/ken/roles/").status_code == 200


@pytest.mark.django_db
def test_a_citizen_files_a_request_and_a_token_reads_the_api(redis_down, cast) -> None:
    citizen = cast.user("KEN", "citizen")
    filed = client_for(citizen).post(
        "/api/v1/privacy/requests/",
        {"nation": "KEN", "regime": "gdpr", "type": "objection"},
        format="json",
    )
    assert filed.status_code == 201, filed.content[:300]
    with all_nations(reason="test: the request row"):
        assert PrivacyRequest.objects.filter(subject=citizen).count() == 1
    _, token = token_issue(user=cast.user("KEN", "nation_admin"), actor=SYSTEM, scopes=None)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    for _ in range(3):
        assert api.get("/api/v1/nations/KEN/roles/").status_code == 200


@pytest.mark.django_db
def test_repeated_failed_sign_ins_still_get_429_during_the_outage(redis_down, settings, cast):
    """The limits count in the process's memory while Redis is down: not a way around them."""
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/m/ip,3/5m/key"}
    member = cast.user("KEN", "council_member")
    member.set_password(PASSWORD)
    member.save()
    browser = Client()
    wrong = {"login": member.email, "password": "wrong-password-0"}
    statuses = [browser.post("/accounts/login/", wrong).status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[-1] == 429
    right = {"login": member.email, "password": PASSWORD}
    assert browser.post("/accounts/login/", right).status_code == 429  # this key is locked
    # another person, from another address, is not locked out by it
    other = cast.user("KEN", "citizen")
    other.set_password(PASSWORD)
    other.save()
    elsewhere = Client(REMOTE_ADDR="203.0.113.9")
    signed_in = elsewhere.post("/accounts/login/", {"login": other.email, "password": PASSWORD})
    assert signed_in.status_code == 302
