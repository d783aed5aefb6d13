"""In-process moto for the kernel's AWS adapters, with fake credentials and no endpoint override."""

from collections.abc import Iterator

import pytest
from moto import mock_aws

from courtyard import aws
from courtyard.cursor import load_cursor_secret

REGION = "us-east-1"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    # A running local cloud must not receive these tests' calls: moto intercepts AWS hostnames only.
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def moto(aws_env: None) -> Iterator[None]:
    """moto started first, then the kernel's client caches cleared so clients are built inside it."""
    with mock_aws():
        aws.reset_clients()
        load_cursor_secret.cache_clear()
        yield
    aws.reset_clients()
    load_cursor_secret.cache_clear()
