"""People routes: residents, their unit links, the signed-in person (/me) and their personal-data rights."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from courtyard.api import CourtyardRouter
from courtyard.idempotency import IdempotencyKey, checked_key
from directory.pages import PageOut
from directory.people.models import (
    EntityId,
    EraseOut,
    ExportOut,
    MeOut,
    MobilePhone,
    ResidentCreate,
    ResidentOut,
    ResidentUpdate,
    UnitLinkCreate,
    UnitResidentOut,
)
from directory.wiring import people as service

router = CourtyardRouter()


@router.get("/me", summary="The signed-in user's identity, tenant and person (own phone in full, audited)")
def get_me() -> MeOut:
    return MeOut.from_domain(service().me(router.tenant()))


@router.get("/me/export", summary="Everything the directory holds about the caller, unmasked (audited)")
def export_me() -> ExportOut:
    return ExportOut.from_domain(service().export(router.tenant()))


@router.post("/me/erase", summary="Erase the calling resident's personal data and disable their account")
def erase_me() -> EraseOut:
    resident, disabled = service().erase(router.tenant())
    return EraseOut(
        resident_id=resident.resident_id, erased_at=resident.erased_at or "", account_disabled=disabled
    )


@router.post(
    "/residents",
    summary="Register a resident (manager, service desk); 409 if the phone number is already registered",
    description="With an `Idempotency-Key` header (8 to 255 printable characters, the caller's own within "
    "the firm), a retry answers 200 with the same resident (masked) instead of 409; the same key with a "
    "different body is 422 `key_reused`.",
    responses={
        200: {
            "description": "Replayed (same Idempotency-Key)",
            "content": {"application/json": {"model": ResidentOut}},
        },
        201: {"description": "Created", "content": {"application/json": {"model": ResidentOut}}},
    },
)
def create_resident(body: ResidentCreate, idempotency_key: IdempotencyKey = None) -> tuple[ResidentOut, int]:
    resident, created = service().create(router.tenant(), body, checked_key(idempotency_key))
    return ResidentOut.from_domain(resident), 201 if created else 200


@router.get(
    "/residents", summary="Residents, by unit, site or exact phone number; residents see their household"
)
def list_residents(
    unit_id: Annotated[EntityId | None, Query()] = None,
    site_id: Annotated[EntityId | None, Query()] = None,
    phone: Annotated[MobilePhone | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
) -> PageOut[ResidentOut]:
    page = service().find(
        router.tenant(), unit_id=unit_id, site_id=site_id, phone=phone, limit=limit, cursor=cursor
    )
    return PageOut[ResidentOut](
        items=[ResidentOut.from_domain(r) for r in page.residents], next_cursor=page.next_cursor
    )


@router.get("/residents/<resident_id>", summary="A resident, with their units (personal data masked by role)")
def get_resident(resident_id: str) -> ResidentOut:
    return ResidentOut.from_domain(service().get(router.tenant(), resident_id))


@router.patch(
    "/residents/<resident_id>",
    summary="Change a resident (manager, service desk, or the resident themself; assisted mode accepted)",
)
def update_resident(resident_id: str, body: ResidentUpdate) -> ResidentOut:
    return ResidentOut.from_domain(service().update(router.tenant(), resident_id, body))


@router.post(
    "/units/<unit_id>/residents",
    summary="Link a resident to a unit, or change the link; primary replaces the unit's primary contact",
    responses={201: {"description": "Linked"}, 200: {"description": "Link changed"}},
)
def link_resident(unit_id: str, body: UnitLinkCreate) -> tuple[UnitResidentOut, int]:
    link, created = service().link(router.tenant(), unit_id, body)
    return UnitResidentOut.from_domain(link), 201 if created else 200
