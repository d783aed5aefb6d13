"""A resident's export end to end on moto (issue 17): POST /me/exports writes the directory's part and
publishes ``PersonalDataExportRequested``; the bus's rules carry it to the four features' queues (from
template.yaml), each consumer writes its part; GET /me/exports/{id} then merges once and answers five-minute
links to the JSON and the ZIP. One export at a time per person; another person's or firm's id is a 404; the
request and each download are audited."""

from __future__ import annotations

import importlib
import io
import json
import zipfile
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlparse

import boto3
import pytest

from courtyard.clock import FixedClock
from courtyard.crypto import FieldCipher
from courtyard.directory import Keys
from courtyard.personal_export import FEATURES
from courtyard.tenancy import Role
from courtyard.wiring import use_clock
from infra.local.provision import Stack
from tests.integration.api import Caller, Reply
from tests.integration.bus import drain
from tests.integration.community import Community, published, residents, seed, staff

__all__ = ["published", "residents", "seed", "staff"]

Call = Callable[..., Reply]
PHONE = "13812345678"
# The four consumers of PersonalDataExportRequested: their function, queue and handler module.
CONSUMERS = (
    ("TicketsPeopleFunction", "TicketsPeopleQueue", "tickets.people_handler", "tickets.wiring"),
    ("PaymentsPeopleFunction", "PaymentsPeopleQueue", "payments.people_handler", "payments.wiring"),
    ("VisitorsResidencyFunction", "VisitorsResidencyQueue", "visitors.residency_handler", "visitors.wiring"),
    (
        "NotificationsEventsFunction",
        "NotificationsEventQueue",
        "notifications.events_handler",
        "notifications.wiring",
    ),
)


@pytest.fixture
def world(
    seed: Callable[..., Community],
    residents: Callable[..., Caller],
    staff: Callable[..., Caller],
    stack: Stack,
) -> Community:
    community = seed()
    residents(community, "li", "a101")
    residents(community, "zhao", "a102")
    staff(community, "desk", Role.SERVICE_DESK)
    as_the_directory_writes(stack, community)
    return community


def as_the_directory_writes(stack: Stack, community: Community) -> None:
    """The shared seed's profiles with what the directory's own records carry: a sealed phone, times."""
    table = boto3.resource("dynamodb").Table(stack.ref("DirectoryTable"))
    cipher = FieldCipher(stack.ref("PiiKey"))
    for resident_id in community.residents.values():
        table.update_item(
            Key=Keys.resident(community.tenant_id, resident_id),
            UpdateExpression="SET phone_enc = :phone, created_at = :at, tenant_id = :t",
            ExpressionAttributeValues={
                ":phone": cipher.encrypt(community.tenant_id, PHONE),
                ":at": "2025-06-01T00:00:00.000Z",
                ":t": community.tenant_id,
            },
        )


@pytest.fixture
def deliver(function_env: Callable[[str], dict[str, str]], stack: Stack) -> Callable[[], list[int]]:
    """Drain each consumer's queue into its handler (as Lambda's event source), then back to the directory;
    how many records each consumer was given."""

    def run() -> list[int]:
        given = []
        for function, queue, module, wiring_module in CONSUMERS:
            function_env(function)
            importlib.import_module(wiring_module).wiring.reset()
            handler = importlib.import_module(module)
            answer = drain(stack, queue, handler)
            assert answer["batchItemFailures"] == [], (function, answer)
            given.append(answer["delivered"])
        function_env("DirectoryFunction")
        importlib.import_module("directory.wiring").wiring.reset()
        return given

    return run


@pytest.fixture
def clocked(clock: FixedClock) -> FixedClock:
    use_clock(clock)
    return clock


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


def progress(call: Call, who: Caller, export_id: str) -> Reply:
    return call(
        "GET",
        f"/me/exports/{export_id}",
        as_=who,
        resource="/me/exports/{export_id}",
        path_parameters={"export_id": export_id},
    )


def audit_actions(stack: Stack) -> list[tuple[str, str]]:
    items = boto3.client("dynamodb").scan(TableName=stack.ref("AuditTable"))["Items"]
    return sorted((i["action"]["S"], i.get("resource_id", {}).get("S", "")) for i in items)


def test_an_export_runs_through_every_feature_and_downloads_as_json_and_zip(
    call: Call,
    world: Community,
    deliver: Callable[[], list[int]],
    published: list[tuple[str, dict[str, Any]]],
    stack: Stack,
    clocked: FixedClock,
) -> None:
    li = world.people["li"]
    started = call("POST", "/me/exports", as_=li, headers={"Idempotency-Key": "export-li-0001"})
    assert started.status == 202, started.body
    export_id = started.body["export_id"]
    assert started.body["status"] == "running"
    assert started.body["downloads"] is None
    assert [p["feature"] for p in started.body["parts"] if p["done"]] == ["directory"]
    assert [name for name, _ in published] == ["PersonalDataExportRequested"]
    assert published[0][1]["links"][0]["unit_id"] == world.units["a101"]

    again = call("POST", "/me/exports", as_=li)
    assert (again.status, again.body["export_id"]) == (200, export_id)
    assert len(published) == 1

    assert deliver() == [1, 1, 1, 1]
    ready = progress(call, li, export_id)

    assert ready.status == 200, ready.body
    assert ready.body["status"] == "ready"
    assert all(p["done"] for p in ready.body["parts"])
    links = ready.body["downloads"]
    assert parse_qs(urlparse(links["zip_url"]).query)["X-Amz-Expires"] == ["300"]
    bucket = stack.ref("ExportBucket")
    s3 = boto3.client("s3")
    document = json.loads(
        s3.get_object(Bucket=bucket, Key=f"exports/{world.tenant_id}/{export_id}/export.json")["Body"].read()
    )
    assert [f for f in FEATURES if f in document] == list(FEATURES)
    assert document["directory"]["person"]["person_id"] == world.residents["li"]
    assert document["directory"]["person"]["phone"] == PHONE  # their own number, in full
    zipped = s3.get_object(Bucket=bucket, Key=f"exports/{world.tenant_id}/{export_id}/export.zip")[
        "Body"
    ].read()
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        assert json.loads(archive.read("export.json")) == document
    actions = audit_actions(stack)
    assert ("request_personal_data_export", export_id) in actions
    assert ("download_personal_data_export", export_id) in actions


def test_another_persons_or_firms_export_id_is_not_found(
    call: Call,
    world: Community,
    seed: Callable[..., Community],
    residents: Callable[..., Caller],
    stack: Stack,
    clocked: FixedClock,
) -> None:
    started = call("POST", "/me/exports", as_=world.people["li"])
    export_id = started.body["export_id"]
    other = seed("Harbour")
    stranger = residents(other, "qian", "a101")
    as_the_directory_writes(stack, other)

    for who in (world.people["zhao"], stranger):
        answer = progress(call, who, export_id)
        assert answer.status == 404, answer.body
        assert answer.body["error"]["code"] == "not_found"


def test_staff_and_assisted_mode_cannot_start_an_export(
    call: Call, world: Community, clocked: FixedClock
) -> None:
    desk = world.people["desk"]
    assert call("POST", "/me/exports", as_=desk).status == 403
    assisted = call(
        "POST",
        "/me/exports",
        as_=desk,
        headers={"X-On-Behalf-Of": world.residents["li"], "X-Assist-Reason": "by phone"},
    )
    assert assisted.status in (400, 403), assisted.body
