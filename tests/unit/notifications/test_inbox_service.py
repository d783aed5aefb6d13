"""A person's inbox (``notifications.services.inbox``) on the in-memory inbox: their own messages only,
newest first, and a read counted once however often it is sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from notifications.services.inbox import InboxService

from courtyard.clock import FixedClock, to_iso
from courtyard.errors import NotFound
from courtyard.tenancy import Role, TenantContext
from tests.fakes.notifications import InMemoryInbox, notice_entry

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
WANG = TenantContext(tenant_id="t1", user_id="wang", roles=frozenset({Role.RESIDENT}))
LI = TenantContext(tenant_id="t1", user_id="li", roles=frozenset({Role.RESIDENT}))
WANG_ELSEWHERE = TenantContext(tenant_id="t2", user_id="wang", roles=frozenset({Role.RESIDENT}))


@pytest.fixture
def inbox() -> InMemoryInbox:
    box = InMemoryInbox()
    for message_id in ("01KMSGA", "01KMSGB", "01KMSGC"):
        box.deliver("t1", "wang", notice_entry(message_id, to_iso(NOW), "n1"))
    return box


def test_a_person_sees_their_messages_newest_first(inbox: InMemoryInbox) -> None:
    service = InboxService(inbox, FixedClock(NOW))

    page = service.messages(WANG, 10, None)

    assert [e.message_id for e in page.items] == ["01KMSGC", "01KMSGB", "01KMSGA"]
    assert service.unread(WANG) == 3


def test_reading_marks_the_message_read_at_the_clocks_time_and_counts_once(inbox: InMemoryInbox) -> None:
    clock = FixedClock(NOW)
    service = InboxService(inbox, clock)

    read = service.read(WANG, "01KMSGB")
    clock.set(NOW + timedelta(hours=1))
    again = service.read(WANG, "01KMSGB")

    assert read.read_at == to_iso(NOW)
    assert again.read_at == to_iso(NOW)  # the second read changes nothing
    assert service.unread(WANG) == 2


def test_another_persons_or_another_firms_message_is_not_found(inbox: InMemoryInbox) -> None:
    service = InboxService(inbox, FixedClock(NOW))

    with pytest.raises(NotFound):
        service.read(LI, "01KMSGA")
    with pytest.raises(NotFound):
        service.read(WANG_ELSEWHERE, "01KMSGA")
    assert service.messages(LI, 10, None).items == []
    assert service.unread(WANG) == 3
