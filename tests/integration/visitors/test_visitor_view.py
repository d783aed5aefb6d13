"""The visitor's page reads its pass without an account: the signed token is the credential (it names the
pass and is unforgeable), so `POST /passes/view` answers what the holder may know, and nothing for a forged,
altered or unknown token."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from courtyard.clock import FixedClock, to_iso
from tests.integration.visitors.conftest import NOW, Place


def _view(call: Any, token: str) -> Any:
    return call("POST", "/passes/view", body={"token": token})  # no caller: the route is public


def test_the_visitor_sees_the_community_window_and_entries_left(call, issue, scan, place: Place):
    visitor_pass = issue(entries_allowed=2)
    assert scan(visitor_pass["token"]).body["verdict"] == "allow"

    reply = _view(call, visitor_pass["token"])

    assert reply.status == 200, reply.body
    assert reply.body["state"] == "valid"
    assert reply.body["visitor_name"] == visitor_pass["visitor_name"]
    assert reply.body["entries_left"] == 1
    assert reply.body["valid_until"] == visitor_pass["valid_until"]
    assert reply.body["firm"]
    # Only what the visitor needs: no host, no phone, no token echo.
    assert not {"host_user_id", "visitor_phone", "token", "unit_id"} & set(reply.body)


def test_a_revoked_used_up_or_expired_pass_says_so(call, issue, scan, place: Place, clock: FixedClock):
    revoked = issue()
    assert call("DELETE", f"/passes/{revoked['pass_id']}", as_=place.host).status == 200
    assert _view(call, revoked["token"]).body["state"] == "revoked"

    used = issue()
    assert scan(used["token"]).body["verdict"] == "allow"
    assert _view(call, used["token"]).body["state"] == "used_up"

    later = issue(valid_until=to_iso(NOW + timedelta(hours=2)))
    clock.advance(hours=3)
    assert _view(call, later["token"]).body["state"] == "expired"


def test_a_forged_or_malformed_token_reads_nothing(call, issue):
    token = issue()["token"]
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    for bad in (forged, "not-a-token"):
        reply = _view(call, bad)
        assert reply.status == 404, reply.body
        assert reply.body["error"]["code"] == "not_found"
    assert _view(call, "").status == 422
