"""Invoice requests in the payments table.

- request   pk ``INVOICE#{request_id}``, sk ``INVOICE``; gsi1 = the firm's requests of one status
            (``INVOICES#{status}``) by ``{requested_at}#{request_id}``, oldest first, so finance works the
            pending queue from its front and an issued or rejected request leaves it.
- claim     pk ``PAY#{payment_id}``, sk ``INVOICE``: the payment's live request (pending or issued); a
            rejected one frees it for a new request.

A request and its claim are written in one transaction, and every decision is conditioned on the request
still being pending, so a payment has at most one live request and a request is decided once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from courtyard.dynamo import Page, tenant_key
from courtyard.table import Table
from payments import keys

PENDING, ISSUED, REJECTED = "pending", "issued", "rejected"


@dataclass(frozen=True, slots=True)
class InvoiceRequest:
    tenant_id: str
    request_id: str
    payment_id: str
    site_id: str
    unit_ids: tuple[str, ...]
    amount: int
    currency: str
    title_type: str  # company | personal
    title: str
    tax_number: str | None
    status: str
    requested_by: str
    requested_at: str
    key_digest: str  # the requester's Idempotency-Key (digest), or "" without one
    request_digest: str
    invoice_no: str | None = None
    reason: str | None = None
    decided_by: str | None = None
    decided_at: str | None = None


def _request_key(tenant_id: str, request_id: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "INVOICE", request_id), "sk": "INVOICE"}


def _claim_key(tenant_id: str, payment_id: str) -> dict[str, str]:
    return {"pk": keys.payment_partition(tenant_id, payment_id), "sk": "INVOICE"}


def _queue(tenant_id: str, status: str) -> str:
    return tenant_key(tenant_id, "INVOICES", status)


def _item(request: InvoiceRequest) -> dict[str, Any]:
    return {
        **_request_key(request.tenant_id, request.request_id),
        "entity": "invoice_request",
        **{name: getattr(request, name) for name in InvoiceRequest.__slots__ if name != "unit_ids"},
        "unit_ids": list(request.unit_ids),
        "gsi1pk": _queue(request.tenant_id, request.status),
        "gsi1sk": f"{request.requested_at}#{request.request_id}",
    }


def _request(item: Mapping[str, Any]) -> InvoiceRequest:
    def opt(name: str) -> str | None:
        value = item.get(name)
        return str(value) if value is not None else None

    return InvoiceRequest(
        tenant_id=str(item["tenant_id"]),
        request_id=str(item["request_id"]),
        payment_id=str(item["payment_id"]),
        site_id=str(item["site_id"]),
        unit_ids=tuple(str(u) for u in item.get("unit_ids") or []),
        amount=int(item["amount"]),
        currency=str(item["currency"]),
        title_type=str(item["title_type"]),
        title=str(item["title"]),
        tax_number=opt("tax_number"),
        status=str(item["status"]),
        requested_by=str(item["requested_by"]),
        requested_at=str(item["requested_at"]),
        key_digest=str(item.get("key_digest") or ""),
        request_digest=str(item.get("request_digest") or ""),
        invoice_no=opt("invoice_no"),
        reason=opt("reason"),
        decided_by=opt("decided_by"),
        decided_at=opt("decided_at"),
    )


class InvoiceRequests:
    def __init__(self, table: Table) -> None:
        self._table = table

    def add(self, request: InvoiceRequest) -> None:
        """The request and the payment's claim at once; Conflict when the payment has a live request."""
        claim = {
            **_claim_key(request.tenant_id, request.payment_id),
            "entity": "invoice_claim",
            "request_id": request.request_id,
            "status": request.status,
        }
        put_claim = self._table.put_action(claim, "attribute_not_exists(pk) OR #status = :rejected")["Put"]
        put_claim["ExpressionAttributeNames"] = {"#status": "status"}
        put_claim["ExpressionAttributeValues"] = {":rejected": {"S": REJECTED}}
        self._table.transact(
            [{"Put": put_claim}, self._table.put_action(_item(request), "attribute_not_exists(pk)")],
            conflict="this payment already has an invoice request",
        )

    def get(self, tenant_id: str, request_id: str) -> InvoiceRequest | None:
        item = self._table.get(_request_key(tenant_id, request_id), consistent=True)
        return _request(item) if item and str(item.get("tenant_id")) == tenant_id else None

    def live_of(self, tenant_id: str, payment_id: str) -> InvoiceRequest | None:
        """The payment's pending or issued request, if any."""
        claim = self._table.get(_claim_key(tenant_id, payment_id), consistent=True)
        if claim is None or claim.get("status") == REJECTED:
            return None
        return self.get(tenant_id, str(claim["request_id"]))

    def decide(self, decided: InvoiceRequest) -> None:
        """A pending request issued or rejected, with its claim; Conflict when it was decided already."""
        item = _item(decided)
        put = self._table.put_action(item)["Put"]
        put["ConditionExpression"] = "#status = :pending"
        put["ExpressionAttributeNames"] = {"#status": "status"}
        put["ExpressionAttributeValues"] = {":pending": {"S": PENDING}}
        claim = self._table.update_action(
            _claim_key(decided.tenant_id, decided.payment_id),
            "SET #status = :status",
            {":status": decided.status, ":id": decided.request_id},
            condition="request_id = :id",
            names={"#status": "status"},
        )
        self._table.transact([{"Put": put}, claim], conflict="this invoice request was already decided")

    def requested_by(self, tenant_id: str, user_id: str) -> list[InvoiceRequest]:
        """Every request a person made, whatever its status (an erasure's; a firm has hundreds a year)."""
        found: list[InvoiceRequest] = []
        for status in (PENDING, ISSUED, REJECTED):
            items = self._table.query_all(partition=_queue(tenant_id, status), index="gsi1")
            found += [_request(i) for i in items if i.get("requested_by") == user_id]
        return found

    def forget_requester(self, request: InvoiceRequest, erased: str, erased_name: str) -> None:
        """The request no longer names who asked, nor a person's name as its title (the firm's stays)."""
        expression = "SET requested_by = :erased" + (
            ", title = :name" if request.title_type == "personal" else ""
        )
        values = {":erased": erased, **({":name": erased_name} if request.title_type == "personal" else {})}
        self._table.update(
            _request_key(request.tenant_id, request.request_id),
            expression,
            values,
            condition="attribute_exists(pk)",
            conflict="the invoice request is gone",
        )

    def page(self, tenant_id: str, status: str, limit: int, cursor: str | None) -> Page[InvoiceRequest]:
        found = self._table.query_page(
            tenant_id,
            partition=_queue(tenant_id, status),
            index="gsi1",
            limit=limit,
            cursor=cursor,
            scope=f"invoices:{status}",
        )
        return Page([_request(i) for i in found.items], found.next_cursor)
