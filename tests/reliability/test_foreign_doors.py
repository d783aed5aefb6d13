"""The cross-tenant matrix's non-HTTP doors (issue 17): queue messages, domain events, device topics and
the import worker, each carrying tenant B's tenant id with tenant A's object ids (what a bug or a forged
message in B's name would send), change nothing in A. Every consumer is handed the message as its queue or
topic rule would deliver it; a refusal (a partial batch failure, an ``unknown_device`` outcome) is fine, a
change to A's items is not. The first resident of A is the subject of the people events."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from courtyard.tenancy import Role
from schemas.events import (
    AlarmRaised,
    EmergencyAcknowledged,
    Event,
    ExportedLink,
    PersonalDataExportRequested,
    ResidentErased,
    ResidentMovedOut,
    SmsReplyReceived,
    TicketCreated,
    TicketStatusChanged,
)
from tests.factories import lambda_context
from tests.reliability.world import World

AT = "2026-03-10T02:00:00.000Z"


def _records(bodies: list[str]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"foreign-{index}",
                "receiptHandle": f"r{index}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:foreign",
                "awsRegion": "us-east-1",
            }
            for index, body in enumerate(bodies)
        ]
    }


def _envelope(source: str, event: Event) -> str:
    return json.dumps(
        {
            "id": f"eb-{event.event_id}",
            "source": source,
            "detail-type": type(event).__name__,
            "detail": event.model_dump(mode="json"),
        }
    )


def _a(world: World) -> dict[str, str]:
    """A's ids the forged messages carry, and B's tenant id they claim."""
    resident = world.demo.user("greenfield", Role.RESIDENT)
    return {
        "b": world.demo.tenants["harbour"],
        "resident_id": resident.person_id,
        "user_id": resident.user_id,
        "unit_id": world.own["unit_id"][0],
        "site_id": world.ids["site_id"][0],
        "ticket_id": world.own["ticket_id"][0],
        "device_id": world.ids["device_id"][0],
        "rule_id": world.ids["rule_id"][0],
        "run_id": world.ids["run_id"][0],
        "alarm_id": world.ids["alarm_id"][0],
        "guard_id": world.demo.user("greenfield", Role.GUARD).person_id,
        "guard_user_id": world.demo.user("greenfield", Role.GUARD).user_id,
    }


def people_events(ids: dict[str, str]) -> list[str]:
    moved = ResidentMovedOut(
        tenant_id=ids["b"], resident_id=ids["resident_id"], unit_id=ids["unit_id"], site_id=ids["site_id"],
        user_id=ids["user_id"], reason="move_out", by="forged",
    )  # fmt: skip
    erased = ResidentErased(tenant_id=ids["b"], resident_id=ids["resident_id"], user_id=ids["user_id"])
    exported = PersonalDataExportRequested(
        tenant_id=ids["b"], export_id="FORGEDEXPORT", resident_id=ids["resident_id"], user_id=ids["user_id"],
        links=(ExportedLink(unit_id=ids["unit_id"], site_id=ids["site_id"], since="2020-01-01"),),
    )  # fmt: skip
    return [_envelope("courtyard.directory", e) for e in (moved, erased, exported)]


def ticket_events(ids: dict[str, str]) -> list[str]:
    created = TicketCreated(
        tenant_id=ids["b"], ticket_id=ids["ticket_id"], site_id=ids["site_id"], unit_id=ids["unit_id"],
        kind="repair", category="plumbing", priority="normal", respond_by=AT, resolve_by=AT, assisted=False,
        reporter_user_id=ids["user_id"], device_id=ids["device_id"],
    )  # fmt: skip
    changed = TicketStatusChanged(
        tenant_id=ids["b"], ticket_id=ids["ticket_id"], site_id=ids["site_id"], action="close",
        from_status="resolved", to_status="closed", by="forged", reporter_user_id=ids["user_id"],
        device_id=ids["device_id"],
    )  # fmt: skip
    return [_envelope("courtyard.tickets", created), _envelope("courtyard.tickets", changed)]


def alarm_events(ids: dict[str, str]) -> list[str]:
    raised = AlarmRaised(
        tenant_id=ids["b"], alarm_id=ids["ticket_id"], rule_id=ids["rule_id"], rule_name="forged",
        device_id=ids["device_id"], device_kind="elevator", site_id=ids["site_id"], severity="critical",
        kind="threshold", notify_residents=True, notify_roles=["manager"],
    )  # fmt: skip
    return [_envelope("courtyard.sensors", raised)]


def reply_events(ids: dict[str, str]) -> list[str]:
    reply = SmsReplyReceived(
        tenant_id=ids["b"], reply_id="forged-1", message_id=ids["ticket_id"], subject="ticket",
        subject_id=ids["ticket_id"], action="reopen", person_kind="resident", person_id=ids["resident_id"],
        user_id=ids["user_id"],
    )  # fmt: skip
    return [_envelope("courtyard.notifications", reply)]


def acknowledgment_events(ids: dict[str, str]) -> list[str]:
    """A's guard "pressed 1" on A's SOS and A's alarm, in B's name."""
    acks = [
        EmergencyAcknowledged(
            tenant_id=ids["b"], subject=subject, subject_id=ids[f"{subject}_id"], channel="voice",
            ladder_key=f"{subject}:{ids[f'{subject}_id']}", person_id=ids["guard_id"],
            user_id=ids["guard_user_id"],
        )
        for subject in ("ticket", "alarm")
    ]  # fmt: skip
    return [_envelope("courtyard.notifications", ack) for ack in acks]


def billing_chunk(ids: dict[str, str]) -> list[str]:
    chunk = {
        "tenant_id": ids["b"], "run_id": ids["run_id"], "site_id": ids["site_id"], "period": "2026-04",
        "index": 0, "units": [[ids["unit_id"], "residential", 8950, "1-1-101", "1-1-101"]],
    }  # fmt: skip
    return [json.dumps(chunk)]


# (the consumer's module, the messages it is handed)
QUEUE_DOORS: list[tuple[str, Callable[[dict[str, str]], list[str]]]] = [
    ("visitors.residency_handler", people_events),
    ("tickets.people_handler", people_events),
    ("payments.people_handler", people_events),
    ("notifications.events_handler", people_events),
    ("notifications.events_handler", ticket_events),
    ("notifications.events_handler", alarm_events),
    ("sensors.tickets_handler", ticket_events),
    ("tickets.alarms_handler", alarm_events),
    ("tickets.replies_handler", reply_events),
    ("tickets.replies_handler", acknowledgment_events),
    ("sensors.acks_handler", acknowledgment_events),
    ("payments.billing_handler", billing_chunk),
]


@pytest.mark.parametrize(
    ("module", "messages"), QUEUE_DOORS, ids=[f"{m}-{f.__name__}" for m, f in QUEUE_DOORS]
)
def test_a_queue_message_in_another_tenants_name_changes_nothing_in_a(
    world: World, module: str, messages: Callable[[dict[str, str]], list[str]]
):
    import importlib

    consumer = importlib.import_module(module)
    ids = _a(world)
    before = world.tenant_items(world.demo.tenants["greenfield"])

    consumer.lambda_handler(_records(messages(ids)), lambda_context())

    assert world.tenant_items(world.demo.tenants["greenfield"]) == before


def test_an_export_request_in_another_tenants_name_carries_nothing_of_a(world: World):
    """Every feature's part written for B's forged export of A's resident holds none of A's values."""
    import importlib

    import boto3

    ids = _a(world)
    export = [people_events(ids)[-1]]
    for module in ("tickets.people_handler", "payments.people_handler", "visitors.residency_handler",
                   "notifications.events_handler"):  # fmt: skip
        answer = importlib.import_module(module).lambda_handler(_records(export), lambda_context())
        assert answer["batchItemFailures"] == [], module
    s3 = boto3.client("s3")
    bucket = world.stack.ref("ExportBucket")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"exports/{ids['b']}/")["Contents"]]
    assert len(keys) == 4
    written = " ".join(s3.get_object(Bucket=bucket, Key=k)["Body"].read().decode() for k in keys)
    leaked = {secret for secret in world.secrets() if secret in written}
    assert leaked == set()


def test_a_device_message_on_another_tenants_topic_changes_nothing_in_a(world: World):
    """What B's certificate may publish: B's tenant in the topic, with A's site and device ids."""
    from sensors import ingest_handler

    ids = _a(world)
    before = world.tenant_items(world.demo.tenants["greenfield"])
    messages = [
        {"ts": "2026-03-10T02:00:05.000Z", "metrics": {"vibration_mm_s": 99.0}},
        {"ts": "2026-03-10T02:00:06.000Z", "event": {"name": "smoke", "attributes": {"state": "alarm"}}},
    ]

    outcomes = [
        ingest_handler.lambda_handler(
            {**body, "tenant_id": ids["b"], "site_id": ids["site_id"], "device_id": ids["device_id"],
             "received_at": 1773108005000},
            lambda_context(),
        )["outcomes"]
        for body in messages
    ]  # fmt: skip

    assert outcomes == [{"unknown_device": 1}, {"unknown_device": 1}]
    assert world.tenant_items(world.demo.tenants["greenfield"]) == before


def test_the_probe_sees_a_change_the_same_message_makes_in_its_own_tenants_name(world: World):
    """Control (last: it changes A): the comparison above is not blind. The same erasure in A's own name
    anonymises the resident's ticket in A, so an unchanged A above means the foreign tenant id was refused."""
    from tickets import people_handler

    ids = {**_a(world), "b": world.demo.tenants["greenfield"]}
    before = world.tenant_items(world.demo.tenants["greenfield"])

    people_handler.lambda_handler(_records(people_events(ids)), lambda_context())

    assert world.tenant_items(world.demo.tenants["greenfield"]) != before
