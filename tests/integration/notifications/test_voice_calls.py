"""The voice-call channel on moto (issue 19): the emergency ladder's last step phones every manager once, an
emergency in a care-list unit phones at once, the calls go to the telephony API (the local cloud's Aliyun VMS
persona, which checks the request signature), and the callee's keypress, reported by the provider's signed
callback, stops the ladder; a report with a bad signature changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import boto3
import pytest

from courtyard.clock import FixedClock
from courtyard.directory import Keys
from infra.local.provision import Stack
from infra.local.voice_persona import VoicePersona
from schemas import events as contracts
from tests.factories import lambda_context
from tests.integration.notifications.conftest import Community, Pump, Reply
from tests.integration.notifications.test_emergency_ladder import (
    HOLIDAY_3AM,
    PHONES,
    _earlier_messages,
    clock,
    run_job,
    sos,
    texted,
    world,
)
from tests.integration.notifications.test_events import publish

__all__ = ["_earlier_messages", "clock", "world"]


@pytest.fixture
def phone_line(env: dict[str, str]) -> Iterator[VoicePersona]:
    """The telephony provider: the voice persona, with the account the deployment's secret would hold."""
    from notifications import wiring
    from notifications.adapters.aliyun_voice import AliyunVoiceCaller
    from notifications.adapters.voice_account import VoiceAccount
    from notifications.services.delivery import Voice

    persona = VoicePersona()
    persona.start()
    account = VoiceAccount(**persona.secret_document())
    wiring.wiring.override(wiring.voice_account, account)
    caller: Voice = AliyunVoiceCaller(persona.url, lambda: account, env["VOICE_TTS_CODE"])
    wiring.wiring.override(wiring.voice_caller, caller)
    yield persona
    wiring.wiring.override(wiring.voice_caller, None)
    wiring.wiring.override(wiring.voice_account, None)
    persona.stop()


def phoned(persona: VoicePersona) -> dict[str, int]:
    names = {phone: name for name, phone in PHONES.items()}
    counts: dict[str, int] = {}
    for call in persona.calls():
        name = names.get(call.called_number, call.called_number)
        counts[name] = counts.get(name, 0) + 1
    return counts


def callback(call: Callable[..., Reply], body: str, signature: str) -> Reply:
    """The provider's report, byte for byte as signed."""
    return call("POST", "/voice/callbacks", body=body, headers={"X-Voice-Signature": signature})


def in_care(stack: Stack, world: Community, resident: str) -> None:
    boto3.resource("dynamodb").Table(stack.ref("DirectoryTable")).update_item(
        Key=Keys.resident(world.tenant_id, world.residents[resident]),
        UpdateExpression="SET care = :care",
        ExpressionAttributeValues={":care": ["elderly_alone"]},
    )


def climb_to_the_top(pump: Pump, clock: FixedClock) -> None:
    for _ in range(3):
        clock.advance(minutes=2)
        run_job(pump)


def test_the_last_step_phones_every_manager_once_despite_duplicates_and_retries(
    stack: Stack, pump: Pump, world: Community, clock: FixedClock, phone_line: VoicePersona
) -> None:
    event = sos(world, "TICKET-VOICE-1")
    publish(stack, event)
    publish(stack, event)
    pump()
    assert phoned(phone_line) == {}  # the first steps text and push; nobody is phoned yet

    clock.advance(minutes=2)
    run_job(pump)
    clock.advance(minutes=2)
    run_job(pump)
    # The last step: its jobs are queued, and SQS delivers the batch twice (at least once), the provider
    # refusing the first attempt's first call as overloaded.
    clock.advance(minutes=2)
    from notifications import jobs_handler, sender_handler

    jobs_handler.lambda_handler({"time": "now"}, lambda_context())
    sqs = boto3.client("sqs")
    queue = stack.ref("NotificationsPriorityQueue")
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    arn = stack.attr("NotificationsPriorityQueue", "Arn")
    records = [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": {
                **{str(k): str(v) for k, v in m["Attributes"].items()},
                "ApproximateReceiveCount": str(n),
            },
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": arn,
            "awsRegion": "us-east-1",
        }
        for n in (1, 2)
        for m in messages
    ]
    phone_line.fail_next = 1
    first = sender_handler.lambda_handler({"Records": records[: len(messages)]}, lambda_context())
    assert len(first["batchItemFailures"]) == 1  # that job is retried
    sender_handler.lambda_handler({"Records": records[len(messages) :]}, lambda_context())
    for m in messages:
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
    publish(stack, event)  # the SOS once more, late
    pump()
    clock.advance(minutes=10)
    run_job(pump)

    # Each manager phoned once: the manager on duty (texted a step before) and the other manager.
    assert phoned(phone_line) == {"duty_manager": 1, "other_manager": 1}
    spoken = {c.called_number: c for c in phone_line.calls()}[PHONES["other_manager"]]
    assert spoken.tts_code == "TTS_EMERGENCY"
    assert (spoken.params["who"], spoken.params["what"]) == ("住户", "住户紧急求助（SOS）")
    assert spoken.params["place"]  # the unit's name
    # SMS climbed as before: each person texted once.
    assert texted(world)["other_manager"] == 1
    assert texted(world)["duty_manager"] == 1


def _care_alarm(world: Community, alarm_id: str) -> contracts.AlarmRaised:
    return contracts.AlarmRaised(
        tenant_id=world.tenant_id,
        event_id=uuid.uuid4().hex,
        occurred_at=HOLIDAY_3AM,
        alarm_id=alarm_id,
        rule_id="R1",
        rule_name="烟感",
        device_id="D1",
        device_kind="smoke_detector",
        site_id=world.site_id,
        unit_id=world.units["a101"],
        severity="major",
        kind="threshold",  # not a life-safety kind: critical only because the unit is on the care list
    )


def _report(
    persona: VoicePersona, phone: str, clock: FixedClock, dtmf: str = "1"
) -> tuple[str, dict[str, str]]:
    """The provider's signed report of the callee's keypress, signed now (the tests' clock)."""
    call_id = next(c.call_id for c in persona.calls() if c.called_number == phone)
    return persona.report(call_id, dtmf, at=int(clock.now().timestamp()))


def test_a_care_list_alarm_phones_at_once_and_a_keypress_stops_the_ladder(
    stack: Stack,
    pump: Pump,
    world: Community,
    clock: FixedClock,
    phone_line: VoicePersona,
    call: Callable[..., Reply],
) -> None:
    in_care(stack, world, "elder")
    publish(stack, _care_alarm(world, "ALARM-CARE-1"))
    pump()
    assert phoned(phone_line) == {"night_guard": 1, "night_tech": 1}

    body, headers = _report(phone_line, PHONES["night_guard"], clock)
    reply = callback(call, body, headers["X-Voice-Signature"])
    assert reply.status == 200, reply.body
    assert reply.body == {"reports": 1, "acknowledged": 1, "ignored": 0}
    again = callback(call, body, headers["X-Voice-Signature"])  # the provider retries its report
    assert again.body["acknowledged"] == 0

    climb_to_the_top(pump, clock)
    assert "desk" not in texted(world)
    assert phoned(phone_line) == {"night_guard": 1, "night_tech": 1}
    ladder = (
        boto3.resource("dynamodb")
        .Table(stack.ref("NotificationsTable"))
        .get_item(
            Key={"pk": f"T#{world.tenant_id}#LADDER#alarm#ALARM-CARE-1", "sk": "LADDER"}, ConsistentRead=True
        )["Item"]
    )
    assert (ladder["status"], ladder["acknowledged_by"]) == (
        "acknowledged",
        world.people["night_guard"].user_id,
    )


def test_a_call_report_with_a_bad_signature_changes_nothing(
    stack: Stack,
    pump: Pump,
    world: Community,
    clock: FixedClock,
    phone_line: VoicePersona,
    call: Callable[..., Reply],
) -> None:
    in_care(stack, world, "elder")
    publish(stack, _care_alarm(world, "ALARM-CARE-2"))
    pump()
    body, headers = _report(phone_line, PHONES["night_guard"], clock)
    forged = "t=" + str(int(clock.now().timestamp())) + ",v1=" + "0" * 64
    key = {"pk": f"T#{world.tenant_id}#LADDER#alarm#ALARM-CARE-2", "sk": "LADDER"}
    table = boto3.resource("dynamodb").Table(stack.ref("NotificationsTable"))
    before = table.get_item(Key=key, ConsistentRead=True)["Item"]

    assert callback(call, body, forged).status == 401
    assert call("POST", "/voice/callbacks", body=body).status == 401  # unsigned
    tampered = body.replace('"dtmf": "1"', '"dtmf": "1", "x": 1')
    assert callback(call, tampered, headers["X-Voice-Signature"]).status == 401

    assert table.get_item(Key=key, ConsistentRead=True)["Item"] == before
    clock.advance(minutes=2)
    run_job(pump)
    assert texted(world)["desk"] == 1  # the ladder climbed on: nobody acknowledged


def test_a_key_other_than_one_acknowledges_nothing(
    stack: Stack,
    pump: Pump,
    world: Community,
    clock: FixedClock,
    phone_line: VoicePersona,
    call: Callable[..., Reply],
) -> None:
    in_care(stack, world, "elder")
    publish(stack, _care_alarm(world, "ALARM-CARE-3"))
    pump()
    body, headers = _report(phone_line, PHONES["night_tech"], clock, dtmf="2")

    assert callback(call, body, headers["X-Voice-Signature"]).body == {
        "reports": 1,
        "acknowledged": 0,
        "ignored": 1,
    }
    clock.advance(minutes=2)
    run_job(pump)
    assert texted(world)["desk"] == 1
