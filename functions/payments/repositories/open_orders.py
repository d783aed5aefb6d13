"""WeChat Pay and Alipay orders still open, read from the ``due`` index's ``PAYOPEN#<shard>`` partitions
(written by ``repository.payment_item`` while such a payment is created and unsettled): the close job's
queries, one per shard, merged oldest first."""

from __future__ import annotations

from typing import Any

from courtyard.table import Table, deserialize, serialize
from payments import keys


class OpenOrders:
    def __init__(self, table: Table) -> None:
        self._table = table

    def created_before(self, at: str, limit: int = 500) -> list[tuple[str, str]]:
        """(tenant, payment) of open orders created before ``at`` (ISO), oldest first."""
        found = sorted(sort for shard in keys.every_open_orders() for sort in self._shard(shard, at, limit))
        return [
            (tenant_id, payment_id) for _, tenant_id, payment_id in (s.rsplit("#", 2) for s in found[:limit])
        ]

    def _shard(self, partition: str, at: str, limit: int) -> list[str]:
        params: dict[str, Any] = {
            "TableName": self._table.name,
            "IndexName": "due",
            "KeyConditionExpression": "due_pk = :pk AND due_sk < :before",
            "ExpressionAttributeValues": serialize({":pk": partition, ":before": at}),
        }
        found: list[str] = []
        while len(found) < limit:
            response = self._table.client.query(**params)
            found.extend(str(item["due_sk"]) for item in map(deserialize, response.get("Items", [])))
            last = response.get("LastEvaluatedKey")
            if not last:
                break
            params["ExclusiveStartKey"] = last
        return found[:limit]
