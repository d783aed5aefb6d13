"""The ingest's write budget against the in-memory sensors table (``sensors.write_budget``): a steady device
uploading every ten minutes rewrites its heartbeat mark only when the stored one is stale, aggregates are
written once an hour is finished, a change is written at once, and the heartbeat job still declares a
silent device offline within the stated window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sensors.aggregates import hour_of
from sensors.defaults import default_rules
from sensors.domain import OFFLINE_AFTER_S, UPLOAD_INTERVAL_S, Device, DeviceKind, DeviceStatus
from sensors.repository import StoredRule
from sensors.services.alarm_book import AlarmBook
from sensors.services.heartbeat import HeartbeatJob
from sensors.services.ingest import Ingest, IngestSettings, Outcome
from sensors.settings import SensorsSettings
from sensors.write_budget import EVERY_HOUR, aggregates_due_before, heartbeat_mark_due

from courtyard.clock import FixedClock, to_iso
from courtyard.directory import TenantView
from tests.fakes.kernel import RecordedEvents, RecordingOutbox
from tests.fakes.sensors import InMemorySensors

START = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
TENANT, SITE, LIFT_ID = "t1", "s1", "lift-1"
REFRESH_S = SensorsSettings.model_fields["heartbeat_refresh_seconds"].default
FLUSH_S = SensorsSettings.model_fields["aggregate_flush_seconds"].default


class _NoDirectory:
    def tenant(self, tenant_id: str) -> TenantView | None:
        return None  # the ingest falls back to Asia/Shanghai


class World:
    def __init__(self) -> None:
        self.clock = FixedClock(START)
        self.store = InMemorySensors()
        self.events = RecordedEvents()
        book = AlarmBook(self.store, self.events, self.clock, RecordingOutbox())
        self.ingest = Ingest(
            self.store, book, _NoDirectory(), self.clock, IngestSettings(refresh_s=REFRESH_S, flush_s=FLUSH_S)
        )
        self.job = HeartbeatJob(self.store, book, self.clock, REFRESH_S)
        now = to_iso(START)
        self.store.devices[(TENANT, LIFT_ID)] = Device(
            TENANT, LIFT_ID, SITE, DeviceKind.ELEVATOR, "1号楼电梯", DeviceStatus.ACTIVE, now, now
        )
        self.store.tenant_rules[TENANT] = [
            StoredRule(TENANT, rule_id, spec, now, now, default=True)
            for rule_id, spec in default_rules(DeviceKind.ELEVATOR).items()
        ]
        self.seq = 0

    def upload(self, vibration: float = 1.2) -> Outcome:
        """Ten one-minute samples ending now, in one message (the steady device's upload)."""
        now = self.clock.now()
        samples = [
            {"ts": to_iso(now - timedelta(minutes=9 - i)), "metrics": {"vibration_mm_s": vibration}}
            for i in range(10)
        ]
        self.seq += 1
        message: dict[str, Any] = {
            "tenant_id": TENANT,
            "site_id": SITE,
            "device_id": LIFT_ID,
            "ts": to_iso(now),
            "seq": self.seq,
            "samples": samples,
        }
        return self.ingest.handle(message)

    def offline_raised(self) -> bool:
        return any(alarm.kind == "offline" for alarm in self.store.alarms.values())


def test_the_heartbeat_mark_is_rewritten_only_when_the_stored_one_is_stale() -> None:
    assert heartbeat_mark_due(None, 1_000.0, REFRESH_S)  # never stored
    assert not heartbeat_mark_due(1_000.0, 1_000.0 + REFRESH_S - 1, REFRESH_S)
    assert heartbeat_mark_due(1_000.0, 1_000.0 + REFRESH_S, REFRESH_S)


def test_aggregates_are_due_when_an_hour_is_finished_or_the_flush_interval_passed() -> None:
    two, three = "2026-03-10T02", "2026-03-10T03"
    assert aggregates_due_before([two, three], three, 1_000.0, 1_001.0, FLUSH_S) == three  # 02 only
    assert aggregates_due_before([two, three], three, 1_000.0, 1_000.0 + FLUSH_S, FLUSH_S) == three
    assert aggregates_due_before([two], two, 1_000.0, 1_000.0 + FLUSH_S - 1, FLUSH_S) is None
    assert aggregates_due_before([two], two, 1_000.0, 1_000.0 + FLUSH_S, FLUSH_S) == EVERY_HOUR


def test_a_steady_device_writes_its_heartbeat_mark_every_third_upload() -> None:
    world = World()
    marks: list[int] = []
    for upload in range(12):  # two hours of ten-minute uploads
        world.clock.advance(UPLOAD_INTERVAL_S)
        before = world.store.writes.count("state")
        assert world.upload() is Outcome.PROCESSED
        if world.store.writes.count("state") > before:
            marks.append(upload)

    # The first upload stores the state; the stored last_seen is then fresh for two uploads, stale at the 3rd.
    assert marks == [0, 3, 6, 9]
    stored = world.store.state(TENANT, LIFT_ID)
    assert stored.last_seen == (START + timedelta(seconds=10 * UPLOAD_INTERVAL_S)).timestamp()


def test_aggregates_are_written_once_per_finished_hour_and_add_up_to_every_sample() -> None:
    world = World()
    for _ in range(6 * 5):  # five hours of uploads, from 02:10 to 07:00 (samples from 02:01)
        world.clock.advance(UPLOAD_INTERVAL_S)
        world.upload()

    assert world.store.writes.count("aggregate") == 5  # hours 02 to 06, each once; 07 is still buffered
    assert world.store.hours[(TENANT, LIFT_ID, "2026-03-10T02")]["vibration_mm_s"].count == 59
    for hour in ("2026-03-10T03", "2026-03-10T04", "2026-03-10T05", "2026-03-10T06"):
        assert world.store.hours[(TENANT, LIFT_ID, hour)]["vibration_mm_s"].count == 60
    world.ingest.flush_all()  # what is still buffered is not lost to a reader asking after the hour
    assert world.store.hours[(TENANT, LIFT_ID, hour_of(world.clock.now().timestamp()))]


def test_a_change_is_written_at_once_even_while_the_mark_is_fresh() -> None:
    world = World()
    world.clock.advance(UPLOAD_INTERVAL_S)
    world.upload()
    world.clock.advance(UPLOAD_INTERVAL_S)  # the next upload: the mark is still fresh
    before = world.store.writes.count("state")

    world.upload(vibration=6.5)  # ten samples above 4.5 mm/s, longer than the rule's 10 s

    assert world.store.writes.count("state") > before
    assert [name for name, _ in world.events.published] == ["AlarmRaised"]


def test_a_steady_device_never_goes_offline_and_a_silent_one_does_within_the_window() -> None:
    world = World()
    last_upload = START
    for minute in range(1, 181):  # three hours: the job runs every minute, the device uploads every ten
        world.clock.advance(60)
        if minute % 10 == 0:
            world.upload()
            last_upload = world.clock.now()
        world.job.run()
    assert not world.offline_raised()

    silent_for = None
    for _ in range(70):  # then the device falls silent
        world.clock.advance(60)
        world.job.run()
        if world.offline_raised():
            silent_for = (world.clock.now() - last_upload).total_seconds()
            break

    assert silent_for is not None
    # Never before the rule's timeout; at worst the timeout plus the refresh interval (the job's bound).
    assert OFFLINE_AFTER_S <= silent_for <= OFFLINE_AFTER_S + REFRESH_S + 60
