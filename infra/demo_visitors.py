"""`make demo`, visitors chapter: a resident invites a visitor, the gate admits them once, then refuses.

The resident of Greenfield issues a single-use pass from the app (retried with the same Idempotency-Key: one
pass); the QR code is fetched as the app shows it; the guard scans it: allowed with the visitor's name and
host unit, and the second scan is denied ``exhausted``. A gate verifies the token offline against the public
JWKS. ``VisitorArrived`` is on the bus for the notifications feature to tell the host.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import jwt

from courtyard.tenancy import Role

if TYPE_CHECKING:
    from infra.demo import Story
    from infra.seed import DemoData


def chapter(story: Story, demo: DemoData) -> None:
    print("\n== Visitors: a resident invites a guest; the gate admits them once")
    resident = story.token(demo.user("greenfield", Role.RESIDENT).username)
    guard = story.token(demo.user("greenfield", Role.GUARD).username)
    site_id = demo.sites["greenfield"]

    request: dict[str, Any] = {"visitor_name": "孙先生 Mr Sun", "visitor_phone": "13912345678"}
    key = {"Idempotency-Key": f"demo-pass-{uuid.uuid4().hex[:12]}"}
    issued = story.call("POST", "/passes", resident, body=request, headers=key)
    retried = story.call("POST", "/passes", resident, body=request, headers=key)
    visitor_pass = issued.json() or {}
    story.check(issued.status == 201, "the resident issues a pass")
    story.check(
        retried.status == 200 and (retried.json() or {}).get("pass_id") == visitor_pass.get("pass_id"),
        "a retried issue returns the same pass",
    )
    print(
        f"   POST /passes -> {issued.status} pass {visitor_pass['pass_id']} "
        f"for {visitor_pass['visitor_name']}, "
        f"unit {visitor_pass['unit_label']}, phone {visitor_pass['visitor_phone']}, "
        f"{visitor_pass['entries_allowed']} entry until {visitor_pass['valid_until']}"
    )
    print(f"   retried with the same Idempotency-Key -> {retried.status}, the same pass")
    token = str(visitor_pass["token"])
    print(
        f"   token: ES256 compact JWS, {len(token)} characters; "
        f"share link {visitor_pass['share_url'][:48]}..."
    )
    qr = story.call("GET", f"/passes/{visitor_pass['pass_id']}/qr?format=svg", resident)
    story.check(qr.status == 200 and "<svg" in qr.text, "the app shows the pass as a QR code")
    print(f"   GET /passes/{{id}}/qr -> {qr.status} {qr.headers.get('Content-Type')}, {len(qr.text)} bytes")

    # Each firm signs with its own key: the app asks for the keys of the firm the token names (its tid).
    firm = jwt.decode(token, options={"verify_signature": False})["tid"]
    jwks = story.call("GET", f"/passes/keys?tenant_id={firm}")
    story.check(jwks.status == 200, "the firm's public keys need no token")
    key_set = jwt.PyJWKSet.from_dict(jwks.json())
    offline = jwt.decode(token, key_set[jwt.get_unverified_header(token)["kid"]].key, algorithms=["ES256"])
    story.check(offline["pid"] == visitor_pass["pass_id"], "an offline gate verifies the token with the JWKS")
    print(
        f"   GET /passes/keys?tenant_id= (no token) -> {len(key_set.keys)} keys (the firm's, and the stage's"
        " for passes signed before); verified offline with PyJWT"
    )

    scan = {"site_id": site_id, "gate_id": "north-1", "token": token}
    first = story.call("POST", "/gate/scans", guard, body=scan).json() or {}
    second = story.call("POST", "/gate/scans", guard, body=scan).json() or {}
    print(
        f"   guard scans at north-1 -> {first.get('verdict')}: {first.get('visitor_name')} visiting "
        f"{first.get('host_unit')} (entry {first.get('entry_number')})"
    )
    print(f"   the same pass again   -> {second.get('verdict')} ({second.get('reason')})")
    story.check(first.get("verdict") == "allow", "the visitor is admitted once")
    story.check(
        (second.get("verdict"), second.get("reason")) == ("deny", "exhausted"),
        "the second scan of a single-use pass is denied",
    )
    log = story.call("GET", f"/sites/{site_id}/visits", guard).json() or {}
    lines = [
        (e["verdict"], e["reason"])
        for e in log.get("items", [])
        if e.get("pass_id") == visitor_pass["pass_id"]
    ]
    story.check(lines == [("allow", None), ("deny", "exhausted")], "both scans are in the visit log")
    print(f"   visit log {log.get('date')}: {len(lines)} lines for this pass; VisitorArrived is on the bus")
