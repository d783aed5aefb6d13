"""Payments API: the door. Parse, call the services, map to responses; the rules live in services/ (billing,
checkout, queries). The webhook routes are public (no authorizer): only a valid provider signature gets past
them."""

from __future__ import annotations

import base64
from datetime import date
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from courtyard.errors import NotFound, Unprocessable
from courtyard.idempotency import IdempotencyKey, checked_key
from payments import wiring
from payments.app import app, logger, metrics, tracer
from payments.arrears import BUCKETS, COLLECTION_TARGET_PCT
from payments.domain import BillStatus
from payments.ledger_models import (
    ArrearsOut,
    CollectionOut,
    CounterPaymentCreate,
    LineConfirm,
    LineDismiss,
    OpeningProblemOut,
    OpeningReportOut,
    OpeningUpload,
    PaymentStatsOut,
    PriceChange,
    ReconciliationOut,
    ReminderSentOut,
    Retirement,
    StatementLineListOut,
    StatementLineOut,
    StatementReportOut,
    StatementUpload,
    UnitArrearsOut,
)
from payments.models import (
    BillingRunCreate,
    BillingRunOut,
    BillingRunPageOut,
    BillOut,
    BillPageOut,
    FeeItemCreate,
    FeeItemListOut,
    FeeItemOut,
    LedgerEntryOut,
    LedgerOut,
    PaymentCreate,
    PaymentOut,
    PaymentSettingsIn,
    PaymentSettingsOut,
    ReadingsIn,
    ReadingsOut,
    RefundCreate,
    RefundOut,
    WebhookOut,
)

# Receipts and invoice requests, and the month's figures, are Routers of their own (Powertools' split
# routes), each imported by the first request for one of its paths (courtyard.route_families; the most
# specific prefix wins, and Powertools tries static paths such as ``/payments/figures`` before
# ``/payments/<payment_id>`` whatever the order of inclusion).
app.include_families(
    {
        "payments.figures_routes": ("/payments/figures",),
        "payments.receipt_routes": (
            "/invoice-requests",
            "/payments/{payment_id}/invoice-requests",
            "/payments/{payment_id}/receipt",
        ),
    }
)

Limit = Annotated[int, Query(ge=1, le=100, description="page size")]
Cursor = Annotated[str | None, Query(max_length=4096, description="next_cursor of the previous page")]
SiteId = Annotated[str, Query(min_length=1, max_length=64)]
PeriodQuery = Annotated[str | None, Query(pattern=r"^\d{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$")]


def _responses(
    model: type[BaseModel], created: int = 201, replay: int | None = 200
) -> dict[int, OpenAPIResponse]:
    found: dict[int, OpenAPIResponse] = {
        created: {"description": "Created", "content": {"application/json": {"model": model}}}
    }
    if replay is not None:
        found[replay] = {"description": "Replayed or done", "content": {"application/json": {"model": model}}}
    return found


IDEMPOTENT_CREATE = (
    "With an `Idempotency-Key` header (8 to 255 printable characters, the caller's own within the firm), "
    "a retry answers 200 with the same fee item; the same key with a different body is 422 `key_reused`."
)


def _created(model: type[BaseModel]) -> dict[int, OpenAPIResponse]:
    return {
        200: {
            "description": "Replayed (same Idempotency-Key)",
            "content": {"application/json": {"model": model}},
        },
        201: {"description": "Created", "content": {"application/json": {"model": model}}},
    }


# ------------------------------------------------------------------ fee items and billing runs


@app.post(
    "/fee-items",
    summary="Create a fee item for a community (manager, finance)",
    description=IDEMPOTENT_CREATE,
    responses=_created(FeeItemOut),
)
def create_fee_item(body: FeeItemCreate, idempotency_key: IdempotencyKey = None) -> tuple[FeeItemOut, int]:
    item, created = wiring.billing().create_fee_item(app.tenant(), body, checked_key(idempotency_key))
    return FeeItemOut.from_domain(item), 201 if created else 200


@app.get("/fee-items", summary="The firm's fee items, or one community's (staff)")
def list_fee_items(site_id: Annotated[str | None, Query(max_length=64)] = None) -> FeeItemListOut:
    return FeeItemListOut(
        items=[FeeItemOut.from_domain(i) for i in wiring.billing().fee_items(app.tenant(), site_id)]
    )


@app.post(
    "/fee-items/<fee_id>/readings",
    summary="Record (or import) meter readings of a metered fee item for a period (manager, finance)",
)
def record_readings(fee_id: str, body: ReadingsIn) -> ReadingsOut:
    count = wiring.billing().record_readings(app.tenant(), fee_id, body)
    return ReadingsOut(fee_id=fee_id, period=body.period, recorded=count)


@app.post(
    "/fee-items/<fee_id>/prices",
    summary="A new price for a fee item from a month on (manager, finance); issued bills never change",
)
def change_fee_price(fee_id: str, body: PriceChange) -> FeeItemOut:
    item = wiring.prices().change_price(app.tenant(), fee_id, body.from_period, body.price_minor)
    return FeeItemOut.from_domain(item)


@app.post(
    "/fee-items/<fee_id>/retire",
    summary="Retire a fee item from a month on: no billing run bills it from then (manager, finance)",
)
def retire_fee_item(fee_id: str, body: Retirement) -> FeeItemOut:
    return FeeItemOut.from_domain(wiring.prices().retire(app.tenant(), fee_id, body.from_period))


@app.post(
    "/billing-runs",
    summary="Bill a community for a period (idempotent: re-running bills only units without a bill)",
    description="Answers 202 at once with the run; its chunks are billed through the billing queue: poll "
    "`GET /billing-runs/{run_id}` until `status` is `completed` (or `failed`, naming `missed_units`).",
    responses={202: {"description": "Accepted", "content": {"application/json": {"model": BillingRunOut}}}},
)
def start_billing_run(body: BillingRunCreate) -> tuple[BillingRunOut, int]:
    run = wiring.billing().start_run(app.tenant(), body)
    return BillingRunOut.from_domain(run), 202


@app.get("/billing-runs", summary="The firm's billing runs, newest first, with progress (manager, finance)")
def list_billing_runs(limit: Limit = 50, cursor: Cursor = None) -> BillingRunPageOut:
    page = wiring.billing().runs(app.tenant(), limit, cursor)
    return BillingRunPageOut(
        items=[BillingRunOut.from_domain(r) for r in page.items], next_cursor=page.next_cursor
    )


@app.get("/billing-runs/<run_id>", summary="A billing run's progress and counts (manager, finance)")
def get_billing_run(run_id: str) -> BillingRunOut:
    return BillingRunOut.from_domain(wiring.billing().run(app.tenant(), run_id))


# ------------------------------------------------------------------ bills and ledger


@app.get(
    "/bills",
    summary="Bills, newest period first: staff filter by site/unit/period/status; residents see their units'",
)
def list_bills(
    limit: Limit = 50,
    cursor: Cursor = None,
    unit_id: Annotated[str | None, Query(max_length=64)] = None,
    site_id: Annotated[str | None, Query(max_length=64)] = None,
    period: PeriodQuery = None,
    status: Annotated[BillStatus | None, Query()] = None,
) -> BillPageOut:
    ctx = app.tenant()
    queries = wiring.queries()
    page = queries.bills(
        ctx,
        unit_id=unit_id,
        site_id=site_id,
        period=period,
        status=status.value if status else None,
        limit=limit,
        cursor=cursor,
    )
    today = queries.today(ctx.tenant_id)
    return BillPageOut(
        items=[BillOut.from_domain(b, queries.late_fee_now(b, today)) for b in page.items],
        next_cursor=page.next_cursor,
    )


@app.get("/bills/<bill_id>", summary="One bill with its lines and the late fee accrued as of today")
def get_bill(bill_id: str) -> BillOut:
    ctx = app.tenant()
    queries = wiring.queries()
    bill = queries.bill(ctx, bill_id)
    return BillOut.from_domain(bill, queries.late_fee_now(bill, queries.today(ctx.tenant_id)))


@app.get(
    "/units/<unit_id>/ledger",
    summary="A unit's ledger, newest first, and its balance derived from every entry",
)
def unit_ledger(unit_id: str, limit: Limit = 50, cursor: Cursor = None) -> LedgerOut:
    ledger = wiring.queries().ledger(app.tenant(), unit_id, limit, cursor)
    return LedgerOut(
        unit_id=ledger.unit_id,
        currency=ledger.currency,
        balance=ledger.balance,
        credit=ledger.credit,
        entries=[LedgerEntryOut.from_domain(e) for e in ledger.entries],
        next_cursor=ledger.next_cursor,
    )


# ------------------------------------------------------------------ payments (static routes first)


@app.post(
    "/payments/webhooks/stripe", summary="Stripe webhook (public; Stripe-Signature verified, 300 s tolerance)"
)
def stripe_webhook() -> WebhookOut:
    return _webhook("stripe")


@app.post(
    "/payments/webhooks/sandbox", summary="Sandbox provider webhook (public; Sandbox-Signature verified)"
)
def sandbox_webhook() -> WebhookOut:
    return _webhook("sandbox")


@app.post(
    "/payments/webhooks/<provider>/<account>",
    summary="WeChat Pay / Alipay notification for one firm (public; verified with that firm's keys)",
    description="`provider`: wechatpay_native, wechatpay_jsapi, alipay_page or alipay_wap; `account`: the "
    "firm named in the notify URL. WeChat Pay's are RSA-signed and AES-GCM encrypted, Alipay's "
    "RSA2-signed forms; Alipay is answered `success` as text, as it requires.",
    responses={200: {"description": "Received", "content": {"application/json": {"model": WebhookOut}}}},
)
def merchant_webhook(provider: str, account: str) -> Response[Any]:
    if not provider.startswith(("wechatpay_", "alipay_")) or "#" in account or len(account) > 64:
        raise NotFound("webhook")
    out = _webhook(provider, account)
    if provider.startswith("alipay_"):
        return Response(200, content_type="text/plain", body="success")
    return Response(200, content_type="application/json", body=out.model_dump_json())


def _webhook(provider: str, account: str = "") -> WebhookOut:
    event = app.current_event
    body = event.body or ""
    if event.is_base64_encoded:
        body = base64.b64decode(body).decode("utf-8", errors="replace")
    outcome = wiring.payments().webhook(provider, dict(event.headers), body, account)
    logger.info("webhook", provider=provider, outcome=outcome)
    return WebhookOut(received=True, outcome=outcome)


@app.get(
    "/payments/stats", summary="Collection rate per period (target 95 %) and arrears totals of a community"
)
def payment_stats(
    site_id: SiteId,
    periods: Annotated[int, Query(ge=1, le=36, description="how many periods, newest first")] = 12,
) -> PaymentStatsOut:
    stats = wiring.queries().stats(app.tenant(), site_id, periods)
    return PaymentStatsOut(
        site_id=stats.site_id,
        currency=stats.currency,
        target_pct=COLLECTION_TARGET_PCT,
        collection=[
            CollectionOut(
                period=c.period,
                bills=c.bills,
                billed=c.billed,
                collected=c.collected,
                paid_bills=c.paid_bills,
                rate_pct=c.rate_pct,
                on_target=c.on_target,
            )
            for c in stats.collection
        ],
        overdue_units=stats.overdue_units,
        overdue_amount=stats.overdue_amount,
        risk_units=stats.risk_units,
    )


@app.post(
    "/payments",
    summary="Pay one or several of your bills through a provider (Idempotency-Key replays the same payment)",
    responses=_responses(PaymentOut),
)
def create_payment(body: PaymentCreate, idempotency_key: IdempotencyKey = None) -> tuple[PaymentOut, int]:
    payment, created = wiring.payments().checkout(app.tenant(), body, checked_key(idempotency_key))
    return PaymentOut.from_domain(payment), 201 if created else 200


@app.post(
    "/payments/counter",
    summary="Record money taken at the counter: cash, POS card or bank transfer (finance, desk, manager)",
    description="For one unit's bills, settled oldest first (fee, then late fee); less than they ask is a "
    "part-payment (the rest stays due in its age bucket), more settles the unit's other open bills and then "
    "waits as its credit. Answers the payment with its receipt number and the clerk who took it. "
    "An `Idempotency-Key` replays the same payment (200); the same key with another body is 422.",
    responses=_responses(PaymentOut),
)
def record_counter_payment(
    body: CounterPaymentCreate, idempotency_key: IdempotencyKey = None
) -> tuple[PaymentOut, int]:
    payment, created = wiring.counter().record(app.tenant(), body, checked_key(idempotency_key))
    return PaymentOut.from_domain(payment), 201 if created else 200


@app.post(
    "/bank-statements",
    summary="Import a bank statement (CSV or XLSX, Chinese bank layouts) and settle the inflows it matches",
    description="Each inflow is matched by the bill or unit its memo names and its exact amount, then by the "
    "payer's name among the unit's residents; matched inflows settle their bills as bank-transfer payments, "
    "once per statement line (importing the same statement again settles nothing twice); the rest are "
    "exceptions (`GET /bank-statements/exceptions`). Finance, manager.",
    responses={
        200: {"description": "Imported", "content": {"application/json": {"model": StatementReportOut}}}
    },
)
def import_bank_statement(body: StatementUpload) -> StatementReportOut:
    try:
        content = base64.b64decode(body.content_base64, validate=True)
    except ValueError as error:
        raise Unprocessable("content_base64 is not base64") from error
    report = wiring.statements().import_statement(app.tenant(), body.site_id, body.filename, content)
    return StatementReportOut(**report.__dict__)


@app.get("/bank-statements/exceptions", summary="Statement inflows waiting for finance: confirm or dismiss")
def list_statement_exceptions(site_id: SiteId) -> StatementLineListOut:
    lines = wiring.statements().exceptions(app.tenant(), site_id)
    return StatementLineListOut(items=[StatementLineOut.model_validate(line) for line in lines])


@app.post(
    "/bank-statements/lines/<line_id>/confirm",
    summary="Confirm an exception: its money pays the named unit's bills (a bank-transfer payment)",
)
def confirm_statement_line(line_id: str, body: LineConfirm) -> StatementLineOut:
    statements = wiring.statements()
    statements.confirm(app.tenant(), body.site_id, line_id, body.unit_id, body.bill_ids)
    return StatementLineOut.model_validate(statements.line(app.tenant(), body.site_id, line_id))


@app.post(
    "/bank-statements/lines/<line_id>/dismiss", summary="Dismiss an exception (not a resident's payment)"
)
def dismiss_statement_line(line_id: str, body: LineDismiss) -> StatementLineOut:
    statements = wiring.statements()
    statements.dismiss(app.tenant(), body.site_id, line_id)
    return StatementLineOut.model_validate(statements.line(app.tenant(), body.site_id, line_id))


@app.post(
    "/opening-balances",
    summary="Import each unit's arrears and prepayment at go-live (report first; commit once per unit)",
    description="Columns 房号, 欠费, 预存 (yuan). `commit` false answers the report and writes nothing; true "
    "writes the valid rows as opening ledger entries (arrears as an opening bill due at go-live, in the "
    "ageing from then on; prepayments as credit); importing again changes nothing. Manager, finance.",
    responses={200: {"description": "Report", "content": {"application/json": {"model": OpeningReportOut}}}},
)
def import_opening_balances(body: OpeningUpload) -> OpeningReportOut:
    try:
        content = base64.b64decode(body.content_base64, validate=True)
    except ValueError as error:
        raise Unprocessable("content_base64 is not base64") from error
    report = wiring.opening().import_balances(
        app.tenant(), body.site_id, body.filename, content, body.go_live, body.commit
    )
    return OpeningReportOut(
        rows=report.rows,
        valid=report.valid,
        problems=[OpeningProblemOut(row=p.row, code=p.code, value=p.value) for p in report.problems],
        committed=report.committed,
        created=report.created,
        existing=report.existing,
    )


@app.get("/payments/<payment_id>", summary="A payment: status, bills, next action (pay URL), refunds")
def get_payment(payment_id: str) -> PaymentOut:
    payment, refunds = wiring.payments().payment(app.tenant(), payment_id)
    return PaymentOut.from_domain(payment, refunds)


@app.post(
    "/payments/<payment_id>/refunds",
    summary="Refund a payment, whole or in part, through its provider and the ledger (finance)",
    responses=_responses(RefundOut),
)
def refund_payment(
    payment_id: str, body: RefundCreate, idempotency_key: IdempotencyKey = None
) -> tuple[RefundOut, int]:
    refund, created = wiring.payments().refund(app.tenant(), payment_id, body, checked_key(idempotency_key))
    return RefundOut.from_domain(refund), 201 if created else 200


# ------------------------------------------------------------------ arrears, reconciliation, settings


@app.get("/arrears", summary="Units with overdue amounts by age (0-30, 31-90, 90+ days) and late-payer risk")
def list_arrears(site_id: SiteId) -> ArrearsOut:
    report = wiring.queries().arrears(app.tenant(), site_id)
    totals = {name: sum(u.buckets[name] for u in report.units) for name in BUCKETS}
    return ArrearsOut(
        site_id=report.site_id,
        as_of=report.as_of.isoformat(),
        currency=report.currency,
        totals={**totals, "overdue": sum(u.overdue for u in report.units)},
        units=[
            UnitArrearsOut(
                unit_id=u.unit_id,
                unit_label=u.unit_label,
                site_id=u.site_id,
                overdue=u.overdue,
                bills=u.bills,
                oldest_due=u.oldest_due.isoformat() if u.oldest_due else None,
                buckets=u.buckets,
                late_bills=u.late_bills,
                risk=u.risk,
                reminders=[ReminderSentOut(period=p, step=s) for p, s in u.reminders],
            )
            for u in report.units
        ],
    )


@app.get(
    "/reconciliations/<day>", summary="The reconciliation report of a day (UTC), stored by the daily job"
)
def get_reconciliation(day: date) -> ReconciliationOut:
    report = wiring.queries().reconciliation(app.tenant(), day)
    return ReconciliationOut(
        date=str(report["day"]),
        generated_at=str(report["generated_at"]),
        providers=[str(p) for p in report.get("providers", [])],
        balanced=bool(report["balanced"]),
        counts={str(k): int(v) for k, v in report["counts"].items()},
        matched=_rows(report["matched"]),
        missing_in_ledger=_rows(report["missing_in_ledger"]),
        missing_at_provider=_rows(report["missing_at_provider"]),
        amount_mismatch=_rows(report["amount_mismatch"]),
    )


def _rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Stored numbers come back from DynamoDB as Decimal: money is an int on the wire.
    return [{k: int(v) if k.endswith("amount") else v for k, v in row.items()} for row in rows]


@app.get("/payment-settings", summary="The reminder ladder and quiet hours (manager, finance)")
def get_payment_settings() -> PaymentSettingsOut:
    return PaymentSettingsOut(**wiring.queries().settings(app.tenant()))


@app.put("/payment-settings", summary="Replace the reminder ladder and quiet hours (manager, finance)")
def put_payment_settings(body: PaymentSettingsIn) -> PaymentSettingsOut:
    return PaymentSettingsOut(**wiring.queries().put_settings(app.tenant(), body))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
