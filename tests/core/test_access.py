"""Roles, the capability table (cell by cell), may(), tokens, the four-eyes rule, commands."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from covenant.access.mfa import totp_code
from covenant.access.models import PersonalAccessToken, RoleAssignment, RoleStatus
from covenant.access.principal import SYSTEM, Principal, may
from covenant.access.roles import (
    ALL_CAPABILITIES,
    CAPABILITIES,
    PERSONAL_CAPABILITIES,
    SYSTEM_ONLY_CAPABILITIES,
    Role,
)
from covenant.access.services import role_grant, token_issue, token_revoke
from covenant.accounts.models import User
from covenant.audit.models import AuditEntry
from covenant.errors import Conflict, Forbidden, Invalid
from covenant.nations.tenancy import all_nations, nation_scope
from tests.conftest import CAST_TOTP_SECRET, assert_error, client_for, make_user

# The table, written out again by hand: a change to roles.py must change this too.
EXPECTED = {
    "nation_admin": {
        "roles:read", "roles:grant", "roles:approve", "roles:revoke", "projects:create",
        "projects:update", "projects:distribute_profit", "privacy:read", "privacy:manage",
        "api_keys:manage", "webhooks:manage", "proposals:read_drafts",
    },
    "council_member": {"proposals:create", "proposals:read_drafts", "ballots:cast"},
    "delegate": {
        "global_proposals:create", "global_proposals:read_drafts", "global_ballots:cast",
    },
    "sector_steward": {"projects:create", "projects:update", "projects:distribute_profit"},
    "auditor": {"ledger:read", "audit:read", "audit:verify", "votes:read_log", "roles:read"},
    "citizen": {"privacy:file"},
    "platform_admin": {
        "roles:read", "roles:grant", "roles:approve", "roles:revoke", "projects:create",
        "projects:update", "projects:distribute_profit", "projects:mark_flagship",
        "ledger:read", "ledger:reverse",
        "contributions:create", "contributions:read", "audit:read", "audit:verify",
        "votes:read_log", "api_keys:manage",
        "webhooks:manage", "proposals:read_drafts",
    },
}  # fmt: skip


@pytest.mark.parametrize("role", [role.value for role in Role])
@pytest.mark.parametrize("capability", sorted(ALL_CAPABILITIES))
def test_capability_table_cell(role: str, capability: str) -> None:
    assert (capability in CAPABILITIES[Role(role)]) == (capability in EXPECTED[role])


@pytest.mark.django_db
@pytest.mark.parametrize("role", [r for r in EXPECTED if r != "platform_admin"])
@pytest.mark.parametrize("capability", sorted(ALL_CAPABILITIES))
def test_may_answers_the_table_in_the_home_nation_and_nothing_in_the_other(
    cast, kenya, brazil, role, capability
) -> None:
    principal = cast.principal("KEN", role)
    sector = "energy" if role == "sector_steward" else None
    if capability in PERSONAL_CAPABILITIES:  # every person, everywhere (tested below)
        return
    assert may(principal, capability, nation=kenya, sector=sector) == (capability in EXPECTED[role])
    assert may(principal, capability, nation=brazil, sector=sector) is False
    # A nation role gives nothing without a nation, except a global capability (held through
    # the nation's delegate, exercised in the Global Council, which belongs to no nation).
    global_ok = capability.startswith("global_") and capability in EXPECTED[role]
    assert may(principal, capability) is global_ok


@pytest.mark.django_db
def test_every_signed_in_person_may_file_a_privacy_request_about_themselves(cast, kenya, brazil):
    """A data subject needs no role: `privacy:file` is personal, held by every active person in
    every nation (the service checks the request is about them); not by the anonymous or the
    inactive, and a token's scopes still narrow it."""
    assert {"privacy:file"} == PERSONAL_CAPABILITIES
    people = [cast.outsider, cast.user("KEN", "auditor"), cast.user("BRA", "citizen")]
    for person in people:
        for nation in (kenya, brazil, None):
            assert may(Principal(user=person), "privacy:file", nation=nation)
    assert not may(Principal(user=None), "privacy:file", nation=kenya)
    scoped = Principal(user=cast.outsider, scopes=frozenset({"roles:read"}), via="token")
    assert not may(scoped, "privacy:file", nation=kenya)
    cast.outsider.is_active = False
    assert not may(Principal(user=cast.outsider), "privacy:file", nation=kenya)
    # and it gives nothing else: an outsider still may not read or manage requests
    assert not may(Principal(user=cast.user("KEN", "citizen")), "privacy:read", nation=kenya)


@pytest.mark.django_db
def test_platform_admin_may_act_everywhere_but_only_within_the_table(cast, kenya) -> None:
    admin = Principal(user=cast.platform_admin)
    assert may(admin, "contributions:create", nation=kenya)
    assert may(admin, "ledger:read")
    assert not may(admin, "ballots:cast", nation=kenya)  # votes belong to seat holders


@pytest.mark.django_db
def test_the_system_actor_holds_the_table_and_the_system_only_capabilities(kenya) -> None:
    beat = Principal.system("beat")
    assert beat.pseudonym == "system:beat" and SYSTEM.pseudonym == "system:operator"
    for capability in sorted(ALL_CAPABILITIES | SYSTEM_ONLY_CAPABILITIES):
        assert may(beat, capability, nation=kenya)
    assert not may(beat, "ledger:steal", nation=kenya)
    scoped = Principal(user=None, via="system", system_name="x", scopes=frozenset({"roles:read"}))
    assert may(scoped, "roles:read") and not may(scoped, "roles:grant")


@pytest.mark.django_db
def test_no_person_holds_a_system_only_capability(cast, kenya) -> None:
    people = [Principal(user=cast.platform_admin)] + [
        cast.principal("KEN", role) for role in EXPECTED if role != "platform_admin"
    ]
    for person in people:
        for capability in SYSTEM_ONLY_CAPABILITIES:
            assert not may(person, capability, nation=kenya, sector="energy")
            assert not may(person, capability)


@pytest.mark.django_db
def test_a_delegate_holds_global_capabilities_through_their_nation_only(cast, kenya, brazil):
    delegate = cast.principal("KEN", "delegate")
    assert may(delegate, "global_ballots:cast")  # in some nation: the Global Council's test
    assert may(delegate, "global_ballots:cast", nation=kenya)  # as Kenya's delegate
    assert not may(delegate, "global_ballots:cast", nation=brazil)
    assert not may(cast.principal("KEN", "council_member"), "global_ballots:cast")


@pytest.mark.django_db
def test_a_steward_acts_only_in_their_sector(cast, kenya) -> None:
    steward = cast.principal("KEN", "sector_steward")
    assert may(steward, "projects:create", nation=kenya, sector="energy")
    assert not may(steward, "projects:create", nation=kenya, sector="health")
    assert not may(steward, "projects:create", nation=kenya)


@pytest.mark.django_db
def test_anonymous_and_inactive_users_may_nothing(cast, kenya) -> None:
    assert not may(Principal(user=None), "roles:read", nation=kenya)
    admin = cast.user("KEN", "nation_admin")
    admin.is_active = False
    assert not may(Principal(user=admin), "roles:read", nation=kenya)


@pytest.mark.django_db
def test_token_scopes_narrow_what_the_user_may(cast, kenya) -> None:
    user = cast.user("KEN", "nation_admin")
    scoped = Principal(user=user, scopes=frozenset({"roles:read"}), via="token")
    assert may(scoped, "roles:read", nation=kenya)
    assert not may(scoped, "roles:grant", nation=kenya)
    wildcard = Principal(user=user, scopes=frozenset({"roles:*"}), via="token")
    assert may(wildcard, "roles:grant", nation=kenya)
    assert not may(wildcard, "projects:create", nation=kenya)


# --- tokens -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_issue_token_prints_only_a_token_that_authenticates(cast) -> None:
    out = StringIO()
    call_command("issue_token", "auditor.ken@covenant.test", "--days", "7", stdout=out)
    token = out.getvalue().strip()
    assert token.startswith("cov_") and "\n" not in token
    record = PersonalAccessToken.objects.get()
    assert token not in (record.token_hash, record.prefix)  # stored hashed only
    from rest_framework.test import APIClient

    client = APIClient()
    me = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert me.status_code == 200 and me.json()["email"] == "auditor.ken@covenant.test"
    assert me.json()["memberships"] == [
        {
            "id": me.json()["memberships"][0]["id"],
            "nation": "KEN",
            "role": "auditor",
            "sector": None,
        }
    ]


@pytest.mark.django_db
def test_expired_revoked_and_forged_tokens_get_401(cast) -> None:
    from rest_framework.test import APIClient

    user = cast.user("KEN", "auditor")
    record, token = token_issue(user=user, actor=SYSTEM, days=1)
    client = APIClient()
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    for forged in (token[:-1] + ("A" if token[-1] != "A" else "B"), "cov_nothing", "x" * 500):
        assert_error(client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {forged}"), 401)
    PersonalAccessToken.objects.filter(pk=record.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert_error(client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {token}"), 401)
    record2, token2 = token_issue(user=user, actor=SYSTEM, days=1)
    token_revoke(token=record2, actor=SYSTEM)
    assert_error(client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {token2}"), 401)
    assert_error(client.get("/api/v1/me/"), 401)


@pytest.mark.django_db
def test_a_scoped_token_cannot_do_more_than_its_scopes(cast) -> None:
    from rest_framework.test import APIClient

    _, token = token_issue(
        user=cast.user("KEN", "nation_admin"), actor=SYSTEM, scopes=["roles:read"]
    )
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/v1/nations/KEN/roles/").status_code == 200
    response = client.post(
        "/api/v1/nations/KEN/roles/", {"email": "new@x.test", "role": "citizen"}, format="json"
    )
    assert_error(response, 403)
    assert client.get("/api/v1/me/").json()["token_scopes"] == ["roles:read"]


@pytest.mark.django_db
def test_token_scopes_and_lifetimes_are_validated(cast) -> None:
    user = cast.user("KEN", "auditor")
    with pytest.raises(Invalid):
        token_issue(user=user, actor=SYSTEM, scopes=["ledger:steal"])
    with pytest.raises(Invalid):
        token_issue(user=user, actor=SYSTEM, days=0)
    with pytest.raises(CommandError):
        call_command("issue_token", "nobody@x.test")


# --- roles and the four-eyes rule ---------------------------------------------------------------


def roles_url(iso3: str = "KEN") -> str:
    return f"/api/v1/nations/{iso3}/roles/"


@pytest.mark.django_db
def test_nation_admin_lists_and_grants_roles(cast) -> None:
    admin = client_for(cast.user("KEN", "nation_admin"))
    listed = admin.get(roles_url()).json()
    assert listed["count"] == 6
    assert {row["role"] for row in listed["results"]} == set(EXPECTED) - {"platform_admin"}
    assert all(row["status"] == "active" for row in listed["results"])
    response = admin.post(
        roles_url(), {"email": "New.Member@Example.org", "role": "council_member"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["email"] == "new.member@example.org"
    assert response.json()["status"] == "active"
    steward = admin.post(
        roles_url(),
        {"email": "s@example.org", "role": "sector_steward", "sector": "health"},
        format="json",
    )
    assert steward.status_code == 201 and steward.json()["sector"] == "health"
    new_user = User.objects.get(email="new.member@example.org")
    assert not new_user.has_usable_password()
    entry = AuditEntry.objects.filter(action="role.granted").order_by("-sequence").first()
    assert entry.nation == "KEN" and "@" not in str(entry.data)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "a@b.org", "role": "emperor"}, "role"),
        ({"email": "a@b.org", "role": "platform_admin"}, "role"),
        ({"email": "a@b.org", "role": "sector_steward"}, "sector"),
        ({"email": "a@b.org", "role": "sector_steward", "sector": "piracy"}, "sector"),
        ({"email": "a@b.org", "role": "citizen", "sector": "energy"}, "sector"),
        ({"email": "not-an-email", "role": "citizen"}, "email"),
        ({"email": "a@b.org" + "x" * 300, "role": "citizen"}, "email"),
        ({"email": "a@b.org", "role": "citizen", "extra": 1}, "extra"),
        ({"role": "citizen"}, "email"),
    ],
)
def test_bad_grants_get_a_400_and_write_nothing(cast, body, field) -> None:
    before = AuditEntry.objects.count()
    users = User.objects.count()
    error = assert_error(
        client_for(cast.user("KEN", "nation_admin")).post(roles_url(), body, format="json"), 400
    )
    assert field in error["fields"]
    assert AuditEntry.objects.count() == before and User.objects.count() == users


@pytest.mark.django_db
def test_granting_the_same_role_twice_is_a_conflict(cast) -> None:
    admin = client_for(cast.user("KEN", "nation_admin"))
    body = {"email": "citizen.ken@covenant.test", "role": "citizen"}
    assert_error(admin.post(roles_url(), body, format="json"), 409, "conflict")
    delegate = {"email": "someone@example.org", "role": "delegate"}
    assert_error(admin.post(roles_url(), delegate, format="json"), 409)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["nation_admin", "auditor"])
def test_four_eyes_for_nation_admin_and_auditor_grants(cast, kenya, role) -> None:
    first = cast.user("KEN", "nation_admin")
    second = make_user("second-admin.ken@covenant.test")
    role_grant(nation=kenya, user=second, role="nation_admin", actor=SYSTEM, four_eyes=False)
    response = client_for(first).post(
        roles_url(), {"email": "candidate@example.org", "role": role}, format="json"
    )
    assert response.status_code == 201 and response.json()["status"] == "pending_approval"
    assignment_id = response.json()["id"]
    candidate = User.objects.get(email="candidate@example.org")
    assert not may(Principal(user=candidate), "roles:read", nation=kenya)  # not yet active

    approve = f"{roles_url()}{assignment_id}/approve/"
    assert_error(client_for(first).post(approve), 403)  # not the granter
    assert_error(client_for(candidate).post(approve), 403)  # not the candidate
    assert_error(client_for(cast.user("BRA", "nation_admin")).post(approve), 403)
    assert_error(client_for(cast.user("KEN", "auditor")).post(approve), 403)
    approved = client_for(second).post(approve)
    assert approved.status_code == 200 and approved.json()["status"] == "active"
    assert may(Principal(user=candidate), "roles:read", nation=kenya)
    assert_error(client_for(second).post(approve), 409)
    actions = list(
        AuditEntry.objects.filter(target_id=str(assignment_id)).values_list("action", flat=True)
    )
    assert actions == ["role.requested", "role.approved"]


@pytest.mark.django_db
def test_revoking_a_role_keeps_the_row_and_ends_the_capability(cast, kenya) -> None:
    admin = client_for(cast.user("KEN", "nation_admin"))
    with nation_scope(kenya):
        council = RoleAssignment.objects.get(role="council_member")
    response = admin.delete(f"{roles_url()}{council.pk}/")
    assert response.status_code == 200 and response.json()["status"] == "revoked"
    assert not may(cast.principal("KEN", "council_member"), "ballots:cast", nation=kenya)
    with nation_scope(kenya):
        assert RoleAssignment.objects.get(pk=council.pk).status == RoleStatus.REVOKED
    assert_error(admin.delete(f"{roles_url()}{council.pk}/"), 409)
    assert_error(admin.delete(f"{roles_url()}999999/"), 404)


@pytest.mark.django_db
def test_the_last_nation_admin_cannot_revoke_themselves(cast, kenya) -> None:
    me = cast.user("KEN", "nation_admin")
    with nation_scope(kenya):
        mine = RoleAssignment.objects.get(user=me, role="nation_admin")
    assert_error(client_for(me).delete(f"{roles_url()}{mine.pk}/"), 409)


# --- the operator's commands ---------------------------------------------------------------------


@pytest.mark.django_db
def test_grant_role_command(kenya) -> None:
    out = StringIO()
    call_command(
        "grant_role", "Steward@Example.org", "sector_steward", "--nation", "ken",
        "--sector", "minerals", stdout=out,
    )  # fmt: skip
    user = User.objects.get(email="steward@example.org")
    assert not user.has_usable_password()
    assert user.emailaddress_set.get().verified
    with nation_scope(kenya):
        assert RoleAssignment.objects.get(user=user).sector == "minerals"
    call_command("grant_role", "boss@example.org", "nation_admin", "--nation", "KEN", stdout=out)
    with nation_scope(kenya):  # an operator's grant is direct
        assert RoleAssignment.objects.get(user__email="boss@example.org").status == "active"
    call_command("grant_role", "root@example.org", "platform_admin", stdout=out)
    assert User.objects.get(email="root@example.org").is_platform_admin
    for bad in (
        ["x@example.org", "citizen"],
        ["x@example.org", "citizen", "--nation", "ZZZ"],
        ["x@example.org", "platform_admin", "--nation", "KEN"],
        ["x@example.org", "sector_steward", "--nation", "KEN"],
        ["steward@example.org", "sector_steward", "--nation", "KEN", "--sector", "minerals"],
    ):
        with pytest.raises(CommandError):
            call_command("grant_role", *bad, stdout=out)
    assert AuditEntry.objects.filter(actor="system:operator", action="role.granted").count() == 3


@pytest.mark.django_db
def test_services_refuse_outsiders(cast, kenya) -> None:
    with pytest.raises(Forbidden):
        role_grant(
            nation=kenya,
            user=cast.outsider,
            role="citizen",
            actor=cast.principal("BRA", "nation_admin"),
        )
    with pytest.raises(Conflict):
        role_grant(nation=kenya, user=cast.user("KEN", "citizen"), role="citizen", actor=SYSTEM)


@pytest.mark.django_db
def test_me_lists_memberships_and_capabilities(cast) -> None:
    body = client_for(cast.user("KEN", "sector_steward")).get("/api/v1/me/").json()
    assert body["is_platform_admin"] is False
    assert [(m["nation"], m["role"], m["sector"]) for m in body["memberships"]] == [
        ("KEN", "sector_steward", "energy")
    ]
    assert set(body["capabilities"]["KEN"]) == EXPECTED["sector_steward"]
    admin = client_for(cast.platform_admin).get("/api/v1/me/").json()
    assert (
        admin["is_platform_admin"] and set(admin["capabilities"]["*"]) == EXPECTED["platform_admin"]
    )
    assert_error(client_for(None).get("/api/v1/me/"), 401)


@pytest.mark.django_db
def test_privileged_logins_are_audited_and_others_are_not(cast, client) -> None:
    for role, audited in (("nation_admin", True), ("auditor", True), ("citizen", False)):
        user = cast.user("KEN", role)
        user.set_password("a-long-password-1")
        user.save()
        before = AuditEntry.objects.filter(action="auth.login").count()
        response = client.post(
            "/accounts/login/", {"login": user.email, "password": "a-long-password-1"}
        )
        assert response.status_code == 302, response.content[:300]
        if audited:  # privileged: the second factor completes the login
            assert response["Location"] == "/accounts/2fa/authenticate/"
            response = client.post(
                "/accounts/2fa/authenticate/", {"code": totp_code(CAST_TOTP_SECRET)}
            )
            assert response.status_code == 302, response.content[:300]
        client.logout()
        after = AuditEntry.objects.filter(action="auth.login").count()
        assert after == before + (1 if audited else 0)
    entry = AuditEntry.objects.filter(action="auth.login").last()
    assert entry.actor.startswith("p_") and "@" not in str(entry.data)
    assert entry.data["method"] == "password"


@pytest.mark.django_db
def test_sign_up_sends_a_verification_e_mail(client, mailoutbox) -> None:
    response = client.post(
        "/accounts/signup/",
        {
            "email": "newcomer@example.org",
            "password1": "correct horse 77",
            "password2": "correct horse 77",
        },
    )
    assert response.status_code == 302
    assert len(mailoutbox) == 1 and "newcomer@example.org" in mailoutbox[0].to
    user = User.objects.get(email="newcomer@example.org")
    assert not user.emailaddress_set.get().verified
    with all_nations(reason="test"):
        assert not RoleAssignment.objects.filter(user=user).exists()
