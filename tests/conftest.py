"""Test-wide setup: fake AWS credentials so nothing can ever reach a real account, and no state carried
from one test module to the next."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

# Hypothesis's deadline and its "slow data generation" check time each example by the wall clock: on a loaded
# machine they fail tests whose rules hold. Speed is measured by `make bench`, never asserted in a test.
settings.register_profile(
    "courtyard", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example]
)
settings.load_profile("courtyard")

# Set before any test module imports boto3 clients; never real credentials, never a real endpoint.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        # Without it, Powertools idempotency keys get a "test-func" prefix.
        "AWS_LAMBDA_FUNCTION_NAME": "courtyard-test",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "Courtyard",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)

# The session's local cloud (cloud, demo, api, tokens), one for tests/e2e and tests/ui together.
pytest_plugins = ["tests.local_cloud"]


@pytest.fixture(autouse=True, scope="module")
def _cold_process_state() -> Iterator[None]:
    """Every test module starts as a fresh Lambda sandbox would: no clock, fake, client or cache left by the
    module before it (each module starts its own moto, so a cached client, secret or tenant status from the
    previous one would answer from a stack that is gone)."""
    _reset_process_state()
    yield
    _reset_process_state()


def _reset_process_state() -> None:
    from courtyard import api, aws, blind_index, cursor, wiring

    wiring.reset_all()
    aws.reset_clients()
    api.directory_from_settings.cache_clear()
    blind_index.load_blind_index.cache_clear()
    cursor.load_cursor_secret.cache_clear()
