"""The cross-tenant matrix, generated from schemas/openapi.json.

Every authenticated operation that names an object (path parameters, or an id filter in the query) is called
with each of tenant B's roles against tenant A's ids, with a body valid against the operation's schema and
seeded random variation. The answer must be 404 or 403, and no id or distinctive value of tenant A may appear
in it. The same machinery runs a resident of A against a neighbour's objects on another unit.

Out of scope, because no tenant token is involved: ``GET /health`` (no tenant, no id), ``GET /passes/keys``
(the pass verification keys are published on purpose) and the payment webhooks (authenticated by the
provider's signature, not by a token). ``GET /reconciliations/{day}`` names a calendar day, not an object of
tenant A: B's finance rightly gets B's own reconciliation for that day.

A value the attacker sent itself (an id in the path, the pass token) may be echoed back: that reveals nothing
the attacker did not already have, so only values absent from the request count as leaks.

Two answers besides 404/403 are accepted, each proven harmless by a second request rather than trusted:
- a list filtered by a foreign id (``GET /bills?unit_id=<A's unit>``) answers 200 with an empty page; it is
  accepted only when the same request with an id that exists nowhere gets exactly the same answer, so the
  answer says nothing about A (a real page of A's would differ, which the detector's own test shows);
- ``POST /invites/{code}/accept`` with A's real code from B's account is 409 ``other_tenant`` (see
  EXPLAINED_REFUSALS).
The gate (``POST /gate/scans`` and its offline batch) answers every scan with a verdict: A's pass scanned by
B must be a 200 ``deny`` that names no pass, visitor or unit and counts no entry.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from courtyard.ids import new_id
from tests.integration.api import Caller, Reply, no_personal_numbers_in_logs
from tests.reliability.schema_values import ValueMaker
from tests.reliability.world import START, World

__all__ = ["no_personal_numbers_in_logs"]

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT: dict[str, Any] = json.loads((ROOT / "schemas" / "openapi.json").read_text(encoding="utf-8"))
SEED = 20260310
B_ROLES = ("manager", "service_desk", "technician", "finance", "guard", "resident")
ROUNDS = 3  # per operation and role: ~70 operations x 6 roles x 3 = well over 1,000 attempts
NEIGHBOUR_ROUNDS = 6
DENIED = (403, 404)

OUT_OF_SCOPE = {
    ("/health", "get"),
    ("/passes/keys", "get"),
    ("/payments/webhooks/stripe", "post"),
    ("/payments/webhooks/sandbox", "post"),
    ("/payments/webhooks/{provider}/{account}", "post"),  # public: the firm's keys decide (400 otherwise)
    ("/reconciliations/{day}", "get"),
}
# Query filters that name an object; the key is the filter, the value the id kind it takes.
ID_FILTERS = {
    "site_id": "site_id",
    "unit_id": "unit_id",
    "building_id": "building_id",
    "resident_id": "resident_id",
    "phone": "phone",  # a resident search by A's resident's phone number
    "entry_id": "entry_id",  # the blocklist entry to delete
}
# Query parameters whose schema in schemas/openapi.json is not the route's (none since the merge keeps each
# feature's own enums of the same name apart: tickets' Category and NotificationsCategory).
SCHEMA_DEFECTS: set[tuple[str, str, str]] = set()
# What a resident owns on their own unit: the neighbour matrix aims at these.
RESIDENT_OWNED = {
    "ticket_id",
    "photo_id",
    "bill_id",
    "payment_id",
    "pass_id",
    "message_id",
    "endpoint_id",
    "unit_id",
    "resident_id",
}
# The only refusal that is neither 404 nor 403, kept on purpose: an invitation code is a bearer secret
# tenant A handed to its invitee, and an invitee signed in with another firm's account must be told why
# the code cannot be used. It confirms only what the holder of the code already knows (a guessed code is
# 404: test_an_account_of_another_firm_learns_nothing_from_a_guessed_invitation_code) and names nothing of A.
EXPLAINED_REFUSALS: dict[tuple[str, str], tuple[int, str]] = {
    ("/invites/{code}/accept", "post"): (409, "other_tenant"),
}
# Answers that are leaks found by this matrix: (path, method) -> reason. CI stays green, the lead sees them.
KNOWN_LEAKS: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Operation:
    path: str
    method: str
    spec: dict[str, Any]

    @property
    def key(self) -> tuple[str, str]:
        return (self.path, self.method)

    def parameters(self, where: str) -> list[dict[str, Any]]:
        return [p for p in self.spec.get("parameters", []) if p["in"] == where]

    @property
    def path_params(self) -> list[str]:
        return [p["name"] for p in self.parameters("path")]

    @property
    def id_filters(self) -> list[str]:
        return [p["name"] for p in self.parameters("query") if p["name"] in ID_FILTERS]

    def body_schema(self) -> dict[str, Any] | None:
        content = self.spec.get("requestBody", {}).get("content", {}).get("application/json")
        return content["schema"] if content else None


def operations() -> list[Operation]:
    """Every authenticated operation with a path parameter or an id filter in its query."""
    found = []
    for path, methods in DOCUMENT["paths"].items():
        for method, spec in methods.items():
            op = Operation(path, method, spec)
            if op.key in OUT_OF_SCOPE or "security" not in spec:
                continue
            if op.path_params or op.id_filters:
                found.append(op)
    return found


OPERATIONS = operations()


def neighbour_operations() -> list[Operation]:
    """Operations naming only what a resident owns (their unit, their tickets, bills, passes, inbox...)."""
    return [
        op
        for op in OPERATIONS
        if (op.path_params and set(op.path_params) <= RESIDENT_OWNED)
        or (not op.path_params and "unit_id" in op.id_filters)
    ]


NEIGHBOUR_OPERATIONS = neighbour_operations()


def _param(op: Operation) -> Any:
    name = f"{op.method.upper()} {op.path}"
    if op.key in KNOWN_LEAKS:
        return pytest.param(op, id=name, marks=pytest.mark.xfail(strict=True, reason=KNOWN_LEAKS[op.key]))
    return pytest.param(op, id=name)


@dataclass(frozen=True)
class Attempt:
    role: str
    caller: Caller
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    reply: Reply

    def request_text(self) -> str:
        return json.dumps([self.params, self.query, self.body, self.headers], ensure_ascii=False)

    def describe(self) -> str:
        body = json.dumps(self.body, ensure_ascii=False)
        answer = json.dumps(self.reply.body, ensure_ascii=False)[:300]
        request = f"path={self.params} query={self.query} body={body}"
        return f"as {self.role}: {request} -> {self.reply.status} {answer}"


def attack(
    world: World,
    op: Operation,
    caller: Caller,
    role: str,
    rng: random.Random,
    ids: dict[str, list[str]],
    filters_allowed: set[str] | frozenset[str] = frozenset(ID_FILTERS),
) -> Attempt:
    """One request as ``caller`` naming the victim's ``ids``, with a schema-valid body and random options."""
    maker = ValueMaker(DOCUMENT, rng, ids, world.clock.now())
    params = {name: rng.choice(ids[name]) for name in op.path_params}
    query: dict[str, str] = {}
    # One id filter at a time: some lists accept exactly one (residents by unit, site or phone).
    filters = [f for f in op.id_filters if f in filters_allowed and ids.get(ID_FILTERS[f])]
    aimed = rng.choice(filters) if filters else None
    for spec in op.parameters("query"):
        name = spec["name"]
        if name == aimed:
            query[name] = rng.choice(ids[ID_FILTERS[name]])
        elif (op.path, op.method, name) in SCHEMA_DEFECTS:
            continue
        elif name not in ID_FILTERS and name != "cursor" and (spec.get("required") or rng.random() < 0.4):
            value = maker.value(spec["schema"], name)
            query[name] = str(value).lower() if isinstance(value, bool) else str(value)
    schema = op.body_schema()
    body = maker.value(schema) if schema is not None else None
    headers = (
        {"Idempotency-Key": f"matrix-{rng.randrange(10**12)}"}
        if op.method == "post" and rng.random() < 0.3
        else {}
    )
    reply = world.call(op.method, op.path, caller, params, body=body, query=query or None, headers=headers)
    return Attempt(role, caller, params, query, body, headers, reply)


def leaked(attempt: Attempt, secrets: set[str]) -> list[str]:
    """The victim's values in the answer that the attacker did not send itself."""
    answer = json.dumps(attempt.reply.body, ensure_ascii=False) + json.dumps(
        attempt.reply.raw.get("headers", {})
    )
    sent = attempt.request_text()
    return sorted(s for s in secrets if s in answer and s not in sent)


def _refused(op: Operation, reply: Reply) -> bool:
    if reply.status in DENIED:
        return True
    explained = EXPLAINED_REFUSALS.get(op.key)
    code = reply.body.get("error", {}).get("code") if isinstance(reply.body, dict) else None
    return explained is not None and (reply.status, code) == explained


def _as_if_unknown(world: World, op: Operation, attempt: Attempt) -> bool:
    """A list filtered by the victim's id answers exactly as when filtered by an id that exists nowhere."""
    if op.path_params or attempt.reply.status != 200:
        return False
    made_up = {k: (new_id() if k in ID_FILTERS and k != "phone" else v) for k, v in attempt.query.items()}
    if "phone" in attempt.query:
        made_up["phone"] = "13000000000"
    control = world.call(op.method, op.path, attempt.caller, body=attempt.body, query=made_up)
    return (control.status, control.body) == (attempt.reply.status, attempt.reply.body)


def _refusals(world: World, op: Operation, attempts: list[Attempt], secrets: set[str]) -> list[str]:
    problems = []
    for attempt in attempts:
        if not _refused(op, attempt.reply) and not _as_if_unknown(world, op, attempt):
            problems.append(f"not refused: {attempt.describe()}")
        elif found := leaked(attempt, secrets):
            problems.append(f"leaked {found}: {attempt.describe()}")
    return problems


def _victim_ids(world: World, *, owner_only: bool) -> dict[str, list[str]]:
    ids = {k: list(v) for k, v in world.ids.items()}
    if owner_only:
        ids.update({k: list(v) for k, v in world.own.items()})
    ids.setdefault("building_id", ["BLDG-A"])
    return ids


@pytest.mark.parametrize("op", [pytest.param(op, id=f"{op.method.upper()} {op.path}") for op in OPERATIONS])
def test_the_generated_bodies_are_valid_against_the_operations_schemas(op: Operation) -> None:
    """A 403 or 404 proves something only if the body would have passed validation (which runs first)."""
    schema = op.body_schema()
    if schema is None:
        return
    validator = Draft202012Validator({**schema, "components": DOCUMENT["components"]})
    rng = random.Random(f"{SEED}:bodies:{op.path}")
    ids = {name: [new_id()] for name in ("site_id", "unit_id", "bill_id", "device_id", "resident_id")}
    for _ in range(25):
        body = ValueMaker(DOCUMENT, rng, ids, START).value(schema)
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
        assert not errors, (body, errors)


def test_the_world_has_an_object_of_tenant_a_for_every_path_parameter(world: World) -> None:
    """A route added with a new kind of id fails here until the world creates one."""
    named = {name for op in OPERATIONS for name in op.path_params}
    assert named - world.ids.keys() == set()
    assert {name for op in NEIGHBOUR_OPERATIONS for name in op.path_params} <= world.own.keys()


def test_the_matrix_makes_over_a_thousand_attempts() -> None:
    across_tenants = len(OPERATIONS) * len(B_ROLES) * ROUNDS
    assert across_tenants >= 1000, across_tenants
    assert len(NEIGHBOUR_OPERATIONS) * NEIGHBOUR_ROUNDS >= 60


@pytest.mark.parametrize("op", [_param(op) for op in OPERATIONS])
def test_tenant_b_gets_404_or_403_and_nothing_of_tenant_a(world: World, op: Operation) -> None:
    rng = random.Random(f"{SEED}:{op.method}:{op.path}")
    ids = _victim_ids(world, owner_only=False)
    attempts = [attack(world, op, world.b[role], role, rng, ids) for _ in range(ROUNDS) for role in B_ROLES]
    problems = _refusals(world, op, attempts, world.secrets())
    assert not problems, "\n".join(problems[:6])
    if op.method != "get":  # a refused write wrote nothing of A's (reads are not scanned: time)
        assert world.tenant_items(world.demo.tenants["greenfield"]) == world.baseline


@pytest.mark.parametrize("op", [_param(op) for op in NEIGHBOUR_OPERATIONS])
def test_a_resident_gets_404_or_403_and_nothing_of_a_neighbours_things(world: World, op: Operation) -> None:
    rng = random.Random(f"{SEED}:neighbour:{op.method}:{op.path}")
    ids = _victim_ids(world, owner_only=True)
    attempts = [
        attack(world, op, world.neighbour, "neighbour", rng, ids, RESIDENT_OWNED)
        for _ in range(NEIGHBOUR_ROUNDS)
    ]
    problems = _refusals(world, op, attempts, world.resident_secrets())
    assert not problems, "\n".join(problems[:6])
    if op.method != "get":  # a refused write wrote nothing of A's (reads are not scanned: time)
        assert world.tenant_items(world.demo.tenants["greenfield"]) == world.baseline


def test_an_account_of_another_firm_learns_nothing_from_a_guessed_invitation_code(world: World) -> None:
    real = world.ids["code"][0]
    tenant_part = real.split(".")[0]
    for guess in (f"{tenant_part}.AAAA-BBBB-CC", "01AAAAAAAAAAAAAAAAAAAAAAAA.SEKD-RPBS-82", "not-a-code"):
        reply = world.call("POST", "/invites/{code}/accept", world.b["resident"], {"code": guess}, body={})
        assert reply.status == 404, (guess, reply.body)


def unfiltered_reads() -> list[Operation]:
    """Every authenticated GET that names nothing: B's own lists, settings, inbox, profile."""
    return [
        Operation(path, "get", methods["get"])
        for path, methods in DOCUMENT["paths"].items()
        if "get" in methods and "security" in methods["get"] and "{" not in path
    ]


@pytest.mark.parametrize("op", [pytest.param(op, id=op.path) for op in unfiltered_reads()])
def test_what_tenant_b_reads_without_naming_anything_holds_nothing_of_tenant_a(
    world: World, op: Operation
) -> None:
    for role in B_ROLES:
        reply = world.call("GET", op.path, world.b[role])
        attempt = Attempt(role, world.b[role], {}, {}, None, {}, reply)
        assert reply.status < 500, attempt.describe()
        assert not leaked(attempt, world.secrets()), attempt.describe()


@pytest.mark.parametrize("role", B_ROLES)
@pytest.mark.parametrize("route", ["/gate/scans", "/gate/scans/batch"])
def test_a_pass_of_tenant_a_scanned_by_tenant_b_is_denied_revealing_nothing(
    world: World, route: str, role: str
) -> None:
    """The gate answers every scan with a verdict (200) by design: a foreign pass must be a bare deny."""
    pass_id = world.ids["pass_id"][0]
    before = world.call("GET", "/passes/{pass_id}/entries", world.a["resident"], {"pass_id": pass_id}).body
    for site in (world.b_site_id, world.ids["site_id"][0]):
        body: dict[str, Any] = {"site_id": site, "gate_id": "north-1"}
        if route == "/gate/scans":
            body["token"] = world.pass_token
        else:
            scan = {"token": world.pass_token, "scanned_at": "2026-03-10T02:00:00.000Z", "verdict": "allow"}
            body["scans"] = [{"scan_id": f"offline-{role}", **scan}]
        reply = world.call("POST", route, world.b[role], body=body)
        attempt = Attempt(role, world.b[role], {}, {}, body, {}, reply)

        assert not leaked(attempt, world.secrets()), attempt.describe()
        if reply.status in DENIED:
            continue
        assert reply.status == 200, attempt.describe()
        verdicts = [reply.body] if route == "/gate/scans" else reply.body["results"]
        assert [v["verdict"] for v in verdicts] == ["deny"], attempt.describe()
        assert all(v.get("pass_id") is None and v.get("visitor_name") is None for v in verdicts)
    after = world.call("GET", "/passes/{pass_id}/entries", world.a["resident"], {"pass_id": pass_id}).body
    assert after == before  # nothing counted against A's pass


def test_the_matrix_reports_an_answer_that_shows_tenant_a_its_own_data(world: World) -> None:
    """The detector itself: tenant A's own users reading A's objects are exactly what a leak looks like."""
    rng = random.Random(SEED)
    ids = _victim_ids(world, owner_only=True)
    for path in ("/tickets/{ticket_id}", "/bills/{bill_id}", "/passes/{pass_id}", "/devices/{device_id}"):
        op = Operation(path, "get", DOCUMENT["paths"][path]["get"])
        attempts = [attack(world, op, world.a["manager"], "A's manager", rng, ids)]
        attempts.append(attack(world, op, world.a["resident"], "A's resident", rng, ids))
        problems = _refusals(world, op, attempts, world.secrets())
        assert any("not refused" in p for p in problems), path
    listing = Operation("/bills", "get", DOCUMENT["paths"]["/bills"]["get"])
    own = attack(world, listing, world.a["finance"], "A's finance", rng, ids, {"site_id"})
    assert own.reply.status == 200
    assert own.reply.body["items"]
    assert not _as_if_unknown(world, listing, own)  # a real page is told apart from an unknown id's
    assert leaked(Attempt("x", own.caller, {}, {}, None, {}, own.reply), world.secrets())
    snapshot = world.tenant_items(world.demo.tenants["greenfield"])
    assert all(world.ids[kind][0] in snapshot for kind in ("ticket_id", "bill_id", "pass_id", "device_id"))
    assert snapshot == world.baseline  # A's own reads change nothing either: the order of tests is free
