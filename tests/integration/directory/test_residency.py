"""Move-out (issue 17): a resident link to a unit has a start and an end, through the directory handler.

The desk ends a link with a reason, or the resident leaves a unit; from then on the directory no longer
links them to it (what every feature asks), the ended link stays in their history, and ``ResidentMovedOut``
goes to the bus for the features holding grants of their own (visitors: tests/integration/visitors).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from courtyard.directory import DirectoryReader
from courtyard.events import DomainEvent, EventPublisher
from courtyard.tenancy import Role
from infra.local.provision import Stack
from tests.integration.directory.conftest import Caller, Reply, table_items
from tests.integration.directory.test_people import PHONE_2, PHONE_3, link_account, new_resident, put_unit

Call = Callable[..., Reply]
PHONE_4 = "15822223333"


@pytest.fixture
def tenant(make_tenant: Callable[..., str]) -> str:
    return make_tenant(name="绿城物业")


@pytest.fixture
def desk(caller: Callable[..., Caller], tenant: str) -> Caller:
    return caller(tenant, Role.SERVICE_DESK)


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, DomainEvent]]:
    sent: list[tuple[str, DomainEvent]] = []
    original = EventPublisher.publish_many

    def spy(self: EventPublisher, events: Any) -> None:
        batch = list(events)
        original(self, batch)
        sent.extend(batch)

    monkeypatch.setattr(EventPublisher, "publish_many", spy)
    return sent


@pytest.fixture
def home(
    call: Call, caller: Callable[..., Caller], stack: Stack, tenant: str, desk: Caller
) -> dict[str, Any]:
    """Chen (owner, primary contact, with an account) and her daughter live in 1-1-101."""
    unit = put_unit(stack, tenant, room="1-1-101")
    chen = new_resident(call, desk, units=[{"unit_id": unit, "relation": "owner", "primary": True}])
    daughter = new_resident(call, desk, phone=PHONE_2, units=[{"unit_id": unit, "relation": "family"}])
    me = caller(tenant, Role.RESIDENT)
    link_account(stack, tenant, chen["resident_id"], me)
    return {"unit": unit, "chen": chen["resident_id"], "daughter": daughter["resident_id"], "me": me}


def end(call: Call, by: Caller, unit: str, resident: str, **body: Any) -> Reply:
    return call(
        "POST",
        f"/units/{unit}/residents/{resident}/end",
        as_=by,
        body={"reason": "move_out", **body},
        resource="/units/{unit_id}/residents/{resident_id}/end",
        path_parameters={"unit_id": unit, "resident_id": resident},
    )


def members(stack: Stack, tenant: str, unit: str) -> dict[str, bool]:
    reader = DirectoryReader(stack.ref("DirectoryTable"))
    return {m.resident_id: m.primary for m in reader.unit_members(tenant, unit)}


def test_desk_ends_a_link_and_the_directory_no_longer_links_the_person(
    call, stack, tenant, desk, home, published
):
    reply = end(call, desk, home["unit"], home["daughter"], reason="lease_end")

    assert reply.status == 200, reply.body
    assert reply.body["reason"] == "lease_end"
    assert reply.body["until"] >= reply.body["since"]
    assert members(stack, tenant, home["unit"]) == {home["chen"]: True}
    reader = DirectoryReader(stack.ref("DirectoryTable"))
    assert reader.unit_ids_of_resident(tenant, home["daughter"]) == []
    [(kind, event)] = published
    assert kind == "ResidentMovedOut"
    detail = event.model_dump()
    assert (detail["resident_id"], detail["unit_id"], detail["reason"]) == (
        home["daughter"],
        home["unit"],
        "lease_end",
    )


def test_the_ended_link_stays_in_the_residents_history(call, desk, home):
    end(call, desk, home["unit"], home["daughter"])

    history = call(
        "GET",
        f"/residents/{home['daughter']}/residences",
        as_=desk,
        resource="/residents/{resident_id}/residences",
        path_parameters={"resident_id": home["daughter"]},
    )

    assert history.status == 200
    [past] = history.body
    assert (past["unit_id"], past["relation"], past["reason"]) == (home["unit"], "family", "move_out")
    assert past["since"]
    assert past["until"]


def test_a_moved_out_resident_no_longer_sees_the_units_people(call, desk, home):
    me = home["me"]
    before = call("GET", f"/residents/{home['daughter']}", as_=me)

    end(call, desk, home["unit"], home["chen"], promote_resident_id=home["daughter"])
    after = call("GET", f"/residents/{home['daughter']}", as_=me)
    listing = call("GET", "/residents", as_=me)

    assert before.status == 200
    assert after.status == 404
    assert [p["resident_id"] for p in listing.body["items"]] == [home["chen"]]


def test_the_one_other_adult_is_promoted_when_the_primary_contact_moves_out(call, stack, tenant, desk):
    unit = put_unit(stack, tenant)
    owner = new_resident(call, desk, units=[{"unit_id": unit, "relation": "owner", "primary": True}])
    renter = new_resident(call, desk, phone=PHONE_2, units=[{"unit_id": unit, "relation": "renter"}])
    child = new_resident(call, desk, phone=PHONE_3, units=[{"unit_id": unit, "relation": "family"}])

    reply = end(call, desk, unit, owner["resident_id"], reason="sale")

    assert reply.status == 200, reply.body
    assert reply.body["promoted_resident_id"] == renter["resident_id"]
    assert members(stack, tenant, unit) == {renter["resident_id"]: True, child["resident_id"]: False}


def test_primary_contact_with_several_candidates_is_409_until_the_desk_chooses(call, stack, tenant, desk):
    unit = put_unit(stack, tenant)
    owner = new_resident(call, desk, units=[{"unit_id": unit, "relation": "owner", "primary": True}])
    spouse = new_resident(call, desk, phone=PHONE_2, units=[{"unit_id": unit, "relation": "owner"}])
    renter = new_resident(call, desk, phone=PHONE_3, units=[{"unit_id": unit, "relation": "renter"}])
    before = table_items(stack)

    refused = end(call, desk, unit, owner["resident_id"])
    unchanged = table_items(stack)
    chosen = end(call, desk, unit, owner["resident_id"], promote_resident_id=renter["resident_id"])

    assert refused.status == 409
    assert refused.body["error"]["code"] == "choose_primary_contact"
    assert sorted(d["msg"] for d in refused.body["error"]["details"]) == sorted(
        [spouse["resident_id"], renter["resident_id"]]
    )
    assert len(unchanged) == len(before)
    assert chosen.status == 200
    assert members(stack, tenant, unit) == {spouse["resident_id"]: False, renter["resident_id"]: True}


def test_choosing_someone_outside_the_unit_is_422(call, stack, tenant, desk, home):
    stranger = new_resident(call, desk, phone=PHONE_4)

    reply = end(call, desk, home["unit"], home["chen"], promote_resident_id=stranger["resident_id"])

    assert reply.status == 422
    assert members(stack, tenant, home["unit"]) == {home["chen"]: True, home["daughter"]: False}


def test_the_last_resident_leaving_leaves_the_unit_without_a_primary_contact(call, stack, tenant, desk):
    unit = put_unit(stack, tenant)
    owner = new_resident(call, desk, units=[{"unit_id": unit, "relation": "owner", "primary": True}])

    reply = end(call, desk, unit, owner["resident_id"])
    again = new_resident(
        call, desk, phone=PHONE_2, units=[{"unit_id": unit, "relation": "owner", "primary": True}]
    )

    assert reply.status == 200
    assert reply.body["promoted_resident_id"] is None
    assert members(stack, tenant, unit) == {again["resident_id"]: True}


def test_a_resident_leaves_a_unit_themself(call, stack, tenant, caller, desk, home, published):
    daughter = caller(tenant, Role.RESIDENT)
    link_account(stack, tenant, home["daughter"], daughter)

    reply = call(
        "POST",
        f"/me/units/{home['unit']}/leave",
        as_=daughter,
        body={},
        resource="/me/units/{unit_id}/leave",
        path_parameters={"unit_id": home["unit"]},
    )

    assert reply.status == 200, reply.body
    assert members(stack, tenant, home["unit"]) == {home["chen"]: True}
    assert published[-1][1].model_dump()["user_id"] == daughter.user_id


def test_repeating_an_end_answers_the_same_end_and_announces_it_again(call, desk, home, published):
    first = end(call, desk, home["unit"], home["daughter"])
    second = end(call, desk, home["unit"], home["daughter"])

    assert second.status == 200
    assert second.body == first.body
    assert [kind for kind, _ in published] == ["ResidentMovedOut", "ResidentMovedOut"]


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.GUARD, Role.FINANCE, Role.RESIDENT])
def test_only_the_desk_ends_someone_elses_link(call, caller, stack, tenant, home, role):
    before = table_items(stack)

    reply = end(call, caller(tenant, role), home["unit"], home["daughter"])

    assert reply.status == 403
    assert len(table_items(stack)) == len(before)


def test_another_tenants_or_an_unknown_link_is_404(call, caller, make_tenant, desk, home):
    foreign_desk = caller(make_tenant(name="港湾物业"), Role.SERVICE_DESK)

    assert end(call, foreign_desk, home["unit"], home["daughter"]).status == 404
    assert end(call, desk, home["unit"], "01NOSUCHRESIDENT").status == 404


def test_an_unknown_reason_is_422(call, desk, home):
    assert end(call, desk, home["unit"], home["daughter"], reason="evicted!").status == 422
