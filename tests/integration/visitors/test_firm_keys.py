"""One signing key per firm (issue 17), with ``PASS_KEYS_PER_FIRM`` on, through the visitors handler on moto:
each firm's passes carry its own kid, the firm's JWKS (``GET /passes/keys?tenant_id=``) lists its keys and
not the other firm's, another firm's key never verifies them, and rotating one firm's key leaves the other
firm untouched (its passes, kid and JWKS) while the rotated firm's old passes still scan and its new ones
carry the new kid. The private keys are stored sealed, never in clear."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import jwt
import pytest

from courtyard.clock import FixedClock
from infra.local.provision import Stack
from tests.integration.visitors.conftest import Place, Reply


@pytest.fixture
def handler(
    function_env: Callable[[str], dict[str, str]], clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """The visitors function with per-firm keys on (the template's PassKeysPerFirm=true)."""
    function_env("VisitorsFunction")
    monkeypatch.setenv("PASS_KEYS_PER_FIRM", "true")
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


def issued(call: Callable[..., Reply], firm: Place) -> dict[str, Any]:
    reply = call("POST", "/passes", as_=firm.host, body={"visitor_name": "孙先生"})
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


def test_rotating_one_firms_key_touches_no_other_firm(
    call: Callable[..., Reply], place: Place, other: Place
) -> None:
    from visitors import wiring
    from visitors.adapters.firm_keys import FirmKeyring

    before_mine, before_theirs = issued(call, place), issued(call, other)
    their_keys = jwks_kids(call, other)

    keyring = wiring.pass_keys()
    assert isinstance(keyring, FirmKeyring)
    new_kid = keyring.rotate(place.community.tenant_id)
    after_mine, after_theirs = issued(call, place), issued(call, other)

    assert kid(after_mine["token"]) == new_kid != kid(before_mine["token"])
    assert {new_kid, kid(before_mine["token"])} <= jwks_kids(call, place)
    assert kid(after_theirs["token"]) == kid(before_theirs["token"])
    assert jwks_kids(call, other) == their_keys
    assert verdict(call, other, before_theirs["token"]) == "allow:None"
    assert verdict(call, place, before_mine["token"]) == "allow:None"
    assert verdict(call, place, after_mine["token"]) == "allow:None"


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
