"""Dispatch follows the duty roster (issue 19): a new ticket or SOS goes to the technician rostered on the
community's running shift (``courtyard.duty``), before anyone flagged on duty by hand; without one on the
roster, today's rule (the manual flag, the skill, the zone) still decides."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tickets.dispatch import Technician, Zone, choose
from tickets.domain import Skill, TicketKind
from tickets.models import TicketCreate
from tickets.services.tickets import TicketService

from courtyard.clock import FixedClock
from courtyard.directory import StaffView, StaffZoneView, TenantView
from courtyard.duty import DutyCalendar, RosterLine
from courtyard.tenancy import Role, TenantContext
from tests.fakes.kernel import InMemoryDirectory, RecordedAudit, RecordedEvents, RecordingOutbox
from tests.fakes.tickets import InMemoryTickets

# 03:00 in Shanghai on 3 October 2026, a National Day holiday (the night shift of 2 October, a holiday too).
HOLIDAY_3AM = datetime(2026, 10, 2, 19, 0, tzinfo=UTC)
DESK = TenantContext(tenant_id="t1", user_id="desk-1", roles=frozenset({Role.SERVICE_DESK}))
NATIONAL_DAY = DutyCalendar(holidays=frozenset(date(2026, 10, d) for d in range(1, 8)))


def _staff(staff_id: str, *, skills: tuple[str, ...], on_duty: bool, site: str = "s1") -> StaffView:
    return StaffView(
        staff_id=staff_id,
        user_id=f"u-{staff_id}",
        name=staff_id,
        roles=frozenset({Role.TECHNICIAN.value}),
        skills=frozenset(skills),
        zones=(StaffZoneView(site),),
        on_duty=on_duty,
        active=True,
    )


def _service(roster: tuple[RosterLine, ...], repo: InMemoryTickets | None = None) -> TicketService:
    directory = InMemoryDirectory(
        tenants={"t1": TenantView("t1", "Greenfield", "active", "Asia/Shanghai", "CNY", "zh-CN")},
        sites={("t1", "s1")},
        staff={
            "t1": [
                # Flagged on duty by hand (today's rule would pick them: the lowest id, same load).
                _staff("a-day-tech", skills=(Skill.SECURITY, Skill.PLUMBING), on_duty=True),
                # On the holiday night roster, not flagged, no security trade.
                _staff("n-night-tech", skills=(Skill.GENERAL,), on_duty=False),
                # Rostered on the day shift only.
                _staff("d-day-roster", skills=(Skill.SECURITY,), on_duty=False),
            ]
        },
        calendars={"t1": NATIONAL_DAY},
        rosters={("t1", "s1"): roster},
    )
    return TicketService(
        repo or InMemoryTickets(),
        directory,
        RecordedAudit(),
        RecordedEvents(),
        FixedClock(HOLIDAY_3AM),
        RecordingOutbox(),
    )


ROSTER = (
    RosterLine("n-night-tech", "night", "holiday"),
    RosterLine("d-day-roster", "day", "every"),
)


def _sos() -> TicketCreate:
    return TicketCreate(kind=TicketKind.SOS, site_id="s1", location="3栋2单元501室")


def test_an_sos_at_three_on_a_holiday_goes_to_the_rostered_night_technician() -> None:
    ticket, _ = _service(ROSTER).create(DESK, _sos())

    assert ticket.state.assignee_staff_id == "n-night-tech"


def test_without_a_roster_the_sos_falls_back_to_the_technician_flagged_on_duty() -> None:
    ticket, _ = _service(()).create(DESK, _sos())

    assert ticket.state.assignee_staff_id == "a-day-tech"


def test_a_repair_needs_the_trade_even_from_the_rostered_technician() -> None:
    repair = TicketCreate(
        kind=TicketKind.REPAIR, category="plumbing", description="漏水", site_id="s1", location="地下车库"
    )

    ticket, _ = _service(ROSTER).create(DESK, repair)

    # The rostered night technician is no plumber: the plumber flagged on duty takes it.
    assert ticket.state.assignee_staff_id == "a-day-tech"


def test_a_rostered_technician_is_preferred_over_a_less_busy_one_flagged_by_hand() -> None:
    flagged = Technician("a", "u-a", frozenset({Skill.PLUMBING}), (Zone("s1"),), True, True, 0)
    rostered = Technician("b", "u-b", frozenset({Skill.PLUMBING}), (Zone("s2"),), False, True, 3, True)

    assert choose([flagged, rostered], Skill.PLUMBING, "s1", None) is rostered
    # ... but not outside their trade for ordinary work, only in an emergency.
    assert choose([flagged, rostered], Skill.ELECTRICAL, "s1", None) is None
    assert choose([rostered], Skill.ELECTRICAL, "s1", None, emergency=True) is rostered
