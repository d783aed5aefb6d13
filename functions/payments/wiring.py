"""The payments functions' collaborators, built once per cold start by the kernel's wiring.

Tests: ``courtyard.wiring.use_clock(FixedClock(...))``; ``wiring.override(stripe_http, fake)`` hands Stripe's
SDK a fake HTTP client that answers like Stripe's API.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from courtyard.table import Table
from courtyard.wiring import Wiring
from payments.repository import PaymentsRepository
from payments.settings import PaymentsSettings, settings

if TYPE_CHECKING:
    from courtyard.outbox import Outbox
    from payments.adapters.merchant_accounts import MerchantAccounts
    from payments.providers import ProviderRegistry
    from payments.services.abandoned import AbandonedOrders
    from payments.services.billing import BillingService
    from payments.services.checkout import PaymentService
    from payments.services.counter import CounterService
    from payments.services.erasure import PayerErasure
    from payments.services.export import PaymentsExport
    from payments.services.figures import FiguresService
    from payments.services.invoices import InvoiceService
    from payments.services.jobs import PaymentJobs
    from payments.services.opening import OpeningBalanceService
    from payments.services.prices import FeePriceService
    from payments.services.queries import PaymentQueries
    from payments.services.receipts import ReceiptService
    from payments.services.statements import BankStatementService

# Each function imports a use case, a provider and its adapter when it first builds them: the billing worker
# never loads checkout or a payment provider, the jobs never load billing, and no function loads a provider
# this deployment does not offer.

wiring = Wiring(settings, source="courtyard.payments")


def config() -> PaymentsSettings:
    return wiring.config


def table() -> Table:
    return wiring.table(config().payments_table)


def worker_table() -> Table:
    """For the queue worker and the jobs, which write no list cursors: a per-process key spares them the
    cursor secret (and its IAM grant)."""
    return wiring.table(config().payments_table, cursors=False)


repository = wiring.factory(lambda: PaymentsRepository(table()))
worker_repository = wiring.factory(lambda: PaymentsRepository(worker_table()))

# The API's pending effects (bills issued inline by a small billing run).
outbox = wiring.factory(lambda: wiring.outbox(table()))
# The billing worker's pending effects, and the jobs' sweep of them.
worker_outbox = wiring.factory(lambda: wiring.outbox(worker_table()))

# Stripe's SDK makes its own HTTP calls; None is its default client (tests override it with a fake).
stripe_http: Any = wiring.factory(lambda: None)


# Each firm's WeChat Pay and Alipay keys (Secrets Manager, cached a few minutes); tests may override it.
def _merchants() -> MerchantAccounts:
    from payments.adapters.merchant_accounts import MerchantAccounts

    return MerchantAccounts(config().merchant_secret_prefix)


merchants = wiring.factory(_merchants)


def _providers() -> ProviderRegistry:
    """The providers this deployment offers: Stripe when its keys are in the secret, the sandbox when its URL
    is set (the local cloud), WeChat Pay (Native, JSAPI) and Alipay (page, wap) when firms' merchant keys
    have a home and notifications an address (a firm without keys is refused at checkout). Where the sandbox
    runs, WeChat Pay's and Alipay's APIs are its personas: no real provider is reachable from there."""
    from payments.adapters.provider_secrets import load_provider_secrets
    from payments.providers import PaymentProvider, ProviderRegistry

    cfg = config()
    secrets = load_provider_secrets(cfg.provider_parameter)
    found: dict[str, PaymentProvider] = {}
    if secrets.stripe_api_key and secrets.stripe_webhook_secret:
        from payments.adapters.stripe import StripeProvider

        found["stripe"] = StripeProvider(secrets.stripe_api_key, secrets.stripe_webhook_secret, stripe_http())
    sandbox = cfg.payment_sandbox_url.rstrip("/")
    if sandbox and secrets.sandbox_secret:
        from payments.adapters.pay_sandbox import SandboxProvider

        found["sandbox"] = SandboxProvider(sandbox, secrets.sandbox_secret, time.time)
    if cfg.merchant_secret_prefix and cfg.payment_notify_base_url:
        from payments.adapters import alipay, wechatpay

        notify = cfg.payment_notify_base_url
        for scene in wechatpay.SCENES:
            provider = wechatpay.WeChatPayProvider(
                scene, merchants(), notify, time.time, api_base=f"{sandbox}/wechatpay" if sandbox else ""
            )
            found[provider.name] = provider
        for scene in alipay.SCENES:
            gateway = f"{sandbox}/alipay/gateway.do" if sandbox else ""
            back = (
                f"{cfg.mobile_app_url.rstrip('/')}/bills/receipt/{{payment_id}}" if cfg.mobile_app_url else ""
            )
            found[f"alipay_{scene}"] = alipay.AlipayProvider(
                scene, merchants(), notify, gateway=gateway, return_url=back
            )
    return ProviderRegistry(found)


providers = wiring.factory(_providers)


def _billing(repo: PaymentsRepository, outbox: Outbox) -> BillingService:
    from payments.adapters.sqs_billing import BillingQueueRepository
    from payments.services.billing import BillingService

    cfg = config()
    return BillingService(
        repo,
        wiring.reader(),
        wiring.audit(),
        wiring.clock,
        outbox,
        queue=lambda: BillingQueueRepository(cfg.billing_queue_url),
        chunk_units=cfg.billing_chunk_units,
        idempotency_hours=cfg.idempotency_hours,
        stall_minutes=cfg.billing_stall_minutes,
        max_resumes=cfg.billing_max_resumes,
    )


billing = wiring.factory(lambda: _billing(repository(), outbox()))
billing_worker = wiring.factory(lambda: _billing(worker_repository(), worker_outbox()))


def _payments() -> PaymentService:
    from payments.services.checkout import PaymentService

    return PaymentService(
        repository(),
        wiring.reader(),
        providers,
        wiring.audit(),
        wiring.events(),
        wiring.clock,
        config().idempotency_hours,
        config().checkout_hold_minutes,
    )


payments = wiring.factory(_payments)


def _queries() -> PaymentQueries:
    from payments.services.queries import PaymentQueries

    return PaymentQueries(repository(), wiring.reader(), wiring.audit(), wiring.clock)


queries = wiring.factory(_queries)


def _jobs() -> PaymentJobs:
    from payments.services.jobs import PaymentJobs

    return PaymentJobs(
        worker_repository(), wiring.reader(), providers, wiring.audit(), wiring.events(), wiring.clock
    )


jobs = wiring.factory(_jobs)


def _counter() -> CounterService:
    from payments.services.counter import CounterService

    return CounterService(
        repository(),
        wiring.reader(),
        wiring.audit(),
        wiring.events(),
        wiring.clock,
        config().idempotency_hours,
    )


counter = wiring.factory(_counter)


def _prices() -> FeePriceService:
    from payments.services.prices import FeePriceService

    return FeePriceService(repository(), wiring.reader(), wiring.audit(), wiring.clock)


prices = wiring.factory(_prices)


def _statements() -> BankStatementService:
    from payments.repositories.statements import StatementLines
    from payments.services.statements import BankStatementService

    return BankStatementService(
        repository(), StatementLines(table()), counter(), wiring.reader(), wiring.audit(), wiring.clock
    )


statements = wiring.factory(_statements)


def _opening() -> OpeningBalanceService:
    from payments.services.opening import OpeningBalanceService

    return OpeningBalanceService(repository(), wiring.reader(), wiring.audit(), wiring.clock)


opening = wiring.factory(_opening)


def _receipts() -> ReceiptService:
    from payments.adapters.s3_receipts import ReceiptStorage
    from payments.repositories.receipts import ReceiptRecords
    from payments.services.receipts import ReceiptService

    return ReceiptService(
        repository(),
        ReceiptRecords(table()),
        ReceiptStorage(config().receipt_bucket),
        wiring.reader(),
        wiring.clock,
    )


receipts = wiring.factory(_receipts)


def _invoices() -> InvoiceService:
    from payments.repositories.invoices import InvoiceRequests
    from payments.services.invoices import InvoiceService

    return InvoiceService(
        repository(), InvoiceRequests(table()), wiring.reader(), wiring.audit(), wiring.clock
    )


invoices = wiring.factory(_invoices)


def _figures() -> FiguresService:
    from payments.repositories.figures import SettledPayments
    from payments.services.figures import FiguresService

    return FiguresService(repository(), SettledPayments(table()), wiring.reader(), wiring.clock)


figures = wiring.factory(_figures)


def _abandoned() -> AbandonedOrders:
    from payments.repositories.open_orders import OpenOrders
    from payments.services.abandoned import AbandonedOrders

    return AbandonedOrders(
        worker_repository(),
        OpenOrders(worker_table()),
        providers,
        wiring.audit(),
        wiring.clock,
        config().checkout_hold_minutes,
    )


abandoned = wiring.factory(_abandoned)


def _erasure() -> PayerErasure:
    from payments.repositories.erasure import PayerScrubber
    from payments.repositories.invoices import InvoiceRequests
    from payments.services.erasure import PayerErasure

    return PayerErasure(PayerScrubber(worker_table()), wiring.reader(), InvoiceRequests(worker_table()))


# The people consumer (ResidentErased): payments and statement lines forget an erased payer.
erasure = wiring.factory(_erasure)


def _export() -> PaymentsExport:
    from payments.repositories.export import PaymentExportReader
    from payments.services.export import PaymentsExport

    return PaymentsExport(PaymentExportReader(worker_table()), wiring.export_part("payments"))


# The people consumer (PersonalDataExportRequested): writes the payments' part of a person's export.
export = wiring.factory(_export)
