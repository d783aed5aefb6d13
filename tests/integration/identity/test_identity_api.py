"""The identity function on in-process moto (its table and signing secret from template.yaml): sign-up with
an SMS code, refresh rotation and reuse, the JWKS, the directory's events, and the gateway's authorizer."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import jwt
import pytest

from courtyard.clock import FixedClock
from tests.factories import api_event, lambda_context
from tests.fakes.identity import SmsOutbox

if TYPE_CHECKING:
    from identity.service import SmsSender

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
PHONE = "+8613800138000"
DEVICE = "install-0123456789abcdef"


@pytest.fixture
def sms() -> SmsOutbox:
    return SmsOutbox()


@pytest.fixture
def identity(function_env: Callable[[str], dict[str, str]], sms: SmsOutbox) -> Iterator[Any]:
    function_env("IdentityFunction")
    from identity import handler, wiring

    from courtyard.wiring import use_clock

    use_clock(FixedClock(NOW))
    sender: SmsSender = sms
    wiring.wiring.override(wiring.sms, sender)
    yield handler
    wiring.wiring.override(wiring.sms, None)
    use_clock(None)


def _call(
    handler: Any, method: str, path: str, body: Any = None, claims: dict[str, str] | None = None
) -> Any:
    answer = handler.lambda_handler(api_event(method, path, body=body, claims=claims), lambda_context())
    return answer["statusCode"], json.loads(answer["body"]) if answer.get("body") else None


def _signed_up(handler: Any, sms: SmsOutbox, phone: str = PHONE) -> dict[str, Any]:
    status, body = _call(
        handler, "POST", "/identity/sign-up", {"phone": phone, "password": "pass word 1", "device_id": DEVICE}
    )
    assert (status, body) == (202, {"challenge": "sms_code"})
    status, tokens = _call(
        handler, "POST", "/identity/confirm", {"phone": phone, "code": sms.last_code(), "device_id": DEVICE}
    )
    assert status == 200
    return dict(tokens)


def test_sign_up_confirm_and_sign_in_on_a_known_device(identity, sms, stack):
    tokens = _signed_up(identity, sms)
    _, jwks = _call(identity, "GET", "/identity/jwks")
    key = jwt.PyJWKSet.from_dict(jwks).keys[0]
    claims = jwt.decode(
        tokens["access_token"],
        key.key,
        algorithms=["ES256"],
        audience="courtyard",
        options={"verify_exp": False},
    )
    assert claims["identity"] == "courtyard"
    assert tokens["expires_in"] == 900

    status, again = _call(
        identity,
        "POST",
        "/identity/sign-in",
        {"phone": PHONE, "password": "pass word 1", "device_id": DEVICE},
    )
    assert status == 200
    assert again["access_token"]
    status, other = _call(
        identity,
        "POST",
        "/identity/sign-in",
        {"phone": PHONE, "password": "pass word 1", "device_id": "another-device-000000"},
    )
    assert (status, other["challenge"]) == (200, "sms_code")
    assert len(sms.sent) == 2
    # The table holds no phone number and no code in clear.
    import boto3

    items = boto3.client("dynamodb").scan(TableName=stack.ref("IdentityTable"))["Items"]
    assert PHONE not in json.dumps(items)
    assert sms.last_code() not in json.dumps(items)


def test_wrong_password_is_401_with_the_error_body(identity, sms, stack):
    _signed_up(identity, sms)
    status, body = _call(
        identity, "POST", "/identity/sign-in", {"phone": PHONE, "password": "wrong one!", "device_id": DEVICE}
    )
    assert status == 401
    assert body["error"]["code"] == "unauthorized"


def test_refresh_rotates_and_a_reused_token_ends_the_family(identity, sms, stack):
    first = _signed_up(identity, sms)["refresh_token"]
    status, second = _call(identity, "POST", "/identity/refresh", {"refresh_token": first})
    assert status == 200
    status, _ = _call(identity, "POST", "/identity/refresh", {"refresh_token": first})
    assert status == 401
    status, _ = _call(identity, "POST", "/identity/refresh", {"refresh_token": second["refresh_token"]})
    assert status == 401


def test_directory_events_bind_the_account_and_erasure_ends_its_sessions(identity, sms, stack, function_env):
    tokens = _signed_up(identity, sms)
    account_id = jwt.decode(tokens["access_token"], options={"verify_signature": False})["sub"]
    from identity import events_handler

    def deliver(detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
        record = {
            "messageId": detail["event_id"],
            "receiptHandle": "r",
            "body": json.dumps(
                {"detail-type": detail_type, "source": "courtyard.directory", "detail": detail}
            ),
            "attributes": {},
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
            "awsRegion": "us-east-1",
        }
        return events_handler.lambda_handler({"Records": [record]}, lambda_context())

    registered = {
        "event_id": "e1",
        "tenant_id": "tenant-1",
        "resident_id": "res-1",
        "unit_id": "u1",
        "user_id": account_id,
    }
    assert deliver("ResidentRegistered", registered)["batchItemFailures"] == []
    status, fresh = _call(identity, "POST", "/identity/refresh", {"refresh_token": tokens["refresh_token"]})
    assert status == 200
    claims = jwt.decode(fresh["access_token"], options={"verify_signature": False})
    assert (claims["custom:tenant_id"], claims["person_id"], claims["cognito:groups"]) == (
        "tenant-1",
        "res-1",
        ["resident"],
    )

    deliver(
        "ResidentErased",
        {"event_id": "e2", "tenant_id": "tenant-1", "resident_id": "res-1", "user_id": account_id},
    )
    status, _ = _call(identity, "POST", "/identity/refresh", {"refresh_token": fresh["refresh_token"]})
    assert status == 401


def test_sign_out_everywhere_needs_a_courtyard_token_and_ends_refresh(identity, sms, stack):
    tokens = _signed_up(identity, sms)
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    flat = {k: ",".join(v) if isinstance(v, list) else str(v) for k, v in claims.items()}
    status, _ = _call(identity, "POST", "/identity/sign-out-everywhere", claims=flat)
    assert status == 204
    status, _ = _call(identity, "POST", "/identity/refresh", {"refresh_token": tokens["refresh_token"]})
    assert status == 401


def test_the_authorizer_refuses_forged_and_expired_tokens(identity, sms, stack, function_env):
    tokens = _signed_up(identity, sms)
    function_env("IdentityAuthorizerFunction")
    from identity import authorizer_handler

    authorizer_handler.verifier.cache_clear()
    arn = "arn:aws:execute-api:us-east-1:123456789012:api/dev/GET/me"
    issued = int(NOW.timestamp())
    allowed = authorizer_handler.authorize(f"Bearer {tokens['access_token']}", arn, issued + 60)
    assert allowed["context"]["identity"] == "courtyard"
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer_handler.authorize(f"Bearer {tokens['access_token']}", arn, issued + 900)
    header, _payload, signature = tokens["access_token"].split(".")
    forged_payload = jwt.utils.base64url_encode(
        json.dumps(
            {
                **jwt.decode(tokens["access_token"], options={"verify_signature": False}),
                "custom:tenant_id": "other",
            }
        ).encode()
    ).decode()
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer_handler.authorize(f"Bearer {header}.{forged_payload}.{signature}", arn, issued + 60)
