"""Scheduled jobs drain what is due (courtyard.drain, issue 18): every page of every shard, lazily, and each
job stops to hand over when its invocation is short of time. Fakes stand in for the repositories; the
repositories' own paging is tested on moto (tests/integration/kernel/test_due_drains_moto.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from courtyard.clock import FixedClock
from courtyard.drain import out_of_time, shard_pages

NOW = datetime(2026, 3, 10, 23, 0, tzinfo=UTC)


class Context:
    def __init__(self, left_ms: int) -> None:
        self.left_ms = left_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.left_ms


def after(n: int) -> Any:
    """An ``out_of_time`` that turns true after it has said "go on" ``n`` times (a fake remaining time)."""
    calls = {"n": 0}

    def short() -> bool:
        calls["n"] += 1
        return calls["n"] > n

    return short


def test_pages_are_taken_round_robin_until_every_shard_ends():
    pages = {0: [[1, 2], [3]], 1: [[10]], 2: []}
    fetched: list[int] = []

    def fetch(shard: int, start: Any) -> tuple[list[int], Any]:
        fetched.append(shard)
        index = start or 0
        chunks = pages[shard]
        items = chunks[index] if index < len(chunks) else []
        return items, (index + 1 if index + 1 < len(chunks) else None)

    assert list(shard_pages(fetch, 3)) == [1, 2, 10, 3]
    assert fetched == [0, 1, 2, 0]


def test_a_consumer_that_stops_reads_no_further_page():
    fetched: list[int] = []

    def fetch(shard: int, start: Any) -> tuple[list[int], Any]:
        fetched.append(shard)
        return [shard], "more"  # never ends

    taken = shard_pages(fetch, 4)
    assert [next(taken) for _ in range(6)] == [0, 1, 2, 3, 0, 1]
    assert len(fetched) == 6


def test_time_is_short_only_within_the_reserve_of_a_real_context():
    assert out_of_time(Context(4_999))()
    assert not out_of_time(Context(5_001))()
    assert not out_of_time(None)()


# ------------------------------------------------------------------ tickets: old cap 8 shards x 25 = 200/min
class TicketStore:
    def __init__(self, n: int) -> None:
        from tickets.services.jobs import DueRef

        self.refs = [DueRef("t1", f"tk{i}") for i in range(n)]

    def due(self, now: datetime, per_shard: int) -> Iterator[Any]:
        return iter(self.refs)

    def load(self, tenant_id: str, ticket_id: str) -> None:
        return None  # no longer due: skipped, counted as looked at


def _tickets(n: int) -> Any:
    from tickets.services.jobs import TicketJobs

    return TicketJobs(TicketStore(n), None, None, None, FixedClock(NOW))  # type: ignore[arg-type]


def test_the_tickets_job_takes_every_due_ticket_beyond_the_old_cap_in_one_run():
    assert _tickets(450).run(NOW).due == 450


def test_the_tickets_job_hands_over_when_time_is_short():
    assert _tickets(450).run(NOW, out_of_time=after(120)).due == 120


# ------------------------------------------------------------------ notifications: old cap 4 x 100 = 400/min
class NotificationsRepo:
    def __init__(self, n: int) -> None:
        from notifications.repository import DueEntry

        self.entries = [DueEntry("t1", "notice", f"n{i}", NOW.isoformat(), None) for i in range(n)]

    def due(self, now: datetime, per_shard: int = 100) -> Iterator[Any]:
        return iter(self.entries)


class Sink:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, bodies: Any) -> int:
        self.sent.extend(bodies)
        return len(self.sent)


def _notifications(n: int) -> tuple[Any, Sink]:
    from notifications.services.jobs import DueJobs

    sink = Sink()
    return DueJobs(NotificationsRepo(n), sink, None, FixedClock(NOW)), sink  # type: ignore[arg-type]


def test_the_notifications_job_sends_every_due_notice_beyond_the_old_cap_in_one_run():
    jobs, sink = _notifications(950)
    assert jobs.run().notices == 950
    assert len(sink.sent) == 950


def test_the_notifications_job_hands_over_between_batches_when_time_is_short():
    jobs, sink = _notifications(950)
    assert jobs.run(after(2)).notices == 200  # two batches of 100, then the time check says stop
    assert len(sink.sent) == 200


# ------------------------------------------------------------------ reminders: old cap 8 x 500 = 4,000/h
class PaymentsRepo:
    def __init__(self, n: int) -> None:
        self.bills = [("gone-tenant", f"b{i}") for i in range(n)]

    def due_bills(self, until: str, page_size: int = 500) -> Iterator[tuple[str, str]]:
        return iter(self.bills)


class NoTenants:
    def tenant(self, tenant_id: str) -> None:
        return None


def _reminders(n: int) -> Any:
    from payments.services.jobs import PaymentJobs

    return PaymentJobs(PaymentsRepo(n), NoTenants(), None, None, None, FixedClock(NOW))  # type: ignore[arg-type]


def test_the_reminders_job_looks_at_every_due_bill_beyond_the_old_cap_in_one_run():
    assert _reminders(4_500).remind().skipped == 4_500  # the tenant is gone: each bill looked at, skipped


def test_the_reminders_job_hands_over_when_time_is_short():
    assert _reminders(4_500).remind(after(1_000)).skipped == 1_000


# ------------------------------------------------------------------ heartbeat: old cap 8 x 200 = 1,600/min
class SensorsRepo:
    def __init__(self, n: int) -> None:
        from sensors.repository import DueDevice, StoredState

        self.devices = [DueDevice("t1", f"d{i}") for i in range(n)]
        self.stored = StoredState({}, {}, None, 1)
        self.saved = 0

    def due_devices(self, now: datetime, per_shard: int) -> Iterator[Any]:
        return iter(self.devices)

    def device(self, tenant_id: str, device_id: str, consistent: bool = False) -> None:
        return None  # removed: its deadline is cleared

    def state(self, tenant_id: str, device_id: str) -> Any:
        return self.stored

    def save_state(self, *args: Any) -> int:
        self.saved += 1
        return 2


def _heartbeat(n: int) -> tuple[Any, SensorsRepo]:
    from sensors.services.heartbeat import HeartbeatJob

    repo = SensorsRepo(n)
    return HeartbeatJob(repo, None, FixedClock(NOW), refresh_s=900), repo  # type: ignore[arg-type]


def test_the_heartbeat_job_looks_at_every_due_device_beyond_the_old_cap_in_one_run():
    job, repo = _heartbeat(2_000)
    assert job.run().looked_at == 2_000
    assert repo.saved == 2_000


def test_the_heartbeat_job_hands_over_when_time_is_short():
    job, repo = _heartbeat(2_000)
    assert job.run(after(700)).looked_at == 700
    assert repo.saved == 700
