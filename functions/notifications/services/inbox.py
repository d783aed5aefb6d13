"""A person's inbox: their messages newest first, the unread count, and read receipts (which feed the
notice's statistics). Every inbox is the caller's own: the user id comes from the token."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from courtyard.clock import Clock
from courtyard.dynamo import Page
from courtyard.errors import NotFound
from courtyard.tenancy import TenantContext
from notifications.models import InboxEntry


class Inbox(Protocol):
    """The inbox part of ``NotificationsRepository`` (in memory: tests/fakes/notifications.py)."""

    def inbox(self, tenant_id: str, user_id: str, limit: int, cursor: str | None) -> Page[InboxEntry]: ...
    def inbox_entry(self, tenant_id: str, user_id: str, message_id: str) -> InboxEntry | None: ...
    def unread(self, tenant_id: str, user_id: str) -> int: ...
    def mark_read(self, tenant_id: str, user_id: str, entry: InboxEntry, now: datetime) -> bool: ...


class InboxService:
    def __init__(self, repo: Inbox, clock: Clock) -> None:
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
