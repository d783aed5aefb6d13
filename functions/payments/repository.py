"""Fee items, readings, runs, bills, ledger entries, credits, payments, refunds, claims, settings and reports
in the payments table. Keys come from ``payments.keys`` only; item <-> record mapping lives here.

Every state change of a bill, payment or refund is a full put conditioned on the version read; new records
(bills, ledger entries, claims) are conditioned on not existing. A settlement (claim + payment + bills +
ledger entries + credits) is one ``TransactWriteItems`` of at most 2 + 3 x 20 items.

Indexes (issue 18: each earns its writes):
- gsi1 (ALL) a tenant's bills by site and period (the site's bill list, the billing report), billing runs
  and invoice requests by status (the finance queues).
- gsi2 (ALL) a unit's bills by period: the resident's bills, open bills at payment, export and erasure.
- due (KEYS_ONLY, sparse) bills whose reminder is due, open provider orders to close, active billing runs
  and the outbox's pending items: the jobs read keys and re-read the item.
- day (ALL, sparse: settled payments) what settled on a day: reconciliation and the day's figures.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from courtyard.drain import Page as DuePage
from courtyard.drain import shard_pages
from courtyard.dynamo import Page
from courtyard.errors import Conflict
from courtyard.table import Table, deserialize, serialize
from payments import keys
from payments.domain import (
    Allocation,
    Bill,
    BillingRun,
    BillLine,
    BillStatus,
    Cycle,
    EntryKind,
    FeeItem,
    FeeKind,
    LateFeeKind,
    LateFeePolicy,
    LedgerEntry,
    Payment,
    PaymentStatus,
    PriceVersion,
    Reading,
    Refund,
    RefundStatus,
    RunStatus,
)
from payments.settle import CreditChange, Plan

_NEW = "attribute_not_exists(pk)"
# WeChat Pay and Alipay orders can be closed at the provider: open ones are indexed for the close job.
PER_FIRM_PROVIDERS = ("wechatpay_", "alipay_")


@dataclass(frozen=True, slots=True)
class EventClaim:
    """A provider event applied before; ``pending`` = its domain events (detail type, detail JSON) that were
    committed with it but not yet known to be on the bus."""

    outcome: str
    pending: list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class CheckoutLock:
    payment_id: str  # the checkout that holds the bill
    until: int  # epoch seconds: after this the hold lapses even if the payment never ends


@dataclass(frozen=True, slots=True)
class IdempotencyClaim:
    subject_id: str  # the payment or refund the key created
    request_digest: str


# ------------------------------------------------------------------ item mapping


def _policy_item(policy: LateFeePolicy) -> dict[str, Any]:
    return {
        "kind": policy.kind.value,
        "grace_days": policy.grace_days,
        "value": policy.value,
        "cap_minor": policy.cap_minor,
    }


def _policy(raw: Mapping[str, Any]) -> LateFeePolicy:
    cap = raw.get("cap_minor")
    return LateFeePolicy(
        kind=LateFeeKind(str(raw.get("kind", "none"))),
        grace_days=int(raw.get("grace_days", 0)),
        value=int(raw.get("value", 0)),
        cap_minor=int(cap) if cap is not None else None,
    )


def fee_item_item(item: FeeItem) -> dict[str, Any]:
    return {
        **keys.fee_item(item.tenant_id, item.fee_id),
        "entity": "fee_item",
        "fee_id": item.fee_id,
        "site_id": item.site_id,
        "name": item.name,
        "kind": item.kind.value,
        "cycle": item.cycle.value,
        "price_minor": item.price_minor,
        "currency": item.currency,
        "due_day": item.due_day,
        "late_fee": _policy_item(item.late_fee),
        "unit_kinds": list(item.unit_kinds),
        "active": item.active,
        "created_at": item.created_at,
        "created_by": item.created_by,
        "prices": [{"from_period": v.from_period, "price_minor": v.price_minor} for v in item.prices],
        "retired_from": item.retired_from,
        "revision": item.revision,
    }


def fee_item_from(tenant_id: str, item: Mapping[str, Any]) -> FeeItem:
    return FeeItem(
        tenant_id=tenant_id,
        fee_id=str(item["fee_id"]),
        site_id=str(item["site_id"]),
        name=str(item["name"]),
        kind=FeeKind(str(item["kind"])),
        cycle=Cycle(str(item["cycle"])),
        price_minor=int(item["price_minor"]),
        currency=str(item["currency"]),
        due_day=int(item["due_day"]),
        late_fee=_policy(item.get("late_fee") or {}),
        unit_kinds=tuple(str(k) for k in item.get("unit_kinds") or ()),
        created_at=str(item["created_at"]),
        created_by=str(item["created_by"]),
        active=bool(item.get("active", True)),
        prices=tuple(
            PriceVersion(str(v["from_period"]), int(v["price_minor"])) for v in item.get("prices") or []
        ),
        retired_from=str(item["retired_from"]) if item.get("retired_from") else None,
        revision=int(item.get("revision", 0)),
    )


def _line_item(line: BillLine) -> dict[str, Any]:
    return {
        "fee_id": line.fee_id,
        "name": line.name,
        "kind": line.kind.value,
        "quantity": line.quantity,
        "amount": line.amount,
        "late_fee": _policy_item(line.late_fee),
    }


def bill_item(bill: Bill) -> dict[str, Any]:
    item: dict[str, Any] = {
        **keys.bill(bill.tenant_id, bill.bill_id),
        "entity": "bill",
        "tenant_id": bill.tenant_id,
        "bill_id": bill.bill_id,
        "site_id": bill.site_id,
        "unit_id": bill.unit_id,
        "unit_label": bill.unit_label,
        "period": bill.period,
        "currency": bill.currency,
        "lines": [_line_item(line) for line in bill.lines],
        "total": bill.total,
        "credit_applied": bill.credit_applied,
        "amount_due": bill.amount_due,
        "due_date": bill.due_date.isoformat(),
        "status": bill.status.value,
        "issued_at": bill.issued_at,
        "run_id": bill.run_id,
        "version": bill.version,
        "payment_id": bill.payment_id,
        "paid_at": bill.paid_at,
        "late_fee_paid": bill.late_fee_paid,
        "paid_late": bill.paid_late,
        "reminders": list(bill.reminders) or None,
        "late_fee_owed": bill.late_fee_owed,
        "gsi1pk": keys.tenant_bills(bill.tenant_id),
        "gsi1sk": keys.bill_order(bill.site_id, bill.period, bill.unit_id),
        "gsi2pk": keys.unit_bills(bill.tenant_id, bill.unit_id),
        "gsi2sk": f"{bill.period}#{bill.bill_id}",
    }
    if bill.status is BillStatus.ISSUED and bill.next_reminder_on is not None:
        on = bill.next_reminder_on.isoformat()
        item["next_reminder_on"] = on
        item["due_pk"] = keys.due_partition(bill.bill_id)
        item["due_sk"] = keys.due_sort(on, bill.tenant_id, bill.bill_id)
    return item


def bill_from(item: Mapping[str, Any]) -> Bill:
    reminder = item.get("next_reminder_on")
    return Bill(
        tenant_id=str(item["tenant_id"]),
        bill_id=str(item["bill_id"]),
        site_id=str(item["site_id"]),
        unit_id=str(item["unit_id"]),
        unit_label=str(item.get("unit_label", "")),
        period=str(item["period"]),
        currency=str(item["currency"]),
        lines=tuple(
            BillLine(
                fee_id=str(line["fee_id"]),
                name=str(line["name"]),
                kind=FeeKind(str(line["kind"])),
                quantity=str(line.get("quantity", "")),
                amount=int(line["amount"]),
                late_fee=_policy(line.get("late_fee") or {}),
            )
            for line in item.get("lines") or []
        ),
        total=int(item["total"]),
        credit_applied=int(item.get("credit_applied", 0)),
        due_date=date.fromisoformat(str(item["due_date"])),
        status=BillStatus(str(item["status"])),
        issued_at=str(item["issued_at"]),
        run_id=str(item.get("run_id", "")),
        version=int(item.get("version", 1)),
        payment_id=str(item["payment_id"]) if item.get("payment_id") else None,
        paid_at=str(item["paid_at"]) if item.get("paid_at") else None,
        late_fee_paid=int(item.get("late_fee_paid", 0)),
        reminders=tuple(str(r) for r in item.get("reminders") or ()),
        next_reminder_on=date.fromisoformat(str(reminder)) if reminder else None,
        late_fee_owed=int(item["late_fee_owed"]) if item.get("late_fee_owed") is not None else None,
    )


def entry_item(tenant_id: str, entry: LedgerEntry) -> dict[str, Any]:
    return {
        **keys.ledger_entry(tenant_id, entry.unit_id, entry.at, entry.entry_id),
        "entity": "ledger_entry",
        "unit_id": entry.unit_id,
        "entry_id": entry.entry_id,
        "kind": entry.kind.value,
        "amount": entry.amount,
        "delta": entry.delta,
        "currency": entry.currency,
        "at": entry.at,
        "site_id": entry.site_id,
        "bill_id": entry.bill_id,
        "payment_id": entry.payment_id,
        "refund_id": entry.refund_id,
    }


def entry_from(item: Mapping[str, Any]) -> LedgerEntry:
    def opt(name: str) -> str | None:
        value = item.get(name)
        return str(value) if value else None

    return LedgerEntry(
        unit_id=str(item["unit_id"]),
        entry_id=str(item["entry_id"]),
        kind=EntryKind(str(item["kind"])),
        amount=int(item["amount"]),
        currency=str(item["currency"]),
        at=str(item["at"]),
        site_id=opt("site_id"),
        bill_id=opt("bill_id"),
        payment_id=opt("payment_id"),
        refund_id=opt("refund_id"),
    )


def payment_item(payment: Payment) -> dict[str, Any]:
    item: dict[str, Any] = {
        **keys.payment(payment.tenant_id, payment.payment_id),
        "entity": "payment",
        "tenant_id": payment.tenant_id,
        "payment_id": payment.payment_id,
        "provider": payment.provider,
        "status": payment.status.value,
        "amount": payment.amount,
        "currency": payment.currency,
        "site_id": payment.site_id,
        "allocations": [
            {
                "bill_id": a.bill_id,
                "unit_id": a.unit_id,
                "amount_due": a.amount_due,
                "late_fee": a.late_fee,
                "outcome": a.outcome or None,
                "refunded": a.refunded,
            }
            for a in payment.allocations
        ],
        "payer_user_id": payment.payer_user_id,
        "on_behalf_of": payment.on_behalf_of,
        "created_at": payment.created_at,
        "version": payment.version,
        "provider_ref": payment.provider_ref,
        "next_action": dict(payment.next_action) or None,
        "settled_at": payment.settled_at,
        "reason": payment.reason,
        "refunded_amount": payment.refunded_amount,
        "refunding_amount": payment.refunding_amount,
        "unit_id": payment.unit_id,
        "receipt_no": payment.receipt_no,
        "note": payment.note,
    }
    if payment.status is PaymentStatus.CREATED and payment.provider.startswith(PER_FIRM_PROVIDERS):
        # An open WeChat Pay / Alipay order: the close job finds it here until the payment is saved again.
        item["due_pk"] = keys.open_orders(payment.tenant_id)
        item["due_sk"] = keys.open_order_sort(payment.created_at, payment.tenant_id, payment.payment_id)
    if payment.settled_at and payment.status is not PaymentStatus.FAILED:
        # Reconciliation reads what settled on a day across tenants (the settlement-day index).
        item["day_pk"] = keys.settlement_day(payment.settled_at[:10], payment.tenant_id)
        item["day_sk"] = f"{payment.tenant_id}#{payment.payment_id}"
    return item


def payment_from(item: Mapping[str, Any]) -> Payment:
    return Payment(
        tenant_id=str(item["tenant_id"]),
        payment_id=str(item["payment_id"]),
        provider=str(item["provider"]),
        status=PaymentStatus(str(item["status"])),
        amount=int(item["amount"]),
        currency=str(item["currency"]),
        site_id=str(item["site_id"]),
        allocations=tuple(
            Allocation(
                bill_id=str(a["bill_id"]),
                unit_id=str(a["unit_id"]),
                amount_due=int(a["amount_due"]),
                late_fee=int(a.get("late_fee", 0)),
                outcome=str(a.get("outcome") or ""),
                refunded=int(a.get("refunded", 0)),
            )
            for a in item.get("allocations") or []
        ),
        payer_user_id=str(item["payer_user_id"]),
        on_behalf_of=str(item["on_behalf_of"]) if item.get("on_behalf_of") else None,
        created_at=str(item["created_at"]),
        version=int(item.get("version", 1)),
        provider_ref=str(item["provider_ref"]) if item.get("provider_ref") else None,
        next_action={str(k): str(v) for k, v in (item.get("next_action") or {}).items()},
        settled_at=str(item["settled_at"]) if item.get("settled_at") else None,
        reason=str(item["reason"]) if item.get("reason") else None,
        refunded_amount=int(item.get("refunded_amount", 0)),
        refunding_amount=int(item.get("refunding_amount", 0)),
        unit_id=str(item["unit_id"]) if item.get("unit_id") else None,
        receipt_no=str(item["receipt_no"]) if item.get("receipt_no") else None,
        note=str(item["note"]) if item.get("note") else None,
    )


def refund_item(refund: Refund) -> dict[str, Any]:
    return {
        **keys.refund(refund.tenant_id, refund.payment_id, refund.refund_id),
        "entity": "refund",
        "tenant_id": refund.tenant_id,
        "payment_id": refund.payment_id,
        "refund_id": refund.refund_id,
        "amount": refund.amount,
        "currency": refund.currency,
        "status": refund.status.value,
        "reason": refund.reason,
        "created_by": refund.created_by,
        "created_at": refund.created_at,
        "version": refund.version,
        "provider_ref": refund.provider_ref,
        "settled_at": refund.settled_at,
    }


def refund_from(item: Mapping[str, Any]) -> Refund:
    return Refund(
        tenant_id=str(item["tenant_id"]),
        payment_id=str(item["payment_id"]),
        refund_id=str(item["refund_id"]),
        amount=int(item["amount"]),
        currency=str(item["currency"]),
        status=RefundStatus(str(item["status"])),
        reason=str(item.get("reason", "")),
        created_by=str(item["created_by"]),
        created_at=str(item["created_at"]),
        version=int(item.get("version", 1)),
        provider_ref=str(item["provider_ref"]) if item.get("provider_ref") else None,
        settled_at=str(item["settled_at"]) if item.get("settled_at") else None,
    )


def run_item(run: BillingRun) -> dict[str, Any]:
    """A new run's record (chunk counts and ``done_chunks`` are added by the workers)."""
    item: dict[str, Any] = {
        **keys.run(run.tenant_id, run.run_id),
        "entity": "billing_run",
        "run_id": run.run_id,
        "site_id": run.site_id,
        "period": run.period,
        "status": run.status.value,
        "units": run.units,
        "chunks": run.chunks,
        "created_at": run.created_at,
        "created_by": run.created_by,
        "updated_at": run.updated_at or run.created_at,
        "completed_at": run.completed_at,
        "gsi1pk": keys.tenant_runs(run.tenant_id),
        "gsi1sk": run.run_id,
    }
    if run.status is RunStatus.RUNNING:
        item["due_pk"] = keys.ACTIVE_RUNS
        item["due_sk"] = keys.active_run_sort(run.tenant_id, run.run_id)
    return item


def run_from(tenant_id: str, item: Mapping[str, Any]) -> BillingRun:
    return BillingRun(
        tenant_id=tenant_id,
        run_id=str(item["run_id"]),
        site_id=str(item["site_id"]),
        period=str(item["period"]),
        status=RunStatus(str(item["status"])),
        units=int(item["units"]),
        chunks=int(item["chunks"]),
        created_at=str(item["created_at"]),
        created_by=str(item["created_by"]),
        bills_created=int(item.get("bills_created", 0)),
        bills_existing=int(item.get("bills_existing", 0)),
        units_without_fees=int(item.get("units_without_fees", 0)),
        chunks_done=int(item.get("chunks_done", 0)),
        completed_at=str(item["completed_at"]) if item.get("completed_at") else None,
        updated_at=str(item["updated_at"]) if item.get("updated_at") else None,
        done_chunks=frozenset(int(n) for n in item.get("done_chunks") or ()),
        resumes=int(item.get("resumes", 0)),
        failed_reason=str(item["failed_reason"]) if item.get("failed_reason") else None,
        missed_units=tuple(str(u) for u in item.get("missed_units") or ()),
    )


# ------------------------------------------------------------------ repository


class PaymentsRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    @property
    def table(self) -> Table:
        return self._table

    # -------------------------------------------------------------- fee items and readings

    def put_fee_item(
        self,
        item: FeeItem,
        claim: tuple[str, str, str] | None = None,
        ttl: int = 0,
        also: Sequence[dict[str, Any]] = (),
    ) -> None:
        """The fee item, ``also`` (its audit record) and, with ``claim`` (user, key digest, request digest),
        its Idempotency-Key claim in one transaction; a taken claim is a Conflict for the caller to read."""
        actions = [self._table.put_action(fee_item_item(item), _NEW), *also]
        if claim is None:
            self._table.transact(actions, conflict="fee item already exists")
            return
        actions.append(self._claim_action(item.tenant_id, "FEE", claim, item.fee_id, ttl))
        self._table.transact(actions, conflict="this Idempotency-Key was already used")

    def save_fee_item(self, item: FeeItem, expected_revision: int) -> None:
        """A fee item's new prices or retirement; Conflict if another change landed since it was read."""
        action = self._table.put_action(fee_item_item(item))
        action["Put"]["ConditionExpression"] = (
            "attribute_exists(pk) AND (attribute_not_exists(#rev) OR #rev = :expected)"
        )
        action["Put"]["ExpressionAttributeNames"] = {"#rev": "revision"}
        action["Put"]["ExpressionAttributeValues"] = serialize({":expected": expected_revision})
        self._table.transact([action], conflict="the fee item changed; read it again")

    def fee_items(self, tenant_id: str) -> list[FeeItem]:
        items = self._table.query_all(partition=keys.fee_items(tenant_id), sk_prefix="FEE#")
        return [fee_item_from(tenant_id, i) for i in items]

    def fee_item(self, tenant_id: str, fee_id: str, *, consistent: bool = False) -> FeeItem | None:
        item = self._table.get(keys.fee_item(tenant_id, fee_id), consistent=consistent)
        return fee_item_from(tenant_id, item) if item else None

    def put_readings(self, tenant_id: str, readings: list[Reading]) -> None:
        self._table.put_many(
            [
                {
                    **keys.reading(tenant_id, r.fee_id, r.period, r.unit_id),
                    "entity": "reading",
                    "fee_id": r.fee_id,
                    "period": r.period,
                    "unit_id": r.unit_id,
                    "previous": r.previous,
                    "current": r.current,
                }
                for r in readings
            ]
        )

    def readings(self, tenant_id: str, fee_id: str, period: str) -> dict[str, Reading]:
        items = self._table.query_all(partition=keys.readings(tenant_id, fee_id, period))
        return {
            str(i["unit_id"]): Reading(
                fee_id, period, str(i["unit_id"]), int(i["previous"]), int(i["current"])
            )
            for i in items
        }

    # -------------------------------------------------------------- billing runs

    def create_run(self, run: BillingRun, chunks: Sequence[dict[str, Any]], chunks_ttl: int) -> None:
        """The run's chunks (each the queue message that bills it, kept until ``chunks_ttl`` so the sweep can
        queue it again), then the run itself: a run record never exists without its chunks."""
        self._table.put_many(
            [
                {
                    **keys.run_chunk(run.tenant_id, run.run_id, int(body["index"])),
                    "entity": "billing_run_chunk",
                    "body": json.dumps(body, separators=(",", ":")),
                    "ttl": chunks_ttl,
                }
                for body in chunks
            ]
        )
        self._table.put(run_item(run), condition=_NEW, conflict="billing run already exists")

    def run(self, tenant_id: str, run_id: str) -> BillingRun | None:
        item = self._table.get(keys.run(tenant_id, run_id), consistent=True)
        return run_from(tenant_id, item) if item else None

    def runs_page(self, tenant_id: str, limit: int, cursor: str | None) -> Page[BillingRun]:
        page = self._table.query_page(
            tenant_id,
            partition=keys.tenant_runs(tenant_id),
            index="gsi1",
            limit=limit,
            cursor=cursor,
            scope="billing-runs",
            forward=False,
        )
        return Page([run_from(tenant_id, i) for i in page.items], page.next_cursor)

    def run_chunks(self, tenant_id: str, run_id: str, indexes: Iterable[int]) -> list[dict[str, Any]]:
        """The queue messages of these chunks of a run, as written when it started."""
        found = self._table.get_many([keys.run_chunk(tenant_id, run_id, n) for n in indexes])
        bodies = [json.loads(str(i["body"])) for i in found]
        return sorted(bodies, key=lambda body: int(body["index"]))

    def active_runs(self) -> list[tuple[str, str]]:
        """(tenant, run) of every billing run still running, across tenants (the sweep's read)."""
        params: dict[str, Any] = {
            "TableName": self._table.name,
            "IndexName": "due",
            "KeyConditionExpression": "due_pk = :pk",
            "ExpressionAttributeValues": serialize({":pk": keys.ACTIVE_RUNS}),
        }
        found: list[tuple[str, str]] = []
        while True:
            response = self._table.client.query(**params)
            for item in map(deserialize, response.get("Items", [])):
                tenant_id, run_id = str(item["due_sk"]).split("#", 1)
                found.append((tenant_id, run_id))
            last = response.get("LastEvaluatedKey")
            if not last:
                return found
            params["ExclusiveStartKey"] = last

    def record_chunk(
        self, tenant_id: str, run_id: str, chunk: int, created: int, existing: int, without: int, at: str
    ) -> BillingRun | None:
        """Count a chunk once (a redelivered chunk adds nothing); completes the run with its last chunk."""
        try:
            item = self._table.update(
                keys.run(tenant_id, run_id),
                "SET updated_at = :at ADD bills_created :c, bills_existing :e, units_without_fees :w, "
                "chunks_done :one, done_chunks :chunk",
                {
                    ":c": created,
                    ":e": existing,
                    ":w": without,
                    ":one": 1,
                    ":chunk": {str(chunk)},
                    ":n": str(chunk),
                    ":at": at,
                },
                condition="attribute_exists(pk) AND NOT contains(done_chunks, :n)",
            )
        except Conflict:
            return None
        run = run_from(tenant_id, item)
        if run.chunks_done >= run.chunks and run.status is not RunStatus.COMPLETED:
            # A run the sweep had given up on completes too when its missing chunks arrive after all.
            item = self._table.update(
                keys.run(tenant_id, run_id),
                "SET #status = :done, completed_at = :at REMOVE due_pk, due_sk, missed_units, failed_reason",
                {":done": RunStatus.COMPLETED.value, ":at": at},
                names={"#status": "status"},
            )
            run = run_from(tenant_id, item)
        return run

    def resume_run(self, run: BillingRun, at: str) -> bool:
        """Count one resume of a stalled run; False if it moved since it was read (a chunk finished, or
        another sweep resumed it), so only one sweep re-queues it."""
        try:
            self._table.update(
                keys.run(run.tenant_id, run.run_id),
                "SET updated_at = :at, resumes = :resumes",
                {
                    ":at": at,
                    ":resumes": run.resumes + 1,
                    ":seen": run.updated_at or run.created_at,
                    ":running": RunStatus.RUNNING.value,
                },
                names={"#status": "status"},
                condition="#status = :running AND updated_at = :seen",
            )
        except Conflict:
            return False
        return True

    def fail_run(self, run: BillingRun, reason: str, missed_units: list[str], at: str) -> bool:
        """Give up on a stalled run: failed, with the reason and the units its missing chunks held; it leaves
        the active-runs index. False if it moved since it was read."""
        try:
            self._table.update(
                keys.run(run.tenant_id, run.run_id),
                "SET #status = :failed, failed_reason = :reason, missed_units = :missed, updated_at = :at, "
                "completed_at = :at REMOVE due_pk, due_sk",
                {
                    ":failed": RunStatus.FAILED.value,
                    ":reason": reason,
                    ":missed": missed_units,
                    ":at": at,
                    ":seen": run.updated_at or run.created_at,
                    ":running": RunStatus.RUNNING.value,
                },
                names={"#status": "status"},
                condition="#status = :running AND updated_at = :seen",
            )
        except Conflict:
            return False
        return True

    # -------------------------------------------------------------- bills

    def existing_bill_ids(self, tenant_id: str, bill_ids: list[str]) -> set[str]:
        found = self._table.get_many([keys.bill(tenant_id, b) for b in bill_ids])
        return {str(i["bill_id"]) for i in found}

    def issue(
        self,
        bill: Bill,
        entries: list[LedgerEntry],
        credit: CreditChange | None,
        also: Sequence[dict[str, Any]] = (),
        settled: Sequence[Bill] = (),
    ) -> bool:
        """Write a new bill with its ledger entries; False if the bill already exists.

        ``also``: actions that commit with the bill (its pending BillIssued, ``courtyard.outbox``).
        Without credit: the charge entry first, a conditional single put; its key is deterministic (dated the
        period's start, named after the bill), so a run interrupted between the two writes finds the entry on
        the re-run and still writes the bill. Then the bill and ``also`` in one transaction (the entries stay
        out of it: a bigger transaction per bill would cost a 5,000-unit run dearly).
        With credit (rare): one transaction, because the credit it spends must move with the bill and with
        the older bills it settled (``settled``, each conditioned on the version it was read at).
        """
        if credit is not None:
            actions = [self._table.put_action(bill_item(bill), _NEW)]
            actions += [self._versioned(bill_item(b), b.version - 1) for b in settled]
            actions += [self._table.put_action(entry_item(bill.tenant_id, e), _NEW) for e in entries]
            actions.append(self._credit_action(bill.tenant_id, credit))
            actions.extend(also)
            try:
                self._table.transact(actions, conflict="bill already issued")
            except Conflict:
                return False
            return True
        for entry in entries:
            # Written by an interrupted earlier run: the same bill, the same charge.
            with contextlib.suppress(Conflict):
                self._table.put(entry_item(bill.tenant_id, entry), condition=_NEW)
        try:
            if also:
                self._table.transact(
                    [self._table.put_action(bill_item(bill), _NEW), *also], conflict="bill already issued"
                )
            else:
                self._table.put(bill_item(bill), condition=_NEW)
        except Conflict:
            return False
        return True

    def open_balance(
        self,
        tenant_id: str,
        unit_id: str,
        bill: Bill | None,
        entries: Sequence[LedgerEntry],
        credit: CreditChange | None,
    ) -> bool:
        """A unit's opening balance at go-live, once: a marker, its opening bill, entries and credit in one
        transaction; False when the unit's opening balance was imported before."""
        marker = {"pk": keys.unit_bills(tenant_id, unit_id), "sk": "OPENING", "entity": "opening_marker"}
        actions = [self._table.put_action(marker, _NEW)]
        if bill is not None:
            actions.append(self._table.put_action(bill_item(bill), _NEW))
        actions += [self._table.put_action(entry_item(tenant_id, e), _NEW) for e in entries]
        if credit is not None:
            actions.append(self._credit_action(tenant_id, credit))
        try:
            self._table.transact(actions, conflict="opening balance already imported")
        except Conflict:
            return False
        return True

    def bill(self, tenant_id: str, bill_id: str, *, consistent: bool = False) -> Bill | None:
        item = self._table.get(keys.bill(tenant_id, bill_id), consistent=consistent)
        if item is None or str(item.get("tenant_id")) != tenant_id:
            return None
        return bill_from(item)

    def bills(self, tenant_id: str, bill_ids: Iterable[str], *, consistent: bool = False) -> dict[str, Bill]:
        found: dict[str, Bill] = {}
        for bill_id in dict.fromkeys(bill_ids):
            bill = self.bill(tenant_id, bill_id, consistent=consistent)
            if bill is not None:
                found[bill_id] = bill
        return found

    def bills_page(
        self,
        tenant_id: str,
        *,
        unit_ids: list[str] | None,
        site_id: str | None,
        period: str | None,
        status: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Bill]:
        """Newest first. With ``unit_ids``: those units' bills one unit after another (gsi2); else the
        tenant's, narrowed by site and period through the sort key (gsi1). Status filters the page."""
        scope = f"bills:{','.join(unit_ids or [])}:{site_id}:{period}:{status}"
        start = dict(self._table.cursors.decode(tenant_id, cursor, scope=scope) or {})
        position = int(start.pop("_unit", 0)) if unit_ids is not None else 0
        if unit_ids is not None:
            prefix = f"{period}#" if period else None
            partitions = [("gsi2", keys.unit_bills(tenant_id, u), prefix) for u in unit_ids]
        else:
            prefix = f"{site_id}#{period}#" if site_id and period else f"{site_id}#" if site_id else None
            partitions = [("gsi1", keys.tenant_bills(tenant_id), prefix)]
        bills: list[Bill] = []
        last: dict[str, Any] | None = start or None
        while position < len(partitions):
            index, partition, sk_prefix = partitions[position]
            condition = f"{index}pk = :pk" + (f" AND begins_with({index}sk, :prefix)" if sk_prefix else "")
            values: dict[str, Any] = {":pk": partition, **({":prefix": sk_prefix} if sk_prefix else {})}
            params: dict[str, Any] = {
                "TableName": self._table.name,
                "IndexName": index,
                "KeyConditionExpression": condition,
                "ScanIndexForward": False,
                "Limit": max(1, min(limit - len(bills), 100)),
            }
            filters: list[str] = []
            if status:
                filters.append("#status = :status")
                params["ExpressionAttributeNames"] = {"#status": "status"}
                values[":status"] = status
            if period and unit_ids is None and not site_id:
                filters.append("period = :period")
                values[":period"] = period
            if filters:
                params["FilterExpression"] = " AND ".join(filters)
            params["ExpressionAttributeValues"] = serialize(values)
            if last:
                params["ExclusiveStartKey"] = serialize(last)
            response = self._table.client.query(**params)
            bills.extend(bill_from(deserialize(i)) for i in response.get("Items", []))
            raw_last = response.get("LastEvaluatedKey")
            last = deserialize(raw_last) if raw_last else None
            if last is None:
                position += 1
            if len(bills) >= limit:
                break
        if position >= len(partitions):
            return Page(bills, None)
        token: dict[str, Any] = dict(last or {})
        if unit_ids is not None:
            token["_unit"] = position
        return Page(bills, self._table.cursors.encode(tenant_id, token, scope=scope))

    def open_bills(self, tenant_id: str, unit_id: str) -> list[Bill]:
        """A unit's unpaid bills, read again consistently (their versions condition what credit settles)."""
        params: dict[str, Any] = {
            "TableName": self._table.name,
            "IndexName": "gsi2",
            "KeyConditionExpression": "gsi2pk = :pk",
            "FilterExpression": "#status = :issued",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": serialize(
                {":pk": keys.unit_bills(tenant_id, unit_id), ":issued": BillStatus.ISSUED.value}
            ),
            "ProjectionExpression": "bill_id",
        }
        bill_ids: list[str] = []
        while True:
            response = self._table.client.query(**params)
            bill_ids += [str(deserialize(i)["bill_id"]) for i in response.get("Items", [])]
            last = response.get("LastEvaluatedKey")
            if not last:
                break
            params["ExclusiveStartKey"] = last
        bills = self.bills(tenant_id, bill_ids, consistent=True)
        return [b for b in bills.values() if b.status is BillStatus.ISSUED]

    def site_bills(self, tenant_id: str, site_id: str, from_period: str | None = None) -> list[Bill]:
        """Every bill of a site (periods sort as text within a cycle), for arrears and KPIs."""
        params: dict[str, Any] = {
            "TableName": self._table.name,
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :pk AND gsi1sk BETWEEN :low AND :high",
            "ExpressionAttributeValues": serialize(
                {
                    ":pk": keys.tenant_bills(tenant_id),
                    ":low": f"{site_id}#{from_period or ''}",
                    ":high": f"{site_id}#\uffff",
                }
            ),
        }
        bills: list[Bill] = []
        while True:
            response = self._table.client.query(**params)
            bills.extend(bill_from(deserialize(i)) for i in response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            if not last:
                return bills
            params["ExclusiveStartKey"] = last

    # -------------------------------------------------------------- ledger and credit

    def ledger(self, tenant_id: str, unit_id: str) -> list[LedgerEntry]:
        items = self._table.query_all(partition=keys.ledger(tenant_id, unit_id), sk_prefix="E#")
        return [entry_from(i) for i in items]

    def credits(self, tenant_id: str, site_id: str) -> dict[str, int]:
        items = self._table.query_all(partition=keys.credits(tenant_id, site_id))
        return {str(i["unit_id"]): int(i.get("amount", 0)) for i in items if int(i.get("amount", 0)) > 0}

    def _credit_action(self, tenant_id: str, change: CreditChange) -> dict[str, Any]:
        key = keys.credit(tenant_id, change.site_id, change.unit_id)
        if change.delta >= 0:
            return self._table.update_action(
                key,
                "SET unit_id = :unit ADD amount :delta",
                {":unit": change.unit_id, ":delta": change.delta},
            )
        # Spending credit: never below zero, even if two writers raced.
        return self._table.update_action(
            key,
            "ADD amount :delta",
            {":delta": change.delta, ":need": -change.delta},
            condition="amount >= :need",
        )

    # -------------------------------------------------------------- payments and refunds

    def payment(self, tenant_id: str, payment_id: str, *, consistent: bool = False) -> Payment | None:
        item = self._table.get(keys.payment(tenant_id, payment_id), consistent=consistent)
        if item is None or str(item.get("tenant_id")) != tenant_id:
            return None
        return payment_from(item)

    def refunds(self, tenant_id: str, payment_id: str) -> list[Refund]:
        items = self._table.query_all(
            partition=keys.payment_partition(tenant_id, payment_id), sk_prefix="REFUND#"
        )
        return [refund_from(i) for i in items]

    def refund(self, tenant_id: str, payment_id: str, refund_id: str) -> Refund | None:
        item = self._table.get(keys.refund(tenant_id, payment_id, refund_id), consistent=True)
        return refund_from(item) if item else None

    def idempotency_claim(
        self, tenant_id: str, scope: str, user_id: str, key_digest: str
    ) -> IdempotencyClaim | None:
        item = self._table.get(keys.idempotency_claim(tenant_id, scope, user_id, key_digest), consistent=True)
        if item is None:
            return None
        return IdempotencyClaim(str(item["subject_id"]), str(item["request_digest"]))

    def _claim_action(
        self, tenant_id: str, scope: str, claim: tuple[str, str, str], subject_id: str, ttl: int
    ) -> dict[str, Any]:
        user_id, key_digest, request_digest = claim
        return self._table.put_action(
            {
                **keys.idempotency_claim(tenant_id, scope, user_id, key_digest),
                "subject_id": subject_id,
                "request_digest": request_digest,
                "ttl": ttl,
            },
            _NEW,
        )

    def checkout_locks(self, tenant_id: str, bill_ids: Iterable[str]) -> dict[str, CheckoutLock]:
        """The checkouts that hold (or held) these bills, by bill."""
        found = self._table.get_many([keys.checkout_lock(tenant_id, b) for b in dict.fromkeys(bill_ids)])
        return {
            str(i["bill_id"]): CheckoutLock(str(i["payment_id"]), int(i["until"]))
            for i in found
            if i.get("payment_id")
        }

    def create_payment(
        self,
        payment: Payment,
        claim: tuple[str, str, str] | None,
        ttl: int,
        hold_until: int = 0,
        replacing: Mapping[str, str] | None = None,
    ) -> None:
        """The payment, its Idempotency-Key claim and one checkout lock per bill in one transaction. A lock is
        taken only if the bill has none, or still has the stale one read (``replacing``: bill -> payment), so
        of two checkouts racing for a bill exactly one commits; the other is a Conflict."""
        actions = [self._table.put_action(payment_item(payment), _NEW)]
        if claim is not None:
            actions.append(self._claim_action(payment.tenant_id, "PAY", claim, payment.payment_id, ttl))
        for bill_id in payment.bill_ids:
            lock = {
                **keys.checkout_lock(payment.tenant_id, bill_id),
                "entity": "checkout_lock",
                "bill_id": bill_id,
                "payment_id": payment.payment_id,
                "until": hold_until,
                "ttl": ttl,
            }
            stale = (replacing or {}).get(bill_id)
            action = self._table.put_action(lock, _NEW if stale is None else f"{_NEW} OR payment_id = :stale")
            if stale is not None:
                action["Put"]["ExpressionAttributeValues"] = serialize({":stale": stale})
            actions.append(action)
        self._table.transact(actions, conflict="this Idempotency-Key was already used or a bill is held")

    def save_payment(self, payment: Payment, expected_version: int) -> None:
        self._table.transact([self._versioned(payment_item(payment), expected_version)], "payment changed")

    def start_refund(
        self,
        payment: Payment,
        expected_version: int,
        refund: Refund,
        claim: tuple[str, str, str] | None,
        ttl: int,
    ) -> None:
        actions = [
            self._versioned(payment_item(payment), expected_version),
            self._table.put_action(refund_item(refund), _NEW),
        ]
        if claim is not None:
            actions.append(self._claim_action(payment.tenant_id, "REFUND", claim, refund.refund_id, ttl))
        self._table.transact(actions, conflict="the payment changed or this Idempotency-Key was already used")

    def save_refund(self, refund: Refund, expected_version: int) -> None:
        self._table.transact([self._versioned(refund_item(refund), expected_version)], "refund changed")

    def event_claim(self, tenant_id: str, provider: str, event_digest: str) -> EventClaim | None:
        """The claim of a provider event already applied, with the domain events not yet known published."""
        item = self._table.get(keys.event_claim(tenant_id, provider, event_digest), consistent=True)
        if item is None:
            return None
        pending = json.loads(str(item["pending_events"])) if item.get("pending_events") else []
        return EventClaim(
            outcome=str(item.get("outcome", "")), pending=[(str(t), str(d)) for t, d in pending]
        )

    def events_published(self, tenant_id: str, provider: str, event_digest: str, at: str) -> None:
        """The claim's domain events reached the bus: a later delivery of the provider event needs nothing."""
        self._table.update(
            keys.event_claim(tenant_id, provider, event_digest),
            "SET published_at = :at REMOVE pending_events",
            {":at": at},
        )

    def commit(
        self,
        tenant_id: str,
        plan: Plan,
        *,
        event_claim: tuple[str, str, str, str] | None,
        versions: Mapping[str, int],
    ) -> None:
        """A settlement plan in one transaction: the provider event's claim, then every change conditioned on
        the version read (``versions``: record key -> version). Conflict if anything moved or the event was
        already applied."""
        actions: list[dict[str, Any]] = []
        if event_claim is not None:
            provider, digest, event_id, outcome = event_claim
            claim: dict[str, Any] = {
                **keys.event_claim(tenant_id, provider, digest),
                "event_id": event_id,
                "outcome": outcome,
            }
            if plan.events:
                # The outbox of this settlement: if publishing fails after the commit, the provider's next
                # delivery of the event finds them here and publishes them (consumers dedupe on event_id).
                claim["pending_events"] = json.dumps(
                    [[detail_type, detail.model_dump_json()] for detail_type, detail in plan.events]
                )
            actions.append(self._table.put_action(claim, _NEW))
        if plan.payment is not None:
            actions.append(
                self._versioned(payment_item(plan.payment), versions[f"payment:{plan.payment.payment_id}"])
            )
        if plan.refund is not None:
            actions.append(
                self._versioned(refund_item(plan.refund), versions[f"refund:{plan.refund.refund_id}"])
            )
        for bill in plan.bills:
            actions.append(self._versioned(bill_item(bill), versions[f"bill:{bill.bill_id}"]))
        actions += [self._table.put_action(entry_item(tenant_id, e), _NEW) for e in plan.entries]
        actions += [self._credit_action(tenant_id, c) for c in plan.credits]
        self._table.transact(actions, conflict="changed concurrently")

    def record_payment(
        self, plan: Plan, claim: tuple[str, str, str] | None, ttl: int, versions: Mapping[str, int]
    ) -> None:
        """A payment taken at the counter in one transaction: the new payment, its Idempotency-Key claim, the
        bills it settled (conditioned on the versions read), its ledger entries and the unit's credit."""
        assert plan.payment is not None
        payment = plan.payment
        actions = [self._table.put_action(payment_item(payment), _NEW)]
        if claim is not None:
            actions.append(self._claim_action(payment.tenant_id, "COUNTER", claim, payment.payment_id, ttl))
        actions += [self._versioned(bill_item(b), versions[f"bill:{b.bill_id}"]) for b in plan.bills]
        actions += [self._table.put_action(entry_item(payment.tenant_id, e), _NEW) for e in plan.entries]
        actions += [self._credit_action(payment.tenant_id, c) for c in plan.credits]
        self._table.transact(actions, conflict="this Idempotency-Key was already used or a bill changed")

    def next_receipt_no(self, tenant_id: str, year: str) -> str:
        """The firm's next receipt number of ``year`` (one atomic counter per firm and year)."""
        item = self._table.update(keys.receipt_counter(tenant_id, year), "ADD n :one", {":one": 1})
        return f"R{year}-{int(item['n']):06d}"

    def _versioned(self, item: dict[str, Any], expected_version: int) -> dict[str, Any]:
        action = self._table.put_action(item)
        action["Put"]["ConditionExpression"] = "attribute_exists(pk) AND #version = :expected"
        action["Put"]["ExpressionAttributeNames"] = {"#version": "version"}
        action["Put"]["ExpressionAttributeValues"] = serialize({":expected": expected_version})
        return action

    # -------------------------------------------------------------- reminders

    def due_bills(self, until: str, page_size: int = 500) -> Iterator[tuple[str, str]]:
        """(tenant, bill) of every unpaid bill whose next reminder is on or before ``until`` (ISO date):
        pages round-robin over the shards, taken as the caller goes on (``courtyard.drain``)."""

        def page(shard: int, start: Mapping[str, Any] | None) -> DuePage[tuple[str, str]]:
            params: dict[str, Any] = {
                "TableName": self._table.name,
                "IndexName": "due",
                "KeyConditionExpression": "due_pk = :pk AND due_sk < :upper",
                "ExpressionAttributeValues": serialize({":pk": keys.due_shard(shard), ":upper": f"{until}$"}),
                "Limit": page_size,
            }
            if start:
                params["ExclusiveStartKey"] = dict(start)
            response = self._table.client.query(**params)
            found = []
            # The index projects keys only: the sort key names the tenant and the bill.
            for item in map(deserialize, response.get("Items", [])):
                _, tenant_id, bill_id = str(item["due_sk"]).split("#", 2)
                found.append((tenant_id, bill_id))
            return found, response.get("LastEvaluatedKey")

        return shard_pages(page, keys.DUE_SHARDS)

    def save_bill(self, bill: Bill, expected_version: int) -> None:
        """A bill's reminder bookkeeping; Conflict if it changed (e.g. was paid) since it was read."""
        action = self._versioned(bill_item(bill), expected_version)
        action["Put"]["ConditionExpression"] += " AND #status = :issued"
        action["Put"]["ExpressionAttributeNames"]["#status"] = "status"
        action["Put"]["ExpressionAttributeValues"].update(serialize({":issued": BillStatus.ISSUED.value}))
        self._table.transact([action], conflict="bill changed")

    # -------------------------------------------------------------- settings and reports

    def settings(self, tenant_id: str) -> dict[str, Any] | None:
        return self._table.get(keys.settings(tenant_id))

    def put_settings(self, tenant_id: str, values: dict[str, Any]) -> None:
        self._table.put({**keys.settings(tenant_id), **values})

    def settled_on(self, day: str) -> list[Payment]:
        """Every payment settled on ``day``, across tenants: each shard of the day, and the partition payments
        settled before the index was sharded were written to."""
        payments: list[Payment] = []
        for partition in keys.settlement_days(day):
            params: dict[str, Any] = {
                "TableName": self._table.name,
                "IndexName": "day",
                "KeyConditionExpression": "day_pk = :pk",
                "ExpressionAttributeValues": serialize({":pk": partition}),
            }
            while True:
                response = self._table.client.query(**params)
                payments += [payment_from(deserialize(i)) for i in response.get("Items", [])]
                last = response.get("LastEvaluatedKey")
                if not last:
                    break
                params["ExclusiveStartKey"] = last
        return payments

    def put_reconciliation(self, tenant_id: str, day: str, report: dict[str, Any]) -> None:
        self._table.put(
            {**keys.reconciliation(tenant_id, day), "entity": "reconciliation", "day": day, **report}
        )

    def reconciliation(self, tenant_id: str, day: str) -> dict[str, Any] | None:
        return self._table.get(keys.reconciliation(tenant_id, day))
