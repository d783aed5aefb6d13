"""Who a notice or an event reaches, read from the directory at send time (pure over a directory reader).

Residents come from the site's resident links (one query per page of the site's gsi1), buildings are
mapped through the site's units; staff from the tenant's staff list, kept when they serve the site (a zone
of that site with no building list, or one listing the building). Everyone appears once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from courtyard.directory import ProxyView, ResidentUnitView, StaffView, UnitMemberView, UnitView, UserLink
from notifications.domain import Recipient


class Directory(Protocol):
    def site_exists(self, tenant_id: str, site_id: str) -> bool: ...
    def site_units(self, tenant_id: str, site_id: str) -> list[UnitView]: ...
    def site_resident_links(self, tenant_id: str, site_id: str) -> list[ResidentUnitView]: ...
    def unit_members(self, tenant_id: str, unit_id: str) -> list[UnitMemberView]: ...
    def staff_members(self, tenant_id: str) -> list[StaffView]: ...
    def user(self, tenant_id: str, user_id: str) -> UserLink | None: ...
    def unit_proxies(self, tenant_id: str, unit_id: str) -> list[ProxyView]: ...
    def site_proxies(self, tenant_id: str, site_id: str) -> list[ProxyView]: ...


def serves(staff: StaffView, site_id: str, building_id: str | None = None) -> bool:
    """Whether a staff member's zones cover the site (and the building, when one is named)."""
    for zone in staff.zones:
        if zone.site_id != site_id:
            continue
        if not zone.building_ids or building_id is None or building_id in zone.building_ids:
            return True
    return False


def residents_of_site(
    directory: Directory,
    tenant_id: str,
    site_id: str,
    *,
    buildings: Iterable[str] = (),
    units: Iterable[str] = (),
) -> list[Recipient]:
    """Residents of the whole site (no buildings or units named) or of the named buildings and units."""
    wanted_buildings, wanted_units = set(buildings), set(units)
    links = directory.site_resident_links(tenant_id, site_id)
    if wanted_buildings or wanted_units:
        if wanted_buildings:
            wanted_units |= {
                u.unit_id
                for u in directory.site_units(tenant_id, site_id)
                if u.building_id in wanted_buildings
            }
        links = [link for link in links if link.unit_id in wanted_units]
    return unique(Recipient(kind="resident", person_id=link.resident_id) for link in links)


def staff_of_site(
    directory: Directory,
    tenant_id: str,
    site_id: str,
    roles: Iterable[str],
    *,
    building_id: str | None = None,
    on_duty_only: bool = False,
) -> list[Recipient]:
    wanted = set(roles)
    return unique(
        Recipient(kind="staff", person_id=member.staff_id, user_id=member.user_id)
        for member in directory.staff_members(tenant_id)
        if member.active
        and not member.roles.isdisjoint(wanted)
        and serves(member, site_id, building_id)
        and (member.on_duty or not on_duty_only)
    )


def residents_of_unit(directory: Directory, tenant_id: str, unit_id: str) -> list[Recipient]:
    return unique(
        Recipient(kind="resident", person_id=m.resident_id)
        for m in directory.unit_members(tenant_id, unit_id)
    )


def proxies_of_unit(directory: Directory, tenant_id: str, unit_id: str) -> list[Recipient]:
    """The unit's active family proxies (子女代办): its bills and its SOS reach them too."""
    return unique(
        Recipient(kind="resident", person_id=p.resident_id, user_id=p.user_id)
        for p in directory.unit_proxies(tenant_id, unit_id)
    )


def proxies_of_building(
    directory: Directory, tenant_id: str, site_id: str, building_id: str
) -> list[Recipient]:
    """The active family proxies of a building's units (a fire alarm there reaches them)."""
    proxies = directory.site_proxies(tenant_id, site_id)
    if not proxies:
        return []
    units = {u.unit_id for u in directory.site_units(tenant_id, site_id) if u.building_id == building_id}
    return unique(
        Recipient(kind="resident", person_id=p.resident_id, user_id=p.user_id)
        for p in proxies
        if p.unit_id in units
    )


def by_login(directory: Directory, tenant_id: str, user_id: str | None) -> list[Recipient]:
    """The person behind a login; a login with no directory record still gets its inbox."""
    if not user_id or user_id == "system":
        return []
    link = directory.user(tenant_id, user_id)
    if link is None or link.kind not in ("resident", "staff"):
        return [Recipient(kind="user", user_id=user_id)]
    return [Recipient(kind=link.kind, person_id=link.person_id, user_id=user_id)]


def notice_audience(directory: Directory, tenant_id: str, audience: dict[str, Any]) -> list[Recipient]:
    """The recipients of a notice's audience (``models.Audience`` as stored)."""
    site_id = str(audience["site_id"])
    found: list[Recipient] = []
    buildings = [str(b) for b in audience.get("building_ids", [])]
    units = [str(u) for u in audience.get("unit_ids", [])]
    if audience.get("everyone"):
        found += residents_of_site(directory, tenant_id, site_id)
    elif buildings or units:
        found += residents_of_site(directory, tenant_id, site_id, buildings=buildings, units=units)
    if audience.get("roles"):
        found += staff_of_site(directory, tenant_id, site_id, [str(r) for r in audience["roles"]])
    named = {str(r) for r in audience.get("resident_ids", [])}
    if named:
        # Named residents must live in the community: a resident id of elsewhere (or of another tenant)
        # reaches nobody.
        links = directory.site_resident_links(tenant_id, site_id)
        found += [
            Recipient(kind="resident", person_id=link.resident_id)
            for link in links
            if link.resident_id in named
        ]
    return unique(found)


def unique(recipients: Iterable[Recipient]) -> list[Recipient]:
    seen: dict[str, Recipient] = {}
    for recipient in recipients:
        seen.setdefault(recipient.key, recipient)
    return list(seen.values())
