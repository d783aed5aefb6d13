"""What the payments table holds about a person, read for their export (``PersonalDataExportRequested``):
a unit's bills (gsi2), the payments on its ledger, a payment and its receipt, their invoice requests."""

from __future__ import annotations

import dataclasses
from typing import Any

from courtyard.table import Table, deserialize, serialize
from payments import keys
from payments.repositories.erasure import PayerScrubber
from payments.repositories.invoices import InvoiceRequests
from payments.repositories.receipts import ReceiptRecords


class PaymentExportReader:
    def __init__(self, table: Table) -> None:
        self._table = table
        self._payers = PayerScrubber(table)
        self._receipts = ReceiptRecords(table)
        self._invoices = InvoiceRequests(table)

    def unit_bills(self, tenant_id: str, unit_id: str) -> list[dict[str, Any]]:
        params: dict[str, Any] = {
            "TableName": self._table.name,
            "IndexName": "gsi2",
            "KeyConditionExpression": "gsi2pk = :pk",
            "ExpressionAttributeValues": serialize({":pk": keys.unit_bills(tenant_id, unit_id)}),
        }
        found: list[dict[str, Any]] = []
        while True:
            response = self._table.client.query(**params)
            found += [deserialize(item) for item in response.get("Items", [])]
            if not response.get("LastEvaluatedKey"):
                return found
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def unit_payment_ids(self, tenant_id: str, unit_id: str) -> set[str]:
        return self._payers.unit_payment_ids(tenant_id, unit_id)

    def payment(self, tenant_id: str, payment_id: str) -> dict[str, Any] | None:
        return self._table.get(keys.payment(tenant_id, payment_id))

    def receipt_no(self, tenant_id: str, payment_id: str) -> str | None:
        receipt = self._receipts.get(tenant_id, payment_id)
        return receipt.receipt_no if receipt else None

    def invoice_requests(self, tenant_id: str, user_id: str) -> list[dict[str, Any]]:
        return [dataclasses.asdict(r) for r in self._invoices.requested_by(tenant_id, user_id)]
