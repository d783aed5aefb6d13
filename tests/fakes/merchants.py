"""Firms' merchant accounts in memory (the Secrets Manager adapter's stand-in for unit tests)."""

from __future__ import annotations

from payments.adapters.merchant_accounts import MerchantAccount, MerchantAccounts, parse_account


class InMemoryMerchants(MerchantAccounts):
    def __init__(self, secrets: dict[str, str] | None = None) -> None:
        super().__init__(prefix="memory-")
        self.accounts = {tenant: parse_account(raw) for tenant, raw in (secrets or {}).items()}

    def account(self, tenant_id: str) -> MerchantAccount:
        return self.accounts.get(tenant_id, MerchantAccount())
