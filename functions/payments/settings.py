"""The payments functions' environment, read once per cold start."""

from __future__ import annotations

from functools import lru_cache

from courtyard.settings import FunctionSettings


class PaymentsSettings(FunctionSettings):
    payments_table: str
    # JSON SecureString parameter: {"stripe_api_key", "stripe_webhook_secret", "sandbox_secret"}; a provider
    # whose keys are empty is not offered.
    provider_parameter: str = ""
    # The sandbox payment service (the local cloud's); empty in production: the sandbox is then not offered.
    payment_sandbox_url: str = ""
    # Each firm's WeChat Pay / Alipay merchant keys: the Secrets Manager secret ``{prefix}{tenant_id}``
    # (adapters/merchant_accounts.py); empty: neither provider is offered.
    merchant_secret_prefix: str = ""
    # Where WeChat Pay and Alipay send their notifications: the API's public base URL
    # (``{base}/payments/webhooks/{provider}/{tenant_id}``).
    payment_notify_base_url: str = ""
    # The mobile app (`https://<web domain>/m`): Alipay's cashier sends the payer back to the receipt there.
    mobile_app_url: str = ""
    billing_queue_url: str = ""
    # Receipt PDFs, one per payment (``receipts/{tenant_id}/{payment_id}.pdf``).
    receipt_bucket: str = ""
    # Every billing run goes through the queue in chunks of this many units.
    billing_chunk_units: int = 250
    # The hourly sweep re-queues the missing chunks of a run that has not moved for this long (more than a
    # chunk's three receives on the queue), at most ``billing_max_resumes`` times, then marks it failed.
    billing_stall_minutes: int = 30
    billing_max_resumes: int = 2
    # How long a client may retry a checkout or refund with the same Idempotency-Key.
    idempotency_hours: int = 24
    # How long an open checkout holds its bills against another checkout (a provider's pay session).
    checkout_hold_minutes: int = 30


@lru_cache(maxsize=1)
def settings() -> PaymentsSettings:
    return PaymentsSettings.from_environment()
