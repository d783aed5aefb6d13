"""Checkout and settlement through Stripe on moto, offline: the SDK talks to a fake Stripe API and the webhook
is signed with Stripe's real scheme."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from infra.local.provision import Stack
from infra.secure_parameters import write_json
from tests.integration.payments.conftest import Caller, Community, Reply, bills_of, fee, provider_secret, run
from tests.unit.payments.fake_stripe import FakeStripe, stripe_signature

Call = Callable[..., Reply]
WEBHOOK_SECRET = "whsec_courtyard_test"


@pytest.fixture
def fake_stripe(handler: Any, stack: Stack) -> Iterator[FakeStripe]:
    secret = {
        **provider_secret(stack),
        "stripe_api_key": "sk_test_courtyard",
        "stripe_webhook_secret": WEBHOOK_SECRET,
    }
    write_json(boto3.client("ssm"), stack.secure_parameter("payments-providers"), secret)
    from payments.wiring import stripe_http, wiring

    fake = FakeStripe()
    wiring.override(stripe_http, fake)
    yield fake
    wiring.override(stripe_http, None)


def test_a_resident_pays_with_stripe_and_the_signed_webhook_settles_the_bill_once(
    call: Call,
    manager: tuple[Community, Caller],
    residents: Callable[..., Caller],
    fake_stripe: FakeStripe,
):
    community, wang = manager
    fee(call, wang, community.site_id)
    run(call, wang, community.site_id)
    chen = residents(community, "Chen", "a101")
    [bill] = bills_of(call, chen)

    payment = call("POST", "/payments", as_=chen, body={"bill_ids": [bill["bill_id"]], "provider": "stripe"})
    assert payment.status == 201, payment.body
    assert payment.body["next_action"]["type"] == "client_secret"
    intent_id = next(iter(fake_stripe.intents))
    assert fake_stripe.intents[intent_id]["metadata"]["payment_id"] == payment.body["payment_id"]
    payload = json.dumps(fake_stripe.succeed(intent_id))

    def deliver(signature: str) -> Reply:
        return call(
            "POST", "/payments/webhooks/stripe", body=payload, headers={"Stripe-Signature": signature}
        )

    forged = deliver(stripe_signature("whsec_other", payload))
    first = deliver(stripe_signature(WEBHOOK_SECRET, payload))
    again = deliver(stripe_signature(WEBHOOK_SECRET, payload))

    assert forged.status == 400
    assert (first.status, first.body["outcome"]) == (200, "applied")
    assert (again.status, again.body["outcome"]) == (200, "duplicate")
    assert call("GET", f"/bills/{bill['bill_id']}", as_=chen).body["status"] == "paid"
