"""Care list routes (关爱名单): ``PUT /residents/{id}/care``, ``GET /care-list`` and the month's return-visit
calls ``GET /care-visits?month=`` / ``POST /care-visits/{month}/{resident_id}``; rules live in the service."""

from __future__ import annotations

import re
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from courtyard.api import CourtyardRouter
from courtyard.errors import NotFound
from directory.care.models import CareIn, CareListOut, CareOut, VisitIn, VisitListOut, VisitOut
from directory.wiring import care as service

router = CourtyardRouter()
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


@router.put("/residents/<resident_id>/care", summary="Set a resident's care flags (service desk, manager)")
def set_care(resident_id: str, body: CareIn) -> CareOut:
    return service().set_care(router.tenant(), resident_id, body)


@router.get("/care-list", summary="The care list: residents flagged for care (service desk, manager)")
def care_list() -> CareListOut:
    return service().care_list(router.tenant())


@router.get("/care-visits", summary="The month's return-visit calls, one per flagged resident (desk)")
def care_visits(
    month: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = None,
) -> VisitListOut:
    return service().visits(router.tenant(), month)


@router.post(
    "/care-visits/<month>/<resident_id>",
    summary="Record the outcome of a flagged resident's return-visit call for the month, once (desk)",
    responses={201: {"description": "Recorded", "content": {"application/json": {"model": VisitOut}}}},
)
def record_care_visit(month: str, resident_id: str, body: VisitIn) -> tuple[VisitOut, int]:
    return service().record_visit(router.tenant(), _month(month), resident_id, body), 201


def _month(text: str) -> str:
    if not MONTH.fullmatch(text):
        raise NotFound("month")
    return text
