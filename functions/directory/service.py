"""Directory rules: who the caller is, within their own tenant only."""

from __future__ import annotations

from typing import Any, Protocol

from courtyard.errors import Forbidden
from courtyard.tenancy import TenantContext
from directory.models import Me, Profile, Tenant


class IdentityStore(Protocol):
    def get_identity(self, tenant_id: str, user_id: str) -> tuple[Tenant | None, Profile | None]: ...


class AuditLog(Protocol):
    def record(
        self,
        ctx: TenantContext | None,
        action: str,
        resource: str,
        resource_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> object: ...


class DirectoryService:
    def __init__(self, repo: IdentityStore, audit: AuditLog) -> None:
        self._repo = repo
        self._audit = audit

    def me(self, ctx: TenantContext) -> Me:
        """The caller's identity, tenant and profile; the tenant is the token's, never the request's."""
        tenant, profile = self._repo.get_identity(ctx.tenant_id, ctx.user_id)
        if tenant is not None and tenant.status != "active":
            raise Forbidden("this property firm's subscription is not active")
        if profile is not None and profile.phone:
            # Reading personal data is audited even when the reader is the data subject.
            self._audit.record(ctx, "read_personal_data", "profile", ctx.user_id, {"fields": ["phone"]})
        return Me(
            tenant_id=ctx.tenant_id,
            user_id=ctx.user_id,
            username=ctx.username,
            roles=tuple(sorted(r.value for r in ctx.roles)),
            tenant=tenant,
            profile=profile,
        )
