"""Issuing, reading and revoking passes: who may, what the token carries, idempotency, events, settings."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import boto3

from courtyard.clock import to_iso
from courtyard.crypto import FieldCipher
from infra.local.provision import Stack
from tests.integration.community import add_proxy, revoke_proxy
from tests.integration.visitors.conftest import NOW, Place, Reply


def _segment(token: str, index: int) -> dict[str, Any]:
    part = token.split(".")[index]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def test_a_resident_issues_a_pass_for_their_primary_unit_with_a_default_24_hour_window(issue, place: Place):
    visitor_pass = issue(visitor_phone="13912345678", visitor_plate="粤B12345", note="dinner")

    assert visitor_pass["unit_id"] == place.community.units["a101"]
    assert visitor_pass["site_id"] == place.site_id
    assert visitor_pass["host_user_id"] == place.host.user_id
    assert visitor_pass["valid_from"] == to_iso(NOW)
    assert visitor_pass["valid_until"] == to_iso(NOW + timedelta(hours=24))
    assert visitor_pass["entries_allowed"] == 1
    assert visitor_pass["visitor_phone"] == "139****5678"
    assert visitor_pass["visitor_plate"] == "粤B***45"
    assert visitor_pass["share_url"].endswith("/v#" + visitor_pass["token"])


def test_the_token_is_es256_with_a_key_id_and_carries_nothing_personal(issue, place: Place):
    visitor_pass = issue(visitor_phone="13912345678", visitor_plate="粤B12345")
    token = visitor_pass["token"]

    header, payload = _segment(token, 0), _segment(token, 1)

    assert header["alg"] == "ES256"
    assert header["kid"]
    # "ol": a single-use pass's offline validity (seconds), nothing personal.
    assert set(payload) == {"pid", "tid", "sid", "nbf", "exp", "v", "ol"}
    assert visitor_pass["entries_allowed"] == 1
    assert payload["pid"] == visitor_pass["pass_id"]
    assert payload["tid"] == place.community.tenant_id
    assert payload["sid"] == place.site_id
    assert payload["exp"] - payload["nbf"] == 24 * 3600
    assert "Sun" not in token
    assert "1391234" not in json.dumps(payload)


def test_phone_and_plate_are_stored_encrypted_never_in_clear(issue, stack):
    issue(visitor_phone="13912345678", visitor_plate="粤B12345")

    items = boto3.client("dynamodb").scan(TableName=stack.ref("VisitorsTable"))["Items"]

    assert "13912345678" not in json.dumps(items, ensure_ascii=False)
    assert "粤B12345" not in json.dumps(items, ensure_ascii=False)


def test_pass_issued_event_carries_the_encrypted_phone_and_the_share_link(
    issue, published, stack, place: Place
):
    visitor_pass = issue(visitor_phone="13912345678")

    issued = [detail for name, detail in published if name == "PassIssued"]

    assert len(issued) == 1
    event = issued[0]
    assert event["pass_id"] == visitor_pass["pass_id"]
    assert event["share_url"] == visitor_pass["share_url"]
    assert event["host_user_id"] == place.host.user_id
    cipher = FieldCipher(stack.ref("PiiKey"), client=boto3.client("kms"))
    assert cipher.decrypt(place.community.tenant_id, event["visitor_phone_enc"]) == "13912345678"


def test_a_resident_cannot_issue_for_a_unit_that_is_not_theirs(call, place: Place):
    reply = call(
        "POST",
        "/passes",
        as_=place.host,
        body={"visitor_name": "Sun", "unit_id": place.community.units["b201"]},
    )

    assert reply.status == 404


def test_contractor_passes_are_for_the_service_desk_not_residents(call, place: Place):
    by_resident = call(
        "POST", "/passes", as_=place.host, body={"visitor_name": "Plumber", "kind": "contractor"}
    )
    by_desk = call(
        "POST",
        "/passes",
        as_=place.desk,
        body={
            "visitor_name": "Plumber",
            "kind": "contractor",
            "site_id": place.site_id,
            "entries_allowed": 4,
        },
    )
    desk_without_site = call(
        "POST", "/passes", as_=place.desk, body={"visitor_name": "Courier", "kind": "delivery"}
    )

    assert by_resident.status == 403
    assert by_desk.status == 201
    assert by_desk.body["unit_id"] is None
    assert desk_without_site.status == 422


def test_guards_and_technicians_do_not_issue_passes(call, place: Place):
    assert (
        call(
            "POST", "/passes", as_=place.guard, body={"visitor_name": "Sun", "site_id": place.site_id}
        ).status
        == 403
    )


def test_a_window_longer_than_the_firm_allows_is_refused(call, place: Place):
    too_long = call(
        "POST",
        "/passes",
        as_=place.host,
        body={"visitor_name": "Sun", "valid_until": to_iso(NOW + timedelta(days=40))},
    )
    backwards = call(
        "POST",
        "/passes",
        as_=place.host,
        body={
            "visitor_name": "Sun",
            "valid_from": to_iso(NOW + timedelta(hours=2)),
            "valid_until": to_iso(NOW),
        },
    )

    assert too_long.status == 422
    assert backwards.status == 422


def test_the_manager_sets_the_longest_and_default_windows(call, issue, place: Place):
    settings = {"default_window_hours": 4, "max_window_days": 2, "retention_days": 30}
    put = call("PUT", "/visitor-settings", as_=place.manager, body=settings)
    by_resident = call("PUT", "/visitor-settings", as_=place.host, body=settings)

    short = issue()
    too_long = call(
        "POST",
        "/passes",
        as_=place.host,
        body={"visitor_name": "Sun", "valid_until": to_iso(NOW + timedelta(days=3))},
    )

    assert put.status == 200
    assert call("GET", "/visitor-settings", as_=place.manager).body == settings
    assert by_resident.status == 403
    assert short["valid_until"] == to_iso(NOW + timedelta(hours=4))
    assert too_long.status == 422


def test_a_retried_issue_with_the_same_idempotency_key_returns_the_same_pass(call, place: Place, published):
    body = {"visitor_name": "Sun", "visitor_phone": "13912345678"}
    headers = {"Idempotency-Key": "app-retry-0001"}

    first = call("POST", "/passes", as_=place.host, body=body, headers=headers)
    again = call("POST", "/passes", as_=place.host, body=body, headers=headers)
    changed = call("POST", "/passes", as_=place.host, body={**body, "visitor_name": "Qian"}, headers=headers)
    listed = call("GET", "/passes", as_=place.host)

    assert (first.status, again.status, changed.status) == (201, 200, 422)
    assert changed.body["error"]["details"][0]["type"] == "key_reused"  # as every create route answers
    assert again.body["pass_id"] == first.body["pass_id"]
    assert again.body["token"] == first.body["token"]
    assert len(listed.body["items"]) == 1
    assert [name for name, _ in published].count("PassIssued") == 1


def test_issuing_to_a_blocked_visitor_is_refused_with_a_clear_code(call, place: Place):
    call(
        "POST",
        f"/sites/{place.site_id}/blocklist",
        as_=place.manager,
        body={"kind": "phone", "value": "13912345678"},
    )

    reply = call(
        "POST", "/passes", as_=place.host, body={"visitor_name": "Sun", "visitor_phone": "+86 139 1234 5678"}
    )

    assert reply.status == 409
    assert reply.body["error"]["code"] == "visitor_blocked"


def test_a_resident_sees_only_their_own_passes(call, issue, place: Place):
    mine = issue()
    theirs = issue(as_=place.neighbour)

    listed = call("GET", "/passes", as_=place.host)
    read_theirs = call("GET", f"/passes/{theirs['pass_id']}", as_=place.host)
    read_mine = call("GET", f"/passes/{mine['pass_id']}", as_=place.host)

    assert [p["pass_id"] for p in listed.body["items"]] == [mine["pass_id"]]
    assert read_theirs.status == 404
    assert read_mine.status == 200


def test_staff_list_a_communitys_passes(call, issue, place: Place):
    first, second = issue(), issue(as_=place.neighbour)

    listed = call("GET", "/passes", as_=place.guard, query={"site_id": place.site_id, "limit": "1"})
    rest = call(
        "GET",
        "/passes",
        as_=place.guard,
        query={"site_id": place.site_id, "limit": "1", "cursor": listed.body["next_cursor"]},
    )
    without_site = call("GET", "/passes", as_=place.guard)

    assert {listed.body["items"][0]["pass_id"], rest.body["items"][0]["pass_id"]} == {
        first["pass_id"],
        second["pass_id"],
    }
    assert without_site.status == 400


def test_a_guard_verifies_and_scans_but_never_reads_a_pass_token_or_its_qr(call, issue, scan, place: Place):
    visitor_pass = issue()

    listed = call("GET", "/passes", as_=place.guard, query={"site_id": place.site_id})
    one = call("GET", f"/passes/{visitor_pass['pass_id']}", as_=place.guard)
    svg = call("GET", f"/passes/{visitor_pass['pass_id']}/qr", as_=place.guard)
    png = call("GET", f"/passes/{visitor_pass['pass_id']}/qr", as_=place.guard, query={"format": "png"})
    scanned = scan(visitor_pass["token"])
    by_desk = call("GET", f"/passes/{visitor_pass['pass_id']}", as_=place.desk)

    assert [(p["token"], p["share_url"], p["qr_url"]) for p in listed.body["items"]] == [(None, None, None)]
    assert (one.status, one.body["token"], one.body["visitor_name"]) == (
        200,
        None,
        visitor_pass["visitor_name"],
    )
    assert visitor_pass["token"] not in str(listed.body) + str(one.body)
    assert (svg.status, png.status) == (403, 403)
    assert (scanned.status, scanned.body["verdict"]) == (200, "allow")
    assert by_desk.body["token"] == visitor_pass["token"]


def test_another_firms_pass_is_404_exactly_like_a_missing_one(call, issue, seed, staff, place: Place):
    visitor_pass = issue()
    other = seed("Harbour")
    from courtyard.tenancy import Role

    foreign_manager = staff(other, "Zhou", Role.MANAGER)

    theirs = call("GET", f"/passes/{visitor_pass['pass_id']}", as_=foreign_manager)
    missing = call("GET", "/passes/01NOSUCHPASS00000000000000", as_=foreign_manager)
    revoke = call("DELETE", f"/passes/{visitor_pass['pass_id']}", as_=foreign_manager)

    assert theirs.status == missing.status == revoke.status == 404
    assert theirs.body["error"] == missing.body["error"]


def test_the_host_or_a_manager_revokes_and_nobody_else(call, issue, place: Place, published):
    first, second = issue(), issue()

    by_neighbour = call("DELETE", f"/passes/{first['pass_id']}", as_=place.neighbour)
    by_guard = call("DELETE", f"/passes/{first['pass_id']}", as_=place.guard)
    by_host = call("DELETE", f"/passes/{first['pass_id']}", as_=place.host)
    again = call("DELETE", f"/passes/{first['pass_id']}", as_=place.host)
    by_manager = call("DELETE", f"/passes/{second['pass_id']}", as_=place.manager)

    assert (by_neighbour.status, by_guard.status) == (404, 403)
    assert by_host.status == 200
    assert by_host.body["status"] == "revoked"
    assert again.status == 409
    assert by_manager.status == 200
    revoked = [detail for name, detail in published if name == "PassRevoked"]
    assert [(e["pass_id"], e["by"]) for e in revoked] == [
        (first["pass_id"], place.host.user_id),
        (second["pass_id"], place.manager.user_id),
    ]


def test_issue_and_revoke_are_audited_without_personal_values(issue, call, stack, place: Place):
    visitor_pass = issue(visitor_phone="13912345678")
    call("DELETE", f"/passes/{visitor_pass['pass_id']}", as_=place.host)

    records = boto3.client("dynamodb").scan(TableName=stack.ref("AuditTable"))["Items"]
    actions = sorted(
        r["action"]["S"] for r in records if r.get("resource_id", {}).get("S") == visitor_pass["pass_id"]
    )

    assert actions == ["pass.issue", "pass.revoke"]
    assert "13912345678" not in json.dumps(records)


def test_the_service_desk_issues_for_a_resident_in_assisted_mode(call, place: Place):
    resident_id = place.community.residents["Chen"]

    reply = call(
        "POST",
        "/passes",
        as_=place.desk,
        body={"visitor_name": "Sun"},
        headers={"X-On-Behalf-Of": resident_id, "X-Assist-Reason": "by phone"},
    )
    listed = call("GET", "/passes", as_=place.host)

    assert reply.status == 201
    assert reply.body["host_user_id"] == place.host.user_id
    assert reply.body["unit_id"] == place.community.units["a101"]
    assert [p["pass_id"] for p in listed.body["items"]] == [reply.body["pass_id"]]


def test_a_family_proxy_issues_a_pass_for_the_parents_unit_until_revoked(
    call: Callable[..., Reply], place: Place, residents: Any, stack: Stack
) -> None:
    """子女代办: the son in another city lets a carer in to his mother's flat (a101), naming the unit."""
    son = residents(place.community, "son")  # no unit of the firm
    body = {"visitor_name": "护工 王阿姨", "unit_id": place.community.units["a101"]}
    assert call("POST", "/passes", as_=son, body=body).status == 404
    proxy_id = add_proxy(stack, place.community, "son", "a101")

    issued = call("POST", "/passes", as_=son, body=body)
    assert issued.status == 201, issued.body
    assert issued.body["unit_id"] == place.community.units["a101"]

    revoke_proxy(stack, place.community, "son", "a101", proxy_id)
    assert call("POST", "/passes", as_=son, body=body).status == 404
