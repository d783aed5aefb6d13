"""Residency routes: the desk ends a resident's link to a unit, a resident leaves a unit, the history."""

from __future__ import annotations

from courtyard.api import CourtyardRouter
from directory.residency.models import EndedResidenceOut, ResidencyEnd, UnitLeave
from directory.wiring import residency as service

router = CourtyardRouter()


@router.post(
    "/units/<unit_id>/residents/<resident_id>/end",
    summary="End a resident's link to a unit: move-out, sale, end of a lease (manager, service desk)",
    description="From then on the person cannot issue passes for the unit nor see its bills, tickets, "
    "notices or residents; their live passes for it are revoked (`ResidentMovedOut`). When the primary "
    "contact leaves, the one other owner or renter is promoted; otherwise 409 `choose_primary_contact` "
    "lists the candidates for `promote_resident_id`. Repeating an ended link answers the same end.",
)
def end_residency(unit_id: str, resident_id: str, body: ResidencyEnd) -> EndedResidenceOut:
    return EndedResidenceOut.from_domain(service().end(router.tenant(), unit_id, resident_id, body))


@router.post("/me/units/<unit_id>/leave", summary="The signed-in resident leaves one of their units")
def leave_unit(unit_id: str, body: UnitLeave) -> EndedResidenceOut:
    return EndedResidenceOut.from_domain(service().leave(router.tenant(), unit_id, body))


@router.get(
    "/residents/<resident_id>/residences",
    summary="A resident's ended unit links, oldest first (manager, service desk, or the resident)",
)
def residence_history(resident_id: str) -> list[EndedResidenceOut]:
    return [EndedResidenceOut.from_domain(e) for e in service().history(router.tenant(), resident_id)]
