"""A community's blocklist of visitors by phone and plate: kept as blind-index digests (for the checks at
issue and at the gate) plus the encrypted value, shown masked only.

Guards, service desk and managers add entries and read the list; only managers remove them.
"""

from __future__ import annotations

from typing import Protocol

from courtyard.audit import AuditLog
from courtyard.clock import Clock
from courtyard.crypto import mask_phone, mask_plate
from courtyard.errors import NotFound
from courtyard.ids import new_id
from courtyard.tenancy import Role, TenantContext
from visitors.models import BlockCreate, BlockEntry, BlockKind
from visitors.services.passes import Cipher, Directory, Index, normalise_plate

EDITORS = (Role.MANAGER, Role.SERVICE_DESK, Role.GUARD)
READERS = EDITORS
REMOVERS = (Role.MANAGER,)


class Repository(Protocol):
    def block(self, entry: BlockEntry) -> None: ...
    def blocklist(self, tenant_id: str, site_id: str) -> list[BlockEntry]: ...
    def unblock(self, entry: BlockEntry) -> None: ...


class BlocklistService:
    def __init__(
        self,
        repo: Repository,
        directory: Directory,
        audit: AuditLog,
        clock: Clock,
        cipher: Cipher,
        index: Index,
    ) -> None:
        self._repo = repo
        self._directory = directory
        self._audit = audit
        self._clock = clock
        self._cipher = cipher
        self._index = index

    def add(self, ctx: TenantContext, site_id: str, request: BlockCreate) -> BlockEntry:
        ctx.require(*EDITORS)
        self._site(ctx, site_id)
        t = ctx.tenant_id
        value = normalise_plate(request.value) if request.kind is BlockKind.PLATE else request.value.strip()
        entry = BlockEntry(
            tenant_id=t,
            site_id=site_id,
            entry_id=new_id(),
            kind=request.kind,
            digest=self._index.digest(t, request.kind.value, value),
            value_enc=self._cipher.encrypt(t, value),
            value_masked=mask_plate(value) if request.kind is BlockKind.PLATE else mask_phone(value),
            reason=request.reason,
            created_by=ctx.user_id,
            created_at=self._clock.now(),
        )
        self._repo.block(entry)
        # Ids go in resource_id, never in details: the audit writer refuses digit runs that look like phones.
        self._audit.record(
            ctx, "blocklist.add", "blocklist_entry", entry.entry_id, {"kind": request.kind.value}
        )
        return entry

    def entries(self, ctx: TenantContext, site_id: str) -> list[BlockEntry]:
        ctx.require(*READERS)
        self._site(ctx, site_id)
        return sorted(self._repo.blocklist(ctx.tenant_id, site_id), key=lambda e: e.created_at, reverse=True)

    def remove(self, ctx: TenantContext, site_id: str, entry_id: str) -> None:
        ctx.require(*REMOVERS)
        self._site(ctx, site_id)
        entry = next(
            (e for e in self._repo.blocklist(ctx.tenant_id, site_id) if e.entry_id == entry_id), None
        )
        if entry is None:
            raise NotFound("blocklist entry")
        self._repo.unblock(entry)
        self._audit.record(ctx, "blocklist.remove", "blocklist_entry", entry_id, {"kind": entry.kind.value})

    def _site(self, ctx: TenantContext, site_id: str) -> None:
        if "#" in site_id or not self._directory.site_exists(ctx.tenant_id, site_id):
            raise NotFound("site")
