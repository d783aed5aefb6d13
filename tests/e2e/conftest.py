"""The local cloud on loopback with random ports, started once per test session."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.demo import seed_cloud
from infra.local.cloud import LocalCloud
from infra.seed import DemoData, sign_in
from tests.log_scan import personal_data_in_logs

ROOT = Path(__file__).resolve().parents[2]
PROBE_TEMPLATE = Path(__file__).resolve().parent / "probe" / "template.yaml"


@pytest.fixture(scope="session")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    local = LocalCloud(ROOT / "template.yaml", state_dir=tmp_path_factory.mktemp("cloud"))
    local.start()
    yield local
    local.stop()
    # After every end-to-end test: no personal data in any line the functions logged.
    _lines, findings = personal_data_in_logs(local.state_dir / "logs")
    assert findings == [], f"personal data in the functions' logs: {findings[:10]}"


@pytest.fixture(scope="session")
def demo(cloud: LocalCloud) -> DemoData:
    return seed_cloud(cloud)


@pytest.fixture(scope="session")
def api(cloud: LocalCloud) -> str:
    assert cloud.info is not None
    return cloud.info.api_url


@pytest.fixture(scope="session")
def tokens(cloud: LocalCloud, demo: DemoData) -> dict[str, str]:
    """An ID token for every demo user, signed in through Cognito."""
    assert cloud.info is not None
    cognito = cloud.client("cognito-idp")
    return {
        u.username: sign_in(cognito, cloud.info.user_pool_id, cloud.info.user_pool_client_id, u.username)
        for u in demo.users
    }


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
