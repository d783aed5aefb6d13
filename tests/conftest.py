"""Test-wide setup: fake AWS credentials so nothing can ever reach a real account."""

from __future__ import annotations

import os

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
