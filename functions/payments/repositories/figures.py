"""The payments a firm settled over some days, read from the settlement-day index (``day_pk`` per UTC day and
firm shard, ``day_sk`` ``{tenant}#{payment}``): per day the firm's shard and the day's legacy unsharded
partition (payments settled before the index was sharded), narrowed to the firm by the sort key, never a
scan."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from courtyard.table import Table, deserialize, serialize
from payments import keys
from payments.domain import Payment
from payments.repository import payment_from


class SettledPayments:
    def __init__(self, table: Table) -> None:
        self._table = table

    def between(self, tenant_id: str, first: date, last: date) -> list[Payment]:
        """Every payment of the firm settled (or flagged) on the UTC days ``first`` to ``last``."""
        found: list[Payment] = []
        day = first
        while day <= last:
            for partition in (
                keys.settlement_day(day.isoformat(), tenant_id),
                keys.settlement_day(day.isoformat()),
            ):
                found += self._query(partition, tenant_id)
            day += timedelta(days=1)
        return [p for p in found if p.tenant_id == tenant_id]

    def _query(self, partition: str, tenant_id: str) -> list[Payment]:
        params: dict[str, Any] = {
            "TableName": self._table.name,
            "IndexName": "day",
            "KeyConditionExpression": "day_pk = :pk AND begins_with(day_sk, :firm)",
            "ExpressionAttributeValues": serialize({":pk": partition, ":firm": f"{tenant_id}#"}),
        }
        found: list[Payment] = []
        while True:
            response = self._table.client.query(**params)
            found += [payment_from(deserialize(i)) for i in response.get("Items", [])]
            last_key = response.get("LastEvaluatedKey")
            if not last_key:
                return found
            params["ExclusiveStartKey"] = last_key
