"""Offline gates' signed revocation list: written with each revocation, signed with the pass key, for the
community's gates only, and never mistaken for a pass."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt

from courtyard.clock import FixedClock, to_iso
from courtyard.tenancy import Role
from tests.integration.visitors.conftest import NOW, Place


def _decoded(call: Any, token: str) -> dict[str, Any]:
    tenant_id = jwt.decode(token, options={"verify_signature": False})["tid"]
    jwks = call("GET", "/passes/keys", query={"tenant_id": tenant_id}).body
    header = jwt.get_unverified_header(token)
    key = jwt.PyJWKSet.from_dict(jwks)[header["kid"]]
    assert header["typ"] == "vrevoke+jwt"
    return dict(jwt.decode(token, key.key, algorithms=["ES256"], options={"verify_exp": False}))


def test_a_revoked_pass_is_in_the_communitys_signed_list_until_its_window_ends(
    call, issue, place: Place, clock: FixedClock
):
    kept = issue()
    revoked = issue(valid_until=to_iso(NOW + timedelta(hours=2)))
    assert call("DELETE", f"/passes/{revoked['pass_id']}", as_=place.host).status == 200

    listed = call("GET", "/gate/revocations", as_=place.guard, query={"site_id": place.site_id})
    payload = _decoded(call, listed.body["token"])
    clock.advance(hours=3)
    later = call("GET", "/gate/revocations", as_=place.guard, query={"site_id": place.site_id})

    assert listed.status == 200
    assert listed.body["pass_ids"] == [revoked["pass_id"]]
    assert [entry["pid"] for entry in payload["rev"]] == [revoked["pass_id"]]
    assert kept["pass_id"] not in listed.body["token"]
    assert (payload["tid"], payload["sid"]) == (place.community.tenant_id, place.site_id)
    assert payload["exp"] - payload["iat"] == 900
    assert later.body["pass_ids"] == []


def test_only_the_communitys_gate_staff_read_the_list(call, place: Place, seed, staff):
    other_guard = staff(seed("Harbour"), "Zhou", Role.GUARD)

    by_resident = call("GET", "/gate/revocations", as_=place.host, query={"site_id": place.site_id})
    by_other_firm = call("GET", "/gate/revocations", as_=other_guard, query={"site_id": place.site_id})
    by_desk = call("GET", "/gate/revocations", as_=place.desk, query={"site_id": place.site_id})

    assert (by_resident.status, by_other_firm.status, by_desk.status) == (403, 404, 200)


def test_the_signed_list_is_never_accepted_as_a_pass(call, place: Place, scan):
    listed = call("GET", "/gate/revocations", as_=place.guard, query={"site_id": place.site_id})

    scanned = scan(listed.body["token"])

    assert scanned.status == 200
    assert scanned.body["verdict"] == "deny"


def test_single_use_passes_carry_a_short_offline_validity_and_others_none(issue):
    single = jwt.decode(issue(entries_allowed=1)["token"], options={"verify_signature": False})
    several = jwt.decode(issue(entries_allowed=3)["token"], options={"verify_signature": False})

    assert single["ol"] == 900
    assert "ol" not in several
