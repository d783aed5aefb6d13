"""The notifications functions' collaborators, built once per cold start (tests swap the clock and reset)."""

from __future__ import annotations

import secrets
from functools import lru_cache

from courtyard.audit import AuditWriter
from courtyard.clock import Clock, SystemClock
from courtyard.crypto import FieldCipher
from courtyard.cursor import CursorCodec, load_cursor_secret
from courtyard.directory import DirectoryReader
from courtyard.events import EventPublisher
from courtyard.outbox import Outbox
from courtyard.table import Table
from notifications.channels_repository import EmailSender, JobQueue, PushRegistry, PushSender, SmsSender
from notifications.delivery import DeliveryService
from notifications.fanout import FanoutService
from notifications.inbox import InboxService
from notifications.intake import EventIntake
from notifications.jobs import DueJobs
from notifications.me import MeService
from notifications.notices import NoticeService
from notifications.repository import NotificationsRepository
from notifications.routing import Lanes
from notifications.settings import NotificationsSettings, settings

SOURCE = "courtyard.notifications"
_clock_override: list[Clock] = []


def config() -> NotificationsSettings:
    return settings()


def use_clock(clock: Clock | None) -> None:
    """Tests inject a FixedClock here; None returns to the wall clock."""
    _clock_override.clear()
    if clock is not None:
        _clock_override.append(clock)
    reset()


@lru_cache(maxsize=1)
def clock() -> Clock:
    return _clock_override[0] if _clock_override else SystemClock()


@lru_cache(maxsize=1)
def audit() -> AuditWriter:
    return AuditWriter(config().audit_table, config().audit_retention_days, clock())


@lru_cache(maxsize=1)
def events() -> EventPublisher:
    return EventPublisher(config().event_bus_name, SOURCE)


@lru_cache(maxsize=1)
def reader() -> DirectoryReader:
    return DirectoryReader(config().directory_table)


@lru_cache(maxsize=1)
def api_table() -> Table:
    return Table(config().notifications_table, CursorCodec(load_cursor_secret(config().cursor_secret_arn)))


@lru_cache(maxsize=1)
def worker_table() -> Table:
    # Workers write no list cursors: a per-process key spares them the cursor secret (and its IAM grant).
    return Table(config().notifications_table, CursorCodec(secrets.token_bytes(32)))


@lru_cache(maxsize=1)
def fanout_queue() -> JobQueue:
    return JobQueue(config().fanout_queue_url)


@lru_cache(maxsize=1)
def delivery_queue() -> JobQueue:
    return JobQueue(config().delivery_queue_url)


@lru_cache(maxsize=1)
def priority_queue() -> JobQueue:
    return JobQueue(config().priority_queue_url)


def lanes() -> Lanes:
    return Lanes(delivery_queue(), priority_queue())


def queue_of(source_arn: str) -> JobQueue:
    """The delivery queue a record came from (its ARN ends with the queue's name, as its URL does)."""
    name = source_arn.rsplit(":", 1)[-1]
    for queue in (priority_queue(), delivery_queue()):
        if queue.queue_url.rstrip("/").rsplit("/", 1)[-1] == name:
            return queue
    return delivery_queue()


@lru_cache(maxsize=1)
def notices() -> NoticeService:
    return NoticeService(
        NotificationsRepository(api_table()),
        reader(),
        config().fanout_queue_url,
        audit(),
        clock(),
        Outbox(api_table(), clock()),
    )


@lru_cache(maxsize=1)
def outbox_sweeper() -> Outbox:
    """The jobs' view of the pending fan-out commands (``courtyard.outbox``)."""
    return Outbox(worker_table(), clock())


@lru_cache(maxsize=1)
def inbox() -> InboxService:
    return InboxService(NotificationsRepository(api_table()), clock())


@lru_cache(maxsize=1)
def me() -> MeService:
    registry = PushRegistry(
        {"fcm": config().push_fcm_application_arn, "apns": config().push_apns_application_arn}
    )
    return MeService(NotificationsRepository(api_table()), reader(), registry, audit(), clock())


@lru_cache(maxsize=1)
def fanout() -> FanoutService:
    return FanoutService(
        NotificationsRepository(worker_table()), reader(), delivery_queue(), events(), clock()
    )


@lru_cache(maxsize=1)
def intake() -> EventIntake:
    return EventIntake(reader(), lanes())


@lru_cache(maxsize=1)
def sender() -> DeliveryService:
    return DeliveryService(
        NotificationsRepository(worker_table()),
        reader(),
        FieldCipher(config().pii_key_id),
        EmailSender(config().email_from),
        SmsSender(config().sms_sender_id),
        PushSender(),
        audit(),
        clock(),
        sms_daily_cap=config().sms_daily_cap,
        retention_days=config().inbox_retention_days,
    )


@lru_cache(maxsize=1)
def due_jobs() -> DueJobs:
    return DueJobs(NotificationsRepository(worker_table()), fanout_queue(), lanes(), clock())


def reset() -> None:
    """Forget every collaborator (tests switch environments between cases)."""
    for factory in (
        clock, audit, events, reader, api_table, worker_table, fanout_queue, delivery_queue,
        priority_queue, notices, outbox_sweeper, inbox, me, fanout, intake, sender, due_jobs,
    ):  # fmt: skip
        factory.cache_clear()
    settings.cache_clear()
