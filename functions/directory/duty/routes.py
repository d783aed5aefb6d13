"""Duty routes: the firm's calendar (``/duty/calendar``), a community's roster (``/sites/{id}/duty-roster``)
and who is on duty now (``GET /duty/now?site_id=``); rules live in the service."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from courtyard.api import CourtyardRouter
from directory.duty.models import DutyCalendarIn, DutyCalendarOut, DutyNowOut, RosterIn, RosterOut
from directory.wiring import duty as service

router = CourtyardRouter()


@router.get(
    "/duty/calendar", summary="The firm's duty calendar: holidays, make-up workdays, shift times (staff)"
)
def get_duty_calendar() -> DutyCalendarOut:
    return service().calendar(router.tenant())


@router.put("/duty/calendar", summary="Set the firm's duty calendar (manager)")
def set_duty_calendar(body: DutyCalendarIn) -> DutyCalendarOut:
    return service().set_calendar(router.tenant(), body)


@router.get("/sites/<site_id>/duty-roster", summary="A community's duty roster (staff)")
def get_duty_roster(site_id: str) -> RosterOut:
    return service().roster(router.tenant(), site_id)


@router.put("/sites/<site_id>/duty-roster", summary="Replace a community's duty roster (manager)")
def set_duty_roster(site_id: str, body: RosterIn) -> RosterOut:
    return service().set_roster(router.tenant(), site_id, body)


@router.get("/duty/now", summary="Who is on duty at a community now: the roster's shift and manual flags")
def duty_now(site_id: Annotated[str, Query(min_length=1, max_length=64)]) -> DutyNowOut:
    return service().now(router.tenant(), site_id)
