"""The pre-token trigger on moto's Cognito: only an account with TOTP on gets ``mfa=totp`` in its ID token."""

from __future__ import annotations

from typing import Any

import boto3

from infra.local.provision import Stack
from tests.factories import lambda_context

PASSWORD = "Correct-horse-9"


def _account(pool: str, client_id: str, name: str, *, totp: bool) -> str:
    cognito = boto3.client("cognito-idp")
    cognito.admin_create_user(UserPoolId=pool, Username=name, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool, Username=name, Password=PASSWORD, Permanent=True)
    if totp:
        tokens = cognito.admin_initiate_auth(
            UserPoolId=pool,
            ClientId=client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD},
        )["AuthenticationResult"]
        cognito.associate_software_token(AccessToken=tokens["AccessToken"])
        cognito.verify_software_token(AccessToken=tokens["AccessToken"], UserCode="123456")
        cognito.admin_set_user_mfa_preference(
            UserPoolId=pool, Username=name, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
        )
    return name


def _trigger(pool: str, username: str) -> dict[str, Any]:
    from signin import handler

    event = {
        "version": "1",
        "triggerSource": "TokenGeneration_Authentication",
        "userPoolId": pool,
        "userName": username,
        "request": {"userAttributes": {}, "groupConfiguration": {}},
        "response": {"claimsOverrideDetails": None},
    }
    return handler.lambda_handler(event, lambda_context())


def test_only_an_account_with_totp_on_gets_the_mark(stack: Stack, function_env):
    function_env("SigninMfaClaimFunction")
    pool, client_id = stack.ref("UserPool"), stack.ref("UserPoolClient")

    with_totp = _trigger(pool, _account(pool, client_id, "manager-with-totp", totp=True))
    without = _trigger(pool, _account(pool, client_id, "manager-password-only", totp=False))

    assert with_totp["response"]["claimsOverrideDetails"] == {"claimsToAddOrOverride": {"mfa": "totp"}}
    assert without["response"]["claimsOverrideDetails"] is None


def test_a_user_the_directory_links_gets_person_id_in_the_token(stack: Stack, function_env):
    """Issue 18: the token names the caller's record, so requests skip reading the user link."""
    from courtyard.directory import Keys

    function_env("SigninMfaClaimFunction")
    pool, client_id = stack.ref("UserPool"), stack.ref("UserPoolClient")
    name = _account(pool, client_id, "resident-chen", totp=False)
    boto3.resource("dynamodb").Table(stack.ref("DirectoryTable")).put_item(
        Item={**Keys.user("T1", "sub-chen"), "user_id": "sub-chen", "kind": "resident", "person_id": "RES1"}
    )
    from signin import handler

    def trigger(sub: str) -> Any:
        event = {
            "version": "1",
            "triggerSource": "TokenGeneration_Authentication",
            "userPoolId": pool,
            "userName": name,
            "request": {"userAttributes": {"sub": sub, "custom:tenant_id": "T1"}, "groupConfiguration": {}},
            "response": {"claimsOverrideDetails": None},
        }
        return handler.lambda_handler(event, lambda_context())["response"]["claimsOverrideDetails"]

    assert trigger("sub-chen") == {"claimsToAddOrOverride": {"person_id": "RES1"}}
    assert trigger("sub-nobody") is None
