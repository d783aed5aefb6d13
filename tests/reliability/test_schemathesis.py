"""Schemathesis against the local cloud's OpenAPI document, with real Cognito tokens: whatever the generated
requests, no answer is a 5xx and every documented response matches its schema.

The cloud is this module's own (generated writes must not disturb other suites). Statuses the document
does not list (404 for a random id, 409) are not failures here: the kernel answers them with the DESIGN.md
error body, which the conformance check validates wherever the operation documents them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from courtyard.tenancy import Role
from infra.demo import seed_cloud
from infra.local.cloud import LocalCloud
from infra.seed import sign_in
from schemas.generate import openapi_document

ROOT = Path(__file__).resolve().parents[2]
ROLES = (Role.MANAGER, Role.RESIDENT)

schema = schemathesis.openapi.from_dict(openapi_document())
# Examples and fuzzing (valid and invalid inputs). The coverage phase also sends methods the API does not
# have (TRACE ...), which only the local gateway's HTTP server answers (501); API Gateway answers them itself.
schema.config.phases.update(phases=["examples", "fuzzing"])


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    local = LocalCloud(ROOT / "template.yaml", state_dir=tmp_path_factory.mktemp("schemathesis"))
    local.start()
    yield local
    local.stop()


@pytest.fixture(scope="module")
def headers(cloud: LocalCloud) -> dict[str, dict[str, str]]:
    """A bearer token of greenfield's manager and of its resident."""
    assert cloud.info is not None
    demo = seed_cloud(cloud)
    cognito = cloud.client("cognito-idp")
    tokens = {}
    for role in ROLES:
        user = demo.user("greenfield", role)
        token = sign_in(cognito, cloud.info.user_pool_id, cloud.info.user_pool_client_id, user.username)
        tokens[str(role)] = {"Authorization": f"Bearer {token}"}
    return tokens


@schema.parametrize()
@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.parametrize("role", [str(r) for r in ROLES])
def test_no_server_error_and_documented_responses_match_their_schema(
    case: Any, role: str, cloud: LocalCloud, headers: dict[str, dict[str, str]]
) -> None:
    assert cloud.info is not None
    response = case.call(base_url=cloud.info.api_url, headers=headers[role], timeout=30)
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])


def test_no_personal_data_in_any_log_line_of_the_fuzzed_run(cloud: LocalCloud) -> None:
    """Runs after the generated requests (pytest keeps definition order): whatever they sent, including
    phone numbers, ID numbers and plates in invalid bodies, no function wrote one to its log."""
    from tests.log_scan import personal_data_in_logs

    lines, findings = personal_data_in_logs(cloud.state_dir / "logs")

    # Functions log what needs attention (refusals, failures, jobs), not every request: a few lines.
    assert lines > 0
    assert findings == []
