"""The Stripe provider through the official SDK, offline: the SDK's HTTP client is replaced by a fake that
answers like Stripe's API; webhook signatures are computed for real."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from payments.adapters.stripe import StripeProvider
from payments.providers import BadSignature, CheckoutRequest, EventKind, RefundRequest

from tests.unit.payments.fake_stripe import FakeStripe, stripe_signature

SECRET = "whsec_test_secret"


@pytest.fixture
def fake() -> FakeStripe:
    return FakeStripe()


@pytest.fixture
def provider(fake: FakeStripe) -> StripeProvider:
    return StripeProvider("sk_test_courtyard", SECRET, http_client=fake)


def _checkout(provider: StripeProvider) -> str:
    return provider.create_checkout(CheckoutRequest("T1", "P1", 22375, "CNY", "2 bills")).provider_ref


def test_checkout_creates_a_payment_intent_with_metadata_and_an_idempotency_key(
    provider: StripeProvider, fake: FakeStripe
):
    checkout = provider.create_checkout(CheckoutRequest("T1", "P1", 22375, "CNY", "2 bills"))

    method, path, params, headers = fake.calls[-1]
    assert (method, path) == ("POST", "/v1/payment_intents")
    assert params["amount"] == "22375"
    assert params["currency"] == "cny"
    assert params["metadata"] == {"tenant_id": "T1", "payment_id": "P1"}
    assert headers["Idempotency-Key"] == "checkout-P1"
    assert checkout.provider_ref.startswith("pi_")
    assert checkout.next_action["client_secret"].startswith(checkout.provider_ref + "_secret_")


def test_a_retried_checkout_gets_the_same_intent(provider: StripeProvider):
    assert _checkout(provider) == _checkout(provider)


def test_a_signed_payment_intent_succeeded_webhook_becomes_a_provider_event(
    provider: StripeProvider, fake: FakeStripe
):
    intent = _checkout(provider)
    payload = json.dumps(fake.succeed(intent))

    event = provider.verify_webhook({"Stripe-Signature": stripe_signature(SECRET, payload)}, payload)

    assert event.kind is EventKind.PAYMENT_SUCCEEDED
    assert (event.tenant_id, event.payment_id, event.provider_ref) == ("T1", "P1", intent)
    assert (event.amount, event.currency) == (22375, "CNY")


@pytest.mark.parametrize(
    "signature",
    [
        lambda payload: stripe_signature("whsec_someone_else", payload),
        lambda payload: stripe_signature(SECRET, payload, int(time.time()) - 301),  # older than the tolerance
        lambda payload: stripe_signature(SECRET, payload + " "),
        lambda payload: "",
    ],
    ids=["forged", "stale", "other-body", "missing"],
)
def test_a_forged_stale_or_missing_signature_is_refused(
    provider: StripeProvider, fake: FakeStripe, signature
):
    payload = json.dumps(fake.succeed(_checkout(provider)))

    with pytest.raises(BadSignature):
        provider.verify_webhook({"Stripe-Signature": signature(payload)}, payload)


def test_an_event_type_we_do_not_act_on_is_ignored(provider: StripeProvider, fake: FakeStripe):
    payload = json.dumps(FakeStripe.event("customer.created", {"id": "cus_1", "object": "customer"}))

    event = provider.verify_webhook({"Stripe-Signature": stripe_signature(SECRET, payload)}, payload)

    assert event.kind is EventKind.IGNORED


def test_a_refund_goes_to_stripe_with_its_own_idempotency_key(provider: StripeProvider, fake: FakeStripe):
    intent = _checkout(provider)
    fake.succeed(intent)

    result = provider.refund(RefundRequest("T1", "P1", "R1", intent, 375, "CNY"))

    method, path, params, headers = fake.calls[-1]
    assert (method, path, params["amount"], params["payment_intent"]) == (
        "POST",
        "/v1/refunds",
        "375",
        intent,
    )
    assert headers["Idempotency-Key"] == "refund-R1"
    assert result.status == "succeeded"


def test_settlements_list_succeeded_intents_and_refunds_with_our_metadata(
    provider: StripeProvider, fake: FakeStripe
):
    paid, _open = _checkout(provider), provider.create_checkout(CheckoutRequest("T1", "P2", 100, "CNY", "x"))
    fake.succeed(paid)
    provider.refund(RefundRequest("T1", "P1", "R1", paid, 375, "CNY"))

    found = provider.settlements(datetime.now(UTC).date())

    assert [(s.kind, s.provider_ref, s.payment_id, s.amount) for s in found] == [
        ("payment", paid, "P1", 22375),
        ("refund", paid, "P1", 375),
    ]
    listed = [c for c in fake.calls if c[0] == "GET"]
    assert listed[0][2]["created"]["gte"].isdigit()
