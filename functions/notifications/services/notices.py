"""Notices: managers and the service desk write them; the fan-out sends them (at once or at ``send_at``).

A notice is stored with its statistics item, a due entry and its audit record in one transaction; a notice
to send now also carries its fan-out command as a pending effect (``courtyard.outbox``), sent right after
the commit, or by the replay of the client's retry, or by the jobs' outbox sweep; the due entry stays the
last safety net that re-sends the command. Cancelling is possible until the fan-out starts.
"""

from __future__ import annotations

from datetime import timedelta

from courtyard.audit import AuditWriter
from courtyard.clock import Clock, parse_iso, to_iso
from courtyard.dynamo import Page
from courtyard.errors import Conflict, NotFound, Unprocessable
from courtyard.idempotency import KeyUse, same_request
from courtyard.ids import new_id
from courtyard.outbox import Outbox, QueueMessage
from courtyard.tenancy import Role, TenantContext
from notifications import keys
from notifications.audience import Directory, notice_audience
from notifications.domain import SAFETY_NET, NoticeStatus, Text
from notifications.models import (
    Audience,
    AudienceCountOut,
    Notice,
    NoticeCreate,
    NoticeStats,
    StatisticsOut,
)
from notifications.repository import NotificationsRepository, ttl_after

SENDERS = (Role.MANAGER, Role.SERVICE_DESK)
MAX_SCHEDULE_DAYS = 90


def fanout_command(tenant_id: str, notice_id: str) -> str:
    return f'{{"tenant_id": "{tenant_id}", "notice_id": "{notice_id}"}}'


class NoticeService:
    def __init__(
        self,
        repo: NotificationsRepository,
        directory: Directory,
        fanout_queue_url: str,
        audit: AuditWriter,
        clock: Clock,
        outbox: Outbox,
    ) -> None:
        self._repo = repo
        self._directory = directory
        self._fanout_queue_url = fanout_queue_url
        self._audit = audit
        self._clock = clock
        self._outbox = outbox

    def create(
        self, ctx: TenantContext, req: NoticeCreate, idempotency_key: str | None
    ) -> tuple[Notice, bool]:
        ctx.require(*SENDERS)
        t = ctx.tenant_id
        key = KeyUse.of(ctx.user_id, idempotency_key, req)
        if key is not None:
            replay = self._replay(t, key)
            if replay is not None:
                return replay, False
        if not self._directory.site_exists(t, req.audience.site_id):
            raise NotFound("site")
        now = self._clock.now()
        send_at = req.send_at or now
        if req.send_at is not None:
            if send_at < now - timedelta(minutes=1):
                raise Unprocessable("send_at is in the past")
            if send_at > now + timedelta(days=MAX_SCHEDULE_DAYS):
                raise Unprocessable(f"send_at is more than {MAX_SCHEDULE_DAYS} days ahead")
        immediate = req.send_at is None or send_at <= now
        notice = Notice(
            tenant_id=t,
            notice_id=new_id(),
            status=NoticeStatus.QUEUED if immediate else NoticeStatus.SCHEDULED,
            content={locale.value: Text(title=v.title, body=v.body) for locale, v in req.content.items()},
            audience=req.audience.model_dump(mode="json"),
            channels=tuple(req.channels),
            priority=req.priority,
            send_at=to_iso(send_at + SAFETY_NET if immediate else send_at),
            created_at=to_iso(now),
            created_by=ctx.user_id,
            marketing=req.marketing,
        )
        audit = self._audit.put_action(
            ctx, "notice.create", "notice", notice.notice_id, details={"channels": list(notice.channels)}
        )
        also = [audit]
        pending = None
        if immediate:
            command = QueueMessage(self._fanout_queue_url, fanout_command(t, notice.notice_id))
            pending = self._outbox.pending(keys.notice_partition(t, notice.notice_id), messages=[command])
            also.append(self._outbox.put_action(pending))
        try:
            self._repo.create_notice(notice, claim=key, claim_ttl=ttl_after(now, 1), also=also)
        except Conflict:
            if key is None:
                raise
            # A concurrent retry with the same key won the claim: answer as the retry it is.
            replay = self._replay(t, key)
            if replay is None:
                raise
            return replay, False
        if pending is not None:
            self._outbox.flush(pending)
        return notice, True

    def count(self, ctx: TenantContext, audience: Audience) -> AudienceCountOut:
        """The audience as the fan-out would expand it now, so the composer's count is the fan-out's own."""
        ctx.require(*SENDERS)
        if not self._directory.site_exists(ctx.tenant_id, audience.site_id):
            raise NotFound("site")
        recipients = notice_audience(self._directory, ctx.tenant_id, audience.model_dump(mode="json"))
        residents = sum(1 for r in recipients if r.kind == "resident")
        return AudienceCountOut(
            recipients=len(recipients), residents=residents, staff=len(recipients) - residents
        )

    def get(self, ctx: TenantContext, notice_id: str) -> tuple[Notice, StatisticsOut]:
        ctx.require(*SENDERS)
        found = self._repo.notice(ctx.tenant_id, notice_id)
        if found is None:
            raise NotFound("notice")
        notice, stats = found
        return notice, statistics(notice, stats)

    def list(self, ctx: TenantContext, limit: int, cursor: str | None) -> Page[Notice]:
        ctx.require(*SENDERS)
        return self._repo.notices(ctx.tenant_id, limit, cursor)

    def cancel(self, ctx: TenantContext, notice_id: str) -> Notice:
        ctx.require(*SENDERS)
        if self._repo.notice(ctx.tenant_id, notice_id) is None:
            raise NotFound("notice")
        notice = self._repo.cancel_notice(ctx.tenant_id, notice_id, to_iso(self._clock.now()))
        self._audit.record(ctx, "notice.cancel", "notice", notice_id)
        return notice

    def _replay(self, tenant_id: str, key: KeyUse) -> Notice | None:
        claimed = self._repo.claimed_notice(tenant_id, key.key_digest)
        if claimed is None:
            return None
        notice_id, request_digest = claimed
        same_request(key, request_digest)
        found = self._repo.notice(tenant_id, notice_id)
        if found is None:
            return None
        # A fan-out command the first attempt could not send after its commit goes out before the replay.
        self._outbox.flush_entity(keys.notice_partition(tenant_id, found[0].notice_id))
        return found[0]


def statistics(notice: Notice, stats: NoticeStats) -> StatisticsOut:
    """The notice's counters, and how long it took from the start of sending to reach 90% of recipients."""
    seconds = None
    if stats.reached_90_at and notice.sending_at:
        seconds = round((parse_iso(stats.reached_90_at) - parse_iso(notice.sending_at)).total_seconds(), 3)
    return StatisticsOut(
        recipients=stats.recipients,
        sent=stats.sent,
        failed=stats.failed,
        held=stats.held,
        read=stats.read,
        reached=stats.reached,
        reached_90_percent_at=stats.reached_90_at,
        time_to_90_percent_seconds=seconds,
    )
