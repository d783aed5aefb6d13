"""Tenant onboarding and lifecycle through the directory handler, on moto (platform admins only).

The resolver caches each tenant's status for 60 s per process (DirectoryReader.TENANT_TTL_SECONDS), so the
suspension tests clear that cache (``directory_from_settings.cache_clear()``) before calling as the
suspended tenant's users, as a new Lambda process would see the change at once.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from courtyard.api import directory_from_settings
from courtyard.directory import Keys
from courtyard.events import DomainEvent, EventPublisher
from courtyard.tenancy import Role
from directory.adapters.cognito_identity import IdentityRepository
from directory.staff.repository import StaffRepository
from infra.local.provision import Stack
from tests.integration.directory.conftest import table_items

PLATFORM = "PLATFORM"
ADMIN_ROLES_REFUSED = [r for r in Role if r is not Role.PLATFORM_ADMIN]
PHONE = "13912345678"


def onboarding(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "绿城物业 Greenfield",
        "limits": {"households": 1200, "devices": 300},
        "manager": {"name": "王经理", "email": "wang@greenfield.example.com", "phone": PHONE},
    }
    body.update(overrides)
    return body


@pytest.fixture
def admin(caller: Callable[..., Any]) -> Any:
    return caller(PLATFORM, Role.PLATFORM_ADMIN)


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, DomainEvent]]:
    """Every domain event the handler publishes (still sent to the bus)."""
    sent: list[tuple[str, DomainEvent]] = []
    original = EventPublisher.publish_many

    def spy(self: EventPublisher, events: Any) -> None:
        batch = list(events)
        original(self, batch)
        sent.extend(batch)

    monkeypatch.setattr(EventPublisher, "publish_many", spy)
    return sent


def cognito_users(stack: Stack) -> list[dict[str, Any]]:
    response = boto3.client("cognito-idp").list_users(UserPoolId=stack.ref("UserPool"))
    return [dict(user) for user in response["Users"]]


def audit_items(stack: Stack) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = boto3.client("dynamodb").scan(TableName=stack.ref("AuditTable"))["Items"]
    return items


def tenant_path(tenant_id: str, action: str = "") -> dict[str, Any]:
    suffix = f"/{action}" if action else ""
    return {
        "resource": "/tenants/{tenant_id}" + suffix,
        "path_parameters": {"tenant_id": tenant_id},
    }


def onboard(call: Callable[..., Any], admin: Any, key: str | None = None, **overrides: Any) -> Any:
    headers = {"Idempotency-Key": key} if key else None
    return call("POST", "/tenants", as_=admin, body=onboarding(**overrides), headers=headers)


@pytest.fixture
def fresh_status() -> Iterator[Callable[[], None]]:
    """Forget the resolver's cached tenant statuses, as a new Lambda process would start without them."""
    yield directory_from_settings.cache_clear
    directory_from_settings.cache_clear()


# ---------------------------------------------------------------- onboarding


def test_platform_admin_onboards_a_tenant_with_its_first_manager(call, admin, stack, published):
    reply = onboard(call, admin, key="onboard-greenfield-1")

    assert reply.status == 201
    tenant = reply.body
    assert tenant["status"] == "active"
    assert (tenant["currency"], tenant["locale"], tenant["timezone"]) == ("CNY", "zh-CN", "Asia/Shanghai")
    assert tenant["limits"] == {"households": 1200, "devices": 300}
    assert tenant["created_by"] == admin.user_id
    manager = tenant["manager"]
    assert manager["username"] == "wang@greenfield.example.com"
    assert len(manager["temporary_password"]) >= 10

    item = boto3.client("dynamodb").get_item(
        TableName=stack.ref("DirectoryTable"),
        Key={k: {"S": v} for k, v in Keys.tenant(tenant["tenant_id"]).items()},
    )["Item"]
    assert item["status"]["S"] == "active"
    assert manager["temporary_password"] not in json.dumps(table_items(stack))

    account = boto3.client("cognito-idp").admin_get_user(
        UserPoolId=stack.ref("UserPool"), Username=manager["username"]
    )
    attributes = {a["Name"]: a["Value"] for a in account["UserAttributes"]}
    assert attributes["custom:tenant_id"] == tenant["tenant_id"]
    assert attributes["sub"] == manager["user_id"]
    groups = boto3.client("cognito-idp").admin_list_groups_for_user(
        UserPoolId=stack.ref("UserPool"), Username=manager["username"]
    )["Groups"]
    assert [g["GroupName"] for g in groups] == ["manager"]

    assert [(kind, event.tenant_id) for kind, event in published] == [("TenantCreated", tenant["tenant_id"])]
    assert published[0][1].model_dump()["name"] == "绿城物业 Greenfield"


def test_first_manager_is_staff_of_the_new_tenant_and_can_list_staff(call, admin, caller):
    tenant = onboard(call, admin).body
    manager = caller(tenant["tenant_id"], Role.MANAGER, user_id=tenant["manager"]["user_id"])

    reply = call("GET", "/staff", as_=manager)

    assert reply.status == 200
    [record] = reply.body["items"]
    assert record["staff_id"] == tenant["manager"]["staff_id"]
    assert record["roles"] == ["manager"]
    assert record["phone"] == PHONE
    own = call("GET", f"/staff/{record['staff_id']}", as_=manager)
    assert own.status == 200


def test_first_manager_signs_in_with_the_temporary_password_and_must_change_it(call, admin, stack):
    tenant = onboard(call, admin).body

    response = boto3.client("cognito-idp").admin_initiate_auth(
        UserPoolId=stack.ref("UserPool"),
        ClientId=stack.ref("UserPoolClient"),
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={
            "USERNAME": tenant["manager"]["username"],
            "PASSWORD": tenant["manager"]["temporary_password"],
        },
    )

    assert response["ChallengeName"] == "NEW_PASSWORD_REQUIRED"


def test_onboarding_accepts_explicit_settings_and_username(call, admin):
    reply = onboard(
        call,
        admin,
        currency="hkd",
        locale="en",
        timezone="Asia/Hong_Kong",
        manager={"name": "Chan", "email": "Chan@Harbour.example.com", "username": "harbour-chan"},
    )

    assert reply.status == 201
    assert (reply.body["currency"], reply.body["locale"], reply.body["timezone"]) == (
        "HKD",
        "en",
        "Asia/Hong_Kong",
    )
    assert reply.body["manager"]["username"] == "harbour-chan"
    assert reply.body["manager"]["email"] == "chan@harbour.example.com"


@pytest.mark.parametrize("role", ADMIN_ROLES_REFUSED)
def test_onboarding_is_refused_to_every_other_role(call, caller, make_tenant, stack, role):
    someone = caller(make_tenant(), role)
    before = table_items(stack)

    reply = call("POST", "/tenants", as_=someone, body=onboarding())

    assert reply.status == 403
    assert reply.body["error"]["code"] == "forbidden"
    assert table_items(stack) == before
    assert cognito_users(stack) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "RMB"}, "currency"),
        ({"locale": "fr"}, "locale"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "../etc/passwd"}, "timezone"),
        ({"limits": {"households": 0, "devices": 1}}, "households"),
        ({"limits": {"households": 10, "devices": -1}}, "devices"),
        ({"limits": {"households": 10}}, "devices"),
        ({"name": "  "}, "name"),
        ({"manager": {"name": "Wang"}}, "email"),
        ({"manager": {"name": "Wang", "email": "not-an-email"}}, "email"),
        ({"manager": {"name": "Wang", "email": "w@x.example.com", "phone": "12345"}}, "phone"),
        ({"manager": {"name": "Wang", "email": "w@x.example.com", "username": "A B"}}, "username"),
        ({"plan": "gold"}, "plan"),
    ],
)
def test_bad_onboarding_input_is_422_and_writes_nothing(call, admin, stack, change, field):
    before = table_items(stack)

    reply = call("POST", "/tenants", as_=admin, body=onboarding(**change))

    assert reply.status == 422
    assert reply.body["error"]["code"] == "validation_failed"
    assert any(field in detail["loc"] for detail in reply.body["error"]["details"])
    assert PHONE not in json.dumps(reply.body)
    assert table_items(stack) == before
    assert cognito_users(stack) == []


def test_onboarding_body_that_is_not_json_is_400(call, admin, stack):
    reply = call("POST", "/tenants", as_=admin, body="{not json")

    assert reply.status == 400
    assert reply.body["error"]["code"] == "invalid_json"
    assert table_items(stack) == []


def test_manager_username_already_taken_is_409_and_leaves_nothing(call, admin, stack):
    first = onboard(call, admin)
    before = table_items(stack)

    reply = onboard(call, admin, key="second-firm-same-user", name="Another Firm")

    assert first.status == 201
    assert reply.status == 409
    assert table_items(stack) == before
    assert len(cognito_users(stack)) == 1


# ---------------------------------------------------------------- idempotency


def test_same_idempotency_key_twice_creates_one_tenant_and_one_account(call, admin, stack, published):
    first = onboard(call, admin, key="greenfield-onboarding")
    second = onboard(call, admin, key="greenfield-onboarding")

    assert first.status == 201
    assert second.status == 200
    assert second.body["tenant_id"] == first.body["tenant_id"]
    assert second.body["manager"]["user_id"] == first.body["manager"]["user_id"]
    assert first.body["manager"]["temporary_password"]
    assert second.body["manager"]["temporary_password"] is None
    tenants = [i for i in table_items(stack) if i["sk"]["S"] == "TENANT"]
    assert len(tenants) == 1
    assert len(cognito_users(stack)) == 1
    assert [kind for kind, _ in published] == ["TenantCreated"]


def test_idempotency_key_reused_for_another_request_is_422(call, admin, stack):
    onboard(call, admin, key="greenfield-onboarding")
    before = table_items(stack)

    reply = onboard(call, admin, key="greenfield-onboarding", name="Different Firm")

    assert reply.status == 422
    assert table_items(stack) == before


def test_idempotency_key_claim_lives_under_the_platform_admins_own_tenant(call, admin, stack):
    onboard(call, admin, key="greenfield-onboarding")

    claims = [i for i in table_items(stack) if i["sk"]["S"] == "CLAIM"]

    assert len(claims) == 1
    assert claims[0]["pk"]["S"].startswith(f"T#{PLATFORM}#IDEMPOTENCY#tenants#")
    assert "greenfield-onboarding" not in json.dumps(claims)


def test_malformed_idempotency_key_is_400(call, admin, stack):
    reply = onboard(call, admin, key="short")

    assert reply.status == 400
    assert table_items(stack) == []


def test_cognito_failure_leaves_a_provisioning_tenant_that_the_retry_finishes(
    call, admin, stack, monkeypatch, published
):
    original = IdentityRepository.create_user

    def fail_once(self: IdentityRepository, **kwargs: Any) -> Any:
        monkeypatch.setattr(IdentityRepository, "create_user", original)
        raise RuntimeError("cognito unavailable")

    monkeypatch.setattr(IdentityRepository, "create_user", fail_once)

    failed = onboard(call, admin, key="greenfield-onboarding")
    [provisioning] = [i for i in table_items(stack) if i["sk"]["S"] == "TENANT"]
    retried = onboard(call, admin, key="greenfield-onboarding")

    assert failed.status == 500
    assert provisioning["status"]["S"] == "provisioning"
    assert retried.status == 201
    assert retried.body["tenant_id"] == provisioning["tenant_id"]["S"]
    assert retried.body["status"] == "active"
    assert retried.body["manager"]["temporary_password"]
    assert len(cognito_users(stack)) == 1
    assert [kind for kind, _ in published] == ["TenantCreated"]


def test_retry_after_the_account_was_made_issues_a_fresh_password_that_works(
    call, admin, stack, monkeypatch, published
):
    original = StaffRepository.add

    def fail_once(self: StaffRepository, *args: Any, **kwargs: Any) -> None:
        monkeypatch.setattr(StaffRepository, "add", original)
        raise RuntimeError("table throttled")

    monkeypatch.setattr(StaffRepository, "add", fail_once)

    failed = onboard(call, admin, key="greenfield-onboarding")
    retried = onboard(call, admin, key="greenfield-onboarding")

    assert failed.status == 500
    assert retried.status == 201
    assert len(cognito_users(stack)) == 1
    response = boto3.client("cognito-idp").admin_initiate_auth(
        UserPoolId=stack.ref("UserPool"),
        ClientId=stack.ref("UserPoolClient"),
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={
            "USERNAME": retried.body["manager"]["username"],
            "PASSWORD": retried.body["manager"]["temporary_password"],
        },
    )
    assert response["ChallengeName"] == "NEW_PASSWORD_REQUIRED"


def test_without_a_key_a_failed_onboarding_is_rolled_back(call, admin, stack, monkeypatch):
    def fail(self: StaffRepository, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("table throttled")

    monkeypatch.setattr(StaffRepository, "add", fail)

    reply = onboard(call, admin)

    assert reply.status == 500
    assert table_items(stack) == []
    assert cognito_users(stack) == []


@pytest.fixture
def log_lines(handler: Any, monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """The directory Logger's JSON lines (its handler holds the stdout of import time, so capfd misses it)."""
    from directory.app import logger

    buffer = io.StringIO()
    monkeypatch.setattr(logger.registered_handler, "stream", buffer)
    return buffer


def test_temporary_password_never_reaches_a_log_line(call, admin, stack, monkeypatch, capfd, log_lines):
    original = StaffRepository.add

    def fail_once(self: StaffRepository, *args: Any, **kwargs: Any) -> None:
        monkeypatch.setattr(StaffRepository, "add", original)
        raise RuntimeError("table throttled")

    monkeypatch.setattr(StaffRepository, "add", fail_once)
    # The first attempt fails after the account exists, so the error log line is written mid-onboarding.
    onboard(call, admin, key="greenfield-onboarding")
    reply = onboard(call, admin, key="greenfield-onboarding")

    captured = capfd.readouterr()
    logs = log_lines.getvalue() + captured.out + captured.err
    password = reply.body["manager"]["temporary_password"]
    assert password
    assert "unhandled error" in logs  # the capture does see the function's log lines
    assert password not in logs
    assert PHONE not in logs
    assert password not in json.dumps(audit_items(stack))


# ---------------------------------------------------------------- read


def test_platform_admin_reads_a_tenant(call, admin):
    created = onboard(call, admin).body

    reply = call("GET", f"/tenants/{created['tenant_id']}", as_=admin, **tenant_path(created["tenant_id"]))

    assert reply.status == 200
    assert reply.body["tenant_id"] == created["tenant_id"]
    assert reply.body["name"] == created["name"]
    assert "manager" not in reply.body


@pytest.mark.parametrize("tenant_id", ["01JUNKNOWNTENANT0000000000", "bad%23id"])
def test_unknown_tenant_is_404(call, admin, tenant_id):
    reply = call("GET", f"/tenants/{tenant_id}", as_=admin, **tenant_path(tenant_id))

    assert reply.status == 404
    assert reply.body["error"]["code"] == "not_found"


@pytest.mark.parametrize("role", ADMIN_ROLES_REFUSED)
def test_reading_a_tenant_is_refused_to_every_other_role_even_its_own_users(call, caller, make_tenant, role):
    tenant_id = make_tenant()

    reply = call("GET", f"/tenants/{tenant_id}", as_=caller(tenant_id, role), **tenant_path(tenant_id))

    assert reply.status == 403


# ---------------------------------------------------------------- suspend and reactivate


def test_suspended_tenants_users_get_403_until_reactivated(
    call, admin, caller, make_tenant, fresh_status, published
):
    tenant_id = make_tenant()
    manager = caller(tenant_id, Role.MANAGER)
    assert call("GET", "/staff", as_=manager).status == 200  # caches "active" for this process

    suspended = call(
        "POST",
        f"/tenants/{tenant_id}/suspend",
        as_=admin,
        body={"reason": "contract ended"},
        **tenant_path(tenant_id, "suspend"),
    )
    fresh_status()
    refused = call("GET", "/staff", as_=manager)
    reactivated = call(
        "POST", f"/tenants/{tenant_id}/reactivate", as_=admin, **tenant_path(tenant_id, "reactivate")
    )
    fresh_status()
    allowed = call("GET", "/staff", as_=manager)

    assert suspended.status == 200
    assert suspended.body["status"] == "suspended"
    assert suspended.body["suspension_reason"] == "contract ended"
    assert refused.status == 403
    assert refused.body["error"]["code"] == "tenant_suspended"
    assert reactivated.status == 200
    assert reactivated.body["status"] == "active"
    assert reactivated.body["suspended_at"] is None
    assert allowed.status == 200
    assert [kind for kind, _ in published] == ["TenantSuspended", "TenantReactivated"]
    assert {event.tenant_id for _, event in published} == {tenant_id}


def test_within_the_status_cache_a_suspension_takes_up_to_a_minute(call, admin, caller, make_tenant):
    tenant_id = make_tenant()
    manager = caller(tenant_id, Role.MANAGER)
    call("GET", "/staff", as_=manager)

    call("POST", f"/tenants/{tenant_id}/suspend", as_=admin, **tenant_path(tenant_id, "suspend"))

    # The same warm process still answers from its 60 s cache: documented, not a leak past that minute.
    assert call("GET", "/staff", as_=manager).status == 200


def test_suspending_a_suspended_tenant_is_409(call, admin, make_tenant, stack):
    tenant_id = make_tenant(status="suspended")
    before = table_items(stack)

    reply = call("POST", f"/tenants/{tenant_id}/suspend", as_=admin, **tenant_path(tenant_id, "suspend"))

    assert reply.status == 409
    assert table_items(stack) == before


def test_reactivating_an_active_tenant_is_409(call, admin, make_tenant, stack):
    tenant_id = make_tenant()
    before = table_items(stack)

    reply = call(
        "POST", f"/tenants/{tenant_id}/reactivate", as_=admin, **tenant_path(tenant_id, "reactivate")
    )

    assert reply.status == 409
    assert table_items(stack) == before


@pytest.mark.parametrize("action", ["suspend", "reactivate"])
def test_status_change_of_an_unknown_tenant_is_404(call, admin, action):
    tenant_id = "01JUNKNOWNTENANT0000000000"

    reply = call("POST", f"/tenants/{tenant_id}/{action}", as_=admin, **tenant_path(tenant_id, action))

    assert reply.status == 404


@pytest.mark.parametrize("action", ["suspend", "reactivate"])
@pytest.mark.parametrize("role", ADMIN_ROLES_REFUSED)
def test_status_changes_are_refused_to_every_other_role(call, caller, make_tenant, stack, role, action):
    tenant_id = make_tenant(status="active" if action == "suspend" else "suspended")
    other = make_tenant()
    before = table_items(stack)

    reply = call(
        "POST",
        f"/tenants/{tenant_id}/{action}",
        as_=caller(other, role),
        **tenant_path(tenant_id, action),
    )

    assert reply.status == 403
    assert table_items(stack) == before


def test_suspend_reason_too_long_is_422_and_writes_nothing(call, admin, make_tenant, stack):
    tenant_id = make_tenant()
    before = table_items(stack)

    reply = call(
        "POST",
        f"/tenants/{tenant_id}/suspend",
        as_=admin,
        body={"reason": "x" * 501},
        **tenant_path(tenant_id, "suspend"),
    )

    assert reply.status == 422
    assert table_items(stack) == before


def test_status_changes_are_audited_in_the_platform_and_the_tenant_trails(call, admin, make_tenant, stack):
    tenant_id = make_tenant()

    call(
        "POST",
        f"/tenants/{tenant_id}/suspend",
        as_=admin,
        body={"reason": "call 13812345678 about arrears"},
        **tenant_path(tenant_id, "suspend"),
    )

    records = [i for i in audit_items(stack) if i["action"]["S"] == "suspend"]
    assert {r["tenant_id"]["S"] for r in records} == {PLATFORM, tenant_id}
    assert all(r["actor"]["S"] == admin.user_id for r in records)
    assert all(r["resource_id"]["S"] == tenant_id for r in records)
    assert "13812345678" not in json.dumps(records)


def test_onboarding_is_audited_without_personal_data(call, admin, stack):
    tenant = onboard(call, admin).body

    records = [i for i in audit_items(stack) if i["action"]["S"] == "create"]

    assert {r["tenant_id"]["S"] for r in records} == {PLATFORM, tenant["tenant_id"]}
    text = json.dumps(records)
    assert PHONE not in text
    assert "wang@greenfield.example.com" not in text
