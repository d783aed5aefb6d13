"""The probe cloud of the end-to-end tests; the session's local cloud, its demo firms and their tokens are
shared with the browser stories (tests/local_cloud.py, a plugin of the root conftest)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.local.cloud import LocalCloud

PROBE_TEMPLATE = Path(__file__).resolve().parent / "probe" / "template.yaml"


@pytest.fixture(scope="session")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    """A second local cloud built from a probe template with SQS, schedules and IoT rules."""
    local = LocalCloud(PROBE_TEMPLATE, state_dir=tmp_path_factory.mktemp("probe"), run_schedules=False)
    local.start()
    yield local
    local.stop()


def probe_records(cloud: LocalCloud, kind: str) -> list[dict[str, Any]]:
    assert cloud.stack is not None
    items = cloud.client("dynamodb").query(
        TableName=cloud.stack.ref("ProbeTable"),
        KeyConditionExpression="pk = :k",
        ExpressionAttributeValues={":k": {"S": kind}},
        ConsistentRead=True,
    )["Items"]
    return [json.loads(item["payload"]["S"]) for item in items]
