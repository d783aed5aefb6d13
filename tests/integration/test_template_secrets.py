"""The deployment's secrets as the template declares them (issue 18): SecureString parameters in Parameter
Store instead of Secrets Manager secrets (0.40 USD a month each), each read by exactly the functions whose
environment names it, and decryptable under PiiKey only for that parameter."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from infra.local.template import Template, load_template
from infra.secure_parameters import declared

ROOT = Path(__file__).resolve().parents[2]
FUNCTION = "AWS::Serverless::Function"
_ARN = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/courtyard/${Stage}/"
_NAME = re.compile(r"^/courtyard/\$\{Stage\}/([a-z0-9-]+)$")


@pytest.fixture(scope="module")
def template() -> Template:
    return load_template(ROOT / "template.yaml")


def _sub(value: Any) -> str:
    return str(value["Fn::Sub"]) if isinstance(value, dict) and "Fn::Sub" in value else ""


def _read_policies(template: Template) -> dict[str, str]:
    """managed policy logical id -> the one parameter it lets a function read (and fails on anything else)."""
    found: dict[str, str] = {}
    for lid, resource in template.resources_of_type("AWS::IAM::ManagedPolicy").items():
        statements = resource["Properties"]["PolicyDocument"]["Statement"]
        actions = {str(s["Action"]) for s in statements}
        if "ssm:GetParameter" not in actions:
            continue
        read = next(s for s in statements if s["Action"] == "ssm:GetParameter")
        decrypt = next(s for s in statements if s["Action"] == "kms:Decrypt")
        assert actions == {"ssm:GetParameter", "kms:Decrypt"}, lid
        assert all(s["Effect"] == "Allow" for s in statements), lid
        arn = _sub(read["Resource"])
        assert arn.startswith(_ARN), lid
        assert decrypt["Resource"] == {"Fn::GetAtt": ["PiiKey", "Arn"]}, lid
        context = decrypt["Condition"]["StringEquals"]["kms:EncryptionContext:PARAMETER_ARN"]
        assert _sub(context) == arn, f"{lid}: Decrypt is not bound to the parameter it reads"
        found[lid] = arn.removeprefix(_ARN)
    return found


def _environment_parameters(template: Template, function_id: str, *, with_globals: bool) -> set[str]:
    variables = dict(template.function_properties(function_id).get("Environment", {}).get("Variables") or {})
    if not with_globals:
        own = template.resources[function_id]["Properties"].get("Environment", {}).get("Variables") or {}
        variables = dict(own)
    names = {_NAME.match(_sub(value)) for key, value in variables.items() if key.endswith("_PARAMETER")}
    return {match.group(1) for match in names if match}


def test_no_secrets_manager_secret_is_left(template):
    assert template.resources_of_type("AWS::SecretsManager::Secret") == {}
    text = (ROOT / "template.yaml").read_text()
    assert "AWSSecretsManagerGetSecretValuePolicy" not in text


def test_every_declared_parameter_has_one_read_policy_bound_to_it_and_nothing_else_declares_one(template):
    key_lid, parameters = declared(template.body["Metadata"])
    assert key_lid == "PiiKey"
    assert template.resource_type("PiiKey") == "AWS::KMS::Key"
    declared_keys = sorted(p.key for p in parameters)
    assert declared_keys == sorted(
        [
            "cursor-key",
            "blind-index-key",
            "identity-signing-keys",
            "wechat-login",
            "payments-providers",
            "voice-provider",
        ]
    )
    assert sorted(_read_policies(template).values()) == declared_keys


def test_each_function_reads_only_parameters_its_environment_names_and_every_one_it_names_itself(template):
    policies = _read_policies(template)
    _, parameters = declared(template.body["Metadata"])
    known = {p.key for p in parameters}
    breaches = []
    for function_id in template.resources_of_type(FUNCTION):
        granted = {
            policies[p["Ref"]]
            for p in template.function_properties(function_id).get("Policies") or []
            if isinstance(p, dict) and p.get("Ref") in policies
        }
        named = _environment_parameters(template, function_id, with_globals=True)
        own = _environment_parameters(template, function_id, with_globals=False)
        if not named <= known:
            breaches.append(f"{function_id}: names undeclared {sorted(named - known)}")
        if not granted <= named:
            breaches.append(f"{function_id}: granted {sorted(granted - named)} it does not name")
        if not own <= granted:
            breaches.append(f"{function_id}: names {sorted(own - granted)} but may not read it")
    assert breaches == []


def test_the_checks_catch_a_grant_beyond_the_environment(template):
    policies = template.resources["TicketsFunction"]["Properties"]["Policies"]
    policies.append({"Ref": "VoiceProviderReadPolicy"})
    try:
        with pytest.raises(AssertionError, match="voice-provider"):
            test_each_function_reads_only_parameters_its_environment_names_and_every_one_it_names_itself(
                template
            )
    finally:
        policies.pop()


def test_the_tokens_signing_keys_are_read_only_by_identity(template):
    policies = _read_policies(template)
    readers = sorted(
        function_id
        for function_id in template.resources_of_type(FUNCTION)
        for p in template.function_properties(function_id).get("Policies") or []
        if isinstance(p, dict) and policies.get(str(p.get("Ref"))) == "identity-signing-keys"
    )
    assert readers == ["IdentityAuthorizerFunction", "IdentityEventsFunction", "IdentityFunction"]


@pytest.mark.parametrize(
    ("parameters", "has_key"),
    [
        ({}, True),  # the default keeps an existing deployment's key (its old passes verify through it)
        ({"StagePassKey": "none"}, False),  # per-firm keys and no stage key: nothing signs with one
        ({"StagePassKey": "none", "PassKeysPerFirm": "false"}, True),  # the stage's key signs: it must exist
    ],
)
def test_the_stage_pass_key_exists_only_while_it_signs_or_is_kept_to_verify(template, parameters, has_key):
    from infra.local.template import Resolver

    resolver = Resolver(template, {}, parameters)
    assert resolver.condition("HasStagePassKey") is has_key
    for lid in ("VisitorsPassKey", "VisitorsPassKeyAlias"):
        assert template.resources[lid]["Condition"] == "HasStagePassKey"
    # Dropped from the stack, the key is retained: an operator schedules its deletion once its passes are
    # verified from the exported public key.
    assert template.resources["VisitorsPassKey"]["DeletionPolicy"] == "Retain"
