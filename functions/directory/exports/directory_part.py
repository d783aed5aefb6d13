"""The directory's part of a person's export: profile, units with start and end, invitations, proxies and
the care list entry about them. ``directory_data`` is the rule (pure): only the person's own record; an
ended link names no one else (who was promoted to primary contact stays out), and only says whether the
person ended it themself or the property did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from courtyard.directory_views import ResidentUnitView
from courtyard.errors import Forbidden
from courtyard.tenancy import TenantContext
from directory.people.models import Export, ExportOut
from directory.residency.models import EndedResidence
from schemas.events import ExportedLink


@dataclass(frozen=True, slots=True)
class DirectoryPart:
    """What the export service needs from the directory: the part's data and the links it tells features."""

    resident_id: str
    user_id: str
    data: dict[str, Any]
    links: tuple[ExportedLink, ...]


class PeopleExport(Protocol):
    def export(self, ctx: TenantContext) -> Export: ...


class PastLinks(Protocol):
    def past(self, tenant_id: str, resident_id: str) -> list[EndedResidence]: ...


class ProxyLinks(Protocol):
    def proxy_links(self, tenant_id: str, resident_id: str) -> list[ResidentUnitView]: ...


class CareEntries(Protocol):
    def care_entry(self, tenant_id: str, resident_id: str) -> dict[str, Any] | None: ...


def directory_data(
    export: Export,
    past: Sequence[EndedResidence],
    proxy_units: Sequence[ResidentUnitView],
    care: dict[str, Any] | None,
) -> dict[str, Any]:
    """The directory's part of the export (JSON-ready)."""
    own = ExportOut.from_domain(export).model_dump(mode="json")
    user_id = export.user_id
    return {
        **own,
        "units": [{**unit, "until": None} for unit in own["units"]],
        "ended_units": [
            {
                "unit_id": ended.unit_id,
                "site_id": ended.site_id,
                "room": ended.room_key,
                "relation": ended.relation,
                "primary": ended.was_primary,
                "since": ended.since,
                "until": ended.until,
                "reason": ended.reason.value,
                "ended_by": "self" if user_id and ended.ended_by == user_id else "property",
            }
            for ended in past
        ],
        "proxy_for_units": [{"unit_id": u.unit_id, "site_id": u.site_id} for u in proxy_units],
        "care_list": care,
    }


def exported_links(export: Export, past: Sequence[EndedResidence]) -> tuple[ExportedLink, ...]:
    """Every unit link with its period: current ones open-ended, ended ones with their end."""
    current = [
        ExportedLink(unit_id=link.unit_id, site_id=link.site_id, since=link.since) for link in export.links
    ]
    ended = [ExportedLink(unit_id=e.unit_id, site_id=e.site_id, since=e.since, until=e.until) for e in past]
    return tuple(current + ended)


class DirectoryPartReader:
    def __init__(self, people: PeopleExport, past: PastLinks, proxies: ProxyLinks, care: CareEntries) -> None:
        self._people = people
        self._past = past
        self._proxies = proxies
        self._care = care

    def read(self, ctx: TenantContext) -> DirectoryPart:
        """The caller's part (the people service checks and audits the read of their record)."""
        export = self._people.export(ctx)
        resident = export.resident
        if resident is None or not export.user_id:
            raise Forbidden("staff records are exported by GET /me/export; this export is a resident's")
        t = ctx.tenant_id
        past = self._past.past(t, resident.resident_id)
        proxies = self._proxies.proxy_links(t, resident.resident_id)
        data = directory_data(export, past, proxies, self._care.care_entry(t, resident.resident_id))
        return DirectoryPart(resident.resident_id, export.user_id, data, exported_links(export, past))
