"""Shared by the WeChat Pay and Alipay tests: a billed resident of a firm that has merchant accounts at the
pay sandbox's personas, notifications delivered through the real handler (one at a time, or all at once to
the service), and the check that a refused notification changed nothing."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from typing import Any

import boto3
import pytest

from infra.local.pay_sandbox import PaySandbox
from infra.local.provision import Stack
from tests.factories import api_event, lambda_context
from tests.integration.payments.conftest import Caller, Community, Reply, bills_of, fee, ledger_items, run

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


@pytest.fixture
def billed(
    call: Call, manager: tuple[Community, Caller], residents: Callable[..., Caller], sandbox: PaySandbox
) -> tuple[Community, Caller]:
    """A firm with merchant accounts at the personas and its resident Chen with one issued bill."""
    return billed_firm(call, manager, residents, sandbox)


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


def deliver_at_once(
    provider: str, tenant_id: str, deliveries: Sequence[tuple[dict[str, str], str]]
) -> list[str]:
    """Every (headers, body) given to the payments service in a thread of its own, released together by a
    barrier (the provider's concurrent retries): the outcomes in any order; a delivery that raised fails."""
    from payments import wiring

    service = wiring.payments()
    barrier = threading.Barrier(len(deliveries), timeout=30)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def deliver(headers: dict[str, str], body: str) -> None:
        try:
            barrier.wait()
            outcomes.append(service.webhook(provider, headers, body, tenant_id))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=deliver, args=delivery) for delivery in deliveries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return outcomes


def unchanged(call: Call, who: Caller, stack: Stack, before: int) -> None:
    """A refused or ignored notification wrote no ledger entry and left the resident's bill issued."""
    assert len(ledger_items(stack)) == before
    assert [b["status"] for b in bills_of(call, who)] == ["issued"]
