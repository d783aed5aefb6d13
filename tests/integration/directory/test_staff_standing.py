"""Leavers and demotions take effect within a minute (issue 17): the resolver checks every staff token
against the directory (cached for at most 60 s) and a change of roles revokes the account's sessions.

The clock is driven past the cache's minute; nothing sleeps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from courtyard.clock import FixedClock
from courtyard.directory import Keys
from courtyard.tenancy import Role
from courtyard.wiring import use_clock
from directory.adapters.cognito_identity import IdentityRepository
from infra.local.provision import Stack
from tests.integration.directory.test_staff import create, new_staff, put_place, staff_path

PAST_THE_CACHE = 61


@pytest.fixture
def tenant(make_tenant: Callable[..., str]) -> str:
    return make_tenant(name="Greenfield")


@pytest.fixture
def site(stack: Stack, tenant: str) -> str:
    put_place(stack, Keys.site(tenant, "SITE1"), site_id="SITE1", name="绿城小区")
    put_place(stack, Keys.building(tenant, "SITE1", "B1"), site_id="SITE1", building_id="B1")
    return "SITE1"


@pytest.fixture
def clock(handler: Any) -> Iterator[FixedClock]:
    """One clock for the handler and the resolver's standing cache (set after the handler's reset)."""
    driven = FixedClock()
    use_clock(driven)
    yield driven
    use_clock(None)


@pytest.fixture
def signed_out(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Usernames whose sessions were revoked (the real adapter still calls Cognito)."""
    revoked: list[str] = []
    original = IdentityRepository.sign_out

    def spy(self: IdentityRepository, username: str) -> None:
        revoked.append(username)
        original(self, username)

    monkeypatch.setattr(IdentityRepository, "sign_out", spy)
    return revoked


def as_staff(caller: Callable[..., Any], tenant: str, staff: dict[str, Any], *roles: Role) -> Any:
    """The staff member's own token, carrying the groups it was issued with."""
    return caller(tenant, *roles, user_id=staff["user_id"], username=staff["username"])


def change(call: Callable[..., Any], by: Any, staff: dict[str, Any], **body: Any) -> None:
    reply = call("PATCH", f"/staff/{staff['staff_id']}", as_=by, body=body, **staff_path(staff["staff_id"]))
    assert reply.status == 200, reply.body


def test_a_demoted_managers_old_token_cannot_create_staff_after_a_minute(
    call, caller, tenant, site, clock, signed_out
):
    owner = caller(tenant, Role.MANAGER)
    deputy = create(call, owner, roles=["manager"], email="deputy@greenfield.example.com", zones=[])
    old_token = as_staff(caller, tenant, deputy, Role.MANAGER)
    before = call("POST", "/staff", as_=old_token, body=new_staff(email="a@greenfield.example.com"))

    change(call, owner, deputy, roles=["service_desk"])
    clock.advance(PAST_THE_CACHE)
    after = call("POST", "/staff", as_=old_token, body=new_staff(email="b@greenfield.example.com"))

    assert before.status == 201
    assert after.status == 403
    assert signed_out == [deputy["username"]]


def test_a_demoted_manager_keeps_the_roles_the_directory_still_grants(call, caller, tenant, site, clock):
    owner = caller(tenant, Role.MANAGER)
    deputy = create(
        call, owner, roles=["manager", "service_desk"], email="d@greenfield.example.com", zones=[]
    )
    old_token = as_staff(caller, tenant, deputy, Role.MANAGER, Role.SERVICE_DESK)

    change(call, owner, deputy, roles=["service_desk"])
    clock.advance(PAST_THE_CACHE)
    listing = call("GET", "/staff", as_=old_token)
    creating = call("POST", "/staff", as_=old_token, body=new_staff(email="c@greenfield.example.com"))

    assert listing.status == 200  # the desk still reads staff
    assert creating.status == 403  # but the manager's power is gone


def test_a_deactivated_staff_members_token_is_refused_after_a_minute(call, caller, tenant, site, clock):
    owner = caller(tenant, Role.MANAGER)
    technician = create(call, owner)
    token = as_staff(caller, tenant, technician, Role.TECHNICIAN)
    path = f"/staff/{technician['staff_id']}"
    before = call("GET", path, as_=token, **staff_path(technician["staff_id"]))

    change(call, owner, technician, active=False)
    clock.advance(PAST_THE_CACHE)
    after = call("GET", path, as_=token, **staff_path(technician["staff_id"]))

    assert before.status == 200
    assert after.status == 401
    assert after.body["error"]["code"] == "account_deactivated"


def test_staff_groups_on_a_residents_token_are_not_honoured(call, caller, tenant, site, clock, stack):
    """A resident's account (user link of kind resident) never acts as staff, whatever its groups say."""
    boto3.client("dynamodb").put_item(
        TableName=stack.ref("DirectoryTable"),
        Item={
            **{k: {"S": v} for k, v in Keys.user(tenant, "resident-user-1").items()},
            "kind": {"S": "resident"},
            "person_id": {"S": "RES1"},
        },
    )
    forged = caller(tenant, Role.MANAGER, Role.RESIDENT, user_id="resident-user-1")

    reply = call("POST", "/staff", as_=forged, body=new_staff())

    assert reply.status == 403


def test_an_account_the_directory_does_not_know_keeps_its_token_roles(call, caller, tenant, site, clock):
    """Accounts with no user link (none is made so today) are left to their verified token."""
    reply = call("POST", "/staff", as_=caller(tenant, Role.MANAGER), body=new_staff())

    assert reply.status == 201
