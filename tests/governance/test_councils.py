"""Councils and seats: a National Council per nation, one Global Council that belongs to no
nation; membership follows role grants and revocations atomically and audited; chairs."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from covenant.access.models import RoleAssignment
from covenant.access.principal import SYSTEM, Principal
from covenant.access.services import role_approve, role_grant, role_revoke
from covenant.access.signals import role_activated
from covenant.audit.models import AuditEntry
from covenant.errors import Conflict, Forbidden
from covenant.nations.models import Nation
from covenant.nations.tenancy import (
    ScopeError,
    all_nations,
    global_scope,
    nation_scope,
    no_scope,
)
from governance.models import Council, Seat
from governance.services import chair_set, councils_sync
from tests.conftest import make_user
from tests.governance.conftest import council_of


def seats(council: Council) -> dict[str, str | None]:
    """code → holder's e-mail (None: vacant)."""
    with all_nations(reason="test"):
        return {
            seat.code: seat.holder.user.email if seat.holder else None
            for seat in Seat.objects.filter(council=council).select_related("holder__user")
        }


@pytest.mark.django_db
def test_the_cast_is_seated_in_its_councils(cast, kenya, brazil) -> None:
    kenyan = council_of(kenya)
    assert kenyan.name == "National Council of Kenya" and kenyan.nation_id == kenya.pk
    assert list(seats(kenyan).values()) == ["council_member.ken@covenant.test"]
    global_council = council_of(None)
    assert global_council.nation_id is None and global_council.name == "Global Council"
    assert seats(global_council) == {
        "BRA": "delegate.bra@covenant.test",
        "KEN": "delegate.ken@covenant.test",
    }


@pytest.mark.django_db
def test_a_nations_scope_never_sees_the_global_council_and_vice_versa(cast, kenya) -> None:
    with nation_scope(kenya):
        assert {c.kind for c in Council.objects.all()} == {"national"}
        assert all(seat.council.kind == "national" for seat in Seat.objects.all())
    with global_scope():
        assert {c.kind for c in Council.objects.all()} == {"global"}
        assert {seat.code for seat in Seat.objects.all()} == {"KEN", "BRA"}
    with no_scope(), pytest.raises(ScopeError):
        list(Council.objects.all())
    with nation_scope(kenya), pytest.raises(ScopeError):
        Council(nation=None, kind="global", name="A second global council").save()


@pytest.mark.django_db
def test_the_database_allows_one_council_per_nation_and_one_global_council(cast, kenya) -> None:
    with nation_scope(kenya), pytest.raises(IntegrityError), transaction.atomic():
        Council.objects.create(nation=kenya, kind="national", name="Another")
    with global_scope(), pytest.raises(IntegrityError), transaction.atomic():
        Council.objects.create(nation=None, kind="global", name="Another")
    with nation_scope(kenya), pytest.raises(IntegrityError), transaction.atomic():
        Council.objects.create(nation=kenya, kind="global", name="A global council of Kenya")


@pytest.mark.django_db
def test_granting_and_revoking_a_council_member_seats_and_unseats_them(cast, kenya) -> None:
    kenyan = council_of(kenya)
    person = make_user("new-member@covenant.test")
    grant = role_grant(
        nation=kenya, user=person, role="council_member", actor=SYSTEM, four_eyes=False
    )
    code = f"KEN-{grant.pk}"
    assert seats(kenyan)[code] == "new-member@covenant.test"
    filled = AuditEntry.objects.filter(action="council.seat_filled").order_by("-sequence").first()
    assert filled.data == {"council": kenyan.pk, "seat": code, "holder": person.pseudonym}
    assert "@" not in str(filled.data)
    role_revoke(assignment=grant, actor=SYSTEM)
    assert seats(kenyan)[code] is None
    assert AuditEntry.objects.filter(action="council.seat_vacated", data__seat=code).exists()
    again = role_grant(
        nation=kenya, user=person, role="council_member", actor=SYSTEM, four_eyes=False
    )
    assert seats(kenyan)[f"KEN-{again.pk}"] == "new-member@covenant.test"  # a new seat


@pytest.mark.django_db
def test_a_new_delegate_takes_the_nations_global_seat(cast, kenya) -> None:
    global_council = council_of(None)
    with nation_scope(kenya):
        old = RoleAssignment.objects.get(role="delegate", status="active")
    role_revoke(assignment=old, actor=SYSTEM)
    assert seats(global_council)["KEN"] is None  # vacant until the next delegate
    successor = make_user("successor@covenant.test")
    role_grant(nation=kenya, user=successor, role="delegate", actor=SYSTEM, four_eyes=False)
    assert seats(global_council)["KEN"] == "successor@covenant.test"
    with global_scope():
        assert Seat.objects.filter(code="KEN").count() == 1


@pytest.mark.django_db
def test_a_seat_follows_only_active_grants(cast, kenya) -> None:
    """A pending grant seats no one; its approval does (council members have no four-eyes
    rule, so the pending path is tried with a grant made active through approval)."""
    admin, second = cast.user("KEN", "nation_admin"), make_user("admin2@covenant.test")
    role_grant(nation=kenya, user=second, role="nation_admin", actor=SYSTEM, four_eyes=False)
    person = make_user("pending@covenant.test")
    grant = role_grant(
        nation=kenya, user=person, role="council_member", actor=Principal(user=admin)
    )
    assert grant.status == "active"  # council members need no second admin
    assert f"KEN-{grant.pk}" in seats(council_of(kenya))
    auditor = role_grant(nation=kenya, user=person, role="auditor", actor=Principal(user=admin))
    assert auditor.status == "pending_approval"
    role_approve(assignment=auditor, actor=Principal(user=second))
    assert len(seats(council_of(kenya))) == 2  # an auditor holds no seat


@pytest.mark.django_db
def test_a_failing_seat_rolls_the_grant_back(cast, kenya) -> None:
    """Atomic: if seating fails, the grant is not committed either."""

    def broken(**kwargs):
        raise RuntimeError("the council is on fire")

    role_activated.connect(broken, dispatch_uid="test_broken")
    try:
        person = make_user("unlucky@covenant.test")
        with pytest.raises(RuntimeError):
            role_grant(
                nation=kenya, user=person, role="council_member", actor=SYSTEM, four_eyes=False
            )
    finally:
        role_activated.disconnect(dispatch_uid="test_broken")
    with nation_scope(kenya):
        assert not RoleAssignment.objects.filter(user=person).exists()
    assert "unlucky@covenant.test" not in seats(council_of(kenya)).values()


@pytest.mark.django_db
def test_seed_creates_every_council_and_seats_earlier_grants(cast, kenya) -> None:
    out = StringIO()
    call_command("seed", stdout=out)
    assert "councils: 193 created" in out.getvalue()  # Kenya's and Brazil's existed
    with all_nations(reason="test"):
        assert Council.objects.filter(kind="national").count() == Nation.objects.count() == 195
        assert Council.objects.filter(kind="global").count() == 1
    call_command("seed", stdout=(again := StringIO()))
    assert "councils: 0 created, 0 seats filled" in again.getvalue()
    # a grant that bypassed the services (restored from a backup, say) is seated by the seed
    with nation_scope(kenya):
        Seat.objects.filter(code__startswith="KEN-").update(holder=None)
    assert councils_sync(actor=SYSTEM) == {"councils_created": 0, "seats_filled": 1}


@pytest.mark.django_db
def test_chairs_are_designated_by_who_grants_roles(cast, kenya, brazil) -> None:
    kenyan = council_of(kenya)
    with nation_scope(kenya):
        seat = Seat.objects.get(council=kenyan)
    with pytest.raises(Forbidden):
        chair_set(seat=seat, chair=True, actor=cast.principal("KEN", "council_member"))
    with pytest.raises(Forbidden):
        chair_set(seat=seat, chair=True, actor=cast.principal("BRA", "nation_admin"))
    assert chair_set(seat=seat, chair=True, actor=cast.principal("KEN", "nation_admin")).is_chair
    assert AuditEntry.objects.filter(action="council.chair_set").count() == 1
    global_council = council_of(None)
    with global_scope():
        global_seat = Seat.objects.get(council=global_council, code="BRA")
    with pytest.raises(Forbidden):  # no nation admin rules the Global Council
        chair_set(seat=global_seat, chair=True, actor=cast.principal("BRA", "nation_admin"))
    assert chair_set(
        seat=global_seat, chair=True, actor=Principal(user=cast.platform_admin)
    ).is_chair
    # a chair who loses their grant loses the chair with the seat
    with nation_scope(brazil):
        delegate = RoleAssignment.objects.get(role="delegate")
    role_revoke(assignment=delegate, actor=SYSTEM)
    with global_scope():
        vacated = Seat.objects.get(pk=global_seat.pk)
    assert vacated.holder_id is None and not vacated.is_chair
    with pytest.raises(Conflict):
        chair_set(seat=vacated, chair=True, actor=Principal(user=cast.platform_admin))
