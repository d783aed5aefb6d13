"""One contract, two inboxes: the in-memory inbox the unit tests use (``tests.fakes.notifications``) and the
moto-backed ``NotificationsRepository`` keep the same promises, so the fake cannot drift from the table."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from notifications.domain import Text
from notifications.services.inbox import Inbox

from courtyard.clock import to_iso
from tests.fakes.notifications import InMemoryInbox, notice_entry

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
# ULIDs of increasing time: the inbox lists them newest first.
MESSAGES = [f"01KMSG{n:020d}" for n in range(1, 6)]

Deliver = Callable[[str, str, str], object]


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> tuple[Inbox, Deliver]:
    if request.param == "memory":
        fake = InMemoryInbox()
        return fake, lambda tenant_id, user_id, message_id: fake.deliver(
            tenant_id, user_id, notice_entry(message_id, to_iso(NOW))
        )
    request.getfixturevalue("env")  # the notifications functions' environment on moto
    from notifications import wiring
    from notifications.repository import NotificationsRepository

    repo = NotificationsRepository(wiring.api_table())

    def deliver(tenant_id: str, user_id: str, message_id: str) -> None:
        entry = notice_entry(message_id, to_iso(NOW))
        repo.create_message(
            tenant_id=tenant_id,
            message_id=message_id,
            source="test",
            recipient_key=f"user:{user_id}",
            notice_id=None,
            user_id=user_id,
            text=Text(title=entry.title, body=entry.body),
            category=entry.category,
            priority=entry.priority,
            data={},
            queued=[],
            skipped={},
            now=NOW,
            ttl=2_000_000_000,
        )

    return repo, deliver


def test_entries_list_newest_first_page_by_page(store: tuple[Inbox, Deliver]) -> None:
    inbox, deliver = store
    for message_id in MESSAGES:
        deliver("t1", "u1", message_id)

    first = inbox.inbox("t1", "u1", 3, None)
    second = inbox.inbox("t1", "u1", 3, first.next_cursor)

    assert [e.message_id for e in first.items] == MESSAGES[::-1][:3]
    assert first.next_cursor is not None
    assert [e.message_id for e in second.items] == MESSAGES[::-1][3:]
    assert second.next_cursor is None


def test_each_delivery_counts_one_unread(store: tuple[Inbox, Deliver]) -> None:
    inbox, deliver = store
    deliver("t1", "u1", MESSAGES[0])
    deliver("t1", "u1", MESSAGES[1])

    assert inbox.unread("t1", "u1") == 2
    assert inbox.unread("t1", "u2") == 0


def test_a_read_is_marked_once_and_counted_once(store: tuple[Inbox, Deliver]) -> None:
    inbox, deliver = store
    deliver("t1", "u1", MESSAGES[0])
    deliver("t1", "u1", MESSAGES[1])
    entry = inbox.inbox_entry("t1", "u1", MESSAGES[0])
    assert entry is not None

    first = inbox.mark_read("t1", "u1", entry, NOW)
    again = inbox.mark_read("t1", "u1", entry, NOW)

    assert (first, again) == (True, False)
    assert inbox.unread("t1", "u1") == 1
    read = inbox.inbox_entry("t1", "u1", MESSAGES[0])
    assert read is not None
    assert read.read_at == to_iso(NOW)


def test_another_persons_and_another_tenants_inbox_are_not_reachable(store: tuple[Inbox, Deliver]) -> None:
    inbox, deliver = store
    deliver("t1", "u1", MESSAGES[0])

    assert inbox.inbox_entry("t1", "u2", MESSAGES[0]) is None
    assert inbox.inbox_entry("t2", "u1", MESSAGES[0]) is None
    assert inbox.inbox("t2", "u1", 10, None).items == []
    assert inbox.unread("t2", "u1") == 0
