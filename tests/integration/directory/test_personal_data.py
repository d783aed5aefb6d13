"""Technicians and guards see what their task needs (issue 17): name, unit and a masked phone, never the
e-mail nor any part of the ID number; the roles that need more still see it, and so does the person."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from courtyard.tenancy import Role
from infra.local.provision import Stack
from tests.integration.directory.conftest import Caller
from tests.integration.directory.test_people import ID_NUMBER, PHONE, link_account, new_resident, put_unit

EMAIL = "chen@example.com"


@pytest.fixture
def tenant(make_tenant: Callable[..., str]) -> str:
    return make_tenant(name="绿城物业")


@pytest.fixture
def chen(call, stack: Stack, tenant: str, caller: Callable[..., Caller]) -> dict[str, str]:
    unit = put_unit(stack, tenant)
    manager = caller(tenant, Role.MANAGER)
    resident = new_resident(
        call,
        manager,
        id_number=ID_NUMBER,
        email=EMAIL,
        units=[{"unit_id": unit, "relation": "owner", "primary": True}],
    )
    return {"unit": unit, "resident_id": resident["resident_id"]}


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.GUARD])
def test_technicians_and_guards_see_name_unit_and_a_masked_phone_only(call, caller, tenant, chen, role):
    who = caller(tenant, role)

    listed = call("GET", "/residents", as_=who, query={"unit_id": chen["unit"]})
    read = call("GET", f"/residents/{chen['resident_id']}", as_=who)

    for person in (listed.body["items"][0], read.body):
        assert person["name"] == "陈业主"
        assert [u["unit_id"] for u in person["units"]] == [chen["unit"]]
        assert person["phone"] == "138****5678"
        assert person["email"] is None
        assert person["id_number"] is None


@pytest.mark.parametrize(
    ("role", "id_number"),
    [
        (Role.MANAGER, ID_NUMBER),
        (Role.SERVICE_DESK, "110***********002X"),
        (Role.FINANCE, "110***********002X"),
    ],
)
def test_roles_that_need_contact_details_still_see_them(call, caller, tenant, chen, role, id_number):
    person = call("GET", f"/residents/{chen['resident_id']}", as_=caller(tenant, role)).body

    assert person["email"] == EMAIL
    assert person["id_number"] == id_number


def test_the_person_sees_their_own_details(call, caller, stack, tenant, chen):
    me = caller(tenant, Role.RESIDENT)
    link_account(stack, tenant, chen["resident_id"], me)

    person = call("GET", f"/residents/{chen['resident_id']}", as_=me).body

    assert (person["phone"], person["email"], person["id_number"]) == (PHONE, EMAIL, ID_NUMBER)
