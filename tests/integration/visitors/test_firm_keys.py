"""One signing key per firm (issue 17), on by default (``PassKeysPerFirm``), through the visitors handler on
moto: each firm's passes carry its own kid, the firm's JWKS (``GET /passes/keys?tenant_id=``) lists its keys
and not the other firm's, another firm's key never verifies them. A manager rotates the firm's key
(``POST /passes/keys/rotations``, Idempotency-Key, audited): the other firm is untouched (its passes, kid
and JWKS), the rotated firm's old passes still scan and its new ones carry the new kid, the replaced key
verifies until the longest-lived pass it signed has ended and then is gone (a token made with it fails).
Passes signed by the stage's key before the switch still verify. The private keys are stored sealed."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import boto3
import jwt
import pytest

from courtyard.clock import FixedClock, to_iso
from infra.local.provision import Stack
from tests.integration.visitors.conftest import NOW, Caller, Place, Reply


@pytest.fixture
def handler(function_env: Callable[[str], dict[str, str]], clock: FixedClock) -> Iterator[Any]:
    """The visitors function with exactly its template environment (per-firm keys on by default)."""
    environment = function_env("VisitorsFunction")
    assert environment["PASS_KEYS_PER_FIRM"] == "true"
    from visitors import handler as module
    from visitors import wiring
    from visitors.settings import settings

    from courtyard.wiring import use_clock

    settings.cache_clear()
    wiring.wiring.reset()
    use_clock(clock)
    yield module
    use_clock(None)
    settings.cache_clear()
    wiring.wiring.reset()


@pytest.fixture
def other(seed: Callable[..., Any], residents: Any, staff: Any) -> Place:
    """A second firm with its own host and guard."""
    from courtyard.tenancy import Role

    community = seed()
    return Place(
        community=community,
        host=residents(community, "Qian", "a101"),
        neighbour=residents(community, "Sun", "b201"),
        guard=staff(community, "Zhou", Role.GUARD),
        desk=staff(community, "Wu", Role.SERVICE_DESK),
        manager=staff(community, "Zheng", Role.MANAGER),
    )


def issued(call: Callable[..., Reply], firm: Place, **fields: Any) -> dict[str, Any]:
    reply = call("POST", "/passes", as_=firm.host, body={"visitor_name": "孙先生", **fields})
    assert reply.status == 201, reply.body
    return dict(reply.body)


def kid(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


def jwks_kids(call: Callable[..., Reply], firm: Place) -> set[str]:
    reply = call("GET", "/passes/keys", query={"tenant_id": firm.community.tenant_id})
    assert reply.status == 200, reply.body
    return {key["kid"] for key in reply.body["keys"]}


def verdict(call: Callable[..., Reply], firm: Place, token: str) -> str:
    body = {"site_id": firm.site_id, "gate_id": "north-1", "token": token}
    reply = call("POST", "/gate/scans", as_=firm.guard, body=body)
    assert reply.status == 200, reply.body
    return f"{reply.body['verdict']}:{reply.body.get('reason')}"


def rotate(call: Callable[..., Reply], as_: Caller, key: str = "rotate-0001") -> Reply:
    return call("POST", "/passes/keys/rotations", as_=as_, headers={"Idempotency-Key": key})


def stage_kids() -> set[str]:
    from visitors import wiring

    return set(wiring.pass_keys().public_keys())


def test_each_firm_signs_with_its_own_key_and_publishes_only_its_own(
    call: Callable[..., Reply], place: Place, other: Place, stack: Stack
) -> None:
    mine, theirs = issued(call, place), issued(call, other)

    assert kid(mine["token"]) != kid(theirs["token"])
    assert kid(mine["token"]) in jwks_kids(call, place)
    assert kid(mine["token"]) not in jwks_kids(call, other)
    assert kid(theirs["token"]) not in jwks_kids(call, place)
    # Another firm's key set does not verify the pass: its guard's gate denies it as a bad signature.
    assert verdict(call, other, mine["token"]) == "deny:bad_signature"
    stored = json.dumps(boto3.client("dynamodb").scan(TableName=stack.ref("VisitorsTable"))["Items"])
    assert "PRIVATE KEY" not in stored


def test_the_keys_route_answers_one_known_firm_publicly_and_refuses_an_unknown_one(
    call: Callable[..., Reply], place: Place
) -> None:
    issued(call, place)

    unknown = call("GET", "/passes/keys", query={"tenant_id": "nosuchfirm"})
    known = call("GET", "/passes/keys", query={"tenant_id": place.community.tenant_id})  # no caller

    assert unknown.status == 404
    assert unknown.body["error"]["code"] == "not_found"
    assert known.status == 200
    headers = {**(known.raw.get("headers") or {}), **(known.raw.get("multiValueHeaders") or {})}
    assert "public, max-age=300" in str(headers["Cache-Control"])


def test_a_manager_rotates_the_firms_key_and_touches_no_other_firm(
    call: Callable[..., Reply], place: Place, other: Place, stack: Stack
) -> None:
    before_mine, before_theirs = issued(call, place), issued(call, other)
    their_keys = jwks_kids(call, other)

    rotated = rotate(call, place.manager)
    retried = rotate(call, place.manager)
    after_mine, after_theirs = issued(call, place), issued(call, other)

    assert rotated.status == 201, rotated.body
    assert (retried.status, retried.body) == (200, rotated.body)  # same Idempotency-Key: one rotation
    new_kid = rotated.body["kid"]
    assert rotated.body["previous_kid"] == kid(before_mine["token"])
    assert kid(after_mine["token"]) == new_kid != kid(before_mine["token"])
    assert {new_kid, kid(before_mine["token"])} <= jwks_kids(call, place)
    assert kid(after_theirs["token"]) == kid(before_theirs["token"])
    assert jwks_kids(call, other) == their_keys
    assert verdict(call, other, before_theirs["token"]) == "allow:None"
    assert verdict(call, place, before_mine["token"]) == "allow:None"
    assert verdict(call, place, after_mine["token"]) == "allow:None"
    audit = boto3.client("dynamodb").scan(TableName=stack.ref("AuditTable"))["Items"]
    rotations = [r for r in audit if r["action"]["S"] == "pass_key.rotate"]
    assert [r["resource_id"]["S"] for r in rotations] == [new_kid]


@pytest.mark.parametrize("role", ["host", "guard", "desk"])
def test_only_a_manager_rotates_the_firms_key(call: Callable[..., Reply], place: Place, role: str) -> None:
    before = issued(call, place)

    refused = rotate(call, getattr(place, role))

    assert refused.status == 403, refused.body
    assert kid(issued(call, place)["token"]) == kid(before["token"])


def test_the_replaced_key_verifies_until_its_longest_pass_ends_then_is_gone(
    call: Callable[..., Reply], place: Place, clock: FixedClock
) -> None:
    from visitors import tokens, wiring

    old_signer = wiring.pass_keys().signer(place.community.tenant_id)
    day_pass = issued(call, place)
    week_pass = issued(call, place, valid_until=to_iso(NOW + timedelta(days=7)))
    old_kid = kid(week_pass["token"])
    assert rotate(call, place.manager).status == 201

    clock.advance(days=3)
    assert verdict(call, place, day_pass["token"]) == "deny:expired"
    assert verdict(call, place, week_pass["token"]) == "allow:None"  # its key still verifies
    assert old_kid in jwks_kids(call, place)

    # Past the week pass's end (and the day the key's recorded end is rounded up by): the key is gone.
    clock.advance(days=6)
    assert old_kid not in jwks_kids(call, place)
    now = int(clock.now().timestamp())
    forged = tokens.sign(
        tokens.PassClaims(
            pass_id=week_pass["pass_id"],
            tenant_id=place.community.tenant_id,
            site_id=place.site_id,
            not_before=now - 60,
            expires=now + 3600,
        ),
        old_signer,
    )
    assert verdict(call, place, forged) == "deny:bad_signature"
    seen = call("POST", "/passes/view", body={"token": forged})
    assert seen.status == 404
    # The next rotation deletes it (its sealed private key with it).
    assert rotate(call, place.manager, key="rotate-0002").status == 201
    from visitors.repositories.firm_keys import FirmKeysRepository

    _, stored = FirmKeysRepository(wiring.wiring.table(wiring.wiring.config.visitors_table)).keys(
        place.community.tenant_id
    )
    assert old_kid not in {k.kid for k in stored}


def test_a_pass_signed_by_the_stage_key_before_the_switch_still_verifies(
    call: Callable[..., Reply], place: Place, monkeypatch: pytest.MonkeyPatch
) -> None:
    from visitors import wiring
    from visitors.settings import settings

    monkeypatch.setenv("PASS_KEYS_PER_FIRM", "false")  # before the switch: the stage's KMS key signs
    settings.cache_clear()
    wiring.wiring.reset()
    before = issued(call, place)
    monkeypatch.setenv("PASS_KEYS_PER_FIRM", "true")  # the switch (a deploy: every sandbox is new)
    settings.cache_clear()
    wiring.wiring.reset()

    after = issued(call, place)

    assert kid(before["token"]) in stage_kids()
    assert kid(after["token"]) not in stage_kids()
    assert {kid(before["token"]), kid(after["token"])} <= jwks_kids(call, place)
    assert verdict(call, place, before["token"]) == "allow:None"
    assert call("POST", "/passes/view", body={"token": before["token"]}).status == 200
    assert verdict(call, place, after["token"]) == "allow:None"


def test_the_high_s_twin_of_a_firm_signed_pass_is_refused_at_the_gate(
    call: Callable[..., Reply], place: Place
) -> None:
    from visitors import tokens

    token = issued(call, place)["token"]
    head, body, signature = token.split(".")
    raw = tokens.unb64url(signature)
    s = int.from_bytes(raw[32:], "big")
    twin = f"{head}.{body}.{tokens.b64url(raw[:32] + (tokens.CURVE_ORDER - s).to_bytes(32, 'big'))}"

    assert verdict(call, place, token) == "allow:None"
    assert verdict(call, place, twin) == "deny:bad_signature"


def test_the_revocation_list_is_signed_with_the_firms_own_key(
    call: Callable[..., Reply], place: Place, other: Place
) -> None:
    mine = issued(call, place)

    listed = call("GET", "/gate/revocations", as_=place.guard, query={"site_id": place.site_id})

    assert listed.status == 200, listed.body
    assert kid(listed.body["token"]) == kid(mine["token"])
    assert kid(listed.body["token"]) not in jwks_kids(call, other)


def test_the_visitors_page_reads_a_firm_keyed_pass(
    call: Callable[..., Reply], place: Place, other: Place
) -> None:
    mine = issued(call, place)

    seen = call("POST", "/passes/view", body={"token": mine["token"]})

    assert seen.status == 200, seen.body
    assert call("POST", "/passes/view", body={"token": "x.y.z"}).status == 404
