"""Every create route a client may retry declares the Idempotency-Key header (issue 14, item 4).

The create routes are enumerated from the committed schemas/openapi.json (a POST that can answer 201), so a
new create route fails here until it declares the header or is listed below with its reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT: dict[str, Any] = json.loads((ROOT / "schemas" / "openapi.json").read_text(encoding="utf-8"))

# Create routes that need no key, each for its reason.
WITHOUT_KEY = {
    # A natural key already makes the retry answer the same object: one link per (unit, resident), one
    # endpoint per device token.
    ("/units/{unit_id}/residents", "post"): "natural key: the unit and the resident",
    ("/me/push-endpoints", "post"): "natural key: the device token",
    # One outcome per flagged resident and month: a retry cannot record a second (409 names the first).
    ("/care-visits/{month}/{resident_id}", "post"): "natural key: the resident and the month",
    # The code is shown once; a retry after a lost answer must get a fresh code, which it does. The lost
    # one was never seen, and it expires.
    ("/invites", "post"): "a lost code was never seen: a retry is a new invitation",
    # The same for a family proxy's code: the pending link of a lost answer was never shown and expires
    # (72 hours) without ever becoming active.
    ("/units/{unit_id}/proxies", "post"): "a lost code was never seen: a retry is a new pending link",
    # A retry opens another upload form for a job that was never uploaded to, and nothing else.
    ("/imports", "post"): "a job without an upload writes nothing else",
    ("/tickets/{ticket_id}/photos", "post"): "an upload form; only its confirmation adds the photo",
}
# Create routes still to move onto the rule (console writes a person retries by hand today); listed so
# they are visible, and so the list can only shrink.
NOT_YET = {
    ("/sites", "post"),
    ("/sites/{site_id}/buildings", "post"),
    ("/sites/{site_id}/units", "post"),
    ("/sites/{site_id}/blocklist", "post"),
    ("/alarm-rules", "post"),
    ("/tickets/{ticket_id}/comments", "post"),
}
# (POST /billing-runs answers 202 now, not 201: a retried run bills nothing twice, bills being written only if
# absent; it records one more run, which finds every bill existing.)


def create_routes() -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, operations in DOCUMENT["paths"].items()
        for method, operation in operations.items()
        if method == "post" and "201" in operation.get("responses", {})
    }


def declares_key(operation: dict[str, Any]) -> bool:
    # HTTP header names are case-insensitive (the generator writes them lower-cased).
    return any(
        p.get("in") == "header" and p.get("name", "").lower() == "idempotency-key"
        for p in operation.get("parameters", [])
    )


def test_there_are_create_routes_to_check() -> None:
    assert {("/notices", "post"), ("/staff", "post"), ("/tickets", "post")} <= create_routes()


def test_every_create_route_declares_the_idempotency_key_header() -> None:
    missing = {
        route
        for route in create_routes() - set(WITHOUT_KEY) - NOT_YET
        if not declares_key(DOCUMENT["paths"][route[0]][route[1]])
    }
    assert missing == set()


def test_the_exemptions_name_real_create_routes_that_still_lack_the_header() -> None:
    routes = create_routes()
    stale = {r for r in set(WITHOUT_KEY) | NOT_YET if r not in routes}
    assert stale == set()
    now_declared = {r for r in NOT_YET if declares_key(DOCUMENT["paths"][r[0]][r[1]])}
    assert now_declared == set(), "these declare the header now: remove them from NOT_YET"


def test_the_header_is_optional_and_described_as_the_one_rule() -> None:
    operation = DOCUMENT["paths"]["/notices"]["post"]
    (parameter,) = [p for p in operation["parameters"] if p["name"].lower() == "idempotency-key"]
    assert parameter["required"] is False
    assert "key_reused" in parameter["description"]
