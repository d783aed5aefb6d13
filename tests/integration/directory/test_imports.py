"""Bulk import end to end on moto: create, upload, validate (dry run), commit, re-commit."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from courtyard.directory import Keys
from courtyard.tenancy import Role
from directory.imports.parse import parse_file
from directory.imports.sample import SAMPLE_BUILDINGS, messy_sample, messy_sample_xlsx
from directory.imports.validate import validate_rows
from directory.places.models import Building, BuildingKind
from directory.places.repository import building_item
from directory.table import serialize
from infra.local.provision import Stack
from tests.factories import lambda_context
from tests.integration.directory.conftest import Caller, Reply, table_items

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def site(stack: Stack, make_tenant: Callable[..., str]) -> tuple[str, str]:
    """A tenant with one community whose buildings are the sample's."""
    tenant_id = make_tenant("Import Property")
    site_id = "01SITE0000000000000000000A"
    table = boto3.client("dynamodb")
    name = stack.ref("DirectoryTable")

    def put(item: dict[str, str]) -> None:
        table.put_item(TableName=name, Item={k: {"S": v} for k, v in item.items()})

    put({**Keys.site(tenant_id, site_id), "site_id": site_id, "tenant_id": tenant_id, "name": "Garden"})
    for number, code in enumerate(sorted(SAMPLE_BUILDINGS)):
        building_id = f"01BLDG{number:020d}"
        building = Building(
            tenant_id,
            site_id,
            building_id,
            f"{code}栋",
            code,
            30,
            4,
            BuildingKind.RESIDENTIAL,
            "2026-01-01T00:00:00Z",
        )
        table.put_item(TableName=name, Item=serialize(building_item(building)))
        put(
            {
                "pk": Keys.site_children(tenant_id, site_id),
                "sk": f"BLDGCODE#{code}",
                "building_id": building_id,
            }
        )
    return tenant_id, site_id


def run_worker(stack: Stack) -> None:
    """Deliver every queued import job to the worker, as the SQS event source mapping would."""
    from directory import imports_handler

    sqs = boto3.client("sqs")
    queue_url = stack.ref("ImportQueue")
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1).get("Messages", [])
        if not messages:
            return
        message = messages[0]
        event = {
            "Records": [
                {
                    "messageId": message["MessageId"],
                    "receiptHandle": message["ReceiptHandle"],
                    "body": message["Body"],
                    "attributes": {"ApproximateReceiveCount": "1"},
                    "messageAttributes": {},
                    "md5OfBody": message["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": stack.attr("ImportQueue", "Arn"),
                    "awsRegion": "us-east-1",
                }
            ]
        }
        result = imports_handler.lambda_handler(event, lambda_context())
        assert result == {"batchItemFailures": []}
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def upload(stack: Stack, created: Reply, data: bytes) -> None:
    """What the app's presigned POST does; the e2e test posts the form for real."""
    fields = created.body["upload"]["fields"]
    boto3.client("s3").put_object(
        Bucket=stack.ref("ImportBucket"), Key=fields["key"], Body=data, ContentType=fields["Content-Type"]
    )


def start(call: Callable[..., Reply], manager: Caller, site_id: str, content_type: str = CSV) -> Reply:
    filename = "units.csv" if content_type == CSV else "units.xlsx"
    return call(
        "POST",
        "/imports",
        manager,
        body={"site_id": site_id, "filename": filename, "content_type": content_type},
    )


@pytest.mark.parametrize(("content_type", "make"), [(CSV, messy_sample), (XLSX, messy_sample_xlsx)])
def test_messy_file_reports_exactly_the_planted_errors(call, caller, stack, site, content_type, make):
    tenant_id, site_id = site
    manager = caller(tenant_id, Role.MANAGER)
    data, planted = make(320)
    created = start(call, manager, site_id, content_type)
    assert created.status == 201
    assert created.body["status"] == "awaiting_upload"
    upload(stack, created, data)
    import_id = created.body["import_id"]

    assert call("POST", f"/imports/{import_id}/validate", manager).status == 202
    run_worker(stack)
    report = call("GET", f"/imports/{import_id}", manager).body
    assert report["status"] == "validated"
    assert report["rows_total"] >= 300
    found = {(e["line"], e["code"]) for e in report["errors"]}
    assert found == {(p.line, p.code) for p in planted}
    assert report["errors_count"] == len(planted)


def test_commit_writes_good_rows_and_recommitting_changes_nothing(call, caller, stack, site, capfd):
    tenant_id, site_id = site
    manager = caller(tenant_id, Role.SERVICE_DESK)
    data, _planted = messy_sample(320)
    created = start(call, manager, site_id)
    upload(stack, created, data)
    import_id = created.body["import_id"]
    call("POST", f"/imports/{import_id}/validate", manager)
    run_worker(stack)

    assert call("POST", f"/imports/{import_id}/commit", manager).status == 202
    assert call("GET", f"/imports/{import_id}", manager).body["status"] == "committing"
    run_worker(stack)
    done = call("GET", f"/imports/{import_id}", manager).body
    assert done["status"] == "committed"
    assert done["rows_done"] == done["rows_valid"]
    summary = done["summary"]
    plan = validate_rows(parse_file(data).rows, SAMPLE_BUILDINGS)
    assert summary["units_created"] == len(plan.units) > 150
    assert summary["residents_created"] == len({p.person.phone for p in plan.people}) > 100
    assert summary["links_created"] == len({(p.room_key, p.person.phone) for p in plan.people})
    units = boto3.client("dynamodb").query(
        TableName=stack.ref("DirectoryTable"),
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :pk",
        ExpressionAttributeValues={":pk": {"S": Keys.site_units_index(tenant_id, site_id)}},
    )["Items"]
    assert len(units) == summary["units_created"]

    # The same job again, and the same file as a new job: nothing new is written.
    before = _without_jobs(table_items(stack))
    assert call("POST", f"/imports/{import_id}/commit", manager).body["status"] == "committed"
    again = start(call, manager, site_id)
    upload(stack, again, data)
    call("POST", f"/imports/{again.body['import_id']}/validate", manager)
    run_worker(stack)
    call("POST", f"/imports/{again.body['import_id']}/commit", manager)
    run_worker(stack)
    second = call("GET", f"/imports/{again.body['import_id']}", manager).body
    assert second["status"] == "committed"
    assert second["summary"]["units_created"] == 0
    assert second["summary"]["residents_created"] == 0
    assert second["summary"]["links_created"] == 0
    assert _without_jobs(table_items(stack)) == before

    logs = capfd.readouterr()
    text = data.decode("utf-8-sig")
    phones = {token for token in text.replace("\n", ",").split(",") if len(token) == 11 and token.isdigit()}
    assert phones
    assert not [p for p in phones if p in logs.out + logs.err]


def _without_jobs(items: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(i, sort_keys=True) for i in items if "#IMPORT#" not in i["pk"]["S"])


def test_only_managers_and_service_desk_import(call, caller, site):
    tenant_id, site_id = site
    for role in (Role.RESIDENT, Role.TECHNICIAN, Role.FINANCE, Role.GUARD):
        reply = start(call, caller(tenant_id, role), site_id)
        assert reply.status == 403
        assert reply.body["error"]["code"] == "forbidden"


def test_another_tenants_import_and_site_are_not_found(call, caller, stack, site, make_tenant):
    tenant_id, site_id = site
    created = start(call, caller(tenant_id, Role.MANAGER), site_id)
    stranger = caller(make_tenant("Other"), Role.MANAGER)
    assert call("GET", f"/imports/{created.body['import_id']}", stranger).status == 404
    assert call("POST", f"/imports/{created.body['import_id']}/commit", stranger).status == 404
    assert start(call, stranger, site_id).status == 404


def test_bad_requests_write_nothing(call, caller, stack, site):
    tenant_id, site_id = site
    manager = caller(tenant_id, Role.MANAGER)
    before = table_items(stack)
    bad_type = call(
        "POST",
        "/imports",
        manager,
        body={"site_id": site_id, "filename": "a.pdf", "content_type": "application/pdf"},
    )
    assert bad_type.status == 422
    assert bad_type.body["error"]["code"] == "unprocessable"
    assert call("POST", "/imports", manager, body={"site_id": site_id}).status == 422
    assert table_items(stack) == before


def test_validate_before_upload_and_commit_before_validation_are_refused(call, caller, stack, site):
    tenant_id, site_id = site
    manager = caller(tenant_id, Role.MANAGER)
    created = start(call, manager, site_id)
    import_id = created.body["import_id"]
    assert call("POST", f"/imports/{import_id}/validate", manager).status == 422
    assert call("POST", f"/imports/{import_id}/commit", manager).status == 409


def test_unreadable_file_fails_the_job_with_a_reason(call, caller, stack, site):
    tenant_id, site_id = site
    manager = caller(tenant_id, Role.MANAGER)
    created = start(call, manager, site_id)
    upload(stack, created, b"\xef\xbb\xbfname,colour\nfoo,blue\n")
    import_id = created.body["import_id"]
    call("POST", f"/imports/{import_id}/validate", manager)
    run_worker(stack)
    job = call("GET", f"/imports/{import_id}", manager).body
    assert job["status"] == "failed"
    assert job["failure"]


def test_a_commit_that_stopped_halfway_is_finished_by_the_next(call, caller, stack, site):
    tenant_id, site_id = site
    manager = caller(tenant_id, Role.MANAGER)
    data, _planted = messy_sample(320)

    def import_file() -> dict[str, Any]:
        created = start(call, manager, site_id)
        upload(stack, created, data)
        import_id = created.body["import_id"]
        call("POST", f"/imports/{import_id}/validate", manager)
        run_worker(stack)
        call("POST", f"/imports/{import_id}/commit", manager)
        run_worker(stack)
        body: dict[str, Any] = call("GET", f"/imports/{import_id}", manager).body
        return body

    first = import_file()
    assert first["status"] == "committed"
    # Lose one unit record and one resident record, as a worker stopped between claim and record would.
    dynamodb = boto3.client("dynamodb")
    table = stack.ref("DirectoryTable")
    claim = dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :room)",
        ExpressionAttributeValues={
            ":pk": {"S": Keys.site_children(tenant_id, site_id)},
            ":room": {"S": "ROOM#"},
        },
        Limit=1,
    )["Items"][0]
    dynamodb.delete_item(
        TableName=table, Key={k: {"S": v} for k, v in Keys.unit(tenant_id, claim["unit_id"]["S"]).items()}
    )

    second = import_file()
    assert second["summary"]["units_created"] == 1
    assert second["summary"]["residents_created"] == 0
    unit = call("GET", f"/units/{claim['unit_id']['S']}", manager)
    assert unit.status == 200


# ---- one phone number, one person -----------------------------------------------------------------

SHARED_PHONE = "13812340001"


def sheet(*people: tuple[str, str, str]) -> bytes:
    """A small CSV: (room, name, phone) per row, every unit 80 m²."""
    lines = ["楼栋,单元,房号,建筑面积（㎡）,业主姓名,手机号"]
    for room, name, phone in people:
        building, entrance, number = room.split("-")
        lines.append(f"{building},{entrance},{number},80,{name},{phone}")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def validated(call: Callable[..., Reply], stack: Stack, manager: Any, site_id: str, data: bytes) -> str:
    created = start(call, manager, site_id)
    upload(stack, created, data)
    import_id = str(created.body["import_id"])
    assert call("POST", f"/imports/{import_id}/validate", manager).status == 202
    run_worker(stack)
    return import_id


def residents_of(call: Callable[..., Reply], manager: Any, phone: str) -> list[dict[str, Any]]:
    found = call("GET", "/residents", manager, query={"phone": phone})
    assert found.status == 200, found.body
    return list(found.body["items"])


def test_one_phone_under_two_names_is_reported_and_only_the_first_is_linked(call, caller, stack, site):
    tenant_id, site_id = site
    manager = caller(tenant_id, Role.MANAGER)
    data = sheet(("1-1-101", "张三", SHARED_PHONE), ("1-1-102", "李四", SHARED_PHONE))

    import_id = validated(call, stack, manager, site_id, data)

    report = call("GET", f"/imports/{import_id}", manager).body
    assert [(e["line"], e["field"], e["code"]) for e in report["errors"]] == [
        (3, "phone", "phone_name_mismatch")
    ]
    assert (report["rows_valid"], report["rows_total"]) == (1, 2)
    call("POST", f"/imports/{import_id}/commit", manager)
    run_worker(stack)
    done = call("GET", f"/imports/{import_id}", manager).body
    assert done["status"] == "committed"
    (zhang,) = residents_of(call, manager, SHARED_PHONE)
    assert zhang["name"] == "张三"
    assert [u["room"] for u in zhang["units"]] == ["1-1-101"]


def test_one_person_with_two_flats_is_one_resident_linked_to_both(call, caller, stack, site):
    tenant_id, site_id = site
    manager = caller(tenant_id, Role.MANAGER)
    data = sheet(("1-1-101", "张三", SHARED_PHONE), ("1-1-102", "张 三", SHARED_PHONE))

    import_id = validated(call, stack, manager, site_id, data)
    assert call("GET", f"/imports/{import_id}", manager).body["errors"] == []
    call("POST", f"/imports/{import_id}/commit", manager)
    run_worker(stack)

    (zhang,) = residents_of(call, manager, SHARED_PHONE)
    assert sorted(u["room"] for u in zhang["units"]) == ["1-1-101", "1-1-102"]


def test_a_phone_on_record_under_another_name_is_reported_and_not_linked(call, caller, stack, site):
    tenant_id, site_id = site
    manager = caller(tenant_id, Role.MANAGER)
    on_record = call("POST", "/residents", manager, body={"name": "王五", "phone": SHARED_PHONE})
    assert on_record.status == 201
    data = sheet(("1-1-101", "李四", SHARED_PHONE), ("1-1-102", "赵六", "13812340002"))

    import_id = validated(call, stack, manager, site_id, data)
    report = call("GET", f"/imports/{import_id}", manager).body
    assert [(e["line"], e["code"]) for e in report["errors"]] == [(2, "phone_name_mismatch")]
    call("POST", f"/imports/{import_id}/commit", manager)
    run_worker(stack)

    (wang,) = residents_of(call, manager, SHARED_PHONE)
    assert (wang["name"], wang["units"]) == ("王五", [])


def test_a_phone_registered_under_another_name_after_validation_fails_the_commit(call, caller, stack, site):
    tenant_id, site_id = site
    manager = caller(tenant_id, Role.MANAGER)
    import_id = validated(call, stack, manager, site_id, sheet(("1-1-101", "李四", SHARED_PHONE)))
    assert call("GET", f"/imports/{import_id}", manager).body["errors"] == []
    call("POST", "/residents", manager, body={"name": "王五", "phone": SHARED_PHONE})

    call("POST", f"/imports/{import_id}/commit", manager)
    run_worker(stack)

    failed = call("GET", f"/imports/{import_id}", manager).body
    assert failed["status"] == "failed"
    assert "residents on record changed" in failed["failure"]
    (wang,) = residents_of(call, manager, SHARED_PHONE)
    assert (wang["name"], wang["units"]) == ("王五", [])


@pytest.mark.parametrize(
    ("failure", "reason"), [(MemoryError, "more memory"), (RuntimeError, "internal error (RuntimeError)")]
)
def test_a_job_whose_worker_fails_becomes_failed_with_the_reason(
    call, caller, stack, site, monkeypatch, failure, reason
):
    tenant_id, site_id = site
    manager = caller(tenant_id, Role.MANAGER)
    created = start(call, manager, site_id)
    upload(stack, created, b"\xef\xbb\xbf" + "楼栋,房号\n1,101\n".encode())
    import_id = created.body["import_id"]
    call("POST", f"/imports/{import_id}/validate", manager)

    def crash(*args: object, **kwargs: object) -> None:
        raise failure("injected worker failure")

    from directory.imports import service as import_service

    monkeypatch.setattr(import_service, "parse_file", crash)
    run_worker(stack)  # the batch succeeds: the failure is recorded on the job, not retried for ever
    job = call("GET", f"/imports/{import_id}", manager).body

    assert job["status"] == "failed"
    assert reason in job["failure"]
    monkeypatch.undo()
    again = call("POST", f"/imports/{import_id}/validate", manager)
    run_worker(stack)
    assert again.status == 202
    assert call("GET", f"/imports/{import_id}", manager).body["status"] == "validated"
