"""EventBridge schedule expressions and the local scheduler, driven by a fake clock (no real waiting)."""

from __future__ import annotations

import re
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from infra.local.scheduler import (
    ScheduledJob,
    ScheduleError,
    Scheduler,
    SchedulerStats,
    parse_schedule,
)


def at(text: str) -> datetime:
    """'2024-01-01 10:00[:30]' as a UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self._now = now
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, **delta: float) -> datetime:
        with self._lock:
            self._now += timedelta(**delta)
            return self._now


class Fired:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()

    def __call__(self, function_id: str, event: dict[str, Any]) -> None:
        with self.lock:
            self.calls.append((function_id, event))


def job(
    expr: str, function_id: str = "ReportsFunction", name: str = "nightly", **options: Any
) -> ScheduledJob:
    return ScheduledJob(function_id=function_id, name=name, schedule=parse_schedule(expr), **options)


# ------------------------------------------------------------------------------------------- expressions


@pytest.mark.parametrize(
    ("expr", "after", "expected"),
    [
        ("rate(1 minute)", "2024-03-10 12:00:30", "2024-03-10 12:01:30"),
        ("rate(5 minutes)", "2024-03-10 12:00", "2024-03-10 12:05"),
        ("rate(1 hour)", "2024-03-10 23:30", "2024-03-11 00:30"),
        ("rate(12 hours)", "2024-03-10 18:00", "2024-03-11 06:00"),
        ("rate(1 day)", "2024-12-31 08:00", "2025-01-01 08:00"),
        ("rate(2 days)", "2024-02-28 06:00", "2024-03-01 06:00"),
    ],
)
def test_rate_next_after(expr: str, after: str, expected: str) -> None:
    assert parse_schedule(expr).next_after(at(after)) == at(expected)


@pytest.mark.parametrize(
    ("expr", "after", "expected"),
    [
        # AWS's documented examples
        ("cron(0 10 * * ? *)", "2024-01-01 09:59:59", "2024-01-01 10:00"),
        ("cron(0 10 * * ? *)", "2024-01-01 10:00", "2024-01-02 10:00"),  # strictly after
        ("cron(15 12 * * ? *)", "2024-12-31 12:15", "2025-01-01 12:15"),
        ("cron(0 18 ? * MON-FRI *)", "2024-01-05 18:00", "2024-01-08 18:00"),  # Friday -> Monday
        ("cron(0 8 1 * ? *)", "2024-01-01 08:00:01", "2024-02-01 08:00"),
        ("cron(0/15 * * * ? *)", "2024-01-01 00:44:59", "2024-01-01 00:45"),
        ("cron(0/10 * ? * MON-FRI *)", "2024-01-05 23:55", "2024-01-08 00:00"),
        ("cron(0/5 8-17 ? * MON-FRI *)", "2024-01-01 17:55", "2024-01-02 08:00"),
        ("cron(0 9 ? * 2#1 *)", "2024-01-01 09:00", "2024-02-05 09:00"),  # first Monday
        # every minute
        ("cron(* * * * ? *)", "2024-01-01 12:00", "2024-01-01 12:01"),
        ("cron(* * * * ? *)", "2024-01-01 12:00:59.999", "2024-01-01 12:01"),
        # day-of-week numbering 1=SUN .. 7=SAT, names, case
        ("cron(30 6 ? * SUN *)", "2024-01-01 00:00", "2024-01-07 06:30"),
        ("cron(30 6 ? * 1 *)", "2024-01-01 00:00", "2024-01-07 06:30"),
        ("cron(0 0 ? * 7 *)", "2024-01-01 00:00", "2024-01-06 00:00"),
        ("cron(0 0 ? jan mon *)", "2024-01-01 00:00", "2024-01-08 00:00"),
        # lists, month names
        ("cron(0 12 ? JAN,JUL MON *)", "2024-01-29 12:00", "2024-07-01 12:00"),
        ("cron(0 0 1 3,6,9,12 ? *)", "2024-03-01 00:00", "2024-06-01 00:00"),
        # ranges with increments, wrapping ranges
        ("cron(5-20/5 * * * ? *)", "2024-01-01 00:20", "2024-01-01 01:05"),
        ("cron(0 22-2 * * ? *)", "2024-01-01 02:00", "2024-01-01 22:00"),
        ("cron(0 22-2 * * ? *)", "2024-01-01 23:00", "2024-01-02 00:00"),
        ("cron(0 0 ? * FRI-MON *)", "2024-01-02 00:00", "2024-01-05 00:00"),
        # L: last day of the month, last <weekday> of the month
        ("cron(0 0 L * ? *)", "2024-02-01 00:00", "2024-02-29 00:00"),
        ("cron(0 0 L 2 ? *)", "2023-03-01 00:00", "2024-02-29 00:00"),
        ("cron(0 0 ? * 6L *)", "2024-01-01 00:00", "2024-01-26 00:00"),
        ("cron(0 0 ? * FRIL *)", "2024-01-27 00:00", "2024-02-23 00:00"),
        # W: nearest weekday without leaving the month
        ("cron(0 0 15W * ? *)", "2024-06-01 00:00", "2024-06-14 00:00"),  # Sat 15th -> Fri 14th
        ("cron(0 0 1W * ? *)", "2024-05-31 00:00", "2024-06-03 00:00"),  # Sat 1st -> Mon 3rd
        ("cron(0 0 31W * ? *)", "2024-03-01 00:00", "2024-03-29 00:00"),  # Sun 31st -> Fri 29th
        ("cron(0 0 31W * ? *)", "2024-03-30 00:00", "2024-05-31 00:00"),  # April has no 31st
        ("cron(0 0 LW * ? *)", "2024-08-01 00:00", "2024-08-30 00:00"),  # Sat 31st -> Fri 30th
        # #: n-th weekday of the month, skipping months without one
        ("cron(0 12 ? * 3#5 *)", "2024-01-01 00:00", "2024-01-30 12:00"),
        ("cron(0 12 ? * 3#5 *)", "2024-01-31 00:00", "2024-04-30 12:00"),
        # years
        ("cron(0 0 1 1 ? 2025-2026)", "2024-06-01 00:00", "2025-01-01 00:00"),
        ("cron(0 0 1 1 ? 2030)", "2024-06-01 00:00", "2030-01-01 00:00"),
        ("cron(0 0 29 FEB ? *)", "2024-02-29 00:00", "2028-02-29 00:00"),
    ],
)
def test_cron_next_after(expr: str, after: str, expected: str) -> None:
    assert parse_schedule(expr).next_after(at(after)) == at(expected)


def test_next_after_works_in_utc() -> None:
    schedule = parse_schedule("cron(0 3 * * ? *)")
    beijing = timezone(timedelta(hours=8))
    # 10:00 in Beijing is 02:00 UTC; a naive datetime is taken as UTC.
    assert schedule.next_after(datetime(2024, 1, 1, 10, 0, tzinfo=beijing)) == at("2024-01-01 03:00")
    assert schedule.next_after(datetime(2024, 1, 1, 3, 0)) == at("2024-01-02 03:00")
    assert schedule.next_after(datetime(2024, 1, 1, 3, 0)).tzinfo == UTC


def test_a_schedule_that_never_fires_again_raises() -> None:
    with pytest.raises(ScheduleError, match="never fires"):
        parse_schedule("cron(0 0 1 1 ? 2025-2026)").next_after(at("2026-01-01 00:00"))


@pytest.mark.parametrize(
    "expr",
    [
        "",
        "every 5 minutes",
        "rate()",
        "rate(1 minutes)",  # singular value, plural unit
        "rate(5 minute)",  # plural value, singular unit
        "rate(2 hour)",
        "rate(1 days)",
        "rate(0 minutes)",
        "rate(-1 minutes)",
        "rate(1.5 hours)",
        "rate(1 week)",
        "rate(5minutes)",
        "rate(5 Minutes)",
        "cron()",
        "cron(0 10 * * *)",  # 5 fields
        "cron(0 10 * * ? * *)",  # 7 fields
        "cron(0 10 * * * *)",  # neither day field is ?
        "cron(0 10 * * MON *)",
        "cron(0 10 ? * ? *)",  # both are ?
        "cron(? 10 * * ? *)",
        "cron(60 10 * * ? *)",
        "cron(0 24 * * ? *)",
        "cron(0 0 0 * ? *)",
        "cron(0 0 32 * ? *)",
        "cron(0 0 * 13 ? *)",
        "cron(0 0 * FOO ? *)",
        "cron(0 0 ? * 0 *)",
        "cron(0 0 ? * 8 *)",
        "cron(0 0 ? * FUN *)",
        "cron(0 0 * * ? 1969)",
        "cron(0 0 * * ? 2200)",
        "cron(0 0 * * ? 2026-2025)",
        "cron(0/0 * * * ? *)",
        "cron(0/x * * * ? *)",
        "cron(0 0 1,,2 * ? *)",
        "cron(0 0 ? * 2#6 *)",
        "cron(0 0 ? * 2#0 *)",
        "cron(0 0 L-3 * ? *)",
        "cron(0 0 32W * ? *)",
        "cron(a b c d e f)",
    ],
)
def test_invalid_expressions(expr: str) -> None:
    with pytest.raises(ScheduleError):
        parse_schedule(expr)


def test_schedule_error_is_a_value_error_with_the_expression() -> None:
    with pytest.raises(ValueError, match=re.escape("rate(1 minutes)")):
        parse_schedule("rate(1 minutes)")


# --------------------------------------------------------------------------------------------- scheduler

EVENT_KEYS = {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}


def test_fire_now_builds_and_delivers_the_scheduled_event() -> None:
    fired = Fired()
    clock = FakeClock(at("2024-05-01 12:34:56.789"))
    scheduler = Scheduler([job("rate(1 day)", name="ReportsNightly")], fired, clock)

    event = scheduler.fire_now("ReportsFunction")

    assert set(event) == EVENT_KEYS
    assert event["version"] == "0"
    assert uuid.UUID(event["id"])
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["account"] == "123456789012"
    assert event["region"] == "us-east-1"
    assert event["time"] == "2024-05-01T12:34:56Z"
    assert event["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/ReportsNightly"]
    assert event["detail"] == {}
    assert fired.calls == [("ReportsFunction", event)]
    assert scheduler.fire_now("ReportsFunction")["id"] != event["id"]


def test_fire_now_delivers_the_input_instead_when_given() -> None:
    fired = Fired()
    payload = {"task": "overdue-bills", "nested": {"days": 30}}
    scheduler = Scheduler([job("rate(1 hour)", input=payload)], fired, FakeClock(at("2024-05-01 00:00")))

    event = scheduler.fire_now("ReportsFunction")

    assert event == payload
    assert event is not payload  # a handler mutating its event must not change the template's input
    assert fired.calls == [("ReportsFunction", payload)]


def test_fire_now_fires_disabled_jobs_and_picks_by_name() -> None:
    fired = Fired()
    jobs = [
        job("rate(1 hour)", name="hourly", enabled=False),
        job("cron(0 3 * * ? *)", name="nightly", input={"which": "nightly"}),
    ]
    scheduler = Scheduler(jobs, fired, FakeClock(at("2024-05-01 00:00")))

    assert scheduler.fire_now("ReportsFunction", "hourly")["resources"][0].endswith("rule/hourly")
    assert scheduler.fire_now("ReportsFunction", "nightly") == {"which": "nightly"}
    with pytest.raises(ValueError, match="several schedules"):
        scheduler.fire_now("ReportsFunction")
    with pytest.raises(KeyError, match="no schedule named 'weekly'"):
        scheduler.fire_now("ReportsFunction", "weekly")
    assert len(fired.calls) == 2


def test_fire_now_for_an_unknown_function_raises_key_error() -> None:
    scheduler = Scheduler([job("rate(1 hour)")], Fired(), FakeClock(at("2024-05-01 00:00")))
    with pytest.raises(KeyError, match=r"no schedule for function 'PaymentsFunction'.*ReportsFunction"):
        scheduler.fire_now("PaymentsFunction")


def test_fire_now_propagates_delivery_errors() -> None:
    def broken(function_id: str, event: dict[str, Any]) -> None:
        raise RuntimeError("worker crashed")

    scheduler = Scheduler([job("rate(1 hour)")], broken, FakeClock(at("2024-05-01 00:00")))
    with pytest.raises(RuntimeError, match="worker crashed"):
        scheduler.fire_now("ReportsFunction")
    assert scheduler.stats().fire_errors == 1


def test_run_pending_fires_a_rate_job_each_minute_of_the_injected_clock() -> None:
    fired = Fired()
    clock = FakeClock(at("2024-05-01 08:00:00"))
    scheduler = Scheduler([job("rate(1 minute)", name="tick")], fired, clock)
    assert scheduler.next_due() == at("2024-05-01 08:01:00")

    assert scheduler.run_pending(clock.advance(seconds=59)) == []
    (event,) = scheduler.run_pending(clock.advance(seconds=1))
    assert event["time"] == "2024-05-01T08:01:00Z"
    assert scheduler.run_pending(clock.advance(seconds=59)) == []
    (event,) = scheduler.run_pending(clock.advance(seconds=1))
    assert event["time"] == "2024-05-01T08:02:00Z"
    assert [function_id for function_id, _ in fired.calls] == ["ReportsFunction", "ReportsFunction"]
    assert scheduler.stats().fires == 2


def test_run_pending_uses_the_clock_by_default_and_fires_cron_jobs_on_time() -> None:
    fired = Fired()
    clock = FakeClock(at("2024-05-01 02:59:30"))
    scheduler = Scheduler([job("cron(0 3 * * ? *)")], fired, clock)

    clock.advance(seconds=29)
    assert scheduler.run_pending() == []
    clock.advance(seconds=1)
    assert [event["time"] for event in scheduler.run_pending()] == ["2024-05-01T03:00:00Z"]
    assert scheduler.next_due() == at("2024-05-02 03:00")


def test_missed_firings_are_not_replayed() -> None:
    fired = Fired()
    clock = FakeClock(at("2024-05-01 08:00"))
    scheduler = Scheduler([job("rate(1 minute)")], fired, clock)

    events = scheduler.run_pending(clock.advance(minutes=10, seconds=30))
    assert [event["time"] for event in events] == ["2024-05-01T08:01:00Z"]
    assert scheduler.next_due() == at("2024-05-01 08:11:30")


def test_disabled_jobs_are_not_fired_by_the_timer() -> None:
    fired = Fired()
    clock = FakeClock(at("2024-05-01 08:00"))
    jobs = [job("rate(1 minute)", name="off", enabled=False), job("rate(5 minutes)", name="on")]
    scheduler = Scheduler(jobs, fired, clock)

    for _ in range(5):
        scheduler.run_pending(clock.advance(minutes=1))
    assert [event["resources"][0].rsplit("/", 1)[1] for _, event in fired.calls] == ["on"]


def test_a_failing_delivery_does_not_stop_the_other_jobs() -> None:
    delivered: list[str] = []

    def fire(function_id: str, event: dict[str, Any]) -> None:
        if function_id == "Broken":
            raise RuntimeError("worker crashed")
        delivered.append(function_id)

    clock = FakeClock(at("2024-05-01 08:00"))
    jobs = [job("rate(1 minute)", function_id="Broken"), job("rate(1 minute)", function_id="Healthy")]
    scheduler = Scheduler(jobs, fire, clock)

    assert len(scheduler.run_pending(clock.advance(minutes=1))) == 2
    assert delivered == ["Healthy"]
    assert scheduler.stats() == SchedulerStats(fires=2, fire_errors=1)
    assert scheduler.next_due() == at("2024-05-01 08:02")


def test_timer_thread_fires_when_the_injected_clock_moves() -> None:
    fired = Fired()
    clock = FakeClock(at("2024-05-01 08:00"))
    first = threading.Event()

    def fire(function_id: str, event: dict[str, Any]) -> None:
        fired(function_id, event)
        first.set()

    # A short max sleep lets the thread notice the fake clock's jumps without real minutes passing.
    scheduler = Scheduler([job("rate(1 minute)", input={"n": 1})], fire, clock, max_sleep_s=0.01)
    scheduler.start()
    try:
        time.sleep(0.05)
        assert fired.calls == []
        clock.advance(minutes=1)
        assert first.wait(5)
    finally:
        scheduler.stop()
    assert not scheduler.running
    assert fired.calls == [("ReportsFunction", {"n": 1})]


def test_stop_is_prompt_while_the_thread_sleeps_until_a_distant_firing() -> None:
    scheduler = Scheduler([job("rate(2 days)")], Fired())
    scheduler.start()
    assert scheduler.running
    thread = scheduler._thread
    assert thread is not None
    # The thread sleeps until a firing two days away: only a stop that wakes it lets it end in time.
    scheduler.stop(timeout_s=10)
    assert not thread.is_alive()
