"""Tenant routes (platform admins only): onboard, read, suspend and reactivate a property firm."""

from __future__ import annotations

from courtyard.api import CourtyardRouter
from courtyard.idempotency import IdempotencyKey, checked_key
from directory.tenants.models import TenantCreate, TenantCreatedOut, TenantOut, TenantSuspend
from directory.wiring import tenants as service

router = CourtyardRouter()


@router.post(
    "/tenants",
    summary="Onboard a property firm with its first manager account (platform admin)",
    description="With an Idempotency-Key, a retry answers 200 with the same tenant and a null password.",
    responses={
        201: {"description": "Created", "content": {"application/json": {"model": TenantCreatedOut}}},
        200: {"description": "Replayed", "content": {"application/json": {"model": TenantCreatedOut}}},
    },
)
def create_tenant(body: TenantCreate, idempotency_key: IdempotencyKey = None) -> tuple[TenantCreatedOut, int]:
    result = service().create(router.tenant(), body, checked_key(idempotency_key))
    return TenantCreatedOut.from_onboarded(result), 200 if result.replayed else 201


@router.get("/tenants/<tenant_id>", summary="A property firm's record (platform admin)")
def get_tenant(tenant_id: str) -> TenantOut:
    return TenantOut.from_domain(service().get(router.tenant(), tenant_id))


@router.post("/tenants/<tenant_id>/suspend", summary="Suspend a firm: its users get 403 (platform admin)")
def suspend_tenant(tenant_id: str, body: TenantSuspend | None = None) -> TenantOut:
    reason = body.reason if body is not None else None
    return TenantOut.from_domain(service().suspend(router.tenant(), tenant_id, reason))


@router.post("/tenants/<tenant_id>/reactivate", summary="Reactivate a suspended firm (platform admin)")
def reactivate_tenant(tenant_id: str) -> TenantOut:
    return TenantOut.from_domain(service().reactivate(router.tenant(), tenant_id))
