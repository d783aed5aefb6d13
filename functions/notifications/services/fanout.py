"""The fan-out: a notice's audience expanded from the directory at send time, one delivery job per
recipient, enqueued in SQS batches of 10. Safe to run twice: message ids are derived from the notice and
the recipient (never from the clock), so a second run only re-enqueues jobs the sender recognises."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from courtyard.clock import Clock, parse_iso, to_iso
from courtyard.events import EventPublisher
from notifications.audience import Directory, notice_audience
from notifications.domain import SAFETY_NET, Category, Content, DeliveryJob, Recipient, message_id
from notifications.models import Notice
from notifications.repository import NotificationsRepository
from schemas.events import NoticePublished


class JobSink(Protocol):
    def send(self, bodies: Iterable[tuple[str, str]]) -> int: ...


@dataclass(frozen=True)
class FanoutReport:
    notice_id: str
    recipients: int
    batches: int
    skipped: str | None = None  # why nothing was sent (cancelled, already sent, unknown)


class FanoutService:
    def __init__(
        self,
        repo: NotificationsRepository,
        directory: Directory,
        jobs: JobSink,
        events: EventPublisher,
        clock: Clock,
    ) -> None:
        self._repo = repo
        self._directory = directory
        self._jobs = jobs
        self._events = events
        self._clock = clock

    def run(self, tenant_id: str, notice_id: str) -> FanoutReport:
        now = self._clock.now()
        found = self._repo.notice(tenant_id, notice_id)
        if found is None:
            return FanoutReport(notice_id, 0, 0, skipped="unknown notice")
        if found[0].status.value in ("sent", "cancelled"):
            return FanoutReport(notice_id, 0, 0, skipped=found[0].status.value)
        notice = self._repo.start_sending(tenant_id, notice_id, to_iso(now))
        if notice is None:
            return FanoutReport(notice_id, 0, 0, skipped="cancelled or sent meanwhile")
        recipients = notice_audience(self._directory, tenant_id, notice.audience)
        self._repo.set_recipients(tenant_id, notice_id, len(recipients))
        batches = self._jobs.send(
            (str(n % 10), job.model_dump_json()) for n, job in enumerate(notice_jobs(notice, recipients))
        )
        self._repo.finish_sending(tenant_id, notice_id, len(recipients), to_iso(self._clock.now()))
        self._events.publish(
            "NoticePublished",
            NoticePublished(
                tenant_id=tenant_id,
                occurred_at=self._clock.now(),
                notice_id=notice_id,
                priority=notice.priority.value,
                recipients=len(recipients),
            ),
        )
        return FanoutReport(notice_id, len(recipients), batches)


def notice_jobs(notice: Notice, recipients: Sequence[Recipient]) -> Iterable[DeliveryJob]:
    source = f"notice:{notice.notice_id}"
    at = message_time(notice)
    content = Content(variants=notice.content)
    for recipient in recipients:
        yield DeliveryJob(
            tenant_id=notice.tenant_id,
            message_id=message_id(source, recipient.key, at),
            source=source,
            notice_id=notice.notice_id,
            recipient=recipient,
            category=Category.NOTICE,
            priority=notice.priority,
            channels=notice.channels,
            content=content,
            created_at=to_iso(at),
            data={"notice_id": notice.notice_id},
            marketing=notice.marketing,
        )


def message_time(notice: Notice) -> datetime:
    """The time part of a notice's message ids: when it was meant to go out, fixed when it was written.

    Never the fan-out's clock (nor ``sending_at``, which that clock wrote): the outbox and the due entry can
    both run the fan-out, and the delivery claims a message by its id, so an id that moved with the clock
    would reach everyone twice. A notice to send now carries ``send_at`` = creation + the safety net (when
    the due entry re-sends the command); its messages are dated at its creation, a scheduled one's at its
    ``send_at``, so the inbox sorts them when people got them.
    """
    created, planned = parse_iso(notice.created_at), parse_iso(notice.send_at)
    return created if planned - created <= SAFETY_NET else planned
