"""A firm's plan limits how many households (units) it manages, by hand or by import."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from courtyard.directory import Keys
from courtyard.tenancy import Role
from directory.imports.sample import messy_sample
from infra.local.provision import Stack
from tests.integration.directory.conftest import table_items
from tests.integration.directory.test_imports import run_worker, start, upload


@pytest.fixture
def small_firm(stack: Stack) -> str:
    tenant_id = "01SMALLFIRM000000000000000"
    item = {
        **Keys.tenant(tenant_id),
        "tenant_id": tenant_id,
        "name": "Small",
        "status": "active",
        "timezone": "Asia/Shanghai",
        "currency": "CNY",
        "locale": "zh-CN",
        "limits": {"households": 2, "devices": 0},
    }
    boto3.client("dynamodb").put_item(TableName=stack.ref("DirectoryTable"), Item=_serialize(item))
    return tenant_id


def _serialize(item: dict[str, Any]) -> dict[str, Any]:
    from directory.table import serialize

    return serialize(item)


def _community(call: Any, manager: Any) -> str:
    site = call(
        "POST", "/sites", manager, body={"name": "Tiny Court", "address": "1 Road", "city": "Hangzhou"}
    )
    site_id = str(site.body["site_id"])
    for code in ("1", "2", "3", "4", "5", "6", "7", "8", "A"):
        call(
            "POST",
            f"/sites/{site_id}/buildings",
            manager,
            body={"name": f"{code}栋", "floors": 30, "entrances": 4},
        )
    return site_id


def test_units_beyond_the_plan_are_refused_and_write_nothing(call, caller, stack, small_firm):
    manager = caller(small_firm, Role.MANAGER)
    site_id = _community(call, manager)
    for room in ("1-1-101", "1-1-102"):
        assert (
            call("POST", f"/sites/{site_id}/units", manager, body={"room": room, "area_m2": "80"}).status
            == 201
        )
    before = table_items(stack)
    third = call("POST", f"/sites/{site_id}/units", manager, body={"room": "1-1-103", "area_m2": "80"})
    assert third.status == 409
    assert "plan allows 2 households" in third.body["error"]["message"]
    assert table_items(stack) == before


def test_an_import_beyond_the_plan_fails_with_a_reason_and_writes_no_units(call, caller, stack, small_firm):
    manager = caller(small_firm, Role.MANAGER)
    site_id = _community(call, manager)
    data, _ = messy_sample(320)
    created = start(call, manager, site_id)
    upload(stack, created, data)
    import_id = created.body["import_id"]
    call("POST", f"/imports/{import_id}/validate", manager)
    run_worker(stack)
    call("POST", f"/imports/{import_id}/commit", manager)
    run_worker(stack)
    job = call("GET", f"/imports/{import_id}", manager).body
    assert job["status"] == "failed"
    assert "plan allows 2 households" in job["failure"]
    units = call("GET", f"/sites/{site_id}/units", manager).body
    assert units["items"] == []
