"""The payments a firm settled over some days, read from the settlement-day index (``day_pk`` per UTC day,
``day_sk`` ``{tenant}#{payment}``): one query per day, narrowed to the firm by the sort key, never a scan."""

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
            params: dict[str, Any] = {
                "TableName": self._table.name,
                "IndexName": "day",
                "KeyConditionExpression": "day_pk = :pk AND begins_with(day_sk, :firm)",
                "ExpressionAttributeValues": serialize(
                    {":pk": keys.settlement_day(day.isoformat()), ":firm": f"{tenant_id}#"}
                ),
            }
            while True:
                response = self._table.client.query(**params)
                found += [payment_from(deserialize(i)) for i in response.get("Items", [])]
                last_key = response.get("LastEvaluatedKey")
                if not last_key:
                    break
                params["ExclusiveStartKey"] = last_key
            day += timedelta(days=1)
        return [p for p in found if p.tenant_id == tenant_id]
