"""The care list (关爱名单) and occupancy from the import, on moto: the remarks column's care words become
care flags (a re-import adds nothing), units with residents are occupied, the desk flags a resident by hand,
and each flagged resident's return-visit call appears once a month with its outcome recorded once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from courtyard.clock import FixedClock
from courtyard.directory import DirectoryReader
from courtyard.tenancy import Role
from infra.local.provision import Stack
from tests.clocks import drive_features
from tests.integration.directory.test_imports import residents_of, run_worker, validated
from tests.integration.directory.test_imports import site as site  # the fixture, shared

ELDER, RENTER, OWNER = "13812340011", "13812340012", "13812340013"


@pytest.fixture
def clock() -> Iterator[FixedClock]:
    fixed = FixedClock(datetime(2026, 10, 12, 2, 0, tzinfo=UTC))
    drive_features(fixed)
    yield fixed
    drive_features(None)


def care_sheet() -> bytes:
    lines = [
        "楼栋,单元,房号,建筑面积（㎡）,业主姓名,手机号,关系,备注",
        f"1,1,101,80,王奶奶,{ELDER},业主,老人独居，行动不便",
        f"1,1,102,80,刘租户,{RENTER},租户,",
        f"1,1,103,80,陈业主,{OWNER},业主,车位已购",
        "1,1,104,80,,,,",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def imported(call: Any, stack: Stack, manager: Any, site_id: str) -> None:
    import_id = validated(call, stack, manager, site_id, care_sheet())
    assert call("GET", f"/imports/{import_id}", manager).body["errors"] == []
    assert call("POST", f"/imports/{import_id}/commit", manager).status == 202
    run_worker(stack)


def units_by_room(call: Any, manager: Any, site_id: str) -> dict[str, dict[str, Any]]:
    reply = call("GET", f"/sites/{site_id}/units", manager, query={"limit": "100"})
    assert reply.status == 200, reply.body
    return {u["room_key"]: u for u in reply.body["items"]}


def test_the_import_keeps_the_care_flags_from_remarks_and_reimporting_adds_nothing(
    call, caller, stack, site, clock
):
    tenant_id, site_id = site
    manager = caller(tenant_id, Role.MANAGER)
    imported(call, stack, manager, site_id)
    imported(call, stack, manager, site_id)

    care = call("GET", "/care-list", caller(tenant_id, Role.SERVICE_DESK))

    assert care.status == 200
    (elder,) = residents_of(call, manager, ELDER)
    assert [(c["resident_id"], c["name"], c["flags"]) for c in care.body["items"]] == [
        (elder["resident_id"], "王奶奶", ["elderly_alone", "needs_assistance"])
    ]
    unit_id = elder["units"][0]["unit_id"]
    assert DirectoryReader(stack.ref("DirectoryTable")).unit_in_care(tenant_id, unit_id) is True


def test_units_with_residents_are_occupied_and_an_empty_one_stays_vacant(call, caller, stack, site, clock):
    tenant_id, site_id = site
    manager = caller(tenant_id, Role.MANAGER)
    imported(call, stack, manager, site_id)

    units = units_by_room(call, manager, site_id)
    occupancy = {key.rsplit("-", 1)[-1]: u["occupancy"] for key, u in units.items()}

    assert occupancy == {"101": "self_occupied", "102": "rented", "103": "self_occupied", "104": "vacant"}


def test_the_desk_flags_a_resident_and_takes_the_flag_off(call, caller, stack, site, clock):
    tenant_id, site_id = site
    manager, desk = caller(tenant_id, Role.MANAGER), caller(tenant_id, Role.SERVICE_DESK)
    imported(call, stack, manager, site_id)
    (owner,) = residents_of(call, manager, OWNER)
    rid = owner["resident_id"]

    put = call("PUT", f"/residents/{rid}/care", desk, body={"flags": ["disabled"], "note": "轮椅"})
    assert put.status == 200, put.body
    assert {c["name"] for c in call("GET", "/care-list", desk).body["items"]} == {"王奶奶", "陈业主"}

    assert call("PUT", f"/residents/{rid}/care", desk, body={"flags": []}).status == 200
    assert {c["name"] for c in call("GET", "/care-list", desk).body["items"]} == {"王奶奶"}


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.GUARD, Role.FINANCE, Role.RESIDENT])
def test_only_the_desk_and_managers_see_or_change_the_care_list(call, caller, site, role):
    tenant_id, _ = site
    who = caller(tenant_id, role)
    assert call("GET", "/care-list", who).status == 403
    assert call("PUT", "/residents/R1/care", who, body={"flags": ["disabled"]}).status == 403


def test_bad_care_input_and_unknown_residents_change_nothing(call, caller, site, make_tenant):
    tenant_id, _ = site
    desk = caller(tenant_id, Role.SERVICE_DESK)
    assert call("PUT", "/residents/NOBODY/care", desk, body={"flags": ["disabled"]}).status == 404
    assert call("PUT", "/residents/NOBODY/care", desk, body={"flags": ["rich"]}).status == 422
    assert call("GET", "/care-visits", desk, query={"month": "2026-13"}).status == 422


def test_the_return_visit_call_appears_monthly_once_and_its_outcome_is_recorded_once(
    call, caller, stack, site, clock
):
    tenant_id, site_id = site
    manager, desk = caller(tenant_id, Role.MANAGER), caller(tenant_id, Role.SERVICE_DESK)
    imported(call, stack, manager, site_id)
    (elder,) = residents_of(call, manager, ELDER)
    rid = elder["resident_id"]

    october = call("GET", "/care-visits", desk).body
    assert october["month"] == "2026-10"
    assert [(v["name"], v["status"]) for v in october["items"]] == [("王奶奶", "to_call")]

    done = call(
        "POST", f"/care-visits/2026-10/{rid}", desk, body={"outcome": "reached_well", "note": "身体好"}
    )
    assert done.status == 201, done.body
    again = call("POST", f"/care-visits/2026-10/{rid}", desk, body={"outcome": "no_answer"})
    assert again.status == 409
    october = call("GET", "/care-visits", desk).body
    assert (october["to_call"], october["done"]) == (0, 1)
    assert october["items"][0]["outcome"] == "reached_well"

    clock.set(datetime(2026, 11, 3, 2, 0, tzinfo=UTC))
    november = call("GET", "/care-visits", desk).body
    assert november["month"] == "2026-11"
    assert [(v["name"], v["status"]) for v in november["items"]] == [("王奶奶", "to_call")]
    (owner,) = residents_of(call, manager, OWNER)
    assert (
        call(
            "POST", f"/care-visits/2026-11/{owner['resident_id']}", desk, body={"outcome": "no_answer"}
        ).status
        == 404
    )
