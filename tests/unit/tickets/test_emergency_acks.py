"""A keypress of 1 on the emergency ladder's call (``EmergencyAcknowledged``) accepts the ticket as the staff
member who pressed it would in the app, through the ticket's own rules, against in-memory fakes
(``tickets.services.emergency_acks``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tickets.domain import Priority, TicketKind, TicketStatus
from tickets.models import TicketCreate
from tickets.services.emergency_acks import NOTE, EmergencyAcceptance, Outcome
from tickets.services.tickets import TicketService

from courtyard.clock import FixedClock
from courtyard.directory import StaffView, TenantView, UserLink
from courtyard.tenancy import Role, TenantContext
from schemas.events import EmergencyAcknowledged
from tests.fakes.kernel import InMemoryDirectory, RecordedAudit, RecordedEvents, RecordingOutbox
from tests.fakes.tickets import InMemoryTickets

NIGHT = datetime(2026, 12, 5, 19, 0, tzinfo=UTC)  # 03:00 in Shanghai
DESK = TenantContext(tenant_id="t1", user_id="u-desk", roles=frozenset({Role.SERVICE_DESK}))


def _staff(staff_id: str, roles: set[str], *, active: bool = True, login: bool = True) -> StaffView:
    return StaffView(
        staff_id=staff_id, user_id=f"u-{staff_id}" if login else None, name=staff_id, roles=frozenset(roles),
        skills=frozenset(), zones=(), on_duty=True, active=active,
    )  # fmt: skip


class World:
    def __init__(self) -> None:
        people = [
            _staff("guard", {"guard"}),
            _staff("guard2", {"guard"}),
            _staff("gone", {"guard"}, active=False),
            _staff("nologin", {"guard"}, login=False),
            _staff("manager", {"manager"}),
        ]
        self.directory = InMemoryDirectory(
            tenants={t: TenantView(t, t, "active", "Asia/Shanghai", "CNY", "zh-CN") for t in ("t1", "t2")},
            sites={("t1", "s1"), ("t2", "s1")},
            staff={"t1": people, "t2": [_staff("guard", {"guard"})]},
            users={
                (t, s.user_id): UserLink("staff", s.staff_id)
                for t in ("t1", "t2")
                for s in people
                if s.user_id
            },
        )
        self.repo, self.events, self.audit = InMemoryTickets(), RecordedEvents(), RecordedAudit()
        # Filing and ``act`` send their events through the outbox (what the ladder and the KPIs read).
        self.outbox = RecordingOutbox()
        self.service = TicketService(
            self.repo, self.directory, self.audit, self.events, FixedClock(NIGHT), self.outbox
        )
        self.acks = EmergencyAcceptance(self.service, self.directory, self.audit)

    def file(self, kind: TicketKind = TicketKind.SOS) -> str:
        request = TicketCreate(kind=kind, site_id="s1", location="3栋电梯厅", description="有人被困")
        ticket, _ = self.service.create(DESK, request)
        self.audit.records.clear()
        self.outbox.sent.clear()
        return ticket.ticket_id

    def ack(self, ticket_id: str, staff_id: str, *, tenant: str = "t1", subject: str = "ticket") -> Outcome:
        return self.acks.handle(
            EmergencyAcknowledged.model_validate(
                {"tenant_id": tenant, "subject": subject, "subject_id": ticket_id, "channel": "voice",
                 "ladder_key": f"{subject}:{ticket_id}", "person_id": staff_id, "user_id": f"u-{staff_id}"}
            )
        )  # fmt: skip

    def ticket(self, ticket_id: str) -> tuple[TicketStatus, str | None]:
        ticket = self.repo.get("t1", ticket_id)
        assert ticket is not None
        return ticket.status, ticket.state.assignee_staff_id


def test_the_guards_keypress_accepts_the_sos_as_tapping_accept_in_the_app_would() -> None:
    world = World()
    sos = world.file()
    assert world.repo.tickets[("t1", sos)].state.priority is Priority.EMERGENCY

    assert world.ack(sos, "guard") is Outcome.ACCEPTED

    assert world.ticket(sos) == (TicketStatus.ACCEPTED, "guard")
    last = world.repo.timelines[("t1", sos)][-1]
    assert (last.action, last.actor, last.note) == ("accept", "u-guard", NOTE)
    assert world.outbox.sent_types() == ["TicketStatusChanged"]
    assert world.audit.records == [("ticket.accept", "ticket", sos)]


def test_a_redelivery_accepts_nothing_twice_and_audits_nothing_more() -> None:
    world = World()
    sos = world.file()
    world.ack(sos, "guard")

    assert world.ack(sos, "guard") is Outcome.ALREADY

    assert len([e for e in world.repo.timelines[("t1", sos)] if e.action == "accept"]) == 1
    assert len(world.outbox.sent) == 1
    assert len(world.audit.records) == 1


def test_a_ticket_someone_else_accepted_first_stays_theirs_and_the_press_is_audited() -> None:
    world = World()
    sos = world.file()
    world.ack(sos, "guard")

    assert world.ack(sos, "guard2") is Outcome.NOT_THEIRS

    assert world.ticket(sos) == (TicketStatus.ACCEPTED, "guard")
    assert world.audit.records[-1] == ("ticket.voice_accept_ignored", "ticket", sos)
    assert len(world.outbox.sent) == 1


def test_the_rules_still_decide_who_may_accept_a_manager_is_refused_and_audited() -> None:
    world = World()
    sos = world.file()

    assert world.ack(sos, "manager") is Outcome.NOT_THEIRS

    assert world.ticket(sos)[0] is not TicketStatus.ACCEPTED
    assert world.audit.records == [("ticket.voice_accept_ignored", "ticket", sos)]
    assert world.outbox.sent == []


def test_a_guard_may_not_accept_ordinary_work_by_phone_either() -> None:
    world = World()
    repair = world.file(TicketKind.REPAIR)

    assert world.ack(repair, "guard") is Outcome.NOT_THEIRS
    assert world.ticket(repair)[0] is not TicketStatus.ACCEPTED


@pytest.mark.parametrize("who", ["gone", "nologin", "stranger"])
def test_a_deactivated_unknown_or_login_less_member_changes_nothing(who: str) -> None:
    world = World()
    sos = world.file()
    before = world.ticket(sos)

    assert world.ack(sos, who) is Outcome.UNKNOWN_STAFF

    assert world.ticket(sos) == before
    assert (world.outbox.sent, world.audit.records) == ([], [])


def test_another_firms_ids_or_an_alarms_acknowledgment_change_nothing() -> None:
    world = World()
    sos = world.file()
    before = world.ticket(sos)

    assert world.ack(sos, "guard", tenant="t2") is Outcome.NO_TICKET  # t2 has a "guard", not this ticket
    assert world.ack(sos, "guard", subject="alarm") is Outcome.IGNORED

    assert world.ticket(sos) == before
    assert world.outbox.sent == []
