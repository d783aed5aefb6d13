"""Staff routes: ``POST|GET /staff`` and ``GET|PATCH /staff/{staff_id}``; rules live in the service."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from courtyard.api import CourtyardRouter
from courtyard.idempotency import IdempotencyKey, checked_key
from courtyard.tenancy import Role
from directory.pages import PageOut
from directory.staff.models import StaffCreate, StaffCreatedOut, StaffOut, StaffUpdate
from directory.staff.rules import Skill
from directory.staff.service import Shown, StaffFilter
from directory.wiring import staff as service

router = CourtyardRouter()


def _out(shown: Shown) -> StaffOut:
    return StaffOut.from_domain(shown.staff, shown.phone)


@router.post(
    "/staff",
    summary="Create a staff member and their sign-in account (manager)",
    responses={
        200: {
            "description": "Replayed (same Idempotency-Key): the same staff member, no password",
            "content": {"application/json": {"model": StaffCreatedOut}},
        },
        201: {"description": "Created", "content": {"application/json": {"model": StaffCreatedOut}}},
    },
)
def create_staff(body: StaffCreate, idempotency_key: IdempotencyKey = None) -> tuple[StaffCreatedOut, int]:
    created, new = service().create(router.tenant(), body, checked_key(idempotency_key))
    out = StaffOut.from_domain(created.staff, created.staff.phone)
    return StaffCreatedOut(**out.model_dump(), temporary_password=created.temporary_password), (
        201 if new else 200
    )


@router.get("/staff", summary="List staff in name order (manager, service desk); filters apply per page")
def list_staff(
    role: Annotated[Role | None, Query()] = None,
    skill: Annotated[Skill | None, Query()] = None,
    site_id: Annotated[str | None, Query(max_length=64)] = None,
    on_duty: Annotated[bool | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
) -> PageOut[StaffOut]:
    filters = StaffFilter(role=role, skill=skill, site_id=site_id, on_duty=on_duty)
    shown, next_cursor = service().list(router.tenant(), filters, limit=limit, cursor=cursor)
    return PageOut[StaffOut](items=[_out(s) for s in shown], next_cursor=next_cursor)


@router.get(
    "/staff/<staff_id>", summary="A staff member (manager, service desk, or the staff member themself)"
)
def get_staff(staff_id: str) -> StaffOut:
    return _out(service().get(router.tenant(), staff_id))


@router.patch("/staff/<staff_id>", summary="Change a staff member (manager); staff toggle their own on_duty")
def update_staff(staff_id: str, body: StaffUpdate) -> StaffOut:
    return _out(service().update(router.tenant(), staff_id, body))
