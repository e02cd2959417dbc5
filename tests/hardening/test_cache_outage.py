"""The cache is an accelerator, never a dependency: against a real Redis that is stopped
mid-test (SHUTDOWN) or never reachable (a closed port), every public read falls back to the
database, every write succeeds once (no 500 after commit, no rollback), an invalidation made
while Redis was unreachable is not lost, and /readyz still says 503."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
from django.core.cache import cache

from covenant.access.principal import SYSTEM
from covenant.audit.models import AuditEntry
from covenant.caching.backend import outage_limits
from covenant.ledger.models import LedgerEntry
from covenant.ledger.services import pledge_post
from covenant.memo import clear_process_memos
from covenant.nations.tenancy import all_nations
from sectors.core.models import Project
from tests.conftest import client_for
from tests.hardening.conftest import closed_port_url, needs_redis_server, use_redis_cache
from tests.sectors.conftest import make_project

pytestmark = needs_redis_server

PUBLIC_READS = [
    "/api/v1/covenant/",
    "/api/v1/sectors/",
    "/api/v1/sectors/energy/",
    "/api/v1/nations/",
    "/api/v1/nations/?region=Africa",
    "/api/v1/nations/KEN/",
    "/api/v1/projects/",
    "/api/v1/projects/?sector=energy",
    "/api/v1/nations/KEN/esg.csv",
    "/",
    "/n/KEN/",
    "/sectors/energy/",
]


def read_all(client) -> dict[str, bytes]:
    bodies = {}
    for path in PUBLIC_READS:
        clear_process_memos()  # as a fresh process would: no per-process memo to hide behind
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        bodies[path] = b"".join(response) if response.streaming else response.content
    return bodies


def projects_in_summary(client) -> int:
    clear_process_memos()
    return int(client.get("/api/v1/covenant/").json()["projects"])


@pytest.mark.django_db
def test_public_reads_survive_redis_stopped_mid_test(settings, redis_server, cast, kenya) -> None:
    use_redis_cache(settings, redis_server.url)
    make_project(cast.platform_admin, kenya, "energy", metrics={"capacity_mw": 10})
    client = client_for(None)
    warm = read_all(client)  # fills the cache
    assert cache.get_many(["anything"]) == {}  # Redis answers
    redis_server.shutdown()
    cold = read_all(client)  # every read from the database now
    for path in PUBLIC_READS:
        if path.startswith("/api/"):
            assert cold[path] == warm[path], path


@pytest.mark.django_db
def test_public_reads_work_with_redis_never_reachable(settings, cast, kenya) -> None:
    use_redis_cache(settings, closed_port_url())
    make_project(cast.platform_admin, kenya, "energy")
    read_all(client_for(None))
    read_all(client_for(cast.platform_admin))


def counts() -> tuple[int, int, int]:
    with all_nations(reason="test: count every row"):
        return Project.objects.count(), LedgerEntry.objects.count(), AuditEntry.objects.count()


@pytest.mark.django_db
def test_writes_succeed_once_with_redis_down_and_reads_see_them(
    settings, redis_server, cast, kenya
) -> None:
    use_redis_cache(settings, redis_server.url)
    admin = client_for(cast.platform_admin)
    minerals = make_project(cast.platform_admin, kenya, "minerals")
    pledge = pledge_post(nation=kenya, fiscal_year=2026, actor=SYSTEM)
    before_projects = projects_in_summary(admin)
    received_before = Decimal(admin.get("/api/v1/nations/KEN/").json()["received_usd"])
    redis_server.shutdown()

    projects, postings, audits = counts()
    created = admin.post(
        "/api/v1/nations/KEN/projects/",
        {"name": "Geothermal", "sector": "energy", "metrics": {"capacity_mw": 5}},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert counts() == (projects + 1, postings, audits + 1)  # one row, one audit entry
    patched = admin.patch(
        f"/api/v1/projects/{created.json()['id']}/", {"status": "active"}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["status"] == "active"
    contribution = admin.post(
        "/api/v1/nations/KEN/contributions/",
        {"amount_usd": "1000.00", "received_on": "2026-03-01", "reference": "outage-1"},
        format="json",
    )
    assert contribution.status_code == 201, contribution.content
    split = admin.post(
        f"/api/v1/projects/{minerals.pk}/profit-distributions/",
        {"profit_usd": "100.00"},
        format="json",
    )
    assert split.status_code == 201, split.content
    reversal = admin.post(
        f"/api/v1/ledger/entries/{contribution.json()['id']}/reverse/",
        {"reason": "entered twice"},
        format="json",
    )
    assert reversal.status_code == 201, reversal.content
    # postings: the contribution, the fund's share of the profit, the reversal; audit entries: the
    # project twice, the three postings, and the distribution itself
    assert counts() == (projects + 1, postings + 3, audits + 6)
    assert pledge.pk  # the pledge was there before the outage

    # the reads, still without Redis, see every write
    assert projects_in_summary(admin) == before_projects + 1
    assert Decimal(admin.get("/api/v1/nations/KEN/").json()["received_usd"]) == received_before
    energy = admin.get("/api/v1/sectors/energy/").json()
    assert energy["projects"] == 1


@pytest.mark.django_db
def test_an_invalidation_made_while_redis_was_unreachable_is_not_lost(
    settings, redis_server, cast, kenya
) -> None:
    """One instance cannot reach Redis while it writes; the others (and Redis) still hold the
    old figures. Once the write commits, no instance may serve them."""
    reader = client_for(None)
    use_redis_cache(settings, redis_server.url)
    before = projects_in_summary(reader)
    nations_page = reader.get("/api/v1/nations/KEN/").json()
    assert cache.get_many(["x"]) == {}  # the old figures are in the shared cache now

    use_redis_cache(settings, closed_port_url())  # the writing instance's view of Redis
    created = client_for(cast.platform_admin).post(
        "/api/v1/nations/KEN/projects/", {"name": "Wind", "sector": "energy"}, format="json"
    )
    assert created.status_code == 201
    posted = client_for(cast.platform_admin).post(
        "/api/v1/nations/KEN/contributions/",
        {"amount_usd": "5.00", "received_on": "2026-03-01"},
        format="json",
    )
    assert posted.status_code == 201

    use_redis_cache(settings, redis_server.url)  # another instance, on the live Redis
    assert projects_in_summary(reader) == before + 1
    clear_process_memos()
    after = reader.get("/api/v1/nations/KEN/").json()
    assert Decimal(after["received_usd"]) == Decimal(nations_page["received_usd"]) + 5
    energy = next(row for row in after["sectors"] if row["sector"] == "energy")
    assert energy["projects"] == 1
    clear_process_memos()
    listed = reader.get("/api/v1/projects/?sector=energy").json()
    assert listed["count"] == 1 and listed["results"][0]["name"] == "Wind"


@pytest.mark.django_db
def test_readiness_still_reports_redis_down(settings, redis_server, client) -> None:
    use_redis_cache(settings, redis_server.url)
    assert client.get("/readyz").json()["checks"]["cache"]["ok"] is True
    redis_server.shutdown()
    response = client.get("/readyz")
    assert response.status_code == 503
    check = response.json()["checks"]["cache"]
    assert check["ok"] is False and check["error"] == "ConnectionError"
    redis_server.start()
    assert client.get("/readyz").json()["checks"]["cache"]["ok"] is True


@pytest.mark.django_db
def test_the_backend_answers_misses_and_drops_writes_and_logs_once(
    settings, redis_server, caplog
) -> None:
    use_redis_cache(settings, redis_server.url)
    outage_limits.clear()
    cache.set("k", "v")
    assert cache.get("k") == "v"
    redis_server.shutdown()
    with caplog.at_level(logging.WARNING, logger="covenant.cache"):
        assert cache.get("k") is None and cache.get("k", "default") == "default"
        cache.set("k", "w")  # dropped, not raised
        # add(): reported done, so that a caller's lock never refuses for want of Redis
        assert cache.add("k2", "v") is True and cache.delete("k") is False
        assert cache.get_many(["k", "k2"]) == {} and cache.has_key("k") is False
        assert cache.set_many({"a": 1}) == ["a"] and cache.touch("k") is False
        cache.delete_many(["a"])
        cache.clear()
        with pytest.raises(ValueError):
            cache.incr("n")
        assert cache.get_or_set("g", lambda: 7) == 7
        # rate-limit counters alone are kept in the process's memory for the outage
        limit = "allauth:rl:login_failed:5/5m:abc"
        cache.set(limit, [1.0, 2.0], 60)
        assert cache.get(limit) == [1.0, 2.0]
        assert cache.add(f"{limit}:lock", True) is True and cache.add(f"{limit}:lock", 1) is False
        assert cache.delete(f"{limit}:lock") is True and cache.add(f"{limit}:lock", 1) is True
    warnings = [r for r in caplog.records if r.name == "covenant.cache"]
    assert len(warnings) == 1 and "ConnectionError" in warnings[0].getMessage()
    redis_server.start()
    cache.probe()  # what /readyz does: closes the circuit once Redis answers again
    cache.set("k", "back")
    assert cache.get("k") == "back"
    assert cache.get(limit) is None  # Redis again: the outage's local counts are not read


@pytest.mark.django_db
def test_a_project_written_in_a_rolled_back_transaction_leaves_no_cached_trace(
    settings, redis_server, cast, kenya
) -> None:
    """Generation tokens are random: a token of a write that rolled back never comes back."""
    from django.db import transaction

    use_redis_cache(settings, redis_server.url)
    reader = client_for(None)
    before = projects_in_summary(reader)

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        make_project(cast.platform_admin, kenya, "energy", name="Rolled back")
        assert projects_in_summary(reader) == before + 1  # its own transaction sees it
        raise Abort
    assert projects_in_summary(reader) == before
    make_project(cast.platform_admin, kenya, "energy", name="Kept")
    assert projects_in_summary(reader) == before + 1
    clear_process_memos()
    names = [row["name"] for row in reader.get("/api/v1/projects/?nation=KEN").json()["results"]]
    assert names == ["Kept"]
