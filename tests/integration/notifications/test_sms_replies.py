"""Replies by keyword, the notifications' half (issue 19): the provider's inbound SMS on its topic -> the
replies queue -> the function. Matched to the SMS by the provider's reference (or the code in the text) and
to the person by the number on record; a keyword becomes ``SmsReplyReceived`` (which the tickets' reply rule
takes), anything else reaches the desk's inbox; a duplicate inbound message acts once."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from courtyard.tenancy import Role
from infra.local.provision import Stack
from schemas import events as contracts
from tests.integration.notifications.conftest import Community, People, Pump, Reply, outbox
from tests.integration.notifications.test_events import inbox, publish, user

Call = Callable[..., Reply]
_numbers = itertools.count(1)


@pytest.fixture
def phone() -> str:
    return f"1370061{next(_numbers):04d}"


@pytest.fixture
def world(seed: Callable[..., Community], people: People, phone: str) -> Community:
    community = seed()
    people.resident(community, "zhang", "a101", phone=phone)  # no app on the phone
    people.staff(community, "desk", Role.SERVICE_DESK)
    people.staff(community, "tech", Role.TECHNICIAN)
    return community


def repair_sms(stack: Stack, pump: Pump, world: Community, phone: str, ticket_id: str) -> Any:
    """The resolved-repair SMS the resident gets (the provider's record of it)."""
    publish(
        stack,
        contracts.TicketStatusChanged(
            tenant_id=world.tenant_id, ticket_id=ticket_id, site_id=world.site_id, action="resolve",
            from_status="in_progress", to_status="resolved", by="u-tech",
            reporter_user_id=user(world, "zhang"), unit_id=world.units["a101"],
        ),
    )  # fmt: skip
    pump()
    [sms] = [s for s in outbox().sms if s.phone_number == "+86" + phone and ticket_id[-6:] in s.message]
    return sms


def inbound(
    stack: Stack, pump: Pump, origination: str, body: str, inbound_id: str, previous: str | None
) -> None:
    """What the provider does with a reply: publish it to the inbound topic; then the replies queue runs."""
    from notifications import replies_handler

    message = {
        "originationNumber": origination,
        "destinationNumber": "+8610690000",
        "messageKeyword": "KEYWORD_123456789012",
        "messageBody": body,
        "inboundMessageId": inbound_id,
        "previousPublishedMessageId": previous,
    }
    boto3.client("sns").publish(TopicArn=stack.ref("InboundSmsTopic"), Message=json.dumps(message))
    while pump.batch("NotificationsRepliesQueue", replies_handler) is not None:
        pass
    pump()


def ticket_replies(stack: Stack) -> list[dict[str, Any]]:
    """The SmsReplyReceived events the tickets' reply rule delivered (drained)."""
    sqs = boto3.client("sqs")
    queue = stack.ref("TicketsReplyQueue")
    found: list[dict[str, Any]] = []
    while messages := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            found.append(json.loads(message["Body"])["detail"])
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    return found


def test_reply_1_to_a_repair_sms_confirms_that_ticket_once(
    pump: Pump, world: Community, stack: Stack, phone: str
) -> None:
    sms = repair_sms(stack, pump, world, phone, "TICKET000901")
    repair_sms(stack, pump, world, phone, "TICKET000902")  # another repair of theirs, later
    ticket_replies(stack)

    inbound(stack, pump, "+86" + phone, "1", "in-901", previous=sms.message_id)
    inbound(stack, pump, "+86" + phone, "1", "in-901", previous=sms.message_id)  # the provider retries

    [event] = ticket_replies(stack)
    assert (event["subject"], event["subject_id"], event["action"]) == ("ticket", "TICKET000901", "confirm")
    assert (event["person_kind"], event["user_id"]) == ("resident", user(world, "zhang"))


def test_the_code_written_in_a_reply_names_the_sms_and_2_reopens(
    pump: Pump, world: Community, stack: Stack, phone: str
) -> None:
    sms = repair_sms(stack, pump, world, phone, "TICKET000903")
    [code] = re.findall(r"/m/s/(\w{10})", sms.message)
    ticket_replies(stack)

    inbound(stack, pump, phone, f"2 {code}", "in-903", previous=None)

    [event] = ticket_replies(stack)
    assert (event["subject_id"], event["action"]) == ("TICKET000903", "reopen")


def test_an_unknown_reply_reaches_the_desk_and_acts_on_nothing(
    call: Call, pump: Pump, world: Community, stack: Stack, phone: str
) -> None:
    sms = repair_sms(stack, pump, world, phone, "TICKET000904")
    ticket_replies(stack)

    inbound(stack, pump, "+86" + phone, "师傅修得不错，谢谢", "in-904", previous=sms.message_id)

    assert ticket_replies(stack) == []
    [message] = inbox(call, world.people["desk"])
    assert message["title"] == "居民短信回复"
    assert "师傅修得不错，谢谢" in message["body"]
    assert "A101" in message["body"]


def test_a_keyword_from_a_number_not_on_record_acts_on_nothing(
    call: Call, pump: Pump, world: Community, stack: Stack, phone: str
) -> None:
    sms = repair_sms(stack, pump, world, phone, "TICKET000905")
    ticket_replies(stack)

    inbound(stack, pump, "+8613999999999", "1", "in-905", previous=sms.message_id)

    assert ticket_replies(stack) == []
    [message] = inbox(call, world.people["desk"])
    assert "未登记号码" in message["body"]
