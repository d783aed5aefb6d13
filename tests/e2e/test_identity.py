"""Residents' Courtyard identity through the local cloud's gateway: its tokens reach every function with the
claims Cognito's carry; a forged or expired one is 401 at the gateway; the identity routes are public."""

from __future__ import annotations

import time

from identity.tokens import SigningKey, access_token, signing_key

from courtyard.tenancy import Role
from infra.http import request
from infra.local.cloud import LocalCloud
from infra.secure_parameters import read_json
from infra.seed import DemoData


def _deployment_key(cloud: LocalCloud) -> SigningKey:
    assert cloud.stack is not None
    keys = read_json(cloud.client("ssm"), cloud.stack.secure_parameter("identity-signing-keys"))
    return signing_key(keys["current"])


def _issuer(cloud: LocalCloud) -> str:
    assert cloud.stack is not None
    function = cloud.template.function("IdentityFunction")
    return cloud.stack.function_environment(function)["IDENTITY_ISSUER"]


def _resident_token(cloud: LocalCloud, demo: DemoData, *, key: SigningKey, issued: int) -> str:
    resident = demo.user("greenfield", Role.RESIDENT)
    claims = {
        "sub": resident.user_id,
        "cognito:username": resident.username,
        "custom:tenant_id": resident.tenant_id,
        "cognito:groups": ["resident"],
    }
    return access_token(key, _issuer(cloud), claims, issued)


def test_a_courtyard_token_reads_me_like_a_cognito_one(cloud: LocalCloud, api: str, demo: DemoData):
    token = _resident_token(cloud, demo, key=_deployment_key(cloud), issued=int(time.time()))
    response = request("GET", f"{api}/me", token=token)
    assert response.status == 200, response.text
    resident = demo.user("greenfield", Role.RESIDENT)
    assert (response.json()["tenant_id"], response.json()["roles"]) == (resident.tenant_id, ["resident"])


def test_a_forged_courtyard_token_is_401_at_the_gateway(cloud: LocalCloud, api: str, demo: DemoData):
    forged = _resident_token(cloud, demo, key=signing_key("not the deployment's"), issued=int(time.time()))
    response = request("GET", f"{api}/me", token=forged)
    assert response.status == 401
    assert response.json() == {"message": "Unauthorized"}


def test_an_expired_courtyard_token_is_401_at_the_gateway(cloud: LocalCloud, api: str, demo: DemoData):
    expired = _resident_token(cloud, demo, key=_deployment_key(cloud), issued=int(time.time()) - 16 * 60)
    assert request("GET", f"{api}/me", token=expired).status == 401


def test_identity_routes_answer_without_a_token(api: str, demo: DemoData):
    jwks = request("GET", f"{api}/identity/jwks")
    assert jwks.status == 200
    assert jwks.json()["keys"][0]["alg"] == "ES256"
    body = {"phone": "+8613900001111", "password": "a good password", "device_id": "e2e-device-0123456789"}
    assert request("POST", f"{api}/identity/sign-up", body=body).status == 202
    wrong = request("POST", f"{api}/identity/sign-in", body={**body, "password": "wrong password"})
    assert wrong.status == 401
