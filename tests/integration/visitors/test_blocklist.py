"""A community's blocklist: phone and plate kept as digests plus ciphertext, shown masked, managed by role."""

from __future__ import annotations

import json

import boto3

from courtyard.tenancy import Role
from tests.integration.visitors.conftest import Place


def test_blocklist_entries_are_listed_masked_and_stored_without_the_clear_value(call, place: Place, stack):
    added = call(
        "POST",
        f"/sites/{place.site_id}/blocklist",
        as_=place.guard,
        body={"kind": "phone", "value": "13912345678", "reason": "tailgating"},
    )
    call(
        "POST",
        f"/sites/{place.site_id}/blocklist",
        as_=place.guard,
        body={"kind": "plate", "value": "粤B·12345"},
    )

    listed = call("GET", f"/sites/{place.site_id}/blocklist", as_=place.manager)
    items = boto3.client("dynamodb").scan(TableName=stack.ref("VisitorsTable"))["Items"]

    assert added.status == 201
    assert added.body["value"] == "139****5678"
    assert sorted(e["value"] for e in listed.body["items"]) == ["139****5678", "粤B***45"]
    assert "13912345678" not in json.dumps(items)


def test_the_same_visitor_cannot_be_blocked_twice(call, place: Place):
    body = {"kind": "phone", "value": "13912345678"}
    call("POST", f"/sites/{place.site_id}/blocklist", as_=place.guard, body=body)

    again = call(
        "POST",
        f"/sites/{place.site_id}/blocklist",
        as_=place.manager,
        body={"kind": "phone", "value": "+86 139-1234-5678"},
    )

    assert again.status == 409


def test_only_a_manager_removes_an_entry_and_the_visitor_can_be_invited_again(call, place: Place):
    added = call(
        "POST",
        f"/sites/{place.site_id}/blocklist",
        as_=place.guard,
        body={"kind": "phone", "value": "13912345678"},
    )
    query = {"entry_id": added.body["entry_id"]}

    by_guard = call("DELETE", f"/sites/{place.site_id}/blocklist", as_=place.guard, query=query)
    by_manager = call("DELETE", f"/sites/{place.site_id}/blocklist", as_=place.manager, query=query)
    gone = call("DELETE", f"/sites/{place.site_id}/blocklist", as_=place.manager, query=query)
    invited = call(
        "POST", "/passes", as_=place.host, body={"visitor_name": "Sun", "visitor_phone": "13912345678"}
    )

    assert (by_guard.status, by_manager.status, gone.status) == (403, 204, 404)
    assert invited.status == 201


def test_residents_cannot_see_the_blocklist_and_another_firms_site_is_404(call, seed, staff, place: Place):
    other = seed("Harbour")
    foreign = staff(other, "Zhou", Role.MANAGER)

    assert call("GET", f"/sites/{place.site_id}/blocklist", as_=place.host).status == 403
    assert call("GET", f"/sites/{place.site_id}/blocklist", as_=foreign).status == 404
    assert (
        call(
            "POST",
            f"/sites/{place.site_id}/blocklist",
            as_=foreign,
            body={"kind": "phone", "value": "13912345678"},
        ).status
        == 404
    )
