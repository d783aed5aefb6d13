"""The mobile app's view: Cognito sign-in, the API Gateway's answers, GET /me for every role."""

from __future__ import annotations

import pytest

from courtyard.crypto import mask_phone
from courtyard.tenancy import Role
from infra.http import request
from infra.local.cloud import LocalCloud
from infra.seed import FIRM_ROLES, PLATFORM, DemoData


def test_health_needs_no_token(api: str):
    response = request("GET", f"{api}/health")
    assert response.status == 200
    assert response.json() == {"status": "ok", "service": "directory"}


@pytest.mark.parametrize("role", FIRM_ROLES)
def test_each_role_signs_in_and_reads_me(api: str, demo: DemoData, tokens: dict[str, str], role: Role):
    for firm in ("greenfield", "harbour"):
        user = demo.user(firm, role)
        response = request("GET", f"{api}/me", token=tokens[user.username])
        assert response.status == 200
        me = response.json()
        assert (me["tenant_id"], me["user_id"], me["roles"]) == (user.tenant_id, user.user_id, [role.value])
        assert me["person"]["name"] == user.name
        # Their own number, masked: an ordinary GET /me reads no personal data (issue 18; /me/export has it).
        assert me["person"]["phone"] == mask_phone(user.phone)


def test_platform_admin_signs_in_to_the_platform_tenant(api: str, demo: DemoData, tokens: dict[str, str]):
    admin = demo.user(PLATFORM, Role.PLATFORM_ADMIN)
    me = request("GET", f"{api}/me", token=tokens[admin.username]).json()
    assert (me["tenant_id"], me["roles"]) == (demo.tenants[PLATFORM], ["platform_admin"])


def test_no_token_is_401(api: str):
    response = request("GET", f"{api}/me")
    assert response.status == 401
    assert response.json() == {"message": "Unauthorized"}


def test_tampered_token_is_401(api: str, demo: DemoData, tokens: dict[str, str]):
    token = tokens[demo.user("greenfield", Role.RESIDENT).username]
    header, payload, signature = token.split(".")
    # Claim another tenant by rewriting the payload; the signature no longer matches.
    forged_payload = payload[:-6] + ("AAAAAA" if not payload.endswith("AAAAAA") else "BBBBBB")
    assert request("GET", f"{api}/me", token=f"{header}.{forged_payload}.{signature}").status == 401
    assert request("GET", f"{api}/me", token=f"{header}.{payload}.{signature[:-4]}abcd").status == 401
    assert request("GET", f"{api}/me", token="not-a-jwt").status == 401


def test_token_signed_by_another_key_is_401(api: str, demo: DemoData):
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    user = demo.user("greenfield", Role.MANAGER)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        {"sub": user.user_id, "custom:tenant_id": user.tenant_id, "token_use": "id", "exp": 4102444800},
        key,
        algorithm="RS256",
        headers={"kid": "dummy"},
    )
    assert request("GET", f"{api}/me", token=forged).status == 401


def test_unknown_route_gets_api_gateways_answer(api: str, demo: DemoData, tokens: dict[str, str]):
    response = request("GET", f"{api}/no/such/route")
    assert response.status == 403
    assert response.json() == {"message": "Missing Authentication Token"}
    assert request("DELETE", f"{api}/nowhere", token=tokens[demo.users[0].username]).status == 403


def test_tenant_b_never_reads_tenant_a(api: str, demo: DemoData, tokens: dict[str, str]):
    victim = demo.user("greenfield", Role.RESIDENT)
    for role in FIRM_ROLES:
        attacker = demo.user("harbour", role)
        response = request(
            "GET",
            f"{api}/me?tenant_id={victim.tenant_id}&user_id={victim.user_id}",
            token=tokens[attacker.username],
            headers={"X-Tenant-Id": victim.tenant_id},
        )
        assert response.status == 200
        assert response.json()["tenant_id"] == attacker.tenant_id
        for secret in (victim.tenant_id, victim.user_id, victim.name, victim.phone, victim.email):
            assert secret not in response.text


def test_every_function_is_running_after_the_start(cloud: LocalCloud):
    # How long the start takes is measured by bench/local_cloud.py (it depends on the machine's load);
    # what a test can hold is that every function of the template has its worker running.
    assert cloud.info is not None
    assert cloud.info.functions == [f.logical_id for f in cloud.template.functions()]
    assert len(cloud.pids()) == len(cloud.info.functions)


def test_a_json_body_sent_as_text_plain_is_read_as_json(api: str, demo: DemoData, tokens: dict[str, str]):
    # What a browser's fetch() sends for a string body without a Content-Type header.
    token = tokens[demo.user("greenfield", Role.MANAGER).username]
    plain = {"Content-Type": "text/plain;charset=UTF-8"}
    incomplete = request("POST", f"{api}/sites", token=token, body="{}", headers=plain)
    deep = request("POST", f"{api}/sites", token=token, body="[" * 1000 + "]" * 1000, headers=plain)

    assert incomplete.status == 422
    assert incomplete.json()["error"]["code"] == "validation_failed"
    assert deep.status == 400
    assert deep.json()["error"]["code"] == "invalid_json"
