"""Object-level grants (django-guardian, direct FK tables): one project's write access shared
with a named steward of another sector; audited; never used to build lists; a key's nation
binding and MFA still apply."""

from __future__ import annotations

import pytest

from covenant.access.object_grants import (
    object_grant,
    object_grant_held,
    object_grants_on,
    object_revoke,
    shareable_capabilities,
)
from covenant.access.principal import Principal, may
from covenant.audit.models import AuditEntry
from covenant.errors import Conflict, Forbidden, Invalid
from sectors.core.models import Project, ProjectUserObjectPermission
from sectors.core.selectors import project_list
from tests.conftest import assert_error, client_for, make_user
from tests.sectors.conftest import make_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def health_steward(cast, kenya):
    from covenant.access.principal import SYSTEM
    from covenant.access.services import role_grant

    user = make_user("health-steward.ken@covenant.test")
    role_grant(nation=kenya, user=user, role="sector_steward", sector="health", actor=SYSTEM)
    return user


def test_sharing_one_project_with_a_steward_of_another_sector(cast, kenya, health_steward):
    admin = Principal(user=cast.user("KEN", "nation_admin"))
    shared = make_project(cast.platform_admin, kenya, "energy", metrics={"capacity_mw": 5})
    other = make_project(cast.platform_admin, kenya, "energy", metrics={"capacity_mw": 7})
    steward = client_for(health_steward)
    url = f"/api/v1/projects/{shared.pk}/"
    assert_error(steward.patch(url, {"name": "Renamed"}, format="json"), 403)

    object_grant(obj=shared, user=health_steward, capability="projects:update", actor=admin)
    assert ProjectUserObjectPermission.objects.filter(content_object=shared).count() == 1
    assert object_grant_held(health_steward, "projects:update", shared)
    response = steward.patch(url, {"name": "Renamed"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "Renamed"
    # that one project only: not the other energy project, not creating energy projects
    assert_error(steward.patch(f"/api/v1/projects/{other.pk}/", {"name": "x"}, format="json"), 403)
    assert not may(Principal(user=health_steward), "projects:create", nation=kenya, sector="energy")
    assert object_grants_on(shared) == [(health_steward, "projects:update")]
    entry = AuditEntry.objects.filter(action="object_grant.granted").get()
    assert entry.nation == "KEN" and entry.target_id == str(shared.pk)
    assert entry.data == {"subject": health_steward.pseudonym, "capability": "projects:update"}

    object_revoke(obj=shared, user=health_steward, capability="projects:update", actor=admin)
    assert_error(steward.patch(url, {"name": "Again"}, format="json"), 403)
    assert AuditEntry.objects.filter(action="object_grant.revoked").count() == 1
    with pytest.raises(Conflict):
        object_revoke(obj=shared, user=health_steward, capability="projects:update", actor=admin)


def test_only_an_admin_of_the_objects_nation_shares_and_only_registered_capabilities(
    cast, kenya, health_steward
):
    project = make_project(cast.platform_admin, kenya, "energy")
    for who in (cast.user("BRA", "nation_admin"), cast.user("KEN", "sector_steward")):
        with pytest.raises(Forbidden):
            object_grant(
                obj=project, user=health_steward, capability="projects:update",
                actor=Principal(user=who),
            )  # fmt: skip
    with pytest.raises(Invalid):
        object_grant(
            obj=project, user=health_steward, capability="ledger:read",
            actor=Principal(user=cast.user("KEN", "nation_admin")),
        )  # fmt: skip
    assert shareable_capabilities(Project) == {"projects:update"}
    assert not AuditEntry.objects.filter(action__startswith="object_grant").exists()


def test_a_grant_never_crosses_a_keys_nation_nor_skips_mfa(cast, kenya, brazil, health_steward):
    project = make_project(cast.platform_admin, kenya, "energy")
    object_grant(
        obj=project, user=health_steward, capability="projects:update",
        actor=Principal(user=cast.platform_admin),
    )  # fmt: skip
    bound_elsewhere = Principal(
        user=health_steward, scopes=frozenset({"projects:update"}), via="key",
        nation_binding=brazil.pk,
    )  # fmt: skip
    assert not may(bound_elsewhere, "projects:update", obj=project)
    scoped_out = Principal(user=health_steward, scopes=frozenset({"roles:read"}), via="token")
    assert not may(scoped_out, "projects:update", obj=project)
    assert may(Principal(user=health_steward), "projects:update", obj=project)


def test_grants_never_build_lists(cast, kenya, health_steward):
    project = make_project(cast.platform_admin, kenya, "energy")
    object_grant(
        obj=project, user=health_steward, capability="projects:update",
        actor=Principal(user=cast.platform_admin),
    )  # fmt: skip
    # the catalogue is public and unchanged; no selector consults the grant tables
    assert list(project_list()) == list(project_list())
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2]
    for path in [*root.glob("covenant/**/selectors.py"), *root.glob("sectors/**/selectors.py")]:
        text = path.read_text("utf-8")
        assert "object_grant" not in text and "UserObjectPermission" not in text, path
