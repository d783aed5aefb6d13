from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from courtyard.aws_calls import count_aws_calls
from courtyard.tenancy import Role
from infra.local.provision import Stack
from infra.seed import DemoData, DemoUser
from tests.factories import FakeLambdaContext, api_event, body_of


@pytest.fixture
def handler(function_env: Callable[[str], dict[str, str]]) -> Iterator[Any]:
    function_env("DirectoryFunction")
    from directory import handler as module
    from directory.settings import settings

    settings.cache_clear()
    module.service.cache_clear()
    yield module
    settings.cache_clear()
    module.service.cache_clear()


def user_claims(user: DemoUser, **overrides: str) -> dict[str, str]:
    return {
        "sub": user.user_id,
        "custom:tenant_id": user.tenant_id,
        "cognito:groups": user.role,
        "cognito:username": user.username,
        "token_use": "id",
        **overrides,
    }


def get_me(handler: Any, claims: dict[str, str] | None, **kwargs: Any) -> dict[str, Any]:
    response: dict[str, Any] = handler.lambda_handler(
        api_event("GET", "/me", claims=claims, **kwargs), FakeLambdaContext()
    )
    return response


def audit_items(stack: Stack) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = boto3.client("dynamodb").scan(TableName=stack.ref("AuditTable"))["Items"]
    return items


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_its_own_identity(handler, demo: DemoData, role: Role):
    user = demo.user("greenfield", role)
    response = get_me(handler, user_claims(user))
    assert response["statusCode"] == 200
    me = body_of(response)
    assert me["tenant_id"] == user.tenant_id
    assert me["user_id"] == user.user_id
    assert me["roles"] == [role.value]
    assert me["tenant"]["name"].endswith("Greenfield Property")
    assert me["profile"] == {
        "name": user.name,
        "kind": me["profile"]["kind"],
        "email": user.email,
        "phone": user.phone,
    }


def test_phone_is_stored_encrypted(handler, demo: DemoData, stack: Stack):
    items = boto3.client("dynamodb").scan(TableName=stack.ref("DirectoryTable"))["Items"]
    stored = str(items)
    assert all(user.phone not in stored for user in demo.users)
    assert any("phone_enc" in item for item in items)


def test_tenant_b_cannot_reach_tenant_a_data_even_with_a_tenant_a_subject(handler, demo: DemoData):
    victim = demo.user("greenfield", Role.RESIDENT)
    attacker = demo.user("harbour", Role.MANAGER)
    # A tenant-B token whose subject happens to equal a tenant-A user's id still reads only tenant B.
    response = get_me(
        handler,
        user_claims(attacker, sub=victim.user_id),
        headers={"X-Tenant-Id": victim.tenant_id},
        query={"tenant_id": victim.tenant_id},
    )
    me = body_of(response)
    assert response["statusCode"] == 200
    assert me["tenant_id"] == attacker.tenant_id
    assert me["tenant"]["tenant_id"] == attacker.tenant_id
    assert me["profile"] is None
    assert victim.phone not in response["body"]
    assert victim.name not in response["body"]


def test_tenant_comes_from_the_token_not_the_request(handler, demo: DemoData):
    user = demo.user("harbour", Role.RESIDENT)
    other = demo.tenants["greenfield"]
    response = get_me(handler, user_claims(user), headers={"X-Tenant-Id": other}, query={"tenant_id": other})
    assert body_of(response)["tenant_id"] == user.tenant_id


def test_without_claims_me_is_401(handler, demo: DemoData):
    response = get_me(handler, None)
    assert response["statusCode"] == 401
    assert body_of(response)["error"]["code"] == "unauthorized"


def test_user_without_a_profile_gets_identity_only(handler, demo: DemoData):
    user = demo.user("greenfield", Role.TECHNICIAN)
    response = get_me(handler, user_claims(user, sub="01JUSTSIGNEDUP000000000000"))
    me = body_of(response)
    assert response["statusCode"] == 200
    assert me["profile"] is None
    assert me["tenant"]["tenant_id"] == user.tenant_id


def test_reading_personal_data_leaves_an_audit_record(handler, demo: DemoData, stack: Stack):
    user = demo.user("greenfield", Role.RESIDENT)
    before = len(audit_items(stack))
    get_me(handler, user_claims(user))
    items = audit_items(stack)
    assert len(items) == before + 1
    record = items[-1] if len(items) == 1 else next(i for i in items if i["actor"]["S"] == user.user_id)
    assert record["action"]["S"] == "read_personal_data"
    assert record["pk"]["S"].startswith(f"T#{user.tenant_id}#")
    assert user.phone not in str(record)
    assert int(record["expires_at"]["N"]) > 0


def test_suspended_tenant_is_forbidden(handler, demo: DemoData, stack: Stack):
    user = demo.user("harbour", Role.MANAGER)
    boto3.client("dynamodb").update_item(
        TableName=stack.ref("DirectoryTable"),
        Key={"pk": {"S": f"T#{user.tenant_id}#TENANT"}, "sk": {"S": "TENANT"}},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "suspended"}},
    )
    response = get_me(handler, user_claims(user))
    assert response["statusCode"] == 403
    assert body_of(response)["error"]["code"] == "forbidden"


def test_me_stays_within_its_aws_call_budget(handler, demo: DemoData):
    user = demo.user("greenfield", Role.RESIDENT)
    get_me(handler, user_claims(user))  # warm: the data key is unwrapped once per process
    with count_aws_calls() as calls:
        get_me(handler, user_claims(user))
    # One BatchGetItem and one audit PutItem; KMS only on a cold data key.
    assert calls.total <= 2, calls.by_operation()


def test_unexpected_failure_is_500_with_request_id(handler, demo: DemoData, monkeypatch):
    user = demo.user("greenfield", Role.RESIDENT)

    def explode(*_: Any, **__: Any) -> None:
        raise RuntimeError("table on fire: arn:aws:dynamodb:secret")

    monkeypatch.setattr(handler.service().__class__, "me", explode)
    event = api_event("GET", "/me", claims=user_claims(user))
    response = handler.lambda_handler(event, FakeLambdaContext())
    assert response["statusCode"] == 500
    assert body_of(response)["error"]["request_id"] == event["requestContext"]["requestId"]
    assert "arn:aws" not in response["body"]


def test_health_needs_no_claims(handler):
    response = handler.lambda_handler(api_event("GET", "/health"), FakeLambdaContext())
    assert response["statusCode"] == 200
    assert body_of(response) == {"status": "ok", "service": "directory"}
