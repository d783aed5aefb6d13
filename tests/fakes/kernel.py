"""Fakes of the kernel collaborators services take: the audit trail, the event bus, the directory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from courtyard.directory import ResidentUnitView, ResidentView, StaffView, TenantView, UnitView, UserLink
from courtyard.duty import DutyCalendar, RosterLine
from courtyard.events import DomainEvent
from courtyard.outbox import PendingEffects, QueueMessage, outbox_key
from courtyard.tenancy import TenantContext


@dataclass
class RecordedAudit:
    """Every audit record, in order; ``put_action`` returns a stand-in transaction item."""

    records: list[tuple[str, str, str | None]] = field(default_factory=list)

    def record(
        self,
        ctx: TenantContext | None,
        action: str,
        resource: str,
        resource_id: str | None = None,
        details: dict[str, Any] | None = None,
        actor: str | None = None,
        *,
        tenant_id: str | None = None,
    ) -> object:
        self.records.append((action, resource, resource_id))
        return None

    def put_action(
        self,
        ctx: TenantContext | None,
        action: str,
        resource: str,
        resource_id: str | None = None,
        details: dict[str, Any] | None = None,
        actor: str | None = None,
        *,
        tenant_id: str | None = None,
    ) -> dict[str, Any]:
        self.records.append((action, resource, resource_id))
        return {"Put": {"audit": action}}


@dataclass
class RecordedEvents:
    """The events a service published, by detail type."""

    published: list[tuple[str, DomainEvent]] = field(default_factory=list)

    def publish_many(self, events: Sequence[tuple[str, DomainEvent]]) -> None:
        self.published.extend(events)

    def names(self) -> list[str]:
        return [name for name, _ in self.published]


@dataclass
class InMemoryDirectory:
    """The directory as the features read it (``courtyard.directory``): tenants, sites, units, staff."""

    tenants: dict[str, TenantView] = field(default_factory=dict)
    sites: set[tuple[str, str]] = field(default_factory=set)
    units: dict[tuple[str, str], UnitView] = field(default_factory=dict)
    staff: dict[str, list[StaffView]] = field(default_factory=dict)
    users: dict[tuple[str, str], UserLink] = field(default_factory=dict)
    residents: dict[tuple[str, str], ResidentView] = field(default_factory=dict)
    links: dict[tuple[str, str], list[ResidentUnitView]] = field(default_factory=dict)
    proxies: dict[tuple[str, str], list[ResidentUnitView]] = field(default_factory=dict)
    calendars: dict[str, DutyCalendar] = field(default_factory=dict)
    rosters: dict[tuple[str, str], tuple[RosterLine, ...]] = field(default_factory=dict)

    def tenant(self, tenant_id: str) -> TenantView | None:
        return self.tenants.get(tenant_id)

    def site_exists(self, tenant_id: str, site_id: str) -> bool:
        return (tenant_id, site_id) in self.sites

    def unit(self, tenant_id: str, unit_id: str) -> UnitView | None:
        return self.units.get((tenant_id, unit_id))

    def staff_members(self, tenant_id: str) -> list[StaffView]:
        return list(self.staff.get(tenant_id, []))

    def staff_member(self, tenant_id: str, staff_id: str) -> StaffView | None:
        return next((s for s in self.staff.get(tenant_id, []) if s.staff_id == staff_id), None)

    def user(self, tenant_id: str, user_id: str) -> UserLink | None:
        return self.users.get((tenant_id, user_id))

    def resident(self, tenant_id: str, resident_id: str) -> ResidentView | None:
        return self.residents.get((tenant_id, resident_id))

    def resident_links(self, tenant_id: str, resident_id: str) -> list[ResidentUnitView]:
        return list(self.links.get((tenant_id, resident_id), []))

    def proxy_links(self, tenant_id: str, resident_id: str) -> list[ResidentUnitView]:
        return list(self.proxies.get((tenant_id, resident_id), []))

    def duty_calendar(self, tenant_id: str) -> DutyCalendar:
        return self.calendars.get(tenant_id, DutyCalendar())

    def duty_roster(self, tenant_id: str, site_id: str) -> tuple[RosterLine, ...]:
        return self.rosters.get((tenant_id, site_id), ())


@dataclass
class RecordingOutbox:
    """The transactional outbox (``courtyard.outbox.Effects``) in memory: what a write stored, and what it
    sent once flushed (events by detail type, in order)."""

    stored: dict[tuple[str, str], PendingEffects] = field(default_factory=dict)
    sent: list[tuple[str, str]] = field(default_factory=list)

    def pending(
        self,
        entity_pk: str,
        *,
        events: Sequence[tuple[str, DomainEvent]] = (),
        messages: Sequence[QueueMessage] = (),
        name: str = "",
    ) -> PendingEffects:
        return PendingEffects(
            key=outbox_key(entity_pk, name),
            events=tuple((kind, detail.model_dump_json()) for kind, detail in events),
            messages=tuple(messages),
        )

    def put_action(self, pending: PendingEffects) -> dict[str, Any]:
        self.stored[_at(pending.key)] = pending
        return {"Put": {"outbox": pending.key}}

    def flush(self, pending: PendingEffects) -> None:
        if self.stored.pop(_at(pending.key), None) is not None:
            self.sent.extend(pending.events)

    def flush_entity(self, entity_pk: str, name: str = "") -> bool:
        pending = self.stored.get(_at(outbox_key(entity_pk, name)))
        if pending is None:
            return False
        self.flush(pending)
        return True

    def sent_types(self) -> list[str]:
        return [kind for kind, _ in self.sent]


def _at(key: dict[str, str]) -> tuple[str, str]:
    return key["pk"], key["sk"]
