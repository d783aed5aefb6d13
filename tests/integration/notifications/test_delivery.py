"""The sender's rules on moto: preferences, quiet hours, the SMS fallback and cap, push devices, and a
failing channel that neither blocks the others nor is lost (retries with backoff, then the DLQ with its
reason on the delivery record)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from courtyard.clock import FixedClock
from courtyard.tenancy import Role
from infra.local.provision import Stack
from tests.factories import lambda_context
from tests.integration.conftest import Arranged
from tests.integration.notifications.conftest import (
    Caller,
    Community,
    People,
    Pump,
    Reply,
    deliveries,
    outbox,
)

Call = Callable[..., Reply]


@pytest.fixture
def world(arranged: Arranged, seed: Callable[..., Community], people: People) -> Community:
    def build() -> Community:
        community = seed()
        people.resident(community, "li", "a101", phone="13900000031", email="li31@example.com")
        people.resident(community, "wu", "a102", phone="13900000032", email="wu32@example.com")
        people.staff(community, "manager", Role.MANAGER)
        return community

    return arranged(build)


def send(call: Call, world: Community, title: str, **changes: Any) -> str:
    body = {
        "content": {"zh-CN": {"title": title, "body": f"{title} 正文"}},
        "audience": {"site_id": world.site_id, "unit_ids": [world.units["a101"]]},
        "channels": ["inbox", "push", "sms", "email"],
        **changes,
    }
    created = call("POST", "/notices", as_=world.people["manager"], body=body)
    assert created.status == 201, created.body
    return str(created.body["notice_id"])


def stats(call: Call, world: Community, notice_id: str) -> dict[str, Any]:
    reply = call("GET", f"/notices/{notice_id}", as_=world.people["manager"])
    assert reply.status == 200, reply.body
    result: dict[str, Any] = reply.body["statistics"]
    return result


def only_message(call: Call, who: Caller) -> str:
    [message] = call("GET", "/inbox", as_=who).body["items"]
    return str(message["message_id"])


def sms_to(phone: str, text: str) -> int:
    return len([s for s in outbox().sms if s.phone_number == phone and text in s.message])


def emails_to(address: str, text: str) -> int:
    return len([e for e in outbox().emails if address in e.to and text in e.subject])


def register_device(call: Call, who: Caller, token: str = "device-token-0001") -> Reply:
    return call("POST", "/me/push-endpoints", as_=who, body={"platform": "fcm", "token": token})


def test_quiet_hours_hold_normal_messages_until_they_end_and_urgent_ones_go_at_once(
    call: Call, pump: Pump, world: Community, clock: FixedClock, stack: Stack
) -> None:
    from notifications import jobs_handler

    li = world.people["li"]
    put = call(
        "PUT",
        "/me/notification-preferences",
        as_=li,
        body={"quiet_hours": {"start": "22:00", "end": "07:00"}},
    )
    assert put.status == 200, put.body
    clock.set(clock.now().replace(hour=15))  # 23:00 in Shanghai

    normal = send(call, world, "夜间普通通知")
    urgent = send(call, world, "夜间紧急通知", priority="urgent")
    pump()

    # The inbox gets both at once (it does not ring); SMS and email of the normal one wait.
    assert len(call("GET", "/inbox", as_=li).body["items"]) == 2
    assert (sms_to("+8613900000031", "夜间紧急通知"), emails_to("li31@example.com", "夜间紧急通知")) == (1, 1)
    assert (sms_to("+8613900000031", "夜间普通通知"), emails_to("li31@example.com", "夜间普通通知")) == (0, 0)
    assert stats(call, world, normal)["held"] == 1
    held = deliveries(stack, world.tenant_id, _message_of(call, li, "夜间普通通知"))
    # Released within ten minutes of 07:00 (the spread of notifications.release_spread), never before.
    assert held["sms"]["status"] == "held"
    assert "2026-03-10T23:00:00.000Z" <= held["sms"]["release_at"] < "2026-03-10T23:10:00.000Z"

    clock.set(clock.now().replace(hour=22, minute=59))  # 06:59 local: still quiet
    assert jobs_handler.lambda_handler({}, lambda_context())["released"] == 0
    clock.set(clock.now().replace(hour=23, minute=10))  # 07:10 local: past the spread
    assert jobs_handler.lambda_handler({}, lambda_context())["released"] == 1
    pump()

    assert (sms_to("+8613900000031", "夜间普通通知"), emails_to("li31@example.com", "夜间普通通知")) == (1, 1)
    after = stats(call, world, normal)
    assert (after["held"], after["sent"]["sms"], after["sent"]["email"]) == (0, 1, 1)
    assert stats(call, world, urgent)["sent"]["sms"] == 1


def test_opted_out_channels_are_skipped_and_recorded(
    call: Call, pump: Pump, world: Community, stack: Stack
) -> None:
    li = world.people["li"]
    prefs = {"language": "en", "categories": {"notice": {"sms": False, "email": False}}}
    assert call("PUT", "/me/notification-preferences", as_=li, body=prefs).status == 200
    assert call("GET", "/me/notification-preferences", as_=li).body["categories"]["notice"]["sms"] is False

    notice_id = send(
        call,
        world,
        "选择退订",
        content={"zh-CN": {"title": "中文", "body": "正文"}, "en": {"title": "Opt-out test", "body": "Body"}},
    )
    pump()

    [message] = call("GET", "/inbox", as_=li).body["items"]
    assert message["title"] == "Opt-out test"  # the language preference
    records = deliveries(stack, world.tenant_id, message["message_id"])
    assert (records["sms"]["status"], records["sms"]["reason"]) == ("skipped", "opted_out")
    assert (records["email"]["status"], records["email"]["reason"]) == ("skipped", "opted_out")
    assert (records["push"]["status"], records["push"]["reason"]) == ("skipped", "no_push_endpoint")
    assert sms_to("+8613900000031", "Opt-out test") == 0
    assert stats(call, world, notice_id)["sent"] == {"inbox": 1, "push": 0, "sms": 0, "email": 0, "wechat": 0}


def test_without_a_push_device_an_urgent_message_falls_back_to_sms_and_with_one_it_is_pushed(
    call: Call, pump: Pump, world: Community, stack: Stack
) -> None:
    li = world.people["li"]
    send(call, world, "紧急停电", priority="urgent", channels=["inbox", "push"])
    send(call, world, "普通停电", channels=["inbox", "push"])
    pump()
    assert sms_to("+8613900000031", "紧急停电") == 1  # fallback
    assert sms_to("+8613900000031", "普通停电") == 0  # only urgent messages fall back
    fallback = deliveries(stack, world.tenant_id, _message_of(call, li, "紧急停电"))
    assert (fallback["sms"]["status"], fallback["sms"]["fallback"]) == ("sent", True)

    device = register_device(call, li)
    assert device.status == 201, device.body
    assert (
        register_device(call, li).body["endpoint_id"] == device.body["endpoint_id"]
    )  # same token: same device
    send(call, world, "紧急停水", priority="urgent", channels=["inbox", "push"])
    pump()
    assert sms_to("+8613900000031", "紧急停水") == 0
    assert [p.title for p in outbox().pushes if p.title == "紧急停水"] == ["紧急停水"]

    assert call("DELETE", f"/me/push-endpoints/{device.body['endpoint_id']}", as_=li).status == 204
    assert call("DELETE", f"/me/push-endpoints/{device.body['endpoint_id']}", as_=li).status == 404


def test_the_sms_daily_cap_stops_sends_beyond_it_and_records_why(
    call: Call, pump: Pump, world: Community, stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from notifications.wiring import wiring

    monkeypatch.setenv("SMS_DAILY_CAP", "1")
    wiring.reset()
    notice_id = send(
        call,
        world,
        "短信上限",
        channels=["sms"],
        audience={"site_id": world.site_id, "unit_ids": [world.units["a101"], world.units["a102"]]},
    )
    pump()

    result = stats(call, world, notice_id)
    assert (result["sent"]["sms"], result["failed"]["sms"]) == (1, 1)
    texts = sms_to("+8613900000031", "短信上限") + sms_to("+8613900000032", "短信上限")
    assert texts == 1
    reasons = [
        deliveries(stack, world.tenant_id, only_message(call, world.people[name]))["sms"].get("reason")
        for name in ("li", "wu")
    ]
    assert sorted(r or "" for r in reasons) == ["", "sms_daily_cap"]


@pytest.fixture
def broken_email(monkeypatch: pytest.MonkeyPatch) -> None:
    """SES answers every send with a throttling error (a retryable failure)."""
    from notifications.adapters.ses_email import EmailSender

    def fail(self: EmailSender, to: str, text: Any) -> str:
        from notifications.adapters.send_failures import failure

        raise failure(
            "email", ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}}, "SendEmail")
        )

    monkeypatch.setattr(EmailSender, "send", fail)


def test_a_failing_sender_does_not_block_the_others_and_ends_in_the_dlq_with_its_reason(
    call: Call,
    pump: Pump,
    world: Community,
    stack: Stack,
    broken_email: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from notifications import fanout_handler, sender_handler
    from notifications.wiring import wiring

    monkeypatch.setenv("RETRY_BASE_SECONDS", "0")  # retries become visible at once
    wiring.reset()
    notice_id = send(call, world, "失败重试", channels=["inbox", "sms", "email"])
    pump.batch("NotificationsFanoutQueue", fanout_handler)
    # The first attempt: inbox and SMS done, email left for a retry.
    assert pump.batch("NotificationsDeliveryQueue", sender_handler) is not None

    li = world.people["li"]
    message_id = only_message(call, li)
    records = deliveries(stack, world.tenant_id, message_id)
    assert (records["inbox"]["status"], records["sms"]["status"]) == ("sent", "sent")
    assert (records["email"]["status"], records["email"]["attempts"]) == ("queued", 1)
    assert sms_to("+8613900000031", "失败重试") == 1

    for _ in range(3):  # receives 2, 3 and 4 (the last): the failure becomes final on the 4th
        assert pump.batch("NotificationsDeliveryQueue", sender_handler) is not None
    records = deliveries(stack, world.tenant_id, message_id)
    assert (records["email"]["status"], records["email"]["reason"]) == ("failed", "email_Throttling")
    assert sms_to("+8613900000031", "失败重试") == 1  # never re-sent

    assert pump.batch("NotificationsDeliveryQueue", sender_handler) is None  # SQS moved it on
    dead = boto3.client("sqs").receive_message(QueueUrl=stack.ref("NotificationsDeliveryDeadLetterQueue"))[
        "Messages"
    ]
    assert json.loads(dead[0]["Body"])["message_id"] == message_id
    result = stats(call, world, notice_id)
    assert (result["sent"]["sms"], result["failed"]["email"]) == (1, 1)


@pytest.mark.parametrize(
    ("queue", "dead_letters"),
    [
        ("NotificationsDeliveryQueue", "NotificationsDeliveryDeadLetterQueue"),
        ("NotificationsPriorityQueue", "NotificationsPriorityDeadLetterQueue"),
    ],
)
def test_each_delivery_queue_redrive_matches_the_senders_attempts(
    stack: Stack, env: dict[str, str], queue: str, dead_letters: str
) -> None:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=stack.ref(queue), AttributeNames=["RedrivePolicy"]
    )["Attributes"]
    redrive = json.loads(attributes["RedrivePolicy"])
    assert int(redrive["maxReceiveCount"]) == int(env["DELIVERY_MAX_ATTEMPTS"])
    assert redrive["deadLetterTargetArn"] == stack.attr(dead_letters, "Arn")


def test_preferences_are_validated_and_personal(call: Call, world: Community) -> None:
    li, wu = world.people["li"], world.people["wu"]
    bad = call(
        "PUT",
        "/me/notification-preferences",
        as_=li,
        body={"quiet_hours": {"start": "25:00", "end": "07:00"}},
    )
    assert bad.status == 422
    call("PUT", "/me/notification-preferences", as_=li, body={"language": "en"})
    assert call("GET", "/me/notification-preferences", as_=li).body["language"] == "en"
    assert call("GET", "/me/notification-preferences", as_=wu).body["language"] == "zh-CN"  # the firm's


def _message_of(call: Call, who: Caller, title: str) -> str:
    items = call("GET", "/inbox", as_=who).body["items"]
    return str(next(m["message_id"] for m in items if m["title"] == title))


def test_a_phone_handed_to_another_resident_moves_its_push_endpoint_to_them(
    call: Call, pump: Pump, world: Community
) -> None:
    li, wu = world.people["li"], world.people["wu"]
    first = register_device(call, li, token="shared-phone-token")
    assert first.status == 201, first.body

    # SNS refuses the same token with other attributes; the existing endpoint is taken over instead of a 500.
    second = register_device(call, wu, token="shared-phone-token")

    assert second.status == 201, second.body
    send(call, world, "紧急停气", priority="urgent", channels=["inbox", "push"])
    pump()
    assert len([p for p in outbox().pushes if p.title == "紧急停气"]) >= 1


def test_a_recipient_pushed_before_a_fault_counts_as_reached_once_whatever_follows(
    call: Call, pump: Pump, world: Community, stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``sent`` and ``reached`` agree: the push that went out is counted as reached with it, even when the
    processing then breaks (a throttled SMS counter) and the retry ends without another channel sent."""
    from notifications import fanout_handler, sender_handler
    from notifications.repository import NotificationsRepository
    from notifications.wiring import wiring

    monkeypatch.setenv("RETRY_BASE_SECONDS", "0")
    wiring.reset()
    li = world.people["li"]
    assert register_device(call, li).status == 201
    answers = iter(["throttled", "cap"])

    def count_sms(self: NotificationsRepository, *args: Any) -> bool:
        if next(answers) == "throttled":
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}}, "UpdateItem"
            )
        return False  # the retry finds the day's SMS cap reached: a final failure, no second channel

    monkeypatch.setattr(NotificationsRepository, "count_sms", count_sms)
    notice_id = send(call, world, "推送后故障", channels=["inbox", "push", "sms"])
    pump.batch("NotificationsFanoutQueue", fanout_handler)
    # A job that fails unexpectedly comes back after the queue's visibility timeout: at once, here.
    boto3.client("sqs").set_queue_attributes(
        QueueUrl=stack.ref("NotificationsDeliveryQueue"), Attributes={"VisibilityTimeout": "0"}
    )
    first = pump.batch("NotificationsDeliveryQueue", sender_handler)
    assert first is not None
    assert len(first["batchItemFailures"]) == 1  # the push went, then the fault
    assert [p.title for p in outbox().pushes if p.title == "推送后故障"] == ["推送后故障"]
    assert pump.batch("NotificationsDeliveryQueue", sender_handler) == {"batchItemFailures": []}

    result = stats(call, world, notice_id)
    assert (result["sent"]["push"], result["failed"]["sms"]) == (1, 1)
    assert result["reached"] == 1
    assert result["reached_90_percent_at"] is not None  # 1 of 1 recipients
