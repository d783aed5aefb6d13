"""The directory's people events reaching identity through the bus, the identity rule and queue, on moto
(issue 17): ``ResidentErased`` deletes everything identity holds about the account (its number's digest,
WeChat links, devices), and ``ResidentPhoneChanged`` (the desk changed the number) moves the sign-in to the
new number, refusing a number that already has an account."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import jwt
import pytest

from courtyard.blind_index import load_blind_index
from infra.local.provision import Stack
from infra.local.wechat_login_persona import WeChatLoginPersona
from schemas.events import ResidentErased, ResidentPhoneChanged
from tests.fakes.identity import SmsOutbox
from tests.integration.bus import through_queue
from tests.integration.identity.test_identity_api import DEVICE, PHONE, _call, _signed_up, identity, sms  # noqa: F401 (fixtures)
from tests.integration.identity.test_wechat_login import wechat  # noqa: F401 (fixture)

NEW = "+8613900139000"
TAKEN = "+8613700137000"
PASSWORD = "pass word 1"  # the suite's sign-up password


@pytest.fixture
def deliver(identity: Any, stack: Stack) -> Callable[[Any], dict[str, Any]]:  # noqa: F811
    from identity import events_handler

    def send(event: Any) -> dict[str, Any]:
        return through_queue(stack, "courtyard.directory", event, "IdentityEventQueue", events_handler)

    return send


def _sign_in(identity: Any, phone: str) -> int:  # noqa: F811
    body = {"phone": phone, "password": PASSWORD, "device_id": DEVICE}
    return int(_call(identity, "POST", "/identity/sign-in", body)[0])


def _sign_in_digest(stack: Stack, phone: str) -> str:
    """What the directory puts on the bus: the number's sign-in digest with the deployment's secret."""
    return load_blind_index(stack.secure_parameter("blind-index-key")).sign_in_phone(phone)


def _bodies(stack: Stack, queue: str) -> list[dict[str, Any]]:
    """What ``queue`` holds, taken off it (the envelopes EventBridge delivered)."""
    sqs = boto3.client("sqs")
    url = stack.ref(queue)
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for message in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return [json.loads(message["Body"]) for message in messages]


def _items(stack: Stack) -> list[dict[str, Any]]:
    return list(boto3.client("dynamodb").scan(TableName=stack.ref("IdentityTable"))["Items"])


def test_erasure_deletes_the_account_its_devices_and_wechat_links(
    identity: Any,  # noqa: F811
    sms: SmsOutbox,  # noqa: F811
    wechat: WeChatLoginPersona,  # noqa: F811
    stack: Stack,
    deliver: Callable[[Any], dict[str, Any]],
) -> None:
    other = _signed_up(identity, sms, phone=TAKEN)  # a neighbour's account stays whole
    tokens = _signed_up(identity, sms)
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    flat = {k: ",".join(v) if isinstance(v, list) else str(v) for k, v in claims.items()}
    status, _ = _call(identity, "POST", "/identity/wechat/bind", {"code": wechat.login("chen")}, claims=flat)
    assert status == 204
    account_id = str(claims["sub"])
    assert any(account_id in json.dumps(item) for item in _items(stack))

    erased = ResidentErased(tenant_id="tenant-1", resident_id="res-1", user_id=account_id)
    answer = deliver(erased)
    assert (answer["delivered"], answer["batchItemFailures"]) == (1, [])

    # Spent and dead refresh tokens keep only the account id until their TTL (no account: no refresh).
    remaining = json.dumps([i for i in _items(stack) if not i["pk"]["S"].startswith("REFRESH#")])
    assert account_id not in remaining
    assert '"WECHAT#' not in remaining
    assert '"LINK"' not in remaining
    assert _sign_in(identity, PHONE) == 401
    assert _call(identity, "POST", "/identity/refresh", {"refresh_token": tokens["refresh_token"]})[0] == 401
    _, again = _call(identity, "POST", "/identity/wechat/sign-in", {"code": wechat.login("chen")})
    assert again["challenge"] == "phone"  # the WeChat names nobody any more
    assert _sign_in(identity, TAKEN) == 200
    assert other["access_token"]
    # Redelivered: nothing left, nothing fails.
    assert deliver(erased)["batchItemFailures"] == []


def test_a_wechat_link_made_before_the_account_side_copy_is_backfilled_and_then_erased(
    identity: Any,  # noqa: F811
    sms: SmsOutbox,  # noqa: F811
    wechat: WeChatLoginPersona,  # noqa: F811
    stack: Stack,
    deliver: Callable[[Any], dict[str, Any]],
) -> None:
    from infra.backfill_wechat_links import backfill

    tokens = _signed_up(identity, sms)
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    flat = {k: ",".join(v) if isinstance(v, list) else str(v) for k, v in claims.items()}
    status, _ = _call(identity, "POST", "/identity/wechat/bind", {"code": wechat.login("chen")}, claims=flat)
    assert status == 204
    account_id = str(claims["sub"])
    table = stack.ref("IdentityTable")
    # As links made before this round: only the WeChat side (unionid and openid), no ACCOUNT#/WECHAT# copy.
    copies = [
        item
        for item in _items(stack)
        if item["pk"]["S"] == f"ACCOUNT#{account_id}" and item["sk"]["S"].startswith("WECHAT#")
    ]
    for item in copies:
        boto3.client("dynamodb").delete_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})

    assert copies
    assert backfill(table) == len(copies)
    assert backfill(table) == 0  # idempotent: a second run writes nothing

    deliver(ResidentErased(tenant_id="tenant-1", resident_id="res-1", user_id=account_id))
    assert '"LINK"' not in json.dumps(_items(stack))  # erasure found the old link through its copy
    _, again = _call(identity, "POST", "/identity/wechat/sign-in", {"code": wechat.login("chen")})
    assert again["challenge"] == "phone"


def test_a_number_changed_by_the_desk_moves_the_sign_in_and_a_taken_one_is_refused(
    identity: Any,  # noqa: F811
    sms: SmsOutbox,  # noqa: F811
    stack: Stack,
    deliver: Callable[[Any], dict[str, Any]],
) -> None:
    tokens = _signed_up(identity, sms)
    account_id = str(jwt.decode(tokens["access_token"], options={"verify_signature": False})["sub"])
    _signed_up(identity, sms, phone=TAKEN)

    def changed(phone: str) -> ResidentPhoneChanged:
        return ResidentPhoneChanged(
            tenant_id="tenant-1",
            resident_id="res-1",
            user_id=account_id,
            sign_in_phone_digest=_sign_in_digest(stack, phone),
        )

    before = _items(stack)
    assert deliver(changed(TAKEN))["batchItemFailures"] == []
    assert _items(stack) == before  # refused: nothing changed
    assert _sign_in(identity, PHONE) == 200
    # ...and identity answers, through the bus to the directory's queue, so the directory puts the previous
    # number back (tests/integration/directory/test_phone_refusal.py): the digest, never the number.
    answers = _bodies(stack, "DirectoryEventQueue")
    assert [(a["source"], a["detail-type"]) for a in answers] == [
        ("courtyard.identity", "ResidentPhoneChangeRefused")
    ]
    detail = answers[0]["detail"]
    assert (detail["tenant_id"], detail["resident_id"], detail["user_id"]) == (
        "tenant-1",
        "res-1",
        account_id,
    )
    assert detail["sign_in_phone_digest"] == _sign_in_digest(stack, TAKEN)
    assert TAKEN.removeprefix("+86") not in json.dumps(answers)

    assert deliver(changed(NEW))["batchItemFailures"] == []
    assert _bodies(stack, "DirectoryEventQueue") == []  # moved: nothing to answer
    assert _sign_in(identity, PHONE) == 401
    status, moved = _call(
        identity, "POST", "/identity/sign-in", {"phone": NEW, "password": PASSWORD, "device_id": DEVICE}
    )
    assert status == 200
    assert jwt.decode(moved["access_token"], options={"verify_signature": False})["sub"] == account_id
