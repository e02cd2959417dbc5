"""The principal: who is acting (a user, through a session or a token; later an API key; or the
system itself: an operator's command, the beat, the seed), and the one function that answers
"may this principal do X in this nation (and sector)?".

Conventions `may()` follows:
- A nation capability (`roles:grant`) is held through a role in that nation; `nation=None`
  asks about no nation and only a platform admin (for the capabilities of that role) or the
  system answers yes.
- A global capability (`global_*`, e.g. `global_ballots:cast`) is exercised in the Global
  Council, which belongs to no nation, but it is held through a role in a nation (the nation's
  delegate). `may(p, "global_ballots:cast")` asks "in any nation?"; with `nation=` it asks "as
  that nation's delegate?".
- A personal capability (`PERSONAL_CAPABILITIES`: filing a privacy request about oneself) is
  held by every signed-in, active person in every nation, with or without a role (not by an
  API key, which acts for a nation's integrator, not a person); the service checks that the
  person acts about themselves.
- The system actor (`Principal.system(name)`) is trusted code acting on no person's behalf. It
  holds every capability of the table plus the system-only ones (`SYSTEM_ONLY_CAPABILITIES`:
  posting pledges and allocations, granting platform admin), which no role holds.
- An API key (`via="key"`) is bound to one nation: it acts as its creator's memberships *in
  that nation* (a platform admin creator: the platform admin's capabilities in that nation
  only), narrowed by its scopes; `may()` answers False for every other nation and for no
  nation at all, whatever the creator holds elsewhere.
- A privileged person (PRIVILEGED_ROLES) signed in through a web session holds nothing until
  they have set up a second factor (TOTP or WebAuthn): `mfa_missing`.
- `obj=`: an object shared with a named person (covenant.access.object_grants) grants that
  capability on that one object; never used to build lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from covenant.nations.tenancy import all_nations

from .roles import (
    CAPABILITIES,
    PERSONAL_CAPABILITIES,
    PRIVILEGED_ROLES,
    SECTOR_BOUND_ROLES,
    SYSTEM_CAPABILITIES,
    Role,
    is_global_capability,
    scope_allows,
)

if TYPE_CHECKING:
    from covenant.accounts.models import User


@dataclass(frozen=True)
class Membership:
    assignment_id: int
    nation_id: int
    nation_iso3: str
    role: Role
    sector: str


@dataclass
class Principal:
    user: User | None
    scopes: frozenset[str] | None = None  # None: unrestricted (a session); else a token's scopes
    via: str = "session"  # session | token | key | system | anonymous
    system_name: str = ""  # the system actor's name ("operator", "beat", "governance", …)
    nation_binding: int | None = None  # an API key's nation: nothing outside it
    mfa_enforced: bool = False  # a web session: privileged people need a second factor
    _memberships: list[Membership] | None = field(default=None, repr=False)
    _mfa_missing: bool | None = field(default=None, repr=False)

    @classmethod
    def system(cls, name: str) -> Principal:
        """Trusted code acting on no person's behalf; its pseudonym is `system:<name>`."""
        if not name or ":" in name:
            raise ValueError("a system actor needs a plain name")
        return cls(user=None, via="system", system_name=name)

    @property
    def is_system(self) -> bool:
        return self.via == "system" and self.user is None

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None and self.user.is_active

    @property
    def is_platform_admin(self) -> bool:
        """Global reach. A nation-bound key never has it, even when its creator does."""
        return self.nation_binding is None and self._user_is_platform_admin

    @property
    def _user_is_platform_admin(self) -> bool:
        return self.is_authenticated and bool(self.user.is_platform_admin)  # type: ignore[union-attr]

    @property
    def is_privileged(self) -> bool:
        """A platform admin, nation admin or auditor (the roles that need a second factor)."""
        return self._user_is_platform_admin or any(
            m.role in PRIVILEGED_ROLES for m in self.memberships
        )

    @property
    def mfa_missing(self) -> bool:
        """A privileged person in a web session without TOTP or WebAuthn set up."""
        if self._mfa_missing is None:
            self._mfa_missing = False
            if self.mfa_enforced and self.is_authenticated and self.is_privileged:
                from .mfa import has_second_factor

                self._mfa_missing = not has_second_factor(self.user)
        return self._mfa_missing

    @property
    def pseudonym(self) -> str:
        if self.is_system:
            return f"system:{self.system_name or 'operator'}"
        if self.user is None:
            return "anonymous"
        return self.user.pseudonym

    @property
    def memberships(self) -> list[Membership]:
        """Active role assignments of the user in every nation: one query, then cached."""
        if self._memberships is None:
            if not self.is_authenticated:
                self._memberships = []
            else:
                from .models import RoleAssignment, RoleStatus

                # Reviewed cross-nation read: a person's own roles, whichever nations they are in.
                with all_nations(reason="a principal's own role assignments"):
                    rows = (
                        RoleAssignment.objects.filter(user=self.user, status=RoleStatus.ACTIVE)
                        .select_related("nation")
                        .only("id", "role", "sector", "nation__id", "nation__iso3")
                    )
                    if self.nation_binding is not None:
                        rows = rows.filter(nation_id=self.nation_binding)
                    self._memberships = [
                        Membership(
                            row.id, row.nation.id, row.nation.iso3, Role(row.role), row.sector
                        )
                        for row in rows
                    ]
        return self._memberships

    def nation_ids_with(self, capability: str) -> set[int]:
        """The nations in which the principal holds `capability` (ignoring sectors)."""
        if not scope_allows(self.scopes, capability) or self.mfa_missing:
            return set()
        nations = {m.nation_id for m in self.memberships if capability in CAPABILITIES[m.role]}
        if (
            self.nation_binding is not None
            and self._user_is_platform_admin
            and capability in CAPABILITIES[Role.PLATFORM_ADMIN]
        ):
            nations.add(self.nation_binding)
        return nations

    def capabilities_in(self, nation_id: int) -> set[str]:
        if self.mfa_missing or (
            self.nation_binding is not None and nation_id != self.nation_binding
        ):
            return set()
        caps: set[str] = set()
        for membership in self.memberships:
            if membership.nation_id == nation_id:
                caps |= CAPABILITIES[membership.role]
        if self._user_is_platform_admin:
            caps |= CAPABILITIES[Role.PLATFORM_ADMIN]
        return {cap for cap in caps if scope_allows(self.scopes, cap)}


SYSTEM = Principal.system("operator")


def may(
    principal: Principal,
    capability: str,
    *,
    nation: Any = None,
    sector: str | None = None,
    obj: Any = None,
) -> bool:
    """May `principal` do `capability` in `nation` (and, for sector-bound roles, `sector`), or
    on the one object `obj` (whose nation is then the nation)? See the module's docstring for
    the conventions on global capabilities, the system, keys, MFA and object grants."""
    if principal.is_system:
        return capability in SYSTEM_CAPABILITIES and scope_allows(principal.scopes, capability)
    if not principal.is_authenticated or not scope_allows(principal.scopes, capability):
        return False
    if nation is None and obj is not None:
        nation = getattr(obj, "nation_id", None)
    nation_id = None if nation is None else (nation if isinstance(nation, int) else nation.pk)
    binding = principal.nation_binding
    if binding is not None and nation_id != binding:
        return False  # a key reaches its own nation only (and no "any nation" question)
    if principal.mfa_missing:
        return False
    if principal._user_is_platform_admin and capability in CAPABILITIES[Role.PLATFORM_ADMIN]:
        return True  # everywhere; a key: in its nation (checked above)
    if capability in PERSONAL_CAPABILITIES and principal.via != "key":
        return True  # every signed-in person, about themselves (the service checks whom)
    any_nation = nation is None and is_global_capability(capability)
    if nation is None and not any_nation:
        return False
    for membership in principal.memberships:
        if capability not in CAPABILITIES[membership.role]:
            continue
        if not any_nation and membership.nation_id != nation_id:
            continue
        if membership.role in SECTOR_BOUND_ROLES and membership.sector != sector:
            continue
        return True
    if obj is not None:
        from .object_grants import object_grant_held

        return object_grant_held(principal.user, capability, obj)
    return False


def scopes_allow(principal: Principal, capability: str) -> bool:
    """Whether the principal's token scopes (if any) include `capability` — the first half of
    may(), asked before a request's body is read so that an excluded token learns nothing."""
    return scope_allows(principal.scopes, capability)


def principal_for(user: Any, token: Any = None, *, web_session: bool = False) -> Principal:
    """The principal of a request's user (anonymous users included) and its token or API key,
    if any. `web_session`: signed in through the browser (a session), where MFA is enforced."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Principal(user=None, via="anonymous")
    if token is not None and getattr(token, "is_api_key", False):
        return Principal(
            user=user, scopes=frozenset(token.scopes), via="key", nation_binding=token.nation_id
        )
    if token is not None and hasattr(token, "scopes"):
        scopes = None if token.scopes is None else frozenset(token.scopes)
        return Principal(user=user, scopes=scopes, via="token")
    return Principal(user=user, mfa_enforced=web_session)


def _signed_in_by_session(request: Any) -> bool:
    from django.contrib.auth import SESSION_KEY

    session = getattr(request, "session", None)
    try:
        return session is not None and SESSION_KEY in session
    except Exception:  # a broken session store answers "no session"
        return False


def principal_of_request(request: Any) -> Principal:
    """Cached on the request: memberships are read once per request."""
    cached = getattr(request, "_covenant_principal", None)
    if cached is None:
        auth = getattr(request, "auth", None)
        cached = principal_for(
            getattr(request, "user", None),
            auth,
            web_session=auth is None and _signed_in_by_session(request),
        )
        request._covenant_principal = cached
        inner = getattr(request, "_request", None)  # DRF's Request wraps Django's
        if inner is not None:
            inner._covenant_principal = cached
    return cached
