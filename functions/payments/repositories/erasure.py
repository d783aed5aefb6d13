"""What the payments table holds about a payer, scrubbed when their data is erased (``ResidentErased``).

Payments keep their amounts, allocations, times and receipts (the ledger and the firm's accounts need them);
what goes is who paid: the payer's account id and an assisted payment's resident become ``erased``, and a
payment's note (a bank transfer's note carries the counterparty's name) is removed (their invoice requests
are the invoice repository's: ``InvoiceRequests.forget_requester``). A bank statement line that named the
person (``resident_ids``, recorded when the line was matched or confirmed) loses the counterparty's name,
account tail and memo. Every update moves a payment's version, so an action saved from an older read fails
its check instead of writing a field back. Each step is idempotent."""

from __future__ import annotations

from typing import Any

from courtyard.dynamo import tenant_key
from courtyard.table import Table, deserialize, serialize
from payments import keys

ERASED = "erased"
ERASED_NAME = "已注销"


class PayerScrubber:
    def __init__(self, table: Table) -> None:
        self._table = table

    def unit_payment_ids(self, tenant_id: str, unit_id: str) -> set[str]:
        """The payments on a unit's ledger, and the checkouts in flight for its bills (not yet on it)."""
        entries = self._table.query_all(partition=keys.ledger(tenant_id, unit_id), sk_prefix="E#")
        found = {str(e["payment_id"]) for e in entries if e.get("payment_id")}
        params: dict[str, Any] = {
            "TableName": self._table.name,
            "IndexName": "gsi2",
            "KeyConditionExpression": "gsi2pk = :pk",
            "ExpressionAttributeValues": serialize({":pk": keys.unit_bills(tenant_id, unit_id)}),
            "ProjectionExpression": "bill_id",
        }
        bill_ids: list[str] = []
        while True:
            response = self._table.client.query(**params)
            bill_ids += [str(deserialize(i)["bill_id"]) for i in response.get("Items", [])]
            if not response.get("LastEvaluatedKey"):
                break
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        locks = self._table.get_many([keys.checkout_lock(tenant_id, b) for b in bill_ids])
        return found | {str(lock["payment_id"]) for lock in locks if lock.get("payment_id")}

    def scrub_payment(self, tenant_id: str, payment_id: str, user_id: str | None, resident_id: str) -> bool:
        """Forget who paid, when it was the person (themself, or assisted on their behalf); True if so."""
        item = self._table.get(keys.payment(tenant_id, payment_id), consistent=True)
        if item is None:
            return False
        theirs = bool(user_id) and item.get("payer_user_id") == user_id
        assisted = item.get("on_behalf_of") == resident_id
        if not (theirs or assisted):
            return False
        sets = [
            f"{field} = :erased"
            for field, hit in (("payer_user_id", theirs), ("on_behalf_of", assisted))
            if hit
        ]
        self._forget(tenant_id, payment_id, "SET " + ", ".join(sets) + " REMOVE note ADD version :one")
        return True

    def lines_naming(self, tenant_id: str, site_id: str, resident_id: str) -> list[dict[str, Any]]:
        """A community's statement lines whose counterparty was the person."""
        lines = self._table.query_all(partition=_lines(tenant_id, site_id), sk_prefix="LINE#")
        return [line for line in lines if resident_id in (line.get("resident_ids") or ())]

    def scrub_line(self, tenant_id: str, site_id: str, line: dict[str, Any]) -> None:
        """The line's payment loses its note (the name), then the line its name, account tail and memo."""
        if line.get("payment_id"):
            self._forget(tenant_id, str(line["payment_id"]), "REMOVE note ADD version :one")
        self._table.update(
            {"pk": _lines(tenant_id, site_id), "sk": str(line["sk"])},
            "SET #name = :erased, memo = :empty REMOVE account_tail, resident_ids",
            {":erased": ERASED_NAME, ":empty": ""},
            names={"#name": "name"},
            condition="attribute_exists(pk)",
            conflict="the line is gone",
        )

    def _forget(self, tenant_id: str, payment_id: str, expression: str) -> None:
        values: dict[str, Any] = {":one": 1}
        if ":erased" in expression:
            values[":erased"] = ERASED
        self._table.update(
            keys.payment(tenant_id, payment_id),
            expression,
            values,
            condition="attribute_exists(pk)",
            conflict="the payment is gone",
        )


def _lines(tenant_id: str, site_id: str) -> str:
    return tenant_key(tenant_id, "BANKLINES", site_id)
