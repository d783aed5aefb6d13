"""Notifications' inbox in memory (``notifications.services.inbox.Inbox``): entries newest first (message ids
are ULIDs, so the table's descending sort key order), an unread count per person, a read marked once."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from notifications.domain import Category, Priority
from notifications.models import InboxEntry

from courtyard.clock import to_iso
from courtyard.dynamo import Page


def notice_entry(message_id: str, created_at: str, notice_id: str | None = None) -> InboxEntry:
    """An unread notice in a person's inbox (the tests' arrange step)."""
    return InboxEntry(
        message_id=message_id,
        title="停水通知",
        body="3月12日 9:00-12:00 停水",
        category=Category.NOTICE,
        priority=Priority.NORMAL,
        created_at=created_at,
        read_at=None,
        notice_id=notice_id,
        data={},
    )


@dataclass
class InMemoryInbox:
    # (tenant, user) -> message id -> entry
    entries: dict[tuple[str, str], dict[str, InboxEntry]] = field(default_factory=dict)
    unread_counts: dict[tuple[str, str], int] = field(default_factory=dict)

    def deliver(self, tenant_id: str, user_id: str, entry: InboxEntry) -> bool:
        """What ``create_message`` writes for the inbox: the entry and one more unread; once per message."""
        box = self.entries.setdefault((tenant_id, user_id), {})
        if entry.message_id in box:
            return False
        box[entry.message_id] = entry
        self.unread_counts[(tenant_id, user_id)] = self.unread_counts.get((tenant_id, user_id), 0) + 1
        return True

    def inbox(self, tenant_id: str, user_id: str, limit: int, cursor: str | None) -> Page[InboxEntry]:
        newest_first = sorted(self.entries.get((tenant_id, user_id), {}).values(), key=lambda e: e.message_id)
        newest_first.reverse()
        if cursor is not None:  # the last message id of the previous page
            newest_first = [e for e in newest_first if e.message_id < cursor]
        items = newest_first[:limit]
        more = len(newest_first) > limit
        return Page(items, items[-1].message_id if more else None)

    def inbox_entry(self, tenant_id: str, user_id: str, message_id: str) -> InboxEntry | None:
        return self.entries.get((tenant_id, user_id), {}).get(message_id)

    def unread(self, tenant_id: str, user_id: str) -> int:
        return max(0, self.unread_counts.get((tenant_id, user_id), 0))

    def mark_read(self, tenant_id: str, user_id: str, entry: InboxEntry, now: datetime) -> bool:
        current = self.inbox_entry(tenant_id, user_id, entry.message_id)
        if current is None or current.read_at is not None:
            return False
        self.entries[(tenant_id, user_id)][entry.message_id] = replace(current, read_at=to_iso(now))
        self.unread_counts[(tenant_id, user_id)] = self.unread_counts.get((tenant_id, user_id), 0) - 1
        return True
