"""Offline gates: the firm's JWKS verifies tokens with standard JOSE libraries, a rotation of the stage's KMS
key (per-firm keys off) keeps old passes valid, and uploaded scans are reconciled against the entry limit in
scan-time order with over-use flagged. The firm keys' own rotation: test_firm_keys.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import jwt
import pytest
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from courtyard.clock import FixedClock, to_iso
from tests.integration.visitors.conftest import NOW, Place


def _jwks(call: Any, place: Place) -> dict[str, Any]:
    # No caller: the route is public. The firm's keys, as the apps ask for them (the token's tid).
    reply = call("GET", "/passes/keys", query={"tenant_id": place.community.tenant_id})
    assert reply.status == 200
    return dict(reply.body)


@pytest.fixture
def stage_signs(monkeypatch: pytest.MonkeyPatch, handler) -> Iterator[None]:
    """Per-firm keys off (``PassKeysPerFirm=false``): the stage's KMS key signs every firm's passes."""
    from visitors import wiring
    from visitors.settings import settings

    monkeypatch.setenv("PASS_KEYS_PER_FIRM", "false")
    settings.cache_clear()
    wiring.wiring.reset()
    yield
    settings.cache_clear()


def test_the_jwks_is_public_and_verifies_a_token_offline_with_pyjwt(call, issue, place: Place):
    visitor_pass = issue()
    jwks = _jwks(call, place)

    key = jwt.PyJWKSet.from_dict(jwks)[jwt.get_unverified_header(visitor_pass["token"])["kid"]]
    # The gate checks the window itself against its own clock (with the 60 s tolerance).
    claims = jwt.decode(
        visitor_pass["token"],
        key.key,
        algorithms=["ES256"],
        options={"verify_exp": False, "verify_nbf": False},
    )

    assert claims["pid"] == visitor_pass["pass_id"]
    assert claims["sid"] == place.site_id
    # The firm's key, and the stage's, which verifies passes signed before firms had keys of their own.
    assert [k["kty"] for k in jwks["keys"]] == ["EC", "EC"]


def test_the_jwks_verifies_a_token_with_joserfc_and_refuses_a_tampered_one(call, issue, place: Place):
    visitor_pass = issue()
    keys = KeySet.import_key_set(_jwks(call, place))  # type: ignore[arg-type]
    header, payload, signature = visitor_pass["token"].split(".")
    tampered = f"{header}.{payload[:-2]}{'AA' if payload[-2:] != 'AA' else 'BB'}.{signature}"

    verified = jws.deserialize_compact(visitor_pass["token"], keys, algorithms=["ES256"])

    assert verified.headers()["kid"] in {key.kid for key in keys.keys}
    with pytest.raises(JoseError):
        jws.deserialize_compact(tampered, keys, algorithms=["ES256"])


@pytest.fixture
def rotated(monkeypatch: pytest.MonkeyPatch, stack, clock: FixedClock, handler) -> str:
    """Rotate: a new signing key, the template's key kept as retired. Returns the new KMS key id."""
    from courtyard.wiring import use_clock

    new_key = boto3.client("kms").create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"][
        "KeyId"
    ]
    monkeypatch.setenv("PASS_SIGNING_KEY_ID", new_key)
    monkeypatch.setenv("PASS_RETIRED_KEY_IDS", stack.ref("VisitorsPassKey"))
    use_clock(clock)
    return str(new_key)


def test_after_a_key_rotation_old_passes_stay_valid_and_new_ones_use_the_new_key(
    call, issue, scan, request, stage_signs
):
    old_pass = issue()
    old_kid = jwt.get_unverified_header(old_pass["token"])["kid"]
    request.getfixturevalue("rotated")

    new_pass = issue()
    jwks = call("GET", "/passes/keys").body  # the stage's keys

    new_kid = jwt.get_unverified_header(new_pass["token"])["kid"]
    assert new_kid != old_kid
    assert {k["kid"] for k in jwks["keys"]} == {old_kid, new_kid}
    assert scan(old_pass["token"]).body["verdict"] == "allow"
    assert scan(new_pass["token"]).body["verdict"] == "allow"


def test_a_key_dropped_from_the_retired_list_no_longer_verifies(
    issue, scan, monkeypatch, clock, stack, stage_signs
):
    from courtyard.wiring import use_clock

    old_pass = issue()
    new_key = boto3.client("kms").create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"][
        "KeyId"
    ]
    monkeypatch.setenv("PASS_SIGNING_KEY_ID", new_key)
    monkeypatch.setenv("PASS_RETIRED_KEY_IDS", "")
    use_clock(clock)

    assert scan(old_pass["token"]).body["reason"] == "bad_signature"


def _upload(call: Any, place: Place, *scans: dict[str, Any]) -> Any:
    return call(
        "POST",
        "/gate/scans/batch",
        as_=place.guard,
        body={"site_id": place.site_id, "gate_id": "east-offline", "scans": list(scans)},
    )


def _offline(
    token: str, scan_id: str, minutes: int, verdict: str = "allow", direction: str = "in"
) -> dict[str, Any]:
    return {
        "scan_id": scan_id,
        "token": token,
        "direction": direction,
        "scanned_at": to_iso(NOW + timedelta(minutes=minutes)),
        "verdict": verdict,
    }


def test_an_upload_counts_entries_in_scan_time_order_and_flags_over_use(
    call, issue, place: Place, published, clock
):
    visitor_pass = issue(entries_allowed=2)
    token = visitor_pass["token"]
    clock.set(NOW + timedelta(hours=1))

    # Sent out of order: the reconciliation sorts by scan time.
    reply = _upload(
        call,
        place,
        _offline(token, "scan-0003", 30),
        _offline(token, "scan-0001", 10),
        _offline(token, "scan-0002", 20),
        _offline(token, "scan-0004", 40, direction="out"),
    )

    assert reply.status == 200
    by_id = {r["scan_id"]: r for r in reply.body["results"]}
    assert (by_id["scan-0001"]["counted"], by_id["scan-0001"]["entry_number"]) == (True, 1)
    assert (by_id["scan-0002"]["counted"], by_id["scan-0002"]["entry_number"]) == (True, 2)
    assert by_id["scan-0003"]["counted"] is False
    assert by_id["scan-0003"]["flags"] == ["over_limit"]
    assert by_id["scan-0004"]["flagged"] is False
    assert reply.body["flagged"] == 1
    pass_now = call("GET", f"/passes/{visitor_pass['pass_id']}", as_=place.host).body
    assert pass_now["entries_used"] == 2
    log = call("GET", f"/sites/{place.site_id}/visits", as_=place.guard).body["items"]
    assert [(e["scan_id"], e["overuse"], e["offline"]) for e in log if e["direction"] == "in"] == [
        ("scan-0001", False, True),
        ("scan-0002", False, True),
        ("scan-0003", True, True),
    ]
    arrivals = [d for name, d in published if name == "VisitorArrived"]
    assert [(a["entry_number"], a["offline"]) for a in arrivals] == [(1, True), (2, True)]


def test_offline_entries_and_online_scans_share_one_limit(call, issue, scan, place: Place, clock):
    visitor_pass = issue(entries_allowed=1)
    assert scan(visitor_pass["token"]).body["verdict"] == "allow"

    reply = _upload(call, place, _offline(visitor_pass["token"], "scan-late-01", 5))

    assert reply.body["results"][0]["flags"] == ["over_limit"]


@pytest.mark.reliability
def test_uploading_the_same_scans_again_counts_nothing_twice(call, issue, place: Place, published):
    visitor_pass = issue(entries_allowed=1)
    scans = [
        _offline(visitor_pass["token"], "dup-scan-01", 1),
        _offline(visitor_pass["token"], "dup-scan-02", 2),
    ]

    first = _upload(call, place, *scans)
    again = _upload(call, place, *scans)

    assert [r["counted"] for r in first.body["results"]] == [True, False]
    assert [r["duplicate"] for r in again.body["results"]] == [True, True]
    assert again.body["accepted"] == 0
    assert again.body["flagged"] == 0
    assert call("GET", f"/passes/{visitor_pass['pass_id']}", as_=place.host).body["entries_used"] == 1
    log = call("GET", f"/sites/{place.site_id}/visits", as_=place.guard).body["items"]
    assert len(log) == 2
    assert [name for name, _ in published].count("VisitorArrived") == 1


def test_an_offline_entry_after_a_revocation_is_flagged_and_one_before_is_counted(
    call, issue, place: Place, clock
):
    visitor_pass = issue(entries_allowed=5)
    clock.set(NOW + timedelta(minutes=30))
    call("DELETE", f"/passes/{visitor_pass['pass_id']}", as_=place.host)
    clock.set(NOW + timedelta(hours=1))

    reply = _upload(
        call,
        place,
        _offline(visitor_pass["token"], "before-rev-1", 10),
        _offline(visitor_pass["token"], "after-rev-01", 40),
    )

    before, after = reply.body["results"]
    assert (before["counted"], before["flagged"]) == (True, False)
    assert (after["counted"], after["flags"], after["reason"]) == (False, ["revoked"], "revoked")


def test_a_forged_token_an_offline_gate_admitted_is_flagged(call, issue, place: Place):
    visitor_pass = issue()
    header, payload, _ = visitor_pass["token"].split(".")

    reply = _upload(call, place, _offline(f"{header}.{payload}.{'A' * 86}", "forged-0001", 3))

    assert reply.body["results"][0]["flags"] == ["bad_signature"]
    assert reply.body["results"][0]["counted"] is False


def test_only_gate_staff_upload_scans(call, issue, place: Place):
    visitor_pass = issue()

    reply = call(
        "POST",
        "/gate/scans/batch",
        as_=place.host,
        body={
            "site_id": place.site_id,
            "gate_id": "g",
            "scans": [_offline(visitor_pass["token"], "scan-by-host", 1)],
        },
    )

    assert reply.status == 403
