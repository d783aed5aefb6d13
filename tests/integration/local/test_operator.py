"""The local cloud's one-time operator setup: what the functions' environments expect to exist."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from infra.local.operator import operator_setup

ENVIRONMENTS = [
    {"EMAIL_FROM": "noreply@courtyard.example.com"},
    {
        "PUSH_FCM_APPLICATION_ARN": "arn:aws:sns:us-east-1:123456789012:app/GCM/courtyard-dev",
        "PUSH_APNS_APPLICATION_ARN": "arn:aws:sns:us-east-1:123456789012:app/APNS/courtyard-dev",
        "TICKETS_TABLE": "not-an-application",
    },
]


@pytest.fixture
def aws(fake_aws_env: None) -> Iterator[None]:
    with mock_aws():
        yield


def test_the_sender_is_verified_and_the_platform_applications_exist_once(aws: None) -> None:
    first = operator_setup(ENVIRONMENTS, boto3.client)
    again = operator_setup(ENVIRONMENTS, boto3.client)

    assert "ses identity noreply@courtyard.example.com" in first
    assert again == ["ses identity noreply@courtyard.example.com"]  # verifying twice is harmless
    identities = boto3.client("ses").list_identities()["Identities"]
    assert identities == ["noreply@courtyard.example.com"]
    arns = {
        a["PlatformApplicationArn"]
        for a in boto3.client("sns").list_platform_applications()["PlatformApplications"]
    }
    assert arns == {
        "arn:aws:sns:us-east-1:123456789012:app/GCM/courtyard-dev",
        "arn:aws:sns:us-east-1:123456789012:app/APNS/courtyard-dev",
    }


def test_nothing_is_set_up_for_functions_that_need_nothing(aws: None) -> None:
    assert operator_setup([{"TICKETS_TABLE": "t"}], boto3.client) == []
