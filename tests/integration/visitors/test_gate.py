"""Gate scans on in-process moto: verdicts and their reasons, atomic entry counting, plates, the visit log."""

from __future__ import annotations

import base64
import json
import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import boto3
import pytest

from courtyard.clock import FixedClock, to_iso
from courtyard.tenancy import Role, TenantContext
from tests.integration.api import Reply
from tests.integration.visitors.conftest import NOW, Place


def _ctx(caller: Any) -> TenantContext:
    return TenantContext(caller.tenant_id, caller.user_id, frozenset(caller.roles))


def test_single_use_pass_admits_once_and_the_second_scan_is_denied_exhausted(issue, scan, published):
    visitor_pass = issue()

    first = scan(visitor_pass["token"])
    second = scan(visitor_pass["token"])

    assert first.status == 200
    assert first.body["verdict"] == "allow"
    assert first.body["visitor_name"] == "孙先生 Mr Sun"
    assert first.body["host_unit"] == "A101"
    assert first.body["entry_number"] == 1
    assert (second.body["verdict"], second.body["reason"]) == ("deny", "exhausted")
    assert second.body["visitor_name"] is None
    arrivals = [detail for name, detail in published if name == "VisitorArrived"]
    assert len(arrivals) == 1
    assert arrivals[0]["pass_id"] == visitor_pass["pass_id"]
    assert arrivals[0]["host_user_id"] == visitor_pass["host_user_id"]
    assert arrivals[0]["entry_number"] == 1


@pytest.mark.reliability
def test_fifty_concurrent_scans_of_a_single_use_pass_yield_exactly_one_allow(
    handler, issue, place: Place, atomic_item_writes
):
    from visitors import wiring
    from visitors.models import ScanRequest

    visitor_pass = issue()
    gate = wiring.gate()
    request = ScanRequest(site_id=place.site_id, gate_id="north-1", token=visitor_pass["token"])
    verdicts: list[str] = []
    start = threading.Barrier(50)

    def one_scan() -> None:
        start.wait()
        verdicts.append(gate.scan(_ctx(place.guard), request).verdict.value)

    threads = [threading.Thread(target=one_scan) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Counter(verdicts) == {"allow": 1, "deny": 49}


@pytest.mark.reliability
def test_a_three_entry_pass_scanned_at_two_gates_at_once_allows_exactly_three(
    handler, issue, place: Place, atomic_item_writes
):
    from visitors import wiring
    from visitors.models import ScanRequest

    visitor_pass = issue(entries_allowed=3)
    gate = wiring.gate()
    requests = [
        ScanRequest(site_id=place.site_id, gate_id=gate_id, token=visitor_pass["token"])
        for gate_id in ("north-1", "south-2")
    ]
    verdicts: list[tuple[str, str]] = []
    start = threading.Barrier(40)

    def one_scan(index: int) -> None:
        start.wait()
        request = requests[index % 2]
        verdicts.append((request.gate_id, gate.scan(_ctx(place.guard), request).verdict.value))

    threads = [threading.Thread(target=one_scan, args=(i,)) for i in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(1 for _, verdict in verdicts if verdict == "allow") == 3
    stored = wiring.repository().get(place.community.tenant_id, visitor_pass["pass_id"], consistent=True)
    assert stored is not None
    assert stored.entries_used == 3


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["exp"] += 86_400 * 30  # a visitor stretching their pass by a month
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_a_tampered_token_is_denied_bad_signature_and_names_nothing(issue, scan):
    visitor_pass = issue()

    reply = scan(_tampered(visitor_pass["token"]))

    assert (reply.body["verdict"], reply.body["reason"]) == ("deny", "bad_signature")
    assert reply.body["pass_id"] is None


def test_garbage_and_unsigned_tokens_are_denied_bad_signature(issue, scan):
    visitor_pass = issue()
    header, payload, _ = visitor_pass["token"].split(".")
    unsigned_header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()

    assert scan("not-a-token").body["reason"] == "bad_signature"
    assert scan(f"{unsigned_header}.{payload}.").body["reason"] == "bad_signature"
    assert scan(f"{header}.{payload}.{'A' * 86}").body["reason"] == "bad_signature"


def test_an_expired_pass_is_denied_after_the_sixty_second_tolerance(issue, scan, clock: FixedClock):
    until = to_iso(NOW + timedelta(hours=2))
    first, second = issue(valid_until=until), issue(valid_until=until)

    clock.set(NOW + timedelta(hours=2, seconds=59))
    within_tolerance = scan(first["token"])
    clock.set(NOW + timedelta(hours=2, seconds=61))
    expired = scan(second["token"])

    assert within_tolerance.body["verdict"] == "allow"
    assert (expired.body["verdict"], expired.body["reason"]) == ("deny", "expired")


def test_a_pass_before_its_window_is_denied_not_yet_valid(issue, scan, clock: FixedClock):
    visitor_pass = issue(
        valid_from=to_iso(NOW + timedelta(hours=1)), valid_until=to_iso(NOW + timedelta(hours=3))
    )

    early = scan(visitor_pass["token"])
    clock.set(NOW + timedelta(minutes=59, seconds=30))  # within the gate clock tolerance
    just_in_time = scan(visitor_pass["token"])

    assert (early.body["verdict"], early.body["reason"]) == ("deny", "not_yet_valid")
    assert just_in_time.body["verdict"] == "allow"


def test_a_revoked_pass_is_denied_revoked_on_the_next_scan(call, issue, scan, place: Place):
    visitor_pass = issue(entries_allowed=5)
    assert scan(visitor_pass["token"]).body["verdict"] == "allow"

    revoked = call("DELETE", f"/passes/{visitor_pass['pass_id']}", as_=place.host)
    reply = scan(visitor_pass["token"])

    assert revoked.status == 200
    assert (reply.body["verdict"], reply.body["reason"]) == ("deny", "revoked")


def test_another_firms_pass_is_denied_bad_signature_and_reveals_nothing(
    call, issue, scan, seed, residents, staff, place: Place
):
    # Each firm signs with its own key (PassKeysPerFirm, on by default): our gate's keys do not verify
    # another firm's pass at all (with the stage's one key it was a verified token of another firm).
    other = seed("Harbour")
    stranger = residents(other, "Qian", "a101")
    foreign_pass = issue(as_=stranger)

    at_our_gate = scan(foreign_pass["token"])
    their_site_named = scan(foreign_pass["token"], site_id=other.site_id)

    for reply in (at_our_gate, their_site_named):
        assert (reply.body["verdict"], reply.body["reason"]) == ("deny", "bad_signature")
        assert reply.body["pass_id"] is None
        assert reply.body["visitor_name"] is None
        assert reply.body["entries_left"] is None


def test_a_pass_for_other_gates_is_denied_wrong_site_at_this_gate(issue, scan):
    visitor_pass = issue(gates=["south-2"])

    here = scan(visitor_pass["token"])
    there = scan(visitor_pass["token"], gate_id="south-2")

    assert (here.body["verdict"], here.body["reason"]) == ("deny", "wrong_site")
    assert there.body["verdict"] == "allow"


def test_a_visitor_blocked_after_the_pass_was_issued_is_denied_blocked(call, issue, scan, place: Place):
    visitor_pass = issue(visitor_phone="13912345678", entries_allowed=3)
    assert scan(visitor_pass["token"]).body["verdict"] == "allow"

    blocked = call(
        "POST",
        f"/sites/{place.site_id}/blocklist",
        as_=place.guard,
        body={"kind": "phone", "value": "139-1234-5678"},
    )
    reply = scan(visitor_pass["token"])

    assert blocked.status == 201
    assert (reply.body["verdict"], reply.body["reason"]) == ("deny", "blocked")


def test_leaving_does_not_consume_an_entry(issue, scan):
    visitor_pass = issue(entries_allowed=1)

    came_in = scan(visitor_pass["token"])
    went_out = scan(visitor_pass["token"], direction="out")

    assert came_in.body["verdict"] == went_out.body["verdict"] == "allow"
    assert went_out.body["entries_left"] == 0
    assert went_out.body["entry_number"] is None


def test_a_recurring_pass_admits_only_in_its_weekly_hours(issue, scan, clock: FixedClock):
    # Tuesdays 09:00-12:00 Shanghai time; NOW is Tuesday 10:00 there.
    visitor_pass = issue(
        kind="guest",
        entries_allowed=10,
        valid_until=to_iso(NOW + timedelta(days=20)),
        recurrence={"days": [2], "start": "09:00", "end": "12:00"},
    )

    in_hours = scan(visitor_pass["token"])
    clock.set(NOW + timedelta(hours=3))  # 13:00 in Shanghai
    after_hours = scan(visitor_pass["token"])
    clock.set(NOW + timedelta(days=7))  # next Tuesday 10:00
    next_week = scan(visitor_pass["token"])

    assert in_hours.body["verdict"] == "allow"
    assert (after_hours.body["verdict"], after_hours.body["reason"]) == ("deny", "not_yet_valid")
    assert next_week.body["verdict"] == "allow"


def test_a_plate_camera_admits_a_car_by_its_plate(issue, scan):
    visitor_pass = issue(visitor_plate="粤B·12345", entries_allowed=2)

    by_plate = scan(plate="粤b12345")
    unknown_plate = scan(plate="粤B99999")

    assert by_plate.body["verdict"] == "allow"
    assert by_plate.body["pass_id"] == visitor_pass["pass_id"]
    assert (unknown_plate.body["verdict"], unknown_plate.body["reason"]) == ("deny", "unknown")


def test_a_blocked_plate_is_denied_at_the_plate_camera(call, issue, scan, place: Place):
    issue(visitor_plate="粤B12345")
    call(
        "POST",
        f"/sites/{place.site_id}/blocklist",
        as_=place.manager,
        body={"kind": "plate", "value": "粤B 12345"},
    )

    reply = scan(plate="粤B12345")

    assert (reply.body["verdict"], reply.body["reason"]) == ("deny", "blocked")


def test_only_guards_and_managers_scan(issue, scan, place: Place):
    visitor_pass = issue()

    assert scan(visitor_pass["token"], as_=place.host).status == 403
    assert scan(visitor_pass["token"], as_=place.desk).status == 403


def test_a_scan_needs_exactly_one_of_token_or_plate(scan):
    assert scan().status == 422
    assert scan("x", plate="粤B12345").status == 422


def _visits(call: Callable[..., Reply], place: Place, **query: str) -> Reply:
    return call("GET", f"/sites/{place.site_id}/visits", as_=place.guard, query=query or None)


def test_the_visit_log_lists_every_scan_of_the_day_and_exports_csv(call, raw_call, issue, scan, place: Place):
    visitor_pass = issue()
    scan(visitor_pass["token"])
    scan(visitor_pass["token"])
    scan("forged.token.value")

    log = _visits(call, place)
    csv = raw_call("GET", f"/sites/{place.site_id}/visits", as_=place.manager, query={"format": "csv"})
    other_day = _visits(call, place, date="2026-03-09")

    assert log.status == 200
    assert log.body["date"] == "2026-03-10"
    assert [(e["verdict"], e["reason"]) for e in log.body["items"]] == [
        ("allow", None),
        ("deny", "exhausted"),
        ("deny", "bad_signature"),
    ]
    assert log.body["items"][0]["visitor_name"] == "孙先生 Mr Sun"
    assert csv["statusCode"] == 200
    assert csv["multiValueHeaders"]["Content-Type"][0].startswith("text/csv")
    lines = csv["body"].splitlines()
    assert lines[0].startswith("scanned_at,gate_id,direction,verdict,reason")
    assert len(lines) == 4
    assert other_day.body["items"] == []


def test_residents_cannot_read_the_visit_log_and_another_firms_site_is_404(call, seed, staff, place: Place):
    other = seed("Harbour")
    foreign_guard = staff(other, "Zhou", Role.GUARD)

    assert call("GET", f"/sites/{place.site_id}/visits", as_=place.host).status == 403
    assert call("GET", f"/sites/{place.site_id}/visits", as_=foreign_guard).status == 404


def test_a_visit_log_day_the_calendar_does_not_have_says_so(call, place: Place):
    no_such_day = _visits(call, place, date="2026-02-30")
    malformed = _visits(call, place, date="30/02/2026")

    assert no_such_day.status == 400
    assert no_such_day.body["error"]["message"] == "date 2026-02-30 does not exist: February 2026 has 28 days"
    assert malformed.status == 422  # the route's query pattern refuses the shape before the service


def test_a_pass_lists_its_own_entries_for_its_host(call, issue, scan, place: Place):
    visitor_pass = issue(entries_allowed=2)
    scan(visitor_pass["token"])
    scan(visitor_pass["token"], direction="out")

    entries = call("GET", f"/passes/{visitor_pass['pass_id']}/entries", as_=place.host)
    neighbour = call("GET", f"/passes/{visitor_pass['pass_id']}/entries", as_=place.neighbour)

    assert entries.status == 200
    assert [(e["direction"], e["verdict"]) for e in entries.body["items"]] == [
        ("in", "allow"),
        ("out", "allow"),
    ]
    assert neighbour.status == 404


def test_visit_log_lines_expire_after_the_retention_period(issue, scan, stack):
    visitor_pass = issue()
    scan(visitor_pass["token"])

    items = boto3.client("dynamodb").scan(TableName=stack.ref("VisitorsTable"))["Items"]
    visits = [i for i in items if i["entity"]["S"] == "visit"]
    passes = [i for i in items if i["entity"]["S"] == "pass"]

    retention = 90 * 86_400
    assert int(visits[0]["ttl"]["N"]) == int(NOW.timestamp()) + retention
    assert int(passes[0]["ttl"]["N"]) == int((NOW + timedelta(hours=24)).timestamp()) + retention


@pytest.mark.parametrize("direction", ["in", "out"])
def test_an_unknown_pass_with_a_valid_signature_is_denied_unknown(handler, place: Place, scan, direction):
    from visitors import tokens, wiring

    claims = tokens.PassClaims(
        pass_id="01NOSUCHPASS0000000000000",
        tenant_id=place.community.tenant_id,
        site_id=place.site_id,
        not_before=int(NOW.timestamp()),
        expires=int(NOW.timestamp()) + 3600,
    )
    token = tokens.sign(claims, wiring.pass_keys().signer(place.community.tenant_id))

    reply = scan(token, direction=direction)

    assert (reply.body["verdict"], reply.body["reason"]) == ("deny", "unknown")
