import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from courtyard.events import (
    DomainEvent,
    EventPublisher,
    EventTooLarge,
    PublishFailed,
    validate_detail_type,
)
from courtyard.ids import is_ulid


class TicketCreated(DomainEvent):
    ticket_id: str
    note: str = ""


class FakeEvents:
    """PutEvents that fails chosen events (by event id) a given number of times."""

    def __init__(self, failures: dict[str, int] | None = None, code: str = "ThrottlingException") -> None:
        self.failures = dict(failures or {})
        self.code = code
        self.requests: list[list[dict[str, Any]]] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.requests.append(Entries)
        results: list[dict[str, Any]] = []
        for entry in Entries:
            event_id = json.loads(entry["Detail"])["event_id"]
            if self.failures.get(event_id, 0) > 0:
                self.failures[event_id] -= 1
                results.append({"ErrorCode": self.code, "ErrorMessage": "slow down"})
            else:
                results.append({"EventId": f"eb-{event_id}"})
        failed = sum(1 for r in results if "ErrorCode" in r)
        return {"FailedEntryCount": failed, "Entries": results}

    @property
    def sent_event_ids(self) -> list[str]:
        return [json.loads(e["Detail"])["event_id"] for request in self.requests for e in request]


def ticket(n: int = 0, note: str = "") -> TicketCreated:
    return TicketCreated(tenant_id="t1", ticket_id=f"ticket-{n}", note=note)


def publisher(client: FakeEvents, sleeps: list[float] | None = None) -> EventPublisher:
    recorded = sleeps if sleeps is not None else []
    return EventPublisher("courtyard-dev", "courtyard.tickets", client=client, sleep=recorded.append)


def test_domain_event_defaults_id_and_time():
    event = ticket()
    assert is_ulid(event.event_id)
    assert event.occurred_at.tzinfo is not None


def test_domain_event_serialises_time_as_utc_z():
    beijing = timezone(timedelta(hours=8))
    event = TicketCreated(tenant_id="t1", ticket_id="x", occurred_at=datetime(2026, 1, 2, 8, tzinfo=beijing))
    assert event.model_dump(mode="json")["occurred_at"] == "2026-01-02T00:00:00.000Z"
    assert event.occurred_at == datetime(2026, 1, 2, tzinfo=UTC)


def test_domain_event_refuses_naive_time_and_empty_tenant():
    with pytest.raises(ValidationError):
        TicketCreated(tenant_id="t1", ticket_id="x", occurred_at=datetime(2026, 1, 2))
    with pytest.raises(ValidationError):
        TicketCreated(tenant_id="", ticket_id="x")


@pytest.mark.parametrize(
    "name",
    [
        "TicketCreated",
        "TicketStatusChanged",
        "PaymentOverdue",
        "NoticeSent",
        "BillPaid",
        "Sensor2Reset",
        "ResidentMovedOut",  # a phrasal verb: the particle follows the past verb
    ],
)
def test_noun_past_verb_detail_types_are_accepted(name: str):
    assert validate_detail_type(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "ticketCreated",
        "Created",
        "TicketCreate",
        "ticket_created",
        "Ticket-Created",
        "TICKETCREATED",
        "",
        "ResidentMoveOut",
        "ResidentOut",
    ],
)
def test_other_detail_types_are_refused(name: str):
    with pytest.raises(ValueError, match="detail type"):
        validate_detail_type(name)


def test_source_must_be_a_courtyard_feature():
    with pytest.raises(ValueError, match="courtyard"):
        EventPublisher("bus", "tickets", client=FakeEvents())


def test_entry_carries_bus_source_type_detail_and_time():
    client = FakeEvents()
    event = ticket(1)
    publisher(client).publish("TicketCreated", event)
    [entry] = client.requests[0]
    assert entry["EventBusName"] == "courtyard-dev"
    assert entry["Source"] == "courtyard.tickets"
    assert entry["DetailType"] == "TicketCreated"
    assert json.loads(entry["Detail"]) == event.model_dump(mode="json")
    assert entry["Time"] == event.occurred_at


def test_events_go_in_batches_of_ten():
    client = FakeEvents()
    events = [ticket(n) for n in range(23)]
    publisher(client).publish_many([("TicketCreated", e) for e in events])
    assert [len(r) for r in client.requests] == [10, 10, 3]
    assert client.sent_event_ids == [e.event_id for e in events]


def test_batches_also_stay_under_the_request_size_limit():
    client = FakeEvents()
    big = [ticket(n, note="x" * 100_000) for n in range(5)]
    publisher(client).publish_many([("TicketCreated", e) for e in big])
    assert [len(r) for r in client.requests] == [2, 2, 1]


def test_only_failed_entries_are_retried():
    events = [ticket(n) for n in range(12)]
    client = FakeEvents(failures={events[3].event_id: 1, events[11].event_id: 2})
    sleeps: list[float] = []
    publisher(client, sleeps).publish_many([("TicketCreated", e) for e in events])
    sent = [[json.loads(e["Detail"])["event_id"] for e in r] for r in client.requests]
    ids = [e.event_id for e in events]
    assert sent == [ids[:10], [ids[3]], ids[10:], [ids[11]], [ids[11]]]
    assert sleeps == [0.1, 0.1, 0.2]


def test_entries_still_failing_after_retries_raise_publish_failed():
    events = [ticket(n) for n in range(3)]
    client = FakeEvents(failures={events[1].event_id: 99}, code="InternalFailure")
    with pytest.raises(PublishFailed) as caught:
        publisher(client).publish_many([("TicketCreated", e) for e in events])
    assert caught.value.event_ids == [events[1].event_id]
    assert caught.value.failures[0].error_code == "InternalFailure"
    assert len(client.requests) == 3  # the first attempt and two retries
    assert events[1].event_id in str(caught.value)


def test_an_oversized_event_fails_before_anything_is_sent():
    client = FakeEvents()
    events = [ticket(0), ticket(1, note="x" * 262_144)]
    with pytest.raises(EventTooLarge, match=events[1].event_id):
        publisher(client).publish_many([("TicketCreated", e) for e in events])
    assert client.requests == []


def test_a_bad_detail_type_fails_before_anything_is_sent():
    client = FakeEvents()
    with pytest.raises(ValueError, match="detail type"):
        publisher(client).publish_many([("TicketCreated", ticket(0)), ("CreateTicket", ticket(1))])
    assert client.requests == []


def test_publishing_nothing_makes_no_request():
    client = FakeEvents()
    publisher(client).publish_many([])
    assert client.requests == []
