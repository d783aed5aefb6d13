"""A keypress of 1 on the emergency call does what tapping in the app does (issue 19's gap), on moto from
the provider's signed report to the other feature's table: the report stops the ladder and publishes
``EmergencyAcknowledged`` (through notifications' outbox); the bus routes it by its subject to the tickets'
reply queue, whose consumer accepts the SOS as the guard who pressed the key, or to the sensors'
acknowledgment queue, whose consumer acknowledges the alarm. A repeated report, a redelivered event or the
ladder's own echo (``TicketStatusChanged``) changes nothing more."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from courtyard.clock import FixedClock
from infra.local.provision import Stack
from infra.local.voice_persona import VoicePersona
from tests.factories import lambda_context
from tests.integration.api import requester
from tests.integration.notifications.conftest import Community, Pump, Reply, _record
from tests.integration.notifications.test_emergency_ladder import (
    HOLIDAY_3AM,
    PHONES,
    _earlier_messages,
    clock,
    world,
)
from tests.integration.notifications.test_events import publish
from tests.integration.notifications.test_voice_calls import (
    _care_alarm,
    _report,
    callback,
    in_care,
    phone_line,
)
from tests.integration.tickets.conftest import _ticket_route

__all__ = ["_earlier_messages", "clock", "phone_line", "world"]

Call = Callable[..., Reply]


@pytest.fixture
def consumers(function_env: Callable[[str], dict[str, str]], env: dict[str, str]) -> Iterator[Call]:
    """The tickets API (to file the SOS) and the two consumers' environments, beside notifications'."""
    for function_id in ("TicketsFunction", "TicketsRepliesFunction", "SensorsAcksFunction"):
        function_env(function_id)
    from sensors.wiring import wiring as sensors_wiring
    from tickets import handler
    from tickets.wiring import wiring as tickets_wiring

    tickets_wiring.reset()
    sensors_wiring.reset()
    yield requester(handler, _ticket_route)
    tickets_wiring.reset()
    sensors_wiring.reset()


def drain(stack: Stack, queue: str, handler: Any) -> list[dict[str, Any]]:
    """Every batch waiting on ``queue`` through ``handler`` (what its event source mapping would do): each
    handler's answer with how many records it was given (``delivered``); failed records stay queued."""
    sqs = boto3.client("sqs")
    url, arn = stack.ref(queue), stack.attr(queue, "Arn")
    results: list[dict[str, Any]] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        result = handler.lambda_handler({"Records": [_record(m, arn) for m in messages]}, lambda_context())
        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        for message in messages:
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        results.append({**result, "delivered": len(messages)})
        if failed:
            break
    return results


def file_sos(tickets: Call, world: Community) -> str:
    """The elder's one-tap SOS through the tickets API (its TicketCreated starts the ladder)."""
    filed = tickets("POST", "/tickets", as_=world.people["elder"], body={"kind": "sos"})
    assert filed.status == 201, filed.body
    return str(filed.body["ticket_id"])


def ticket(tickets: Call, world: Community, ticket_id: str) -> dict[str, Any]:
    reply = tickets("GET", f"/tickets/{ticket_id}", as_=world.people["desk"])
    assert reply.status == 200, reply.body
    return dict(reply.body)


def test_the_guards_keypress_accepts_the_elders_sos_as_tapping_accept_would(
    stack: Stack,
    pump: Pump,
    world: Community,
    clock: FixedClock,
    phone_line: VoicePersona,
    call: Call,
    consumers: Call,
) -> None:
    from tickets import replies_handler

    in_care(stack, world, "elder")
    sos = file_sos(consumers, world)
    pump()  # TicketCreated starts the ladder; a care-list unit's SOS phones at once
    assert {c.called_number for c in phone_line.calls()} >= {PHONES["night_guard"]}
    assert ticket(consumers, world, sos)["status"] != "accepted"

    body, headers = _report(phone_line, PHONES["night_guard"], clock)
    assert callback(call, body, headers["X-Voice-Signature"]).body["acknowledged"] == 1
    assert callback(call, body, headers["X-Voice-Signature"]).body["acknowledged"] == 0  # its retry
    (result,) = drain(stack, "TicketsReplyQueue", replies_handler)

    assert (result["delivered"], result["batchItemFailures"]) == (1, [])  # one event for two reports
    accepted = ticket(consumers, world, sos)
    assert accepted["status"] == "accepted"
    timeline = consumers("GET", f"/tickets/{sos}/timeline", as_=world.people["desk"]).body["timeline"]
    last = timeline[-1]
    assert (last["action"], last["note"]) == ("accept", "电话按1接单")
    assert last["actor"] == world.people["night_guard"].user_id
    # The ladder's echo (TicketStatusChanged) changes nothing: it keeps the keypress as its acknowledgment.
    pump()
    ladder = _ladder(stack, world, f"ticket#{sos}")
    assert (ladder["status"], ladder["acknowledged_by"]) == (
        "acknowledged",
        world.people["night_guard"].user_id,
    )


def test_a_redelivered_acknowledgment_accepts_nothing_twice(
    stack: Stack,
    pump: Pump,
    world: Community,
    clock: FixedClock,
    phone_line: VoicePersona,
    call: Call,
    consumers: Call,
) -> None:
    from tickets import replies_handler

    in_care(stack, world, "elder")
    sos = str(
        consumers("POST", "/tickets", as_=world.people["elder"], body={"kind": "sos"}).body["ticket_id"]
    )
    pump()
    body, headers = _report(phone_line, PHONES["night_guard"], clock)
    callback(call, body, headers["X-Voice-Signature"])
    sqs = boto3.client("sqs")
    queue = stack.ref("TicketsReplyQueue")
    (message,) = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    sqs.send_message(QueueUrl=queue, MessageBody=message["Body"])  # SQS delivers it twice
    sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)

    results = drain(stack, "TicketsReplyQueue", replies_handler)

    assert sum(r["delivered"] for r in results) == 2
    assert all(r["batchItemFailures"] == [] for r in results)
    timeline = consumers("GET", f"/tickets/{sos}/timeline", as_=world.people["desk"]).body["timeline"]
    assert [e["action"] for e in timeline].count("accept") == 1


def test_the_guards_keypress_acknowledges_the_active_alarm(
    stack: Stack,
    pump: Pump,
    world: Community,
    clock: FixedClock,
    phone_line: VoicePersona,
    call: Call,
    consumers: Call,
) -> None:
    from sensors import acks_handler, wiring

    in_care(stack, world, "elder")
    alarm_id = "ALARM-VOICE-ACK-1"
    wiring.internal_repository().open_alarm(_stored_alarm(world, alarm_id))
    publish(stack, _care_alarm(world, alarm_id))
    pump()

    body, headers = _report(phone_line, PHONES["night_guard"], clock)
    assert callback(call, body, headers["X-Voice-Signature"]).body["acknowledged"] == 1
    (result,) = drain(stack, "SensorsAcksQueue", acks_handler)
    assert result["batchItemFailures"] == []

    alarm = wiring.internal_repository().alarm(world.tenant_id, alarm_id, consistent=True)
    assert alarm is not None
    assert (alarm.status.value, alarm.acknowledged_by) == (
        "acknowledged",
        world.people["night_guard"].user_id,
    )
    assert drain(stack, "TicketsReplyQueue", object()) == []  # an alarm's acknowledgment is not the tickets'


def _ladder(stack: Stack, world: Community, key: str) -> dict[str, Any]:
    table = boto3.resource("dynamodb").Table(stack.ref("NotificationsTable"))
    item = table.get_item(
        Key={"pk": f"T#{world.tenant_id}#LADDER#{key}", "sk": "LADDER"}, ConsistentRead=True
    )
    return dict(item["Item"])


def _stored_alarm(world: Community, alarm_id: str) -> Any:
    """The alarm as the sensors' ingest stored it when it raised (active)."""
    from sensors.domain import AlarmStatus, Severity
    from sensors.lifecycle import Alarm

    at = HOLIDAY_3AM.isoformat().replace("+00:00", "Z")
    return Alarm(
        tenant_id=world.tenant_id, alarm_id=alarm_id, rule_id="R1", rule_name="烟感", device_id="D1",
        device_kind="smoke_detector", site_id=world.site_id, unit_id=world.units["a101"],
        severity=Severity.MAJOR, kind="threshold", status=AlarmStatus.ACTIVE, raised_at=at, last_at=at,
        raise_event_id="E1", published_at=at,
    )  # fmt: skip


def test_an_acknowledgment_whose_event_failed_to_go_out_is_sent_once_by_the_sweep(
    stack: Stack,
    pump: Pump,
    world: Community,
    clock: FixedClock,
    phone_line: VoicePersona,
    call: Call,
    consumers: Call,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from notifications import jobs_handler
    from tickets import replies_handler

    from courtyard.events import EventPublisher, FailedEvent, PublishFailed

    in_care(stack, world, "elder")
    sos = str(
        consumers("POST", "/tickets", as_=world.people["elder"], body={"kind": "sos"}).body["ticket_id"]
    )
    pump()
    body, headers = _report(phone_line, PHONES["night_guard"], clock)
    publish_many = EventPublisher.publish_many

    def bus_down(self: EventPublisher, events: Any) -> None:
        batch = list(events)
        raise PublishFailed([FailedEvent(d.event_id, t, "InternalFailure", "down") for t, d in batch])

    monkeypatch.setattr(EventPublisher, "publish_many", bus_down)
    assert callback(call, body, headers["X-Voice-Signature"]).status == 503  # committed, not sent: retry
    monkeypatch.setattr(EventPublisher, "publish_many", publish_many)
    assert drain(stack, "TicketsReplyQueue", replies_handler) == []

    clock.advance(minutes=3)
    jobs_handler.lambda_handler({"time": "now"}, lambda_context())  # the outbox sweep sends it
    assert [r["delivered"] for r in drain(stack, "TicketsReplyQueue", replies_handler)] == [1]
    assert ticket(consumers, world, sos)["status"] == "accepted"

    # The provider's late retry of the report: the ladder is acknowledged, nothing is left to send.
    assert callback(call, body, headers["X-Voice-Signature"]).body["acknowledged"] == 0
    assert drain(stack, "TicketsReplyQueue", replies_handler) == []


def test_a_retried_report_sends_the_event_its_first_attempt_could_not(
    stack: Stack,
    pump: Pump,
    world: Community,
    clock: FixedClock,
    phone_line: VoicePersona,
    call: Call,
    consumers: Call,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tickets import replies_handler

    from courtyard.events import EventPublisher, FailedEvent, PublishFailed

    in_care(stack, world, "elder")
    sos = str(
        consumers("POST", "/tickets", as_=world.people["elder"], body={"kind": "sos"}).body["ticket_id"]
    )
    pump()
    body, headers = _report(phone_line, PHONES["night_guard"], clock)
    publish_many = EventPublisher.publish_many

    def bus_down(self: EventPublisher, events: Any) -> None:
        raise PublishFailed([FailedEvent(d.event_id, t, "InternalFailure", "down") for t, d in list(events)])

    monkeypatch.setattr(EventPublisher, "publish_many", bus_down)
    assert callback(call, body, headers["X-Voice-Signature"]).status == 503
    monkeypatch.setattr(EventPublisher, "publish_many", publish_many)

    assert callback(call, body, headers["X-Voice-Signature"]).body["acknowledged"] == 0
    assert [r["delivered"] for r in drain(stack, "TicketsReplyQueue", replies_handler)] == [1]
    assert ticket(consumers, world, sos)["status"] == "accepted"
