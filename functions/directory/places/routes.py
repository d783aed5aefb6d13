"""Routes of communities (sites), buildings and units: parse, call the service, map to responses."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from courtyard.api import CourtyardRouter
from directory.pages import PageOut
from directory.places.models import (
    BuildingCreate,
    BuildingOut,
    Occupancy,
    SiteCreate,
    SiteOut,
    UnitCreate,
    UnitFilter,
    UnitKind,
    UnitOut,
    UnitUpdate,
)
from directory.wiring import places as service

router = CourtyardRouter()

Limit = Annotated[int, Query(ge=1, le=100, description="page size")]
Cursor = Annotated[str | None, Query(max_length=4096, description="next_cursor of the previous page")]


def _created(model: type[BaseModel]) -> dict[int, OpenAPIResponse]:
    return {201: {"description": "Created", "content": {"application/json": {"model": model}}}}


@router.post("/sites", summary="Create a community (manager)", responses=_created(SiteOut))
def create_site(body: SiteCreate) -> tuple[SiteOut, int]:
    return SiteOut.from_domain(service().create_site(router.tenant(), body)), 201


@router.get("/sites", summary="Communities: every one for staff, a resident's own for residents")
def list_sites(limit: Limit = 50, cursor: Cursor = None) -> PageOut[SiteOut]:
    page = service().list_sites(router.tenant(), limit, cursor)
    return PageOut[SiteOut](items=[SiteOut.from_domain(s) for s in page.items], next_cursor=page.next_cursor)


@router.get("/sites/<site_id>", summary="One community")
def get_site(site_id: str) -> SiteOut:
    return SiteOut.from_domain(service().get_site(router.tenant(), site_id))


@router.post(
    "/sites/<site_id>/buildings", summary="Add a building (manager)", responses=_created(BuildingOut)
)
def create_building(site_id: str, body: BuildingCreate) -> tuple[BuildingOut, int]:
    return BuildingOut.from_domain(service().create_building(router.tenant(), site_id, body)), 201


@router.get("/sites/<site_id>/buildings", summary="A community's buildings")
def list_buildings(site_id: str, limit: Limit = 50, cursor: Cursor = None) -> PageOut[BuildingOut]:
    page = service().list_buildings(router.tenant(), site_id, limit, cursor)
    return PageOut[BuildingOut](
        items=[BuildingOut.from_domain(b) for b in page.items], next_cursor=page.next_cursor
    )


@router.post(
    "/sites/<site_id>/units", summary="Add a unit (manager, service desk)", responses=_created(UnitOut)
)
def create_unit(site_id: str, body: UnitCreate) -> tuple[UnitOut, int]:
    unit, building = service().create_unit(router.tenant(), site_id, body)
    return UnitOut.from_domain(unit, building), 201


@router.get("/sites/<site_id>/units", summary="A community's units in room order; residents see their own")
def list_units(
    site_id: str,
    limit: Limit = 50,
    cursor: Cursor = None,
    building_id: Annotated[str | None, Query(max_length=40)] = None,
    occupancy: Annotated[Occupancy | None, Query()] = None,
    kind: Annotated[UnitKind | None, Query()] = None,
) -> PageOut[UnitOut]:
    where = UnitFilter(building_id=building_id, occupancy=occupancy, kind=kind)
    page = service().list_units(router.tenant(), site_id, where, limit, cursor)
    return PageOut[UnitOut](items=[UnitOut.from_domain(u) for u in page.items], next_cursor=page.next_cursor)


@router.get("/units/<unit_id>", summary="One unit with its building (staff, or a resident of it)")
def get_unit(unit_id: str) -> UnitOut:
    unit, building = service().get_unit(router.tenant(), unit_id)
    return UnitOut.from_domain(unit, building)


@router.patch("/units/<unit_id>", summary="Change a unit's area, kind or occupancy (manager, service desk)")
def update_unit(unit_id: str, body: UnitUpdate) -> UnitOut:
    unit, building = service().update_unit(router.tenant(), unit_id, body)
    return UnitOut.from_domain(unit, building)
