"""Shared by the WeChat Pay and Alipay tests: a billed resident of a firm that has merchant accounts at the
pay sandbox's personas, and notifications delivered through the real handler."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3

from infra.local.pay_sandbox import PaySandbox
from tests.factories import api_event, lambda_context
from tests.integration.payments.conftest import Caller, Community, Reply, fee, run

Call = Callable[..., Reply]


def open_merchant(
    sandbox: PaySandbox, tenant_id: str, partner: bool = False, certificate: bool = False
) -> None:
    """The firm's merchant secret, as ``LocalCloud.open_merchant`` writes it (the template's prefix)."""
    from payments import wiring

    boto3.client("secretsmanager").create_secret(
        Name=f"{wiring.config().merchant_secret_prefix}{tenant_id}",
        SecretString=sandbox.merchant_secret(tenant_id, partner, certificate),
    )


def billed_firm(
    call: Call,
    manager: tuple[Community, Caller],
    residents: Callable[..., Caller],
    sandbox: PaySandbox,
    partner: bool = False,
    certificate: bool = False,
) -> tuple[Community, Caller]:
    community, wang = manager
    open_merchant(sandbox, community.tenant_id, partner, certificate)
    fee(call, wang, community.site_id)
    run(call, wang, community.site_id)
    return community, residents(community, "Chen", "a101")


def notify(
    handler: Any, provider: str, tenant_id: str, headers: dict[str, str], body: str
) -> tuple[int, Any]:
    """POST a notification to ``/payments/webhooks/{provider}/{tenant_id}``: (status, body as sent)."""
    path = f"/payments/webhooks/{provider}/{tenant_id}"
    event = api_event(
        "POST",
        path,
        body=body,
        headers=headers,
        resource="/payments/webhooks/{provider}/{account}",
        path_parameters={"provider": provider, "account": tenant_id},
    )
    raw = handler.lambda_handler(event, lambda_context())
    text = raw.get("body") or ""
    try:
        return int(raw["statusCode"]), json.loads(text)
    except ValueError:
        return int(raw["statusCode"]), text


def ledger(call: Call, who: Caller, unit_id: str) -> dict[str, Any]:
    reply = call("GET", f"/units/{unit_id}/ledger", as_=who)
    assert reply.status == 200, reply.body
    body: dict[str, Any] = reply.body
    return body
