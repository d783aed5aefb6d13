"""Notices end to end on moto: POST /notices -> fan-out queue -> one delivery job per recipient -> the
sender -> inbox, push, SMS, email and delivery records -> statistics."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest

from courtyard.clock import FixedClock
from courtyard.tenancy import Role
from infra.local.provision import Stack
from tests.integration.conftest import Arranged
from tests.integration.notifications.conftest import (
    Caller,
    Community,
    People,
    Pump,
    Reply,
    outbox,
)

Call = Callable[..., Reply]


@pytest.fixture
def world(arranged: Arranged, seed: Callable[..., Community], people: People) -> Community:
    def build() -> Community:
        community = seed()
        people.resident(community, "li", "a101", phone="13900000001", email="li@example.com")
        people.resident(community, "wu", "a102", phone="13900000002")
        people.resident(community, "ma", "b201", phone="13900000003")
        people.staff(community, "manager", Role.MANAGER, email="manager@example.com")
        people.staff(community, "desk", Role.SERVICE_DESK)
        people.staff(community, "tech", Role.TECHNICIAN, skills=("plumbing",))
        people.staff(community, "guard", Role.GUARD)
        return community

    return arranged(build)


def notice(community: Community, title: str = "停水通知", **changes: Any) -> dict[str, Any]:
    return {
        "content": {
            "zh-CN": {"title": title, "body": "3月12日 9:00-12:00 A 栋停水检修。"},
            "en": {"title": f"{title} (en)", "body": "Water off in building A on 12 March, 9:00-12:00."},
        },
        "audience": {"site_id": community.site_id, "building_ids": [community.building_a]},
        "channels": ["inbox", "push", "sms"],
        **changes,
    }


def inbox_titles(call: Call, who: Caller) -> list[str]:
    reply = call("GET", "/inbox", as_=who)
    assert reply.status == 200, reply.body
    return [m["title"] for m in reply.body["items"]]


def test_the_audience_count_is_who_the_fan_out_then_reaches_and_sends_nothing(
    call: Call, pump: Pump, world: Community
) -> None:
    manager = world.people["manager"]
    building = {"site_id": world.site_id, "building_ids": [world.building_a]}
    with_staff = {**building, "roles": ["technician", "guard"]}

    count = call("POST", "/notices/audience-count", as_=manager, body=building)
    mixed = call("POST", "/notices/audience-count", as_=manager, body=with_staff)
    everyone = call(
        "POST",
        "/notices/audience-count",
        as_=world.people["desk"],
        body={"site_id": world.site_id, "everyone": True},
    )
    pump()

    assert count.status == 200, count.body
    assert count.body == {"recipients": 2, "residents": 2, "staff": 0}
    assert mixed.body == {"recipients": 4, "residents": 2, "staff": 2}
    assert everyone.body == {"recipients": 3, "residents": 3, "staff": 0}
    assert inbox_titles(call, world.people["li"]) == []  # a count sends nothing
    sent = call("POST", "/notices", as_=manager, body=notice(world))
    pump()
    stats = call("GET", f"/notices/{sent.body['notice_id']}", as_=manager).body["statistics"]
    assert stats["recipients"] == count.body["recipients"]


def test_the_audience_count_refuses_what_a_notice_would_refuse(call: Call, world: Community) -> None:
    manager = world.people["manager"]

    nobody = call("POST", "/notices/audience-count", as_=manager, body={"site_id": world.site_id})
    elsewhere = call(
        "POST", "/notices/audience-count", as_=manager, body={"site_id": "01NOSUCHSITE", "everyone": True}
    )
    technician = call(
        "POST",
        "/notices/audience-count",
        as_=world.people["tech"],
        body={"site_id": world.site_id, "everyone": True},
    )

    assert nobody.status == 422
    assert nobody.body["error"]["code"]
    assert elsewhere.status == 404
    assert technician.status == 403


def test_a_notice_to_one_building_reaches_exactly_that_buildings_residents(
    call: Call, pump: Pump, world: Community
) -> None:
    manager = world.people["manager"]

    created = call("POST", "/notices", as_=manager, body=notice(world))
    assert created.status == 201, created.body
    assert created.body["status"] == "queued"
    pump()

    assert inbox_titles(call, world.people["li"]) == ["停水通知"]
    assert inbox_titles(call, world.people["wu"]) == ["停水通知"]
    assert inbox_titles(call, world.people["ma"]) == []  # building B
    assert inbox_titles(call, manager) == []
    got = call("GET", f"/notices/{created.body['notice_id']}", as_=manager)
    assert got.status == 200
    assert got.body["status"] == "sent"
    stats = got.body["statistics"]
    assert stats["recipients"] == 2
    assert stats["sent"]["inbox"] == 2
    # Nobody registered a device: push is skipped, SMS goes because it was asked for.
    assert stats["sent"]["sms"] == 2
    assert stats["sent"]["push"] == 0
    phones = {s.phone_number for s in outbox().sms if "停水通知" in s.message}
    assert phones == {"+8613900000001", "+8613900000002"}


def test_role_audiences_reach_exactly_those_staff(call: Call, pump: Pump, world: Community) -> None:
    body = notice(
        world, title="消防演练", audience={"site_id": world.site_id, "roles": ["technician", "guard"]}
    )

    created = call("POST", "/notices", as_=world.people["desk"], body=body)
    assert created.status == 201, created.body
    pump()

    assert inbox_titles(call, world.people["tech"]) == ["消防演练"]
    assert inbox_titles(call, world.people["guard"]) == ["消防演练"]
    for name in ("manager", "desk", "li", "wu", "ma"):
        assert inbox_titles(call, world.people[name]) == [], name


def test_reads_feed_the_statistics_and_the_time_to_reach_90_percent(
    call: Call, pump: Pump, world: Community, clock: FixedClock
) -> None:
    manager = world.people["manager"]
    body = notice(
        world, title="电梯保养", channels=["inbox"], audience={"site_id": world.site_id, "everyone": True}
    )
    created = call("POST", "/notices", as_=manager, body=body)
    notice_id = created.body["notice_id"]
    pump()
    readers = [world.people[n] for n in ("li", "wu", "ma")]
    assert [call("GET", "/inbox/unread-count", as_=r).body for r in readers] == [{"unread": 1}] * 3

    for minutes, reader in zip((2, 3), readers[:2], strict=True):
        clock.advance(minutes=minutes)
        message_id = call("GET", "/inbox", as_=reader).body["items"][0]["message_id"]
        read = call("POST", f"/inbox/{message_id}/read", as_=reader)
        assert read.status == 200, read.body
        assert read.body["read_at"] is not None
        again = call("POST", f"/inbox/{message_id}/read", as_=reader)  # idempotent
        assert again.status == 200

    stats = call("GET", f"/notices/{notice_id}", as_=manager).body["statistics"]
    assert (stats["recipients"], stats["read"], stats["reached"]) == (3, 2, 2)
    assert stats["time_to_90_percent_seconds"] is None  # 2 of 3 is not 90%
    clock.advance(minutes=5)
    last = call("GET", "/inbox", as_=readers[2]).body["items"][0]["message_id"]
    call("POST", f"/inbox/{last}/read", as_=readers[2])
    stats = call("GET", f"/notices/{notice_id}", as_=manager).body["statistics"]
    assert stats["read"] == 3
    assert stats["time_to_90_percent_seconds"] == 600.0
    assert call("GET", "/inbox/unread-count", as_=readers[0]).body == {"unread": 0}


def test_residents_cannot_send_notices_and_other_tenants_see_404(
    call: Call, pump: Pump, world: Community, seed: Callable[..., Community], people: People, stack: Stack
) -> None:
    refused = call("POST", "/notices", as_=world.people["li"], body=notice(world))
    assert refused.status == 403
    assert call("GET", "/notices", as_=world.people["li"]).status == 403

    created = call("POST", "/notices", as_=world.people["manager"], body=notice(world))
    pump()
    notice_id = created.body["notice_id"]
    message_id = call("GET", "/inbox", as_=world.people["li"]).body["items"][0]["message_id"]

    other = seed("Harbour")
    outsider = people.staff(other, "boss", Role.MANAGER)
    assert call("GET", f"/notices/{notice_id}", as_=outsider).status == 404
    assert call("POST", f"/notices/{notice_id}/cancel", as_=outsider).status == 404
    assert call("GET", "/notices", as_=outsider).body["items"] == []
    # Another person's message (same tenant or not) is 404 too.
    assert call("POST", f"/inbox/{message_id}/read", as_=world.people["wu"]).status == 404
    assert (
        call(
            "POST",
            f"/inbox/{message_id}/read",
            as_=Caller(other.tenant_id, world.people["li"].user_id, (Role.RESIDENT,)),
        ).status
        == 404
    )
    # A notice to another tenant's community is refused.
    foreign = call("POST", "/notices", as_=world.people["manager"], body=notice(other))
    assert foreign.status == 404


def test_a_scheduled_notice_waits_for_its_time_and_can_be_cancelled_before(
    call: Call, pump: Pump, world: Community, clock: FixedClock, stack: Stack
) -> None:
    from notifications import jobs_handler

    from tests.factories import lambda_context

    manager = world.people["manager"]
    later = notice(world, title="明日停电", send_at="2026-03-10T06:00:00Z")
    cancelled = notice(world, title="取消的通知", send_at="2026-03-10T06:00:00Z")
    scheduled = call("POST", "/notices", as_=manager, body=later)
    dropped = call("POST", "/notices", as_=manager, body=cancelled)
    assert (scheduled.status, scheduled.body["status"]) == (201, "scheduled")
    assert (
        call("POST", f"/notices/{dropped.body['notice_id']}/cancel", as_=manager).body["status"]
        == "cancelled"
    )
    pump()
    assert inbox_titles(call, world.people["li"]) == []

    clock.set(clock.now().replace(hour=6))
    assert jobs_handler.lambda_handler({}, lambda_context()) == {
        "notices": 1,
        "released": 0,
        "ladder_steps": 0,
    }
    pump()

    assert inbox_titles(call, world.people["li"]) == ["明日停电"]
    assert call("POST", f"/notices/{scheduled.body['notice_id']}/cancel", as_=manager).status == 409
    assert jobs_handler.lambda_handler({}, lambda_context()) == {
        "notices": 0,
        "released": 0,
        "ladder_steps": 0,
    }


def test_the_same_idempotency_key_creates_one_notice(call: Call, pump: Pump, world: Community) -> None:
    key = {"Idempotency-Key": "notice-retry-0001"}
    first = call("POST", "/notices", as_=world.people["manager"], body=notice(world), headers=key)
    second = call("POST", "/notices", as_=world.people["manager"], body=notice(world), headers=key)
    assert (first.status, second.status) == (201, 200)
    assert first.body["notice_id"] == second.body["notice_id"]
    pump()
    assert inbox_titles(call, world.people["li"]) == ["停水通知"]


def test_the_same_idempotency_key_with_another_notice_is_422_and_sends_nothing(
    call: Call, pump: Pump, world: Community
) -> None:
    manager = world.people["manager"]
    key = {"Idempotency-Key": "notice-retry-0002"}
    first = call("POST", "/notices", as_=manager, body=notice(world), headers=key)

    other = call("POST", "/notices", as_=manager, body=notice(world, title="明日停电"), headers=key)

    assert (first.status, other.status) == (201, 422)
    assert other.body["error"]["code"] == "unprocessable"
    assert other.body["error"]["details"][0]["type"] == "key_reused"
    assert [n["notice_id"] for n in call("GET", "/notices", as_=manager).body["items"]] == [
        first.body["notice_id"]
    ]
    pump()
    assert inbox_titles(call, world.people["li"]) == ["停水通知"]


def test_a_malformed_idempotency_key_is_400_and_creates_nothing(call: Call, world: Community) -> None:
    manager = world.people["manager"]
    reply = call("POST", "/notices", as_=manager, body=notice(world), headers={"Idempotency-Key": "short"})
    assert reply.status == 400
    assert call("GET", "/notices", as_=manager).body["items"] == []


def test_a_fan_out_run_twice_delivers_each_message_once(
    call: Call, pump: Pump, world: Community, stack: Stack
) -> None:
    created = call("POST", "/notices", as_=world.people["manager"], body=notice(world, channels=["inbox"]))
    sqs = boto3.client("sqs")
    command = sqs.receive_message(QueueUrl=stack.ref("NotificationsFanoutQueue"))["Messages"][0]["Body"]
    sqs.send_message(QueueUrl=stack.ref("NotificationsFanoutQueue"), MessageBody=command)  # a redelivery
    pump()
    assert inbox_titles(call, world.people["li"]) == ["停水通知"]
    stats = call("GET", f"/notices/{created.body['notice_id']}", as_=world.people["manager"]).body[
        "statistics"
    ]
    assert stats["sent"]["inbox"] == 2


def test_a_notice_whose_fanout_command_failed_after_the_commit_is_delivered_once_after_the_job_runs(
    call: Call,
    pump: Pump,
    world: Community,
    clock: FixedClock,
    stack: Stack,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from botocore.exceptions import ClientError
    from notifications import jobs_handler

    from courtyard.outbox import Outbox
    from tests.factories import lambda_context

    flush = Outbox.flush

    def queue_down(self: Outbox, pending: Any) -> None:
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "x"}}, "SendMessageBatch")

    monkeypatch.setattr(Outbox, "flush", queue_down)
    reply = call("POST", "/notices", as_=world.people["manager"], body=notice(world, title="电梯检修"))
    monkeypatch.setattr(Outbox, "flush", flush)
    assert reply.status == 503  # stored and audited, the command still pending; nobody retries
    pump()
    assert inbox_titles(call, world.people["li"]) == []

    clock.advance(minutes=3)
    jobs_handler.lambda_handler({}, lambda_context())
    pump()
    jobs_handler.lambda_handler({}, lambda_context())
    pump()

    assert inbox_titles(call, world.people["li"]) == ["电梯检修"]
    items = boto3.client("dynamodb").scan(TableName=stack.ref("NotificationsTable"))["Items"]
    assert [i for i in items if i["sk"]["S"].startswith("OUTBOX")] == []  # the sweep sent and removed it
