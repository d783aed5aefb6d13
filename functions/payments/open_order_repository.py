"""WeChat Pay and Alipay orders still open, read from the ``due`` index's ``PAYOPEN`` partition (written by
``repository.payment_item`` while such a payment is created and unsettled): the close job's one query."""

from __future__ import annotations

from typing import Any

from courtyard.table import Table, deserialize, serialize
from payments import keys


class OpenOrders:
    def __init__(self, table: Table) -> None:
        self._table = table

    def created_before(self, at: str, limit: int = 500) -> list[tuple[str, str]]:
        """(tenant, payment) of open orders created before ``at`` (ISO), oldest first."""
        params: dict[str, Any] = {
            "TableName": self._table.name,
            "IndexName": "due",
            "KeyConditionExpression": "due_pk = :pk AND due_sk < :before",
            "ExpressionAttributeValues": serialize({":pk": keys.OPEN_ORDERS, ":before": at}),
        }
        found: list[tuple[str, str]] = []
        while len(found) < limit:
            response = self._table.client.query(**params)
            for item in map(deserialize, response.get("Items", [])):
                _, tenant_id, payment_id = str(item["due_sk"]).rsplit("#", 2)
                found.append((tenant_id, payment_id))
            last = response.get("LastEvaluatedKey")
            if not last:
                break
            params["ExclusiveStartKey"] = last
        return found[:limit]
