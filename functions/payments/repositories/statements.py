"""Bank statement lines in the payments table: one record per line (its content digest) and community, so a
line imported twice is found the second time; exceptions wait there for finance to confirm or dismiss."""

from __future__ import annotations

from typing import Any

from courtyard.dynamo import tenant_key
from courtyard.errors import Conflict
from courtyard.table import Table

_NEW = "attribute_not_exists(pk)"


def _key(tenant_id: str, site_id: str, line_id: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "BANKLINES", site_id), "sk": f"LINE#{line_id}"}


class StatementLines:
    def __init__(self, table: Table) -> None:
        self._table = table

    def add(self, tenant_id: str, site_id: str, line_id: str, record: dict[str, Any]) -> bool:
        """Record a line once: False when a line of the same content was recorded before."""
        try:
            self._table.put(
                {**_key(tenant_id, site_id, line_id), **record, "line_id": line_id}, condition=_NEW
            )
        except Conflict:
            return False
        return True

    def get(self, tenant_id: str, site_id: str, line_id: str) -> dict[str, Any] | None:
        return self._table.get(_key(tenant_id, site_id, line_id), consistent=True)

    def resolve(self, tenant_id: str, site_id: str, line_id: str, changes: dict[str, Any]) -> None:
        """An exception confirmed or dismissed, once (Conflict when it is no longer an exception)."""
        names = {f"#{k}": k for k in changes}
        self._table.update(
            _key(tenant_id, site_id, line_id),
            "SET " + ", ".join(f"#{k} = :{k}" for k in changes),
            {**{f":{k}": v for k, v in changes.items()}, ":open": "exception"},
            names={**names, "#outcome_state": "state"},
            condition="#outcome_state = :open",
            conflict="this line is no longer an open exception",
        )

    def lines(self, tenant_id: str, site_id: str) -> list[dict[str, Any]]:
        return self._table.query_all(partition=tenant_key(tenant_id, "BANKLINES", site_id), sk_prefix="LINE#")
