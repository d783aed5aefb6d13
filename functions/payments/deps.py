"""The payments functions' collaborators, built once per cold start (tests swap the clock, the Stripe HTTP
client, and reset)."""

from __future__ import annotations

import secrets
import time
from functools import lru_cache
from typing import Any

from courtyard.audit import AuditWriter
from courtyard.clock import Clock, SystemClock
from courtyard.cursor import CursorCodec, load_cursor_secret
from courtyard.directory import DirectoryReader
from courtyard.events import EventPublisher
from courtyard.outbox import Outbox
from courtyard.table import Table
from payments.billing import BillingService
from payments.checkout import PaymentService
from payments.jobs import PaymentJobs
from payments.providers import PaymentProvider, ProviderRegistry
from payments.queries import PaymentQueries
from payments.queue_repository import BillingQueueRepository
from payments.repository import PaymentsRepository
from payments.sandbox_provider import SandboxProvider
from payments.secrets_repository import load_provider_secrets
from payments.settings import PaymentsSettings, settings
from payments.stripe_provider import StripeProvider

SOURCE = "courtyard.payments"
_clock_override: list[Clock] = []
_stripe_http: list[Any] = []


def config() -> PaymentsSettings:
    return settings()


def use_clock(clock: Clock | None) -> None:
    """Tests inject a FixedClock here; None returns to the wall clock."""
    _clock_override.clear()
    if clock is not None:
        _clock_override.append(clock)
    reset()


def use_stripe_http_client(client: Any | None) -> None:
    """Tests hand Stripe's SDK a fake HTTP client that answers like Stripe's API."""
    _stripe_http.clear()
    if client is not None:
        _stripe_http.append(client)
    reset()


@lru_cache(maxsize=1)
def clock() -> Clock:
    return _clock_override[0] if _clock_override else SystemClock()


@lru_cache(maxsize=1)
def audit() -> AuditWriter:
    return AuditWriter(config().audit_table, config().audit_retention_days, clock())


@lru_cache(maxsize=1)
def events() -> EventPublisher:
    return EventPublisher(config().event_bus_name, SOURCE)


@lru_cache(maxsize=1)
def reader() -> DirectoryReader:
    return DirectoryReader(config().directory_table)


@lru_cache(maxsize=1)
def table() -> Table:
    return Table(config().payments_table, CursorCodec(load_cursor_secret(config().cursor_secret_arn)))


@lru_cache(maxsize=1)
def repository() -> PaymentsRepository:
    return PaymentsRepository(table())


@lru_cache(maxsize=1)
def worker_table() -> Table:
    """For the queue worker and the jobs, which write no list cursors: a per-process key spares them the
    cursor secret (and its IAM grant)."""
    return Table(config().payments_table, CursorCodec(secrets.token_bytes(32)))


@lru_cache(maxsize=1)
def worker_repository() -> PaymentsRepository:
    return PaymentsRepository(worker_table())


@lru_cache(maxsize=1)
def outbox() -> Outbox:
    """The API's pending effects."""
    return Outbox(table(), clock(), events())


@lru_cache(maxsize=1)
def worker_outbox() -> Outbox:
    """The billing worker's pending effects, and the jobs' sweep of them."""
    return Outbox(worker_table(), clock(), events())


@lru_cache(maxsize=1)
def providers() -> ProviderRegistry:
    """The providers this deployment offers: Stripe when its keys are in the secret, the sandbox when its URL
    is set (the local cloud). WeChat Pay and Alipay adapters would be added here."""
    secrets = load_provider_secrets(config().provider_secret_arn)
    found: dict[str, PaymentProvider] = {}
    if secrets.stripe_api_key and secrets.stripe_webhook_secret:
        http = _stripe_http[0] if _stripe_http else None
        found["stripe"] = StripeProvider(secrets.stripe_api_key, secrets.stripe_webhook_secret, http)
    if config().payment_sandbox_url and secrets.sandbox_secret:
        found["sandbox"] = SandboxProvider(config().payment_sandbox_url, secrets.sandbox_secret, time.time)
    return ProviderRegistry(found)


@lru_cache(maxsize=1)
def billing() -> BillingService:
    return _billing(repository(), outbox())


@lru_cache(maxsize=1)
def billing_worker() -> BillingService:
    return _billing(worker_repository(), worker_outbox())


def _billing(repo: PaymentsRepository, outbox: Outbox) -> BillingService:
    cfg = config()
    return BillingService(
        repo,
        reader(),
        audit(),
        clock(),
        outbox,
        queue=lambda: BillingQueueRepository(cfg.billing_queue_url),
        chunk_units=cfg.billing_chunk_units,
        idempotency_hours=cfg.idempotency_hours,
        stall_minutes=cfg.billing_stall_minutes,
        max_resumes=cfg.billing_max_resumes,
    )


@lru_cache(maxsize=1)
def payments() -> PaymentService:
    return PaymentService(
        repository(),
        reader(),
        providers,
        audit(),
        events(),
        clock(),
        config().idempotency_hours,
        config().checkout_hold_minutes,
    )


@lru_cache(maxsize=1)
def queries() -> PaymentQueries:
    return PaymentQueries(repository(), reader(), audit(), clock())


@lru_cache(maxsize=1)
def jobs() -> PaymentJobs:
    return PaymentJobs(worker_repository(), reader(), providers, audit(), events(), clock())


def reset() -> None:
    """Forget every collaborator (tests switch environments between cases)."""
    for factory in (
        clock,
        audit,
        events,
        reader,
        table,
        repository,
        worker_table,
        worker_repository,
        outbox,
        worker_outbox,
        providers,
        billing,
        billing_worker,
        payments,
        queries,
        jobs,
    ):
        factory.cache_clear()
    settings.cache_clear()
