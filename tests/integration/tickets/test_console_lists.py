"""What the staff console asks of the tickets API beyond filing: one unit's tickets (``unit_id``) and the
reporter's name on a ticket (staff only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from courtyard.aws_calls import count_aws_calls
from courtyard.tenancy import Role
from tests.integration.conftest import Arranged
from tests.integration.tickets.conftest import Caller, Community, Reply

Call = Callable[..., Reply]


@pytest.fixture
def world(
    arranged: Arranged,
    seed: Callable[..., Community],
    residents: Callable[..., Caller],
    staff: Callable[..., Caller],
) -> Community:
    """Li lives in a101 and b201, Zhao in a102; a desk agent, a manager and a plumber."""

    def build() -> Community:
        community = seed()
        residents(community, "李秀英", "a101", "b201")
        residents(community, "赵建国", "a102")
        staff(community, "前台小王", Role.SERVICE_DESK)
        staff(community, "manager", Role.MANAGER)
        staff(community, "plumber", Role.TECHNICIAN, skills=("plumbing",), buildings=(community.building_a,))
        return community

    return arranged(build)


def _file(call: Call, who: Caller, **body: Any) -> str:
    payload = {"kind": "repair", "category": "plumbing", "description": "水管漏水", **body}
    reply = call("POST", "/tickets", as_=who, body=payload)
    assert reply.status == 201, reply.body
    return str(reply.body["ticket_id"])


def _ids(reply: Reply) -> set[str]:
    assert reply.status == 200, reply.body
    return {t["ticket_id"] for t in reply.body["items"]}


def test_staff_list_one_units_tickets_in_one_query_of_its_community(call: Call, world: Community) -> None:
    li = world.people["李秀英"]
    kitchen = _file(call, li, unit_id=world.units["a101"])
    upstairs = _file(call, li, unit_id=world.units["b201"])
    neighbour = _file(call, world.people["赵建国"])
    manager = world.people["manager"]
    call("GET", "/tickets", as_=manager)  # warm the tenant cache

    with count_aws_calls() as calls:
        a101 = call("GET", "/tickets", as_=manager, query={"unit_id": world.units["a101"]})
    # One query of the unit's community index, filtered; the unit (which community it is in) is still
    # remembered from the filing above (a minute per container: courtyard.directory_cache).
    assert calls.count("dynamodb", "Query") == 1
    assert calls.total == 1, calls
    assert _ids(a101) == {kitchen}
    assert _ids(call("GET", "/tickets", as_=manager, query={"unit_id": world.units["a102"]})) == {neighbour}
    desk = world.people["前台小王"]
    assert _ids(call("GET", "/tickets", as_=desk, query={"unit_id": world.units["b201"]})) == {upstairs}
    # With other filters too.
    a101_of = {"unit_id": world.units["a101"]}
    assert _ids(call("GET", "/tickets", as_=manager, query={**a101_of, "status": "assigned"})) == {kitchen}
    assert _ids(call("GET", "/tickets", as_=manager, query={**a101_of, "status": "closed"})) == set()


def test_a_units_pages_follow_the_cursor_bound_to_the_filter(call: Call, world: Community) -> None:
    li = world.people["李秀英"]
    first = _file(call, li, unit_id=world.units["a101"])
    second = _file(call, li, unit_id=world.units["a101"], description="又漏了")
    _file(call, world.people["赵建国"])
    manager = world.people["manager"]
    query = {"unit_id": world.units["a101"], "limit": "1"}

    seen: set[str] = set()
    cursor: str | None = None
    for _ in range(5):
        page = call("GET", "/tickets", as_=manager, query={**query, **({"cursor": cursor} if cursor else {})})
        seen |= _ids(page)
        cursor = page.body["next_cursor"]
        if not cursor:
            break
    assert seen == {first, second}
    # A cursor of one unit's list is no cursor for another's.
    page = call("GET", "/tickets", as_=manager, query=query)
    other = call(
        "GET",
        "/tickets",
        as_=manager,
        query={"unit_id": world.units["a102"], "cursor": page.body["next_cursor"]},
    )
    assert other.status == 400


def test_an_unknown_foreign_or_mismatched_unit_lists_nothing(
    call: Call, world: Community, seed: Callable[..., Community], residents: Callable[..., Caller]
) -> None:
    _file(call, world.people["李秀英"], unit_id=world.units["a101"])
    other = seed("Harbour")
    residents(other, "outsider", "a101")
    manager = world.people["manager"]

    assert _ids(call("GET", "/tickets", as_=manager, query={"unit_id": "NOSUCHUNIT"})) == set()
    assert _ids(call("GET", "/tickets", as_=manager, query={"unit_id": other.units["a101"]})) == set()
    wrong_site = {"unit_id": world.units["a101"], "site_id": other.site_id}
    assert _ids(call("GET", "/tickets", as_=manager, query=wrong_site)) == set()
    too_long = call("GET", "/tickets", as_=manager, query={"unit_id": "X" * 65})
    assert too_long.status == 422
    assert too_long.body["error"]["details"][0]["loc"] == ["query", "unit_id"]


def test_a_resident_filtering_by_a_neighbours_unit_sees_nothing(call: Call, world: Community) -> None:
    li = world.people["李秀英"]
    mine = _file(call, li, unit_id=world.units["b201"])
    _file(call, world.people["赵建国"])

    assert _ids(call("GET", "/tickets", as_=li, query={"unit_id": world.units["b201"]})) == {mine}
    assert _ids(call("GET", "/tickets", as_=li, query={"unit_id": world.units["a102"]})) == set()


def test_staff_see_the_reporters_name_and_residents_do_not_need_it(call: Call, world: Community) -> None:
    desk = world.people["前台小王"]
    for_zhao = call(
        "POST",
        "/tickets",
        as_=desk,
        body={"kind": "complaint", "category": "noise", "description": "楼上装修噪音"},
        headers={"X-On-Behalf-Of": world.residents["赵建国"], "X-Assist-Reason": "phoned the desk"},
    ).body["ticket_id"]
    lis = _file(call, world.people["李秀英"])
    lobby = _file(call, desk, site_id=world.site_id, location="1栋大堂")

    def name(ticket_id: str, who: Caller) -> Any:
        reply = call("GET", f"/tickets/{ticket_id}", as_=who)
        assert reply.status == 200, reply.body
        return reply.body["reporter_name"]

    assert name(for_zhao, world.people["manager"]) == "赵建国"  # filed by the desk for him: he reported it
    assert name(lis, world.people["plumber"]) == "李秀英"
    assert name(lobby, world.people["manager"]) == "前台小王"  # a common area, filed by staff
    assert name(lis, world.people["李秀英"]) is None
    # Lists carry no names (one query, no directory reads per row).
    listed = call("GET", "/tickets", as_=world.people["manager"]).body["items"]
    assert {t["reporter_name"] for t in listed} == {None}
