"""The local cloud on loopback with random ports, started once per test session and shared by the
end-to-end tests (tests/e2e) and the browser stories (tests/ui): a plugin of the root conftest, so one
session over both suites (`make test`) starts one cloud, seeds the demo firms once and signs them in once.

Lazy like every fixture: a session that asks for none of them (unit, integration) starts nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.demo import seed_cloud
from infra.local.cloud import LocalCloud
from infra.seed import DemoData, sign_in
from tests.log_scan import personal_data_in_logs

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    local = LocalCloud(ROOT / "template.yaml", state_dir=tmp_path_factory.mktemp("cloud"))
    local.start()
    yield local
    local.stop()
    # After every end-to-end test and story: no personal data in any line the functions logged.
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
