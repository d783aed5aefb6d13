"""Filing a ticket is one use case with two doors: the API (``TicketService.create``) and the alarm intake."""

import ast
import inspect
from datetime import UTC, datetime

from tickets.domain import Category, Priority, TicketKind, TicketStatus
from tickets.lifecycle import SYSTEM_USER_ID
from tickets.models import Place, TicketSettingsIn
from tickets.services import alarms
from tickets.services.tickets import EffectiveSettings, file_ticket, filed_events

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # a Monday, 10:00 in Shanghai


def _alarm(**overrides: object) -> alarms.AlarmRaised:
    detail: dict[str, object] = {
        "tenant_id": "t-1",
        "event_id": "e-1",
        "occurred_at": NOW.isoformat(),
        "alarm_id": "a-1",
        "rule_id": "r-1",
        "device_id": "elevator-2",
        "site_id": "s-1",
        "severity": "major",
        "kind": "threshold",
        "action": {"category": "elevator", "priority": "urgent"},
    }
    detail.update(overrides)
    return alarms.AlarmRaised.model_validate(detail)


def test_the_alarm_intake_builds_no_ticket_of_its_own() -> None:
    # The intake may only hand a Filing to the service's use case: no SLA, state or Ticket built beside it.
    tree = ast.parse(inspect.getsource(alarms))
    called = {ast.unparse(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    assert "file_ticket" in called
    assert not {"Ticket", "TicketState.new", "sla.due_times", "dispatch_new"} & called


def test_an_alarms_work_order_is_filed_as_a_persons_ticket_with_its_device() -> None:
    settings = EffectiveSettings(TicketSettingsIn(), "Asia/Shanghai")
    place = Place(site_id="s-1", location="device elevator-2")
    filing = alarms.filing_of(_alarm(), place)

    new = file_ticket(filing, settings, [], NOW, "tk-1")

    ticket = new.ticket
    assert (ticket.kind, ticket.category) == (TicketKind.REPAIR, Category("elevator"))
    assert ticket.state.priority is Priority("urgent")
    assert (ticket.device_id, ticket.alarm_id) == ("elevator-2", "a-1")
    assert ticket.filed_by_user_id == SYSTEM_USER_ID
    assert ticket.respond_by > NOW
    assert ticket.resolve_by >= ticket.respond_by
    assert [(e.action, e.to_status, e.note) for e in new.timeline] == [
        ("create", TicketStatus.SUBMITTED.value, "opened by alarm a-1")
    ]
    assert new.technician is None
    assert [name for name, _ in filed_events(new, NOW, assisted=False)] == ["TicketCreated"]
