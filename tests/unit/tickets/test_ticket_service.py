"""Filing a ticket through ``TicketService`` against in-memory fakes: the SLA due time (``tickets.sla``, named
by ``tickets.services.tickets.file_ticket``) comes from the firm's business-hours calendar."""

from __future__ import annotations

from datetime import UTC, datetime

from tickets.domain import Action, TicketKind
from tickets.models import TicketActionRequest, TicketCreate, TicketSettingsIn
from tickets.services.tickets import TicketService

from courtyard.clock import FixedClock
from courtyard.directory import TenantView
from courtyard.tenancy import Role, TenantContext
from tests.fakes.kernel import InMemoryDirectory, RecordedAudit, RecordedEvents, RecordingOutbox
from tests.fakes.tickets import InMemoryTickets

FRIDAY_1730 = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)  # 17:30 in Shanghai, half an hour before closing
DESK = TenantContext(tenant_id="t1", user_id="desk-1", roles=frozenset({Role.SERVICE_DESK}))


def _service(repo: InMemoryTickets, outbox: RecordingOutbox) -> TicketService:
    directory = InMemoryDirectory(
        tenants={"t1": TenantView("t1", "Greenfield", "active", "Asia/Shanghai", "CNY", "zh-CN")},
        sites={("t1", "s1")},
    )
    return TicketService(repo, directory, RecordedAudit(), RecordedEvents(), FixedClock(FRIDAY_1730), outbox)


def _repair() -> TicketCreate:
    return TicketCreate(
        kind=TicketKind.REPAIR, description="lobby door sticks", site_id="s1", location="lobby"
    )


def test_a_normal_repair_filed_before_closing_is_due_a_response_in_two_business_hours() -> None:
    repo, outbox = InMemoryTickets(), RecordingOutbox()

    ticket, created = _service(repo, outbox).create(DESK, _repair())

    # 30 minutes on Friday, then 90 from Saturday's opening at 08:00 (Shanghai): 09:30, 01:30 UTC.
    assert created
    assert ticket.respond_by == datetime(2026, 12, 5, 1, 30, tzinfo=UTC)
    assert repo.get("t1", ticket.ticket_id) == ticket
    assert outbox.sent_types() == ["TicketCreated"]


def test_the_firms_holiday_moves_the_response_due_time_past_it() -> None:
    repo, outbox = InMemoryTickets(), RecordingOutbox()
    holiday = TicketSettingsIn(holidays=[datetime(2026, 12, 5).date()])
    repo.put_settings("t1", holiday.model_dump(mode="json"), "manager", "2026-12-01T00:00:00Z")

    ticket, _ = _service(repo, outbox).create(DESK, _repair())

    # Saturday is a holiday and Sunday is closed: Monday 09:30 in Shanghai.
    assert ticket.respond_by == datetime(2026, 12, 7, 1, 30, tzinfo=UTC)


def test_a_retry_with_the_same_idempotency_key_files_nothing_new() -> None:
    repo, outbox = InMemoryTickets(), RecordingOutbox()
    service = _service(repo, outbox)

    first, created = service.create(DESK, _repair(), "key-0001-abcd")
    again, created_again = service.create(DESK, _repair(), "key-0001-abcd")

    assert (created, created_again) == (True, False)
    assert again.ticket_id == first.ticket_id
    assert len(repo.tickets) == 1


def test_an_action_commits_its_events_and_audit_record_with_the_ticket_then_sends_them() -> None:
    repo, outbox = InMemoryTickets(), RecordingOutbox()
    service = _service(repo, outbox)
    ticket, _ = service.create(DESK, _repair())
    outbox.sent.clear()
    repo.written.clear()

    cancelled = service.act(DESK, ticket.ticket_id, TicketActionRequest(action=Action.CANCEL))

    # The pending events were one of the save's own actions (the same transaction), named by the version
    # the save's condition makes unique; then flushed once, and not published beside the outbox.
    key = {"pk": f"T#t1#TICKET#{ticket.ticket_id}", "sk": f"OUTBOX#v{cancelled.version}"}
    assert {"Put": {"outbox": key}} in repo.written
    assert outbox.sent_types() == ["TicketStatusChanged"]
    assert outbox.stored == {}
