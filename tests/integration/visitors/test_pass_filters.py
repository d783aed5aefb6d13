"""One unit's passes (``GET /passes?unit_id=``), for the console's unit page: staff within a community,
residents within their own passes; the filter never widens what a caller may see."""

from __future__ import annotations

from typing import Any

from courtyard.aws_calls import count_aws_calls
from tests.integration.visitors.conftest import Place


def _ids(reply: Any) -> list[str]:
    assert reply.status == 200, reply.body
    return [p["pass_id"] for p in reply.body["items"]]


def test_staff_list_one_units_passes_in_one_query(call, issue, place: Place):
    first, second = issue(), issue(visitor_name="王师傅")
    neighbours = issue(as_=place.neighbour)
    a101 = {"site_id": place.site_id, "unit_id": place.community.units["a101"]}
    call("GET", "/passes", as_=place.desk, query=a101)  # warm the tenant cache

    with count_aws_calls() as calls:
        listed = call("GET", "/passes", as_=place.desk, query=a101)

    assert calls.total == 1, calls
    assert _ids(listed) == [second["pass_id"], first["pass_id"]]  # newest first
    b201 = {"site_id": place.site_id, "unit_id": place.community.units["b201"]}
    assert _ids(call("GET", "/passes", as_=place.manager, query=b201)) == [neighbours["pass_id"]]
    assert _ids(call("GET", "/passes", as_=place.guard, query={**a101, "unit_id": "NOSUCHUNIT"})) == []


def test_a_units_pages_follow_a_cursor_bound_to_the_unit(call, issue, place: Place):
    first, second = issue(), issue()
    issue(as_=place.neighbour)
    a101 = {"site_id": place.site_id, "unit_id": place.community.units["a101"], "limit": "1"}

    seen: list[str] = []
    cursor: str | None = None
    for _ in range(5):
        after = {"cursor": cursor} if cursor else {}
        page = call("GET", "/passes", as_=place.desk, query={**a101, **after})
        seen += _ids(page)
        cursor = page.body["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted([first["pass_id"], second["pass_id"]])

    page = call("GET", "/passes", as_=place.desk, query=a101)
    b201 = {"site_id": place.site_id, "unit_id": place.community.units["b201"]}
    other = call("GET", "/passes", as_=place.desk, query={**b201, "cursor": page.body["next_cursor"]})
    assert other.status == 400


def test_a_resident_filters_their_own_passes_only(call, issue, place: Place):
    mine = issue()
    issue(as_=place.neighbour)

    own = call("GET", "/passes", as_=place.host, query={"unit_id": place.community.units["a101"]})
    neighbours = call("GET", "/passes", as_=place.host, query={"unit_id": place.community.units["b201"]})

    assert _ids(own) == [mine["pass_id"]]
    assert _ids(neighbours) == []


def test_another_firms_unit_lists_nothing_and_a_bad_id_is_422(call, issue, seed, residents, place: Place):
    issue()
    other = seed("Harbour")
    residents(other, "Sun", "a101")

    foreign = {"site_id": place.site_id, "unit_id": other.units["a101"]}
    too_long = call("GET", "/passes", as_=place.desk, query={"site_id": place.site_id, "unit_id": "X" * 65})

    assert _ids(call("GET", "/passes", as_=place.desk, query=foreign)) == []
    assert too_long.status == 422
    assert too_long.body["error"]["details"][0]["loc"] == ["query", "unit_id"]


def test_staff_may_name_the_unit_alone_and_an_unknown_unit_is_not_found(call, issue, place: Place):
    first = issue()
    issue(as_=place.neighbour)

    listed = call("GET", "/passes", as_=place.desk, query={"unit_id": place.community.units["a101"]})
    unknown = call("GET", "/passes", as_=place.desk, query={"unit_id": "NOSUCHUNIT"})
    neither = call("GET", "/passes", as_=place.desk)

    assert _ids(listed) == [first["pass_id"]]
    assert unknown.status == 404
    assert neither.status == 400
