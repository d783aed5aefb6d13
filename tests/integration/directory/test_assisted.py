"""Assisted mode is bounded (issue 17), through the directory handler on moto.

``X-On-Behalf-Of`` is accepted only on the routes courtyard.assisted lists, only from the service desk and
managers, only for a resident of the caller's firm, with a reason; it unmasks nothing, and each such request
is audited with both identities and the reason. Elsewhere the header is a 400.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest

from courtyard.ids import new_id
from courtyard.tenancy import Role
from infra.local.provision import Stack
from tests.integration.directory.conftest import Caller, Reply, table_items
from tests.integration.directory.test_people import ID_NUMBER, PHONE_2, new_resident

Call = Callable[..., Reply]
REASON = "%E4%BB%A3%E5%AE%A2%E4%BF%AE%E6%94%B9"  # 代客修改, percent-encoded as a browser must send it


@pytest.fixture
def tenant(make_tenant: Callable[..., str]) -> str:
    return make_tenant(name="绿城物业")


@pytest.fixture
def manager(caller: Callable[..., Caller], tenant: str) -> Caller:
    return caller(tenant, Role.MANAGER)


@pytest.fixture
def desk(caller: Callable[..., Caller], tenant: str) -> Caller:
    return caller(tenant, Role.SERVICE_DESK)


@pytest.fixture
def granny(call: Call, manager: Caller) -> str:
    return str(new_resident(call, manager, id_number=ID_NUMBER, name="王奶奶")["resident_id"])


def assisted(resident_id: str, reason: str | None = REASON) -> dict[str, str]:
    return {"X-On-Behalf-Of": resident_id, **({"X-Assist-Reason": reason} if reason is not None else {})}


def patch(call: Call, who: Caller, resident_id: str, headers: dict[str, str], **body: Any) -> Reply:
    return call(
        "PATCH", f"/residents/{resident_id}", as_=who, body=body or {"name": "王奶奶"}, headers=headers
    )


def audit_items(stack: Stack) -> list[dict[str, Any]]:
    return list(boto3.client("dynamodb").scan(TableName=stack.ref("AuditTable"))["Items"])


def test_an_assisted_change_is_audited_with_both_identities_and_the_reason(call, stack, desk, granny):
    reply = patch(call, desk, granny, assisted(granny), name="王桂兰")

    assert reply.status == 200, reply.body
    records = {i["action"]["S"]: i for i in audit_items(stack)}
    for action in ("assisted_request", "update"):
        record = records[action]
        assert record["actor"]["S"] == desk.user_id
        assert record["on_behalf_of"]["S"] == granny
        assert record["assist_reason"]["S"] == "代客修改"
    assert records["assisted_request"]["resource_id"]["S"] == "PATCH /residents/{resident_id}"


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/residents"), ("GET", "/me"), ("POST", "/residents"), ("GET", "/staff")],
)
def test_the_header_is_400_on_routes_that_do_not_declare_it(call, stack, desk, granny, method, path):
    before = table_items(stack)
    body = {"name": "新住户", "phone": PHONE_2} if method == "POST" else None

    reply = call(method, path, as_=desk, body=body, headers=assisted(granny))

    assert reply.status == 400
    assert "X-On-Behalf-Of" in reply.body["error"]["message"]
    assert table_items(stack) == before


def test_reading_a_resident_in_assisted_mode_is_400_so_nothing_is_unmasked(call, desk, granny):
    reply = call("GET", f"/residents/{granny}", as_=desk, headers=assisted(granny))

    assert reply.status == 400


def test_an_assisted_write_answers_masked_values_only(call, desk, granny):
    reply = patch(call, desk, granny, assisted(granny), name="王桂兰")

    assert reply.status == 200
    assert reply.body["id_number"] != ID_NUMBER  # the desk sees ID numbers masked, assisted or not
    assert "*" in reply.body["id_number"]


@pytest.mark.parametrize("reason", [None, "", "   ", "x" * 201, "call 13812345678 back"])
def test_assisted_mode_needs_a_reason_without_personal_numbers(call, stack, desk, granny, reason):
    before = table_items(stack)

    reply = patch(call, desk, granny, assisted(granny, reason))

    assert reply.status == 400
    assert table_items(stack) == before


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.GUARD, Role.FINANCE, Role.RESIDENT])
def test_only_roles_that_assist_may_act_for_a_resident(call, caller, stack, tenant, granny, role):
    before = table_items(stack)

    reply = patch(call, caller(tenant, role), granny, assisted(granny))

    assert reply.status == 403
    assert table_items(stack) == before


def test_only_a_resident_of_the_callers_firm(call, caller, stack, make_tenant, desk, granny):
    foreign_desk = caller(make_tenant(name="港湾物业"), Role.SERVICE_DESK)

    assert patch(call, foreign_desk, granny, assisted(granny)).status == 404
    assert patch(call, desk, granny, assisted(new_id())).status == 404
    assert not [i for i in audit_items(stack) if i["action"]["S"] == "assisted_request"]


def test_an_erased_resident_cannot_be_acted_for(call, stack, tenant, caller, manager, desk):
    from tests.integration.directory.test_people import link_account

    resident = new_resident(call, manager, phone=PHONE_2)
    me = caller(tenant, Role.RESIDENT)
    link_account(stack, tenant, resident["resident_id"], me)
    assert call("POST", "/me/erase", as_=me).status == 200

    reply = patch(call, desk, resident["resident_id"], assisted(resident["resident_id"]))

    assert reply.status == 404
