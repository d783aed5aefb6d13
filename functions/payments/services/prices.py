"""Fee items change without double billing: a new price from a month on, or the item retired from a month on
(manager, finance). The rules are ``payments.fee_versions``; billing runs take the version in force for their
period (``BillingService.bill_chunk``), and bills already issued are never rewritten."""

from __future__ import annotations

from collections.abc import Callable

from courtyard.audit import AuditWriter
from courtyard.clock import Clock
from courtyard.directory import DirectoryReader
from courtyard.errors import Conflict, NotFound
from courtyard.tenancy import TenantContext
from payments import fee_versions
from payments.access import MANAGERS
from payments.domain import FeeItem, today_in
from payments.repository import PaymentsRepository

_ATTEMPTS = 5


class FeePriceService:
    def __init__(
        self, repo: PaymentsRepository, directory: DirectoryReader, audit: AuditWriter, clock: Clock
    ) -> None:
        self._repo = repo
        self._directory = directory
        self._audit = audit
        self._clock = clock

    def change_price(self, ctx: TenantContext, fee_id: str, from_period: str, price_minor: int) -> FeeItem:
        item = self._change(
            ctx, fee_id, lambda i, today: fee_versions.with_price(i, from_period, price_minor, today)
        )
        self._audit.record(
            ctx, "change_price", "fee_item", fee_id, {"from_period": from_period, "price_minor": price_minor}
        )
        return item

    def retire(self, ctx: TenantContext, fee_id: str, from_period: str) -> FeeItem:
        item = self._change(ctx, fee_id, lambda i, today: fee_versions.retired(i, from_period, today))
        self._audit.record(ctx, "retire", "fee_item", fee_id, {"from_period": from_period})
        return item

    def _change(self, ctx: TenantContext, fee_id: str, change: Callable[..., FeeItem]) -> FeeItem:
        ctx.require(*MANAGERS)
        tenant = self._directory.tenant(ctx.tenant_id)
        today = today_in(self._clock.now(), tenant.timezone if tenant else "Asia/Shanghai")
        for _ in range(_ATTEMPTS):
            item = self._repo.fee_item(ctx.tenant_id, fee_id, consistent=True)
            if item is None:
                raise NotFound("fee item")
            changed = change(item, today)
            try:
                self._repo.save_fee_item(changed, item.revision)
            except Conflict:
                continue  # another change landed: apply this one on top of it
            return changed
        raise Conflict("the fee item is busy; try again")
