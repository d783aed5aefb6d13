"""A person's inbox: their messages newest first, the unread count, and read receipts (which feed the
notice's statistics). Every inbox is the caller's own: the user id comes from the token."""

from __future__ import annotations

from courtyard.clock import Clock
from courtyard.dynamo import Page
from courtyard.errors import NotFound
from courtyard.tenancy import TenantContext
from notifications.models import InboxEntry
from notifications.repository import NotificationsRepository


class InboxService:
    def __init__(self, repo: NotificationsRepository, clock: Clock) -> None:
        self._repo = repo
        self._clock = clock

    def messages(self, ctx: TenantContext, limit: int, cursor: str | None) -> Page[InboxEntry]:
        return self._repo.inbox(ctx.tenant_id, ctx.user_id, limit, cursor)

    def unread(self, ctx: TenantContext) -> int:
        return self._repo.unread(ctx.tenant_id, ctx.user_id)

    def read(self, ctx: TenantContext, message_id: str) -> InboxEntry:
        """Mark read (idempotent: reading twice changes nothing the second time)."""
        entry = self._repo.inbox_entry(ctx.tenant_id, ctx.user_id, message_id)
        if entry is None:
            raise NotFound("message")
        if entry.read_at is not None:
            return entry
        now = self._clock.now()
        self._repo.mark_read(ctx.tenant_id, ctx.user_id, entry, now)  # the reach commits with the read
        updated = self._repo.inbox_entry(ctx.tenant_id, ctx.user_id, message_id)
        assert updated is not None
        return updated
