"""A payment's receipt record in the payments table (pk ``PAY#{payment_id}``, sk ``RECEIPT``): its number
and where its PDF lies, claimed once per payment so every download answers the same receipt."""

from __future__ import annotations

from dataclasses import dataclass

from courtyard.errors import Conflict
from courtyard.table import Table
from payments import keys


@dataclass(frozen=True, slots=True)
class ReceiptRecord:
    tenant_id: str
    payment_id: str
    receipt_no: str
    key: str  # the PDF's S3 key
    issued_at: str
    stored: bool = False  # the PDF is in S3 (set once it was put)


def _key(tenant_id: str, payment_id: str) -> dict[str, str]:
    return {"pk": keys.payment_partition(tenant_id, payment_id), "sk": "RECEIPT"}


class ReceiptRecords:
    def __init__(self, table: Table) -> None:
        self._table = table

    def get(self, tenant_id: str, payment_id: str) -> ReceiptRecord | None:
        item = self._table.get(_key(tenant_id, payment_id), consistent=True)
        if item is None:
            return None
        return ReceiptRecord(
            tenant_id=tenant_id,
            payment_id=payment_id,
            receipt_no=str(item["receipt_no"]),
            key=str(item["object_key"]),
            issued_at=str(item["issued_at"]),
            stored=bool(item.get("stored", False)),
        )

    def claim(self, record: ReceiptRecord) -> ReceiptRecord:
        """The payment's receipt: this one if none was claimed before, else the one that was (a concurrent
        first download lost the race: its receipt number is skipped, as the counter's are)."""
        try:
            self._table.put(
                {
                    **_key(record.tenant_id, record.payment_id),
                    "entity": "receipt",
                    "receipt_no": record.receipt_no,
                    "object_key": record.key,
                    "issued_at": record.issued_at,
                    "stored": False,
                },
                condition="attribute_not_exists(pk)",
            )
        except Conflict:
            found = self.get(record.tenant_id, record.payment_id)
            if found is None:
                raise
            return found
        return record

    def mark_stored(self, tenant_id: str, payment_id: str) -> None:
        self._table.update(
            _key(tenant_id, payment_id), "SET #stored = :yes", {":yes": True}, names={"#stored": "stored"}
        )
