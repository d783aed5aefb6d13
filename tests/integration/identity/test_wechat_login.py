"""WeChat login on in-process moto, against the local cloud's WeChat persona over HTTP (issue 18): a
signed-in resident links WeChat, then signs in with a WeChat code; bad and used codes, an unlinked WeChat,
a WeChat linked to someone else, and the per-IP limit of failed sign-ins."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import jwt
import pytest
from identity.adapters.wechat_login import CodeExchange, SecretCredentials, WeChatRefused

from infra.local.pay_sandbox import PaySandbox
from infra.local.provision import Stack
from infra.local.wechat_login_persona import WeChatLoginPersona, register_provisioned_app
from infra.secure_parameters import read_json
from tests.factories import api_event, lambda_context
from tests.fakes.identity import SmsOutbox
from tests.integration.community import published  # noqa: F401
from tests.integration.identity.test_identity_api import (  # fixtures and helpers of the identity suite
    PHONE,
    _signed_up,
    identity,  # noqa: F401
    sms,  # noqa: F401
)


@pytest.fixture
def wechat(
    identity: Any,  # noqa: F811
    stack: Stack,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[WeChatLoginPersona]:
    """WeChat's API as the local cloud serves it (the pay sandbox's persona), knowing the provisioned app."""
    sandbox = PaySandbox()
    url = sandbox.start()
    register_provisioned_app(
        sandbox.wechat_login, read_json(boto3.client("ssm"), stack.secure_parameter("wechat-login"))
    )
    monkeypatch.setenv("WECHAT_API_BASE", f"{url}/wechat-api")
    from identity import wiring

    wiring.wiring.reset()  # the function reads its environment again, as a fresh container
    yield sandbox.wechat_login
    sandbox.stop()


def _call(handler: Any, path: str, body: Any, claims: dict[str, str] | None = None, ip: str = "") -> Any:
    event = api_event("POST", path, body=body, claims=claims)
    if ip:
        event["requestContext"]["identity"]["sourceIp"] = ip
    answer = handler.lambda_handler(event, lambda_context())
    return answer["statusCode"], json.loads(answer["body"]) if answer.get("body") else None


def _claims(tokens: dict[str, Any]) -> dict[str, str]:
    """The access token's claims as the gateway's authorizer hands them on (flat strings)."""
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    return {k: ",".join(v) if isinstance(v, list) else str(v) for k, v in claims.items()}


def test_a_resident_links_wechat_and_then_signs_in_with_a_wechat_code(
    identity: Any,  # noqa: F811
    sms: SmsOutbox,  # noqa: F811
    wechat: WeChatLoginPersona,
    stack: Stack,
) -> None:
    resident = _claims(_signed_up(identity, sms))

    status, _ = _call(identity, "/identity/wechat/bind", {"code": wechat.login("chen")}, claims=resident)
    assert status == 204

    status, tokens = _call(identity, "/identity/wechat/sign-in", {"code": wechat.login("chen")})
    assert status == 200, tokens
    assert _claims(tokens)["sub"] == resident["sub"]
    assert tokens["refresh_token"]
    assert len(sms.sent) == 1  # the sign-up's code only: WeChat sign-in texts nothing
    # Linking again is harmless; the table names no WeChat id in clear.
    assert _call(identity, "/identity/wechat/bind", {"code": wechat.login("chen")}, claims=resident)[0] == 204
    items = json.dumps(boto3.client("dynamodb").scan(TableName=stack.ref("IdentityTable"))["Items"])
    assert wechat.openid("chen") not in items
    assert wechat.unionid("chen") not in items


def test_a_bad_or_used_code_is_401_and_links_nothing(
    identity: Any,  # noqa: F811
    sms: SmsOutbox,  # noqa: F811
    wechat: WeChatLoginPersona,
) -> None:
    resident = _claims(_signed_up(identity, sms))
    status, body = _call(identity, "/identity/wechat/bind", {"code": "made-up-code"}, claims=resident)
    assert (status, body["error"]["code"]) == (401, "wechat_code_refused")

    code = wechat.login("chen")
    assert _call(identity, "/identity/wechat/bind", {"code": code}, claims=resident)[0] == 204
    status, body = _call(identity, "/identity/wechat/sign-in", {"code": code})  # already spent on linking
    assert (status, body["error"]["code"]) == (401, "wechat_code_refused")
    status, body = _call(identity, "/identity/wechat/sign-in", {"code": "made-up-code"})
    assert (status, body["error"]["code"]) == (401, "wechat_code_refused")


def test_a_first_wechat_sign_in_proves_the_phone_links_and_the_second_needs_no_code(
    identity: Any,  # noqa: F811
    sms: SmsOutbox,  # noqa: F811
    wechat: WeChatLoginPersona,
    stack: Stack,
) -> None:
    resident = _claims(_signed_up(identity, sms))
    status, first = _call(identity, "/identity/wechat/sign-in", {"code": wechat.login("chen")})
    assert status == 200, first
    assert first["challenge"] == "phone"
    assert first["access_token"] is None
    ticket = first["wechat_ticket"]

    body = {"wechat_ticket": ticket, "phone": PHONE}
    assert _call(identity, "/identity/wechat/phone", body) == (202, {"challenge": "sms_code"})
    code = sms.last_code()
    confirm = {**body, "code": code, "device_id": "wechat-browser-0123456789"}
    status, tokens = _call(identity, "/identity/wechat/phone/confirm", confirm)
    assert status == 200, tokens
    assert _claims(tokens)["sub"] == resident["sub"]

    # Spent: the same ticket and code link nothing again.
    status, body = _call(identity, "/identity/wechat/phone/confirm", confirm)
    assert (status, body["error"]["code"]) == (401, "wechat_ticket_refused")
    texted = len(sms.sent)
    status, again = _call(identity, "/identity/wechat/sign-in", {"code": wechat.login("chen")})
    assert status == 200
    assert _claims(again)["sub"] == resident["sub"]
    assert len(sms.sent) == texted  # the second sign-in texts nothing
    items = json.dumps(boto3.client("dynamodb").scan(TableName=stack.ref("IdentityTable"))["Items"])
    assert ticket not in items


def test_a_bad_ticket_or_a_wrong_code_links_nothing(
    identity: Any,  # noqa: F811
    sms: SmsOutbox,  # noqa: F811
    wechat: WeChatLoginPersona,
) -> None:
    _signed_up(identity, sms)
    forged = {"wechat_ticket": "A" * 43, "phone": PHONE}
    status, body = _call(identity, "/identity/wechat/phone", forged)
    assert (status, body["error"]["code"]) == (401, "wechat_ticket_refused")
    _, first = _call(identity, "/identity/wechat/sign-in", {"code": wechat.login("li")})
    body = {"wechat_ticket": first["wechat_ticket"], "phone": PHONE}
    assert _call(identity, "/identity/wechat/phone", body)[0] == 202
    wrong = "000000" if sms.last_code() != "000000" else "111111"
    confirm = {**body, "code": wrong, "device_id": "wechat-browser-0123456789"}
    assert _call(identity, "/identity/wechat/phone/confirm", confirm)[0] == 401
    _, still = _call(identity, "/identity/wechat/sign-in", {"code": wechat.login("li")})
    assert still["challenge"] == "phone"


def test_a_wechat_linked_to_another_account_is_409_and_staff_tokens_link_nothing(
    identity: Any,  # noqa: F811
    sms: SmsOutbox,  # noqa: F811
    wechat: WeChatLoginPersona,
) -> None:
    first = _claims(_signed_up(identity, sms))
    assert _call(identity, "/identity/wechat/bind", {"code": wechat.login("chen")}, claims=first)[0] == 204
    second = _claims(_signed_up(identity, sms, phone="+8613900139000"))
    status, body = _call(identity, "/identity/wechat/bind", {"code": wechat.login("chen")}, claims=second)
    assert (status, body["error"]["code"]) == (409, "conflict")
    # Still the first account's.
    _, tokens = _call(identity, "/identity/wechat/sign-in", {"code": wechat.login("chen")})
    assert _claims(tokens)["sub"] == first["sub"]

    staff = {"sub": "cognito-user", "custom:tenant_id": "t1", "cognito:groups": "manager", "mfa": "totp"}
    status, _ = _call(identity, "/identity/wechat/bind", {"code": wechat.login("wang")}, claims=staff)
    assert status == 403
    assert _call(identity, "/identity/wechat/bind", {"code": wechat.login("wang")})[0] == 401


def test_failed_wechat_sign_ins_are_limited_per_ip_like_passwords(
    identity: Any,  # noqa: F811
    wechat: WeChatLoginPersona,
) -> None:
    for _ in range(50):  # limits.FAILURES_PER_IP: 50 per 15 minutes
        assert _call(identity, "/identity/wechat/sign-in", {"code": "guess"}, ip="203.0.113.9")[0] == 401
    code = wechat.login("stranger")
    status, body = _call(identity, "/identity/wechat/sign-in", {"code": code}, ip="203.0.113.9")
    assert (status, body["error"]["code"]) == (429, "too_many_requests")
    # Refused before WeChat was asked: the code is still good from another network.
    status, body = _call(identity, "/identity/wechat/sign-in", {"code": code}, ip="198.51.100.7")
    assert (status, body["challenge"]) == (200, "phone")


def test_the_official_account_oauth_door_exchanges_its_code_the_same_way(
    wechat: WeChatLoginPersona, stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    credentials = SecretCredentials(stack.secure_parameter("wechat-login"), boto3.client("ssm"))
    oauth = CodeExchange(credentials, "oauth", os.environ["WECHAT_API_BASE"])
    session = oauth.code_to_session(wechat.login("chen"))
    assert (session.openid, session.unionid) == (wechat.openid("chen"), wechat.unionid("chen"))
    with pytest.raises(WeChatRefused):
        oauth.code_to_session("made-up-code")
    wrong = CodeExchange(lambda: (credentials()[0], "not-the-secret"), "oauth", os.environ["WECHAT_API_BASE"])
    with pytest.raises(WeChatRefused):
        wrong.code_to_session(wechat.login("chen"))


def test_a_bound_residents_wechat_sign_in_puts_the_openid_on_the_bus_for_notifications(
    identity: Any,  # noqa: F811
    sms: SmsOutbox,  # noqa: F811
    wechat: WeChatLoginPersona,
    stack: Stack,
    published: list[tuple[str, dict[str, Any]]],  # noqa: F811
) -> None:
    from identity import wiring

    resident = _claims(_signed_up(identity, sms))
    assert _call(identity, "/identity/wechat/bind", {"code": wechat.login("chen")}, claims=resident)[0] == 204
    assert [name for name, _ in published] == []  # not yet a firm's resident: nobody to key it by
    # The invitation accepted (ResidentRegistered) binds the account to the firm's resident.
    wiring.service().bind(resident["sub"], "tenant-wx", "resident-wx")

    status, _ = _call(identity, "/identity/wechat/sign-in", {"code": wechat.login("chen")})

    assert status == 200
    [(name, detail)] = published
    assert name == "ResidentWeChatLinked"
    assert (detail["tenant_id"], detail["resident_id"], detail["user_id"], detail["openid"]) == (
        "tenant-wx",
        "resident-wx",
        resident["sub"],
        wechat.openid("chen"),
    )
    # The notifications' event rule takes it to their queue (template.yaml's NotificationsEventRule).
    queued = boto3.client("sqs").receive_message(
        QueueUrl=stack.ref("NotificationsEventQueue"), MaxNumberOfMessages=10
    )
    assert any("ResidentWeChatLinked" in m["Body"] for m in queued.get("Messages", []))
