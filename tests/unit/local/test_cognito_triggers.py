"""The local cloud's Cognito hooks on moto: the pool's pre-token trigger adds its claims to every ID token
(moto runs no trigger), authenticator codes are checked while the hooks are on, and both end with them."""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.local.cognito_triggers import (
    TOTP_SWITCH,
    advance_totp_clock,
    claims_to_add,
    cognito_triggers,
    pre_token_function,
    totp_time,
)
from tests.totp import fresh_totp, to_next_step, totp, wrong_totp

PASSWORD = "Correct-horse-9"


@pytest.fixture
def pool() -> Iterator[tuple[Any, str, str]]:
    with mock_aws():
        cognito = boto3.client("cognito-idp", region_name="us-east-1")
        pool_id = cognito.create_user_pool(PoolName="p", MfaConfiguration="OPTIONAL")["UserPool"]["Id"]
        client_id = cognito.create_user_pool_client(
            UserPoolId=pool_id, ClientName="c", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
        )["UserPoolClient"]["ClientId"]
        cognito.admin_create_user(UserPoolId=pool_id, Username="mgr", MessageAction="SUPPRESS")
        cognito.admin_set_user_password(UserPoolId=pool_id, Username="mgr", Password=PASSWORD, Permanent=True)
        yield cognito, pool_id, client_id


def _claims(id_token: str) -> dict[str, Any]:
    payload = id_token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


def _sign_in(cognito: Any, client_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "mgr", "PASSWORD": PASSWORD},
    )
    return answer


def test_the_pool_names_its_trigger_by_getatt() -> None:
    assert (
        pre_token_function({"LambdaConfig": {"PreTokenGeneration": {"Fn::GetAtt": ["Signin", "Arn"]}}})
        == "Signin"
    )
    assert (
        pre_token_function({"LambdaConfig": {"PreTokenGeneration": {"Fn::GetAtt": "Signin.Arn"}}}) == "Signin"
    )
    assert pre_token_function({}) is None
    assert claims_to_add(
        {"response": {"claimsOverrideDetails": {"claimsToAddOrOverride": {"mfa": "totp"}}}}
    ) == {"mfa": "totp"}
    assert claims_to_add({"response": {"claimsOverrideDetails": None}}) == {}


def test_the_trigger_adds_its_claims_to_id_tokens_only_while_the_hooks_are_on(
    pool: tuple[Any, str, str],
) -> None:
    cognito, pool_id, client_id = pool
    seen: list[dict[str, Any]] = []

    def trigger(event: dict[str, Any]) -> dict[str, Any]:
        seen.append(event)
        event["response"]["claimsOverrideDetails"] = {"claimsToAddOrOverride": {"mfa": "totp"}}
        return event

    with cognito_triggers(trigger):
        tokens = _sign_in(cognito, client_id)["AuthenticationResult"]
    assert _claims(tokens["IdToken"])["mfa"] == "totp"
    assert "mfa" not in _claims(tokens["AccessToken"])
    assert (seen[0]["userPoolId"], seen[0]["userName"]) == (pool_id, "mgr")
    assert "mfa" not in _claims(_sign_in(cognito, client_id)["AuthenticationResult"]["IdToken"])


def test_a_wrong_authenticator_code_is_refused_while_the_hooks_are_on(pool: tuple[Any, str, str]) -> None:
    cognito, _, client_id = pool
    with cognito_triggers(None):
        assert os.environ[TOTP_SWITCH] == "true"
        access = _sign_in(cognito, client_id)["AuthenticationResult"]["AccessToken"]
        secret = cognito.associate_software_token(AccessToken=access)["SecretCode"]
        with pytest.raises(cognito.exceptions.CodeMismatchException):
            cognito.verify_software_token(AccessToken=access, UserCode=wrong_totp(secret))
        cognito.verify_software_token(AccessToken=access, UserCode=fresh_totp(secret))
        cognito.set_user_mfa_preference(
            AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
        )
        challenge = _sign_in(cognito, client_id)
        assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
        with pytest.raises(cognito.exceptions.CodeMismatchException):
            cognito.respond_to_auth_challenge(
                ClientId=client_id,
                ChallengeName="SOFTWARE_TOKEN_MFA",
                Session=challenge["Session"],
                ChallengeResponses={"USERNAME": "mgr", "SOFTWARE_TOKEN_MFA_CODE": "12345x"},
            )
    assert TOTP_SWITCH not in os.environ


def test_a_moved_totp_clock_moves_the_codes_cognito_accepts(pool: tuple[Any, str, str]) -> None:
    cognito, _, _client_id = pool
    with cognito_triggers(None):
        access = _sign_in(cognito, _client_id)["AuthenticationResult"]["AccessToken"]
        secret = cognito.associate_software_token(AccessToken=access)["SecretCode"]
        on_the_wall = totp(secret, time.time())
        advance_totp_clock(to_next_step())
        # The next step's code (unlike the wall clock's: equal one time in a million, then the one after).
        moved = fresh_totp(secret, unlike=on_the_wall)
        with pytest.raises(cognito.exceptions.CodeMismatchException):
            cognito.verify_software_token(AccessToken=access, UserCode=on_the_wall)
        cognito.verify_software_token(AccessToken=access, UserCode=moved)
    # Back on the wall clock once the hooks are off.
    assert abs(totp_time() - time.time()) < 1
