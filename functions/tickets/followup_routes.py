"""Follow-up routes (return visit, quality check), a Router ``tickets.handler`` includes.

The rules are in ``tickets.services.followup``; the replies are the ticket as staff see it (quality check
included).
"""

from __future__ import annotations

from courtyard.api import CourtyardRouter
from tickets import wiring
from tickets.models import QualityCheckCreate, ReturnVisitCreate, TicketOut

router = CourtyardRouter()


@router.post(
    "/tickets/<ticket_id>/return-visit",
    summary="Record the return visit of a resolved or closed ticket, once (service desk, manager)",
)
def record_return_visit(ticket_id: str, body: ReturnVisitCreate) -> TicketOut:
    return TicketOut.from_domain(
        wiring.follow_ups().return_visit(router.tenant(), ticket_id, body), internal=True
    )


@router.post(
    "/tickets/<ticket_id>/quality-check",
    summary="Record the quality check of a resolved or closed ticket, once (service desk, manager)",
)
def record_quality_check(ticket_id: str, body: QualityCheckCreate) -> TicketOut:
    return TicketOut.from_domain(
        wiring.follow_ups().quality_check(router.tenant(), ticket_id, body), internal=True
    )
