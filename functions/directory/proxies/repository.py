"""Family proxy links in the directory table (keys: ``courtyard.directory_keys``).

- the link      pk UNIT#{unit}, sk PROXY#{proxy_id}: its state, consent, who; while active it is in the
                site's gsi1 list (``site_proxies_index``) so a fire alarm reaches every proxy in one query
- the code      pk PROXYCODE#{digest}: the one-time code's digest -> the link (the code is never stored)
- the proxy's   pk RES#{proxy resident}, sk PROXY#{unit}: while active, a unit the proxy acts for (payments,
  side          visitors read it through the kernel's reader)

Acceptance and revocation change the link and the proxy's side in one transaction with their audit record.
"""

from __future__ import annotations

from typing import Any

from courtyard.directory import Keys
from courtyard.errors import Conflict
from directory.people.repository import TransactionRefused, Tx
from directory.proxies.models import Proxy, ProxyStatus
from directory.table import DirectoryTable


class ProxyRepository:
    def __init__(self, table: DirectoryTable) -> None:
        self._table = table

    def create(self, proxy: Proxy, audit: dict[str, Any], ttl: int) -> None:
        tx = Tx(self._table)
        tx.put("proxy", _item(proxy), "attribute_not_exists(pk)")
        tx.put(
            "code",
            {
                **Keys.proxy_code(proxy.tenant_id, proxy.code_digest),
                "tenant_id": proxy.tenant_id,
                "unit_id": proxy.unit_id,
                "proxy_id": proxy.proxy_id,
                "ttl": ttl,
            },
            "attribute_not_exists(pk)",
        )
        tx.include("audit", audit)
        _run(tx, "the proxy link already exists")

    def by_code(self, tenant_id: str, digest: str) -> Proxy | None:
        claim = self._table.get(Keys.proxy_code(tenant_id, digest), consistent=True)
        if claim is None:
            return None
        return self.get(tenant_id, str(claim["unit_id"]), str(claim["proxy_id"]))

    def get(self, tenant_id: str, unit_id: str, proxy_id: str) -> Proxy | None:
        item = self._table.get(Keys.unit_proxy(tenant_id, unit_id, proxy_id), consistent=True)
        return _proxy(tenant_id, item) if item else None

    def of_unit(self, tenant_id: str, unit_id: str) -> list[Proxy]:
        items = self._table.query_all(
            partition=Keys.unit_partition(tenant_id, unit_id), sk_prefix="PROXY#", consistent=True
        )
        return sorted((_proxy(tenant_id, i) for i in items), key=lambda p: p.created_at, reverse=True)

    def activate(self, tx: Tx, proxy: Proxy, resident_id: str, user_id: str, at: str) -> None:
        """Add the acceptance to ``tx``: the link turns active (only from invited) and the proxy's side."""
        tx.update(
            "proxy",
            Keys.unit_proxy(proxy.tenant_id, proxy.unit_id, proxy.proxy_id),
            "SET #status = :active, proxy_resident_id = :rid, proxy_user_id = :uid, accepted_at = :at, "
            "gsi1pk = :gsi1pk, gsi1sk = :proxy_id",
            {
                ":active": ProxyStatus.ACTIVE.value,
                ":invited": ProxyStatus.INVITED.value,
                ":rid": resident_id,
                ":uid": user_id,
                ":at": at,
                ":gsi1pk": Keys.site_proxies_index(proxy.tenant_id, proxy.site_id),
                ":proxy_id": proxy.proxy_id,
            },
            names={"#status": "status"},
            condition="#status = :invited",
        )
        tx.put(
            "proxy_side",
            {
                **Keys.resident_proxy(proxy.tenant_id, resident_id, proxy.unit_id),
                "tenant_id": proxy.tenant_id,
                "unit_id": proxy.unit_id,
                "site_id": proxy.site_id,
                "proxy_id": proxy.proxy_id,
                "created_at": at,
            },
        )

    def revoke(self, proxy: Proxy, by: str, at: str, audit: dict[str, Any]) -> None:
        tx = Tx(self._table)
        tx.update(
            "proxy",
            Keys.unit_proxy(proxy.tenant_id, proxy.unit_id, proxy.proxy_id),
            "SET #status = :revoked, revoked_at = :at, revoked_by = :by REMOVE gsi1pk, gsi1sk",
            {":revoked": ProxyStatus.REVOKED.value, ":at": at, ":by": by, ":was": proxy.status.value},
            names={"#status": "status"},
            condition="#status = :was",
        )
        if proxy.proxy_resident_id:
            tx.delete(
                "proxy_side", Keys.resident_proxy(proxy.tenant_id, proxy.proxy_resident_id, proxy.unit_id)
            )
        tx.delete("code", Keys.proxy_code(proxy.tenant_id, proxy.code_digest))
        tx.include("audit", audit)
        _run(tx, "the proxy link changed meanwhile: read it again")

    def tx(self) -> Tx:
        return Tx(self._table)


def _run(tx: Tx, conflict: str) -> None:
    try:
        tx.run()
    except TransactionRefused as refused:
        raise Conflict(conflict) from refused


def _item(proxy: Proxy) -> dict[str, Any]:
    item: dict[str, Any] = {
        **Keys.unit_proxy(proxy.tenant_id, proxy.unit_id, proxy.proxy_id),
        "entity": "proxy",
        "tenant_id": proxy.tenant_id,
        "proxy_id": proxy.proxy_id,
        "unit_id": proxy.unit_id,
        "site_id": proxy.site_id,
        "status": proxy.status.value,
        "proxy_name": proxy.proxy_name,
        "relation": proxy.relation,
        "consent_by": proxy.consent_by,
        "created_by": proxy.created_by,
        "created_at": proxy.created_at,
        "code_digest": proxy.code_digest,
        "expires_at": proxy.expires_at,
        "unit_label": proxy.unit_label,
    }
    if proxy.consent_note:
        item["consent_note"] = proxy.consent_note
    return item


def _opt(item: dict[str, Any], name: str) -> str | None:
    value = item.get(name)
    return str(value) if value else None


def _proxy(tenant_id: str, item: dict[str, Any]) -> Proxy:
    return Proxy(
        tenant_id=tenant_id,
        proxy_id=str(item["proxy_id"]),
        unit_id=str(item["unit_id"]),
        site_id=str(item.get("site_id", "")),
        status=ProxyStatus(str(item["status"])),
        proxy_name=str(item.get("proxy_name", "")),
        relation=str(item.get("relation", "child")),
        consent_by=str(item.get("consent_by", "")),
        consent_note=_opt(item, "consent_note"),
        created_by=str(item.get("created_by", "")),
        created_at=str(item.get("created_at", "")),
        code_digest=str(item.get("code_digest", "")),
        expires_at=str(item.get("expires_at", "")),
        proxy_resident_id=_opt(item, "proxy_resident_id"),
        proxy_user_id=_opt(item, "proxy_user_id"),
        accepted_at=_opt(item, "accepted_at"),
        revoked_at=_opt(item, "revoked_at"),
        revoked_by=_opt(item, "revoked_by"),
        unit_label=str(item.get("unit_label", "")),
    )
