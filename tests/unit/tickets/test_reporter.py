"""The reporter's name staff see on a ticket (``tickets.services.reporter``), on an in-memory directory."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from tickets.domain import TicketKind
from tickets.models import Ticket, TicketCreate
from tickets.services.reporter import reporter_name
from tickets.services.tickets import TicketService

from courtyard.clock import FixedClock
from courtyard.directory import ContactView, TenantView, UserLink
from courtyard.tenancy import Role, TenantContext
from tests.fakes.kernel import InMemoryDirectory, RecordedAudit, RecordedEvents, RecordingOutbox
from tests.fakes.tickets import InMemoryTickets

DESK = TenantContext(tenant_id="t1", user_id="desk-1", roles=frozenset({Role.SERVICE_DESK}))
TECH = TenantContext(tenant_id="t1", user_id="tech-1", roles=frozenset({Role.TECHNICIAN}))
RESIDENT = TenantContext(tenant_id="t1", user_id="resident-r1", roles=frozenset({Role.RESIDENT}))


@dataclass
class People:
    contacts: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (tenant, kind, id) -> name
    users: dict[tuple[str, str], UserLink] = field(default_factory=dict)
    reads: int = 0

    def user(self, tenant_id: str, user_id: str) -> UserLink | None:
        self.reads += 1
        return self.users.get((tenant_id, user_id))

    def contact(self, tenant_id: str, kind: str, person_id: str) -> ContactView | None:
        self.reads += 1
        name = self.contacts.get((tenant_id, kind, person_id))
        return ContactView(kind, person_id, name, None, None, None) if name is not None else None


def _lobby_ticket() -> Ticket:
    """A common-area repair the desk filed (no resident reporter)."""
    directory = InMemoryDirectory(
        tenants={"t1": TenantView("t1", "Greenfield", "active", "Asia/Shanghai", "CNY", "zh-CN")},
        sites={("t1", "s1")},
    )
    service = TicketService(
        InMemoryTickets(),
        directory,
        RecordedAudit(),
        RecordedEvents(),
        FixedClock(datetime(2026, 12, 4, 2, 0, tzinfo=UTC)),
        RecordingOutbox(),
    )
    body = TicketCreate(kind=TicketKind.REPAIR, description="door sticks", site_id="s1", location="lobby")
    ticket, _ = service.create(DESK, body)
    return ticket


def test_staff_see_the_resident_who_reported_it_by_name() -> None:
    ticket = replace(_lobby_ticket(), reporter_resident_id="r1")
    people = People(contacts={("t1", "resident", "r1"): "孙秀英"})

    assert reporter_name(people, DESK, ticket) == "孙秀英"
    assert reporter_name(people, TECH, ticket) == "孙秀英"


def test_a_staff_filing_for_a_common_area_names_the_staff_member() -> None:
    ticket = _lobby_ticket()
    people = People(
        contacts={("t1", "staff", "S1"): "前台小王"},
        users={("t1", "desk-1"): UserLink(kind="staff", person_id="S1")},
    )

    assert reporter_name(people, DESK, ticket) == "前台小王"


def test_residents_get_no_name_and_cost_no_read() -> None:
    ticket = replace(_lobby_ticket(), reporter_resident_id="r1")
    people = People(contacts={("t1", "resident", "r1"): "孙秀英"})

    assert reporter_name(people, RESIDENT, ticket) is None
    assert people.reads == 0


def test_an_erased_or_unknown_person_and_the_system_have_no_name() -> None:
    ticket = _lobby_ticket()
    assert reporter_name(People(), DESK, ticket) is None  # no user link (the system, an alarm's SOS)
    erased = replace(ticket, reporter_resident_id="gone")
    assert reporter_name(People(), DESK, erased) is None
    blank = People(contacts={("t1", "resident", "r2"): ""})
    assert reporter_name(blank, DESK, replace(ticket, reporter_resident_id="r2")) is None


def test_another_tenants_person_is_never_read() -> None:
    ticket = replace(_lobby_ticket(), reporter_resident_id="r1")
    people = People(contacts={("t2", "resident", "r1"): "别家的住户"})

    assert reporter_name(people, DESK, ticket) is None
