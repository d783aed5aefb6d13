"""`make demo`: start the local cloud, seed two property firms, and walk through what Courtyard does today.

Each step prints what it did and checks what it saw; the demo exits non-zero if anything is off.
"""

from __future__ import annotations

import time
from typing import Any

from infra.http import request
from infra.local.cloud import LocalCloud
from infra.seed import DemoData, seed_stack, sign_in


class DemoFailed(Exception):
    pass


def seed_cloud(cloud: LocalCloud) -> DemoData:
    assert cloud.stack is not None
    return seed_stack(cloud.stack, cloud.client)


def run_demo() -> int:
    checks: list[str] = []

    def check(condition: bool, what: str) -> None:
        if not condition:
            raise DemoFailed(what)
        checks.append(what)

    print("== Courtyard demo: the local cloud (moto + Chalice + MQTT broker + one worker per function)")
    with LocalCloud() as cloud:
        info = cloud.info
        assert info is not None
        print(f"   up in {info.startup_s:.2f} s: API {info.api_url}, MQTT {info.mqtt_url}")
        print(f"   AWS endpoint (moto) {info.aws_endpoint}")
        started = time.perf_counter()
        demo = seed_cloud(cloud)
        firms = ", ".join(f"{firm} ({tenant})" for firm, tenant in demo.tenants.items())
        print(
            f"   seeded 2 firms and {len(demo.users)} users in {time.perf_counter() - started:.2f} s: {firms}"
        )
        cognito = cloud.client("cognito-idp")
        api = info.api_url

        print("\n== GET /health needs no token")
        health = request("GET", f"{api}/health")
        print(f"   {health.status} {health.text}")
        check(health.status == 200, "health answers 200 without a token")

        print("\n== Every demo user signs in through Cognito and asks GET /me")
        tokens: dict[str, str] = {}
        for user in demo.users:
            token = sign_in(cognito, info.user_pool_id, info.user_pool_client_id, user.username)
            tokens[user.username] = token
            me = request("GET", f"{api}/me", token=token)
            body: dict[str, Any] = me.json() or {}
            tenant_name = (body.get("tenant") or {}).get("name")
            print(f"   {me.status} {user.username:<28} roles={body.get('roles')} tenant={tenant_name}")
            check(me.status == 200, f"{user.username} reads /me")
            check(body.get("tenant_id") == user.tenant_id, f"{user.username} sees their own tenant")
            check(body.get("roles") == [user.role], f"{user.username} has role {user.role}")
            check(
                (body.get("profile") or {}).get("name") == user.name,
                f"{user.username} sees their own profile",
            )

        print("\n== The API Gateway answers: no token, tampered token, unknown route")
        no_token = request("GET", f"{api}/me")
        print(f"   no token        -> {no_token.status} {no_token.text}")
        check(no_token.status == 401, "no token is 401")
        token = tokens[demo.user("greenfield", "resident").username]
        header, payload, signature = token.split(".")
        tampered = ".".join(
            [header, payload[:-4] + ("AAAA" if payload[-4:] != "AAAA" else "BBBB"), signature]
        )
        bad = request("GET", f"{api}/me", token=tampered)
        print(f"   tampered token  -> {bad.status} {bad.text}")
        check(bad.status == 401, "tampered token is 401")
        unknown = request("GET", f"{api}/no-such-route")
        print(f"   unknown route   -> {unknown.status} {unknown.text}")
        check(unknown.status == 403, "unknown route gets API Gateway's 403")

        print("\n== The tenant comes only from the token, never from the request")
        harbour = demo.user("harbour", "manager")
        greenfield_id = demo.tenants["greenfield"]
        sneaky = request(
            "GET",
            f"{api}/me?tenant_id={greenfield_id}",
            token=tokens[harbour.username],
            headers={"X-Tenant-Id": greenfield_id},
        )
        print(f"   harbour manager asking for greenfield -> tenant {sneaky.json()['tenant_id']}")
        check(sneaky.json()["tenant_id"] == harbour.tenant_id, "a tenant override in the request is ignored")

        print("\n== Personal data reads are audited")
        audit = cloud.client("dynamodb")
        assert cloud.stack is not None
        records = audit.scan(TableName=cloud.stack.ref("AuditTable"), Select="COUNT")["Count"]
        print(f"   {records} audit records (one per profile read with a phone number)")
        check(records >= len(demo.users), "every personal-data read left an audit record")

    print(f"\n== Demo passed: {len(checks)} checks")
    return 0


def main() -> int:
    try:
        return run_demo()
    except DemoFailed as failure:
        print(f"\n!! demo check failed: {failure}")
        return 1
