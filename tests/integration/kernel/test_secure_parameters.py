"""The deployment's secrets in Parameter Store: the deploy step creates them once under the stack's key and
never overwrites one, rotation keeps the previous signing key verifying, the kernel reads them decrypted."""

from __future__ import annotations

import json
import string
from typing import Any

import pytest

from courtyard import aws
from courtyard.aws_calls import count_aws_calls
from courtyard.blind_index import load_blind_index
from courtyard.secure_parameters import read_secure_json, read_secure_parameter
from infra.secure_parameters import (
    IDENTITY_SIGNING,
    SecureParameter,
    declared,
    ensure,
    generate_value,
    read_json,
    rotate_identity_signing,
    write_json,
)

METADATA = {
    "Courtyard::SecureParameters": {
        "KmsKey": "PiiKey",
        "Parameters": {
            "cursor-key": {
                "Description": "cursor",
                "Generate": {"PasswordLength": 64, "ExcludePunctuation": True},
            },
            IDENTITY_SIGNING: {
                "Description": "seeds",
                "Generate": {
                    "SecretStringTemplate": '{"previous": ""}',
                    "GenerateStringKey": "current",
                    "PasswordLength": 64,
                    "ExcludePunctuation": True,
                },
            },
        },
    }
}


def _key(moto: None) -> str:
    return str(aws.client("kms").create_key(Description="pii")["KeyMetadata"]["Arn"])


def _parameters() -> list[SecureParameter]:
    return declared(METADATA)[1]


def test_the_deploy_step_creates_each_parameter_once_as_a_standard_secure_string_under_the_key(
    moto: None,
) -> None:
    ssm, key = aws.client("ssm"), _key(moto)
    assert ensure(ssm, "prod", key, _parameters()) == [
        "/courtyard/prod/cursor-key",
        "/courtyard/prod/identity-signing-keys",
    ]
    described = {p["Name"]: p for p in ssm.describe_parameters()["Parameters"]}
    assert {(p["Type"], p["Tier"], p["KeyId"]) for p in described.values()} == {
        ("SecureString", "Standard", key)
    }
    cursor = read_secure_parameter("/courtyard/prod/cursor-key")
    assert len(cursor) == 64
    assert set(cursor) <= set(string.ascii_letters + string.digits)
    seeds = read_secure_json("/courtyard/prod/identity-signing-keys")
    assert seeds["previous"] == ""
    assert len(seeds["current"]) == 64

    # Re-running (every `make deploy`) creates nothing and keeps the values, an operator's included.
    write_json(ssm, "/courtyard/prod/identity-signing-keys", {"current": "operator-seed", "previous": ""})
    assert ensure(ssm, "prod", key, _parameters()) == []
    assert read_secure_parameter("/courtyard/prod/cursor-key") == cursor
    assert read_json(ssm, "/courtyard/prod/identity-signing-keys")["current"] == "operator-seed"
    # Another stage gets its own.
    assert len(ensure(ssm, "dev", key, _parameters())) == 2
    assert read_secure_parameter("/courtyard/dev/cursor-key") != cursor


def test_rotation_moves_current_to_previous_and_writes_a_new_current(moto: None) -> None:
    ssm, key = aws.client("ssm"), _key(moto)
    ensure(ssm, "prod", key, _parameters())
    before = read_json(ssm, "/courtyard/prod/identity-signing-keys")
    rotate_identity_signing(ssm, "prod", key)
    after = read_json(ssm, "/courtyard/prod/identity-signing-keys")
    assert after["previous"] == before["current"]
    assert after["current"] not in ("", before["current"])
    described = {p["Name"]: p for p in ssm.describe_parameters()["Parameters"]}
    assert described["/courtyard/prod/identity-signing-keys"]["KeyId"] == key


def test_the_kernel_reads_a_parameter_decrypted_and_its_callers_once_per_container(moto: None) -> None:
    ssm = aws.client("ssm")
    ssm.put_parameter(Name="/courtyard/dev/blind-index-key", Value="i" * 64, Type="SecureString")
    with count_aws_calls() as calls:
        first = load_blind_index("/courtyard/dev/blind-index-key")
        assert load_blind_index("/courtyard/dev/blind-index-key") is first
    assert calls.by_operation() == {("ssm", "GetParameter"): 1}
    load_blind_index.cache_clear()


def test_a_parameter_that_is_not_a_json_object_is_refused(moto: None) -> None:
    aws.client("ssm").put_parameter(Name="/courtyard/dev/voice-provider", Value="[1]", Type="SecureString")
    with pytest.raises(ValueError, match="not a JSON object"):
        read_secure_json("/courtyard/dev/voice-provider")


@pytest.mark.parametrize(
    ("spec", "check"),
    [
        ({"PasswordLength": 48, "ExcludePunctuation": True}, lambda v: len(v) == 48 and v.isalnum()),
        (
            {
                "SecretStringTemplate": '{"app_id": "wx0"}',
                "GenerateStringKey": "app_secret",
                "PasswordLength": 32,
            },
            lambda v: json.loads(v)["app_id"] == "wx0" and len(json.loads(v)["app_secret"]) == 32,
        ),
    ],
)
def test_first_values_are_generated_as_generate_secret_string_did(spec: dict[str, Any], check: Any) -> None:
    assert check(generate_value(spec))
