"""Staff policy, pure: assignable roles, skills, zones served, and what staff may change about themselves.

Dispatch (tickets) mirrors ``covers`` and ``can_take``; keep them pure so both sides test the same cases.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from courtyard.tenancy import STAFF_ROLES, Role

# platform_admin and resident are never staff roles: the first is the SaaS operator, the second a customer.
ASSIGNABLE_ROLES = STAFF_ROLES
# What a staff member may change on their own record; every other field is a manager's decision.
SELF_SERVICE_FIELDS = frozenset({"on_duty"})


class Skill(StrEnum):
    PLUMBING = "plumbing"
    ELECTRICAL = "electrical"
    ELEVATOR = "elevator"
    CLEANING = "cleaning"
    SECURITY = "security"
    GENERAL = "general"


class ZoneLike(Protocol):
    @property
    def site_id(self) -> str: ...

    @property
    def building_ids(self) -> Collection[str]: ...


@dataclass(frozen=True, slots=True)
class Zone:
    """A site a staff member serves: every building of it (``building_ids`` empty) or only the listed ones."""

    site_id: str
    building_ids: tuple[str, ...] = ()

    @property
    def whole_site(self) -> bool:
        return not self.building_ids


def covers(zones: Iterable[ZoneLike], site_id: str, building_id: str | None = None) -> bool:
    """Whether the zones include the place; a place without a building (a site's common area) is covered
    by any zone of its site."""
    for zone in zones:
        if zone.site_id != site_id:
            continue
        if not zone.building_ids or building_id is None or building_id in zone.building_ids:
            return True
    return False


def can_take(
    *,
    active: bool,
    on_duty: bool,
    skills: Collection[str],
    zones: Iterable[ZoneLike],
    skill: str,
    site_id: str,
    building_id: str | None = None,
) -> bool:
    """Whether a staff member can be dispatched a job needing ``skill`` at the place, right now."""
    return active and on_duty and skill in skills and covers(zones, site_id, building_id)


def role_problems(roles: Collection[str]) -> list[str]:
    """Why a set of roles cannot be given to a staff member (empty when it can)."""
    if not roles:
        return ["at least one role is required"]
    problems: list[str] = []
    for role in sorted(set(roles)):
        if role in (Role.PLATFORM_ADMIN, Role.RESIDENT):
            problems.append(f"role {role} cannot be given to staff")
        elif role not in ASSIGNABLE_ROLES:
            problems.append(f"unknown role {role}")
    if len(set(roles)) != len(list(roles)):
        problems.append("roles must not repeat")
    return problems


def skill_problems(skills: Collection[str]) -> list[str]:
    known = {s.value for s in Skill}
    problems = [f"unknown skill {skill}" for skill in sorted(set(skills) - known)]
    if len(set(skills)) != len(list(skills)):
        problems.append("skills must not repeat")
    return problems


def zone_problems(zones: Iterable[ZoneLike]) -> list[str]:
    """A site appears once; within it, a building appears once (two entries for a site would be ambiguous)."""
    problems: list[str] = []
    seen: set[str] = set()
    for zone in zones:
        if zone.site_id in seen:
            problems.append(f"site {zone.site_id} appears in more than one zone")
        seen.add(zone.site_id)
        if len(set(zone.building_ids)) != len(list(zone.building_ids)):
            problems.append(f"a building repeats in the zone of site {zone.site_id}")
    return problems


def beyond_self_service(fields: Iterable[str]) -> list[str]:
    """The fields of a change a staff member may not make to their own record."""
    return sorted(set(fields) - SELF_SERVICE_FIELDS)


def locks_out_self(*, editing_self: bool, roles: Collection[str] | None, active: bool | None) -> bool:
    """A manager must not remove their own manager role or deactivate themself (nobody could undo it)."""
    if not editing_self:
        return False
    return active is False or (roles is not None and Role.MANAGER not in roles)
