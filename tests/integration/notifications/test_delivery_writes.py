"""The sender's write pattern on moto, metered in DynamoDB write units (issue 18: writes that earn their
cost): a delivery step of a message of no notice is one conditional UpdateItem (1 WRU, not a 2x
transaction), a notice's message still counts its send and its reach once in one transaction, and a
repeated step changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from notifications import keys
from notifications.domain import Category, Channel, DeliveryStatus, Priority, Text
from notifications.repository import NotificationsRepository

from courtyard.cursor import CursorCodec
from courtyard.table import Table
from infra.local.ddb_units import UnitMeter
from infra.local.provision import Stack

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
T = "t-writes"


@dataclass
class Metered:
    repo: NotificationsRepository
    meter: UnitMeter
    table: str

    def units(self) -> dict[str, float]:
        """The table's write units since the last look, by operation kind (``wop:``/``wix:`` counters)."""
        taken = self.meter.take()
        return {k.rsplit(":", 1)[1]: v for k, v in taken.items() if k.startswith(("wop:", "wix:"))}


@pytest.fixture
def metered(stack: Stack) -> Metered:
    name = stack.ref("NotificationsTable")
    meter = UnitMeter(client=boto3.client("dynamodb"))  # its own reads are not metered
    session = boto3.session.Session()
    meter.install(session.events)
    table = Table(name, CursorCodec(b"k" * 32), client=session.client("dynamodb"))
    return Metered(NotificationsRepository(table), meter, name)


def create(repo: NotificationsRepository, message_id: str, notice_id: str | None) -> None:
    created = repo.create_message(
        tenant_id=T,
        message_id=message_id,
        source="ticket.updated" if notice_id is None else "notice",
        recipient_key="resident#p1",
        notice_id=notice_id,
        user_id="u1",
        text=Text(title="报修进展", body="师傅已接单"),
        category=Category.TICKET if notice_id is None else Category.NOTICE,
        priority=Priority.NORMAL,
        data={},
        queued=[Channel.PUSH, Channel.SMS],
        skipped={},
        now=NOW,
        ttl=2_000_000_000,
    )
    assert created


def sent(repo: NotificationsRepository, message_id: str, notice_id: str | None, channel: Channel) -> bool:
    return repo.mark_delivery(
        T, message_id, notice_id, channel, DeliveryStatus.SENT, NOW, provider_id="p-1", reach=True
    )


def test_a_delivery_step_of_a_message_of_no_notice_is_one_conditional_update(metered: Metered):
    create(metered.repo, "m1", None)
    metered.units()
    assert sent(metered.repo, "m1", None, Channel.PUSH)
    assert metered.units() == {"UpdateItem": 1.0}  # was a transaction with the head's reach: 4 WRU
    state = metered.repo.message_state(T, "m1")
    assert state.deliveries[Channel.PUSH].status is DeliveryStatus.SENT
    assert state.deliveries[Channel.SMS].status is DeliveryStatus.QUEUED
    # A redelivered job's repeated step: its condition fails, nothing changes (billed as a failed write).
    assert not sent(metered.repo, "m1", None, Channel.PUSH)
    assert metered.units() == {"UpdateItem failed": 1.0}
    failed = metered.repo.mark_delivery(T, "m1", None, Channel.PUSH, DeliveryStatus.FAILED, NOW, reason="x")
    assert not failed
    assert metered.repo.message_state(T, "m1").deliveries[Channel.PUSH].status is DeliveryStatus.SENT


def test_a_notices_message_counts_its_send_and_reach_once_in_one_transaction(metered: Metered):
    create(metered.repo, "m2", "n1")
    metered.units()
    assert sent(metered.repo, "m2", "n1", Channel.PUSH)
    units = metered.units()
    assert set(units) == {"Transact.Update"}  # delivery record, head's reach, the notice's counters
    assert sent(metered.repo, "m2", "n1", Channel.SMS)  # already reached: only the send is counted
    assert not sent(metered.repo, "m2", "n1", Channel.PUSH)  # a repeat counts nothing
    stats: dict[str, Any] = (
        boto3.resource("dynamodb").Table(metered.table).get_item(Key=keys.notice_stats(T, "n1"))["Item"]
    )
    assert (stats["reached"], stats["sent_push"], stats["sent_sms"]) == (1, 1, 1)


def test_a_message_is_claimed_with_what_it_counts_and_its_records_are_written_outside_the_transaction(
    metered: Metered,
):
    create(metered.repo, "m3", None)
    # Three delivery records (inbox sent, push and SMS queued) at 1 WRU each; head, inbox entry and the
    # unread count in one transaction (2 WRU each). All of it in the transaction was 12 WRU.
    assert metered.units() == {"PutItem": 3.0, "Transact.Put": 4.0, "Transact.Update": 2.0}
    assert metered.repo.unread(T, "u1") == 1


def test_a_duplicate_job_that_missed_the_claim_resets_nothing_and_counts_nothing(metered: Metered):
    create(metered.repo, "m4", "n4")
    assert sent(metered.repo, "m4", "n4", Channel.PUSH)
    # A duplicate of the job read the message before the claim and now writes it too: every record
    # exists (kept as it is) and the claim is taken (False).
    again = metered.repo.create_message(
        tenant_id=T,
        message_id="m4",
        source="notice",
        recipient_key="resident#p1",
        notice_id="n4",
        user_id="u1",
        text=Text(title="通知", body="正文"),
        category=Category.NOTICE,
        priority=Priority.NORMAL,
        data={},
        queued=[Channel.PUSH, Channel.SMS, Channel.EMAIL],
        skipped={},
        now=NOW,
        ttl=2_000_000_000,
    )
    assert not again
    state = metered.repo.message_state(T, "m4")
    assert state.deliveries[Channel.PUSH].status is DeliveryStatus.SENT
    assert metered.repo.unread(T, "u1") == 1
    stats = boto3.resource("dynamodb").Table(metered.table).get_item(Key=keys.notice_stats(T, "n4"))["Item"]
    assert (stats["sent_inbox"], stats["sent_push"]) == (1, 1)


def test_a_claim_that_failed_after_the_records_is_taken_by_the_retry(
    metered: Metered, monkeypatch: pytest.MonkeyPatch
):
    """A failure between the records and the claim: the retry writes nothing over them and claims."""
    table = metered.repo._table  # the claim's transaction fails once, as a crash would
    real = table.transact

    def crash(actions: Any, conflict: str = "") -> None:
        raise RuntimeError("the function timed out")

    monkeypatch.setattr(table, "transact", crash)
    with pytest.raises(RuntimeError):
        create(metered.repo, "m5", None)
    state = metered.repo.message_state(T, "m5")
    assert not state.exists
    assert set(state.deliveries) == {Channel.INBOX, Channel.PUSH, Channel.SMS}
    assert metered.repo.unread(T, "u1") == 0
    monkeypatch.setattr(table, "transact", real)
    create(metered.repo, "m5", None)
    assert metered.repo.message_state(T, "m5").exists
    assert metered.repo.unread(T, "u1") == 1
