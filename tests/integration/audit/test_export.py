"""The daily audit export on moto: yesterday's window, into the Object Lock archive, as DynamoDB JSON."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from courtyard.audit import AuditWriter
from courtyard.clock import FixedClock
from infra.local.provision import Stack
from tests.factories import lambda_context

NOW = datetime(2026, 3, 10, 0, 15, tzinfo=UTC)


@pytest.fixture
def exported(stack: Stack, function_env: Callable[[str], dict[str, str]]) -> dict[str, Any]:
    function_env("AuditExportFunction")
    from audit import handler, wiring

    from courtyard.wiring import use_clock

    AuditWriter(stack.ref("AuditTable"), 180, FixedClock(datetime(2026, 3, 9, 8, 0, tzinfo=UTC))).record(
        None, "pass.revoke", "pass", "01PASS", tenant_id="t1"
    )
    use_clock(FixedClock(NOW))
    wiring.wiring.reset()
    try:
        return handler.lambda_handler({"time": "2026-03-10T00:15:00Z"}, lambda_context())
    finally:
        use_clock(None)


def test_the_export_covers_yesterday_in_utc_under_its_date(exported: dict[str, Any]):
    assert exported["day"] == "2026-03-09"
    assert exported["prefix"] == "audit/2026/03/09"


def test_the_export_lands_in_the_locked_archive_as_dynamodb_json(exported: dict[str, Any], stack: Stack):
    dynamodb = boto3.client("dynamodb")
    s3 = boto3.client("s3")
    bucket = stack.ref("AuditArchiveBucket")
    for thread in threading.enumerate():  # moto writes the export on a thread of its own
        if type(thread).__name__ == "TableExport":
            thread.join()
    described = dynamodb.describe_export(ExportArn=exported["export_arn"])["ExportDescription"]
    objects = s3.list_objects_v2(Bucket=bucket, Prefix="audit/2026/03/09/")["Contents"]
    # One file per export (the stack's bucket keeps earlier tests' exports too): each holds the day's record.
    exports = [
        [
            json.loads(line)
            for line in gzip.decompress(
                s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
            ).splitlines()
        ]
        for o in objects
    ]
    lock = s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]

    assert described["ExportStatus"] == "COMPLETED"
    assert described["S3Bucket"] == bucket
    assert described["ExportType"] == "INCREMENTAL_EXPORT"
    assert exports
    assert all([line["Item"]["action"]["S"] for line in lines] == ["pass.revoke"] for lines in exports)
    assert lock["Rule"]["DefaultRetention"]["Mode"] == "COMPLIANCE"
    assert lock["Rule"]["DefaultRetention"]["Days"] >= 180


def test_the_writer_never_replaces_an_audit_record(stack: Stack, monkeypatch: pytest.MonkeyPatch):
    from botocore.exceptions import ClientError

    from courtyard import audit

    writer = AuditWriter(stack.ref("AuditTable"), 180, FixedClock(NOW))
    monkeypatch.setattr(audit, "new_id", lambda: "01SAMEID")  # the same key twice: only a forger does this
    writer.record(None, "pass.revoke", "pass", "01PASS", tenant_id="t1")

    with pytest.raises(ClientError, match="ConditionalCheckFailed"):
        writer.record(None, "pass.forged", "pass", "01PASS", tenant_id="t1")
