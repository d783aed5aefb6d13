"""Message ids, phone numbers, audiences and statistics: the small rules the services stand on."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from notifications.audience import notice_audience, serves
from notifications.domain import Channel, NoticeStatus, Priority, Recipient, Text, message_id
from notifications.models import Notice, NoticeStats
from notifications.services.delivery import e164
from notifications.services.fanout import notice_jobs
from notifications.services.notices import statistics
from ulid import ULID

from courtyard.directory import (
    ProxyView,
    ResidentUnitView,
    StaffView,
    StaffZoneView,
    UnitMemberView,
    UnitView,
    UserLink,
)

AT = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def test_message_ids_are_ulids_fixed_by_source_and_recipient() -> None:
    first = message_id("event:TicketAssigned:E1", "staff:S1", AT)
    assert first == message_id("event:TicketAssigned:E1", "staff:S1", AT)
    assert first != message_id("event:TicketAssigned:E2", "staff:S1", AT)
    assert first != message_id("event:TicketAssigned:E1", "staff:S2", AT)
    assert ULID.from_str(first).datetime == AT


def test_phone_numbers_become_e164() -> None:
    assert e164("13800138000") == "+8613800138000"
    assert e164("+852 9123 4567") == "+85291234567"
    assert e164("0044 20 7946 0000") == "+442079460000"


def _staff(
    staff_id: str, roles: set[str], zones: tuple[StaffZoneView, ...], on_duty: bool = True
) -> StaffView:
    return StaffView(staff_id, f"u-{staff_id}", staff_id, frozenset(roles), frozenset(), zones, on_duty, True)


def test_a_staff_member_serves_a_site_or_only_the_buildings_listed() -> None:
    whole = _staff("A", {"guard"}, (StaffZoneView("S1"),))
    part = _staff("B", {"guard"}, (StaffZoneView("S1", ("B1",)),))
    assert serves(whole, "S1", "B9")
    assert serves(part, "S1", "B1")
    assert serves(part, "S1")
    assert not serves(part, "S1", "B2")
    assert not serves(whole, "S2")


class FakeDirectory:
    def __init__(self) -> None:
        self.units = [
            UnitView("t", "U1", "S1", "B1", "101", "residential"),
            UnitView("t", "U2", "S1", "B1", "102", "residential"),
            UnitView("t", "U3", "S1", "B2", "201", "residential"),
        ]
        self.links = [
            ResidentUnitView("U1", "S1", True, "R1"),
            ResidentUnitView("U2", "S1", True, "R2"),
            ResidentUnitView("U3", "S1", True, "R3"),
            ResidentUnitView("U3", "S1", False, "R1"),  # R1 also lives in U3
        ]

    def site_exists(self, tenant_id: str, site_id: str) -> bool:
        return site_id == "S1"

    def site_units(self, tenant_id: str, site_id: str) -> list[UnitView]:
        return self.units

    def site_resident_links(self, tenant_id: str, site_id: str) -> list[ResidentUnitView]:
        return self.links

    def unit_members(self, tenant_id: str, unit_id: str) -> list[UnitMemberView]:
        return []

    def staff_members(self, tenant_id: str) -> list[StaffView]:
        return [
            _staff("G1", {"guard"}, (StaffZoneView("S1"),)),
            _staff("G2", {"guard"}, (StaffZoneView("S2"),)),
            _staff("M1", {"manager"}, (StaffZoneView("S1"),)),
        ]

    def user(self, tenant_id: str, user_id: str) -> UserLink | None:
        return None

    def unit_proxies(self, tenant_id: str, unit_id: str) -> list[ProxyView]:
        return []

    def site_proxies(self, tenant_id: str, site_id: str) -> list[ProxyView]:
        return []


def keys(recipients: list[Recipient]) -> list[str]:
    return sorted(r.key for r in recipients)


def test_audiences_expand_once_per_person() -> None:
    directory = FakeDirectory()
    building = notice_audience(directory, "t", {"site_id": "S1", "building_ids": ["B1"]})
    everyone = notice_audience(directory, "t", {"site_id": "S1", "everyone": True})
    guards = notice_audience(directory, "t", {"site_id": "S1", "roles": ["guard"]})
    named = notice_audience(
        directory, "t", {"site_id": "S1", "resident_ids": ["R3", "R9"], "unit_ids": ["U3"]}
    )
    assert keys(building) == ["resident:R1", "resident:R2"]
    assert keys(everyone) == ["resident:R1", "resident:R2", "resident:R3"]
    assert keys(guards) == ["staff:G1"]
    assert keys(named) == ["resident:R1", "resident:R3"]


def _notice(sending_at: str | None) -> Notice:
    return Notice(
        "t", "N1", NoticeStatus.SENT, {}, {}, (Channel.INBOX,), Priority.NORMAL, "", "", "", sending_at
    )


def test_time_to_90_percent_is_measured_from_the_start_of_sending() -> None:
    stats = NoticeStats(recipients=10, reached=9, reached_90_at="2026-03-10T02:05:00.000Z")
    assert statistics(_notice("2026-03-10T02:00:00.000Z"), stats).time_to_90_percent_seconds == 300.0
    assert statistics(_notice(None), stats).time_to_90_percent_seconds is None
    assert (
        statistics(_notice("2026-03-10T02:00:00.000Z"), NoticeStats(recipients=10)).time_to_90_percent_seconds
        is None
    )


def _sent_notice(sending_at: str) -> Notice:
    return Notice(
        "t",
        "N1",
        NoticeStatus.SENDING,
        {"zh-CN": Text(title="停水通知", body="明日 9:00-12:00 停水")},
        {"site_id": "S1", "everyone": True},
        (Channel.INBOX, Channel.PUSH),
        Priority.NORMAL,
        send_at="2026-03-10T02:02:00.000Z",
        created_at="2026-03-10T02:00:00.000Z",
        created_by="M1",
        sending_at=sending_at,
    )


def test_a_notice_fanned_out_twice_names_the_same_messages_whatever_the_clocks() -> None:
    # The outbox and the due entry can both send the fan-out command, each run with its own clock: the
    # delivery claims a message by its id, so ids that moved with the clock would reach everyone twice.
    recipients = notice_audience(FakeDirectory(), "t", {"site_id": "S1", "everyone": True})
    by_outbox = list(notice_jobs(_sent_notice("2026-03-10T02:00:01.000Z"), recipients))
    by_due_entry = list(notice_jobs(_sent_notice("2026-03-10T02:02:30.000Z"), recipients))

    assert [job.message_id for job in by_outbox] == [job.message_id for job in by_due_entry]
    assert len({job.message_id for job in by_outbox + by_due_entry}) == len(recipients) == 3


def test_a_scheduled_notice_s_messages_are_dated_when_it_was_meant_to_go_out() -> None:
    scheduled = replace(
        _sent_notice("2026-03-12T08:00:04.000Z"),
        send_at="2026-03-12T08:00:00.000Z",
    )
    recipients = notice_audience(FakeDirectory(), "t", {"site_id": "S1", "everyone": True})

    ids = {ULID.from_str(job.message_id).datetime for job in notice_jobs(scheduled, recipients)}
    sent_now = {
        ULID.from_str(job.message_id).datetime
        for job in notice_jobs(_sent_notice("2026-03-10T02:00:04.000Z"), recipients)
    }

    assert ids == {datetime(2026, 3, 12, 8, 0, tzinfo=UTC)}
    assert sent_now == {datetime(2026, 3, 10, 2, 0, tzinfo=UTC)}
