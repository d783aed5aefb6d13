"""What the notifications table holds about one person, found and deleted for their erasure: the inbox
(``INBOX#{user}``: entries and the unread count) and the person's settings (``USER#{user}``: preferences and
push endpoints). Both partitions are the person's alone, so erasing them touches nobody else."""

from __future__ import annotations

from typing import Any

from courtyard.table import Table
from notifications import keys


class PersonItems:
    def __init__(self, table: Table) -> None:
        self._table = table

    def push_endpoint_arns(self, tenant_id: str, user_id: str) -> list[str]:
        items = self._table.query_all(partition=keys.user_partition(tenant_id, user_id), sk_prefix="PUSH#")
        return [str(item["endpoint_arn"]) for item in items if item.get("endpoint_arn")]

    def delete_all(self, tenant_id: str, user_id: str) -> int:
        """Delete every item of the person's two partitions; the number deleted (0 when done before)."""
        deleted = 0
        for partition in (keys.inbox_partition(tenant_id, user_id), keys.user_partition(tenant_id, user_id)):
            items = self._table.query_all(partition=partition)
            keys_of = [{"pk": str(i["pk"]), "sk": str(i["sk"])} for i in items]
            for start in range(0, len(keys_of), 25):
                chunk = keys_of[start : start + 25]
                self._delete_batch(chunk)
            deleted += len(keys_of)
        return deleted

    def _delete_batch(self, chunk: list[dict[str, str]]) -> None:
        requests: list[dict[str, Any]] = [
            {"DeleteRequest": {"Key": {k: {"S": v} for k, v in key.items()}}} for key in chunk
        ]
        pending: dict[str, Any] = {self._table.name: requests}
        while pending:
            response = self._table.client.batch_write_item(RequestItems=pending)
            pending = response.get("UnprocessedItems") or {}
