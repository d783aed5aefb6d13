"""Tickets API: the door. Parse, call the services, map to responses; the rules live in services/ (tickets,
followup, photos, stats)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from courtyard.idempotency import IdempotencyKey, checked_key
from tickets import wiring
from tickets.app import app, logger, metrics, tracer
from tickets.domain import Category, Priority, TicketStatus
from tickets.models import (
    CommentCreate,
    CommentOut,
    RatingCreate,
    TicketActionRequest,
    TicketCreate,
    TicketOut,
    TicketPageOut,
    TicketSettingsIn,
    TicketSettingsOut,
    TimelineEntryOut,
    TimelineOut,
)
from tickets.services.followup import resident_timeline
from tickets.services.reporter import reporter_name

# Follow-up, photo and statistics routes are Routers of their own (Powertools' split routes), each imported
# by the first request for one of its paths (courtyard.route_families; the most specific prefix wins).
app.include_families(
    {
        "tickets.followup_routes": (
            "/tickets/{ticket_id}/return-visit",
            "/tickets/{ticket_id}/quality-check",
        ),
        "tickets.photo_routes": ("/tickets/{ticket_id}/photos",),
        "tickets.stats_routes": ("/tickets/stats",),
    }
)

Limit = Annotated[int, Query(ge=1, le=100, description="page size")]
Cursor = Annotated[str | None, Query(max_length=4096, description="next_cursor of the previous page")]


def _created(model: type[BaseModel]) -> dict[int, OpenAPIResponse]:
    return {
        200: {
            "description": "Replayed (same Idempotency-Key)",
            "content": {"application/json": {"model": model}},
        },
        201: {"description": "Created", "content": {"application/json": {"model": model}}},
    }


@app.post(
    "/tickets", summary="File a repair, complaint or SOS (dispatched at once)", responses=_created(TicketOut)
)
def create_ticket(body: TicketCreate, idempotency_key: IdempotencyKey = None) -> tuple[TicketOut, int]:
    ticket, created = wiring.service().create(app.tenant(), body, checked_key(idempotency_key))
    return TicketOut.from_domain(ticket), 201 if created else 200


@app.get("/tickets", summary="Tickets: all for staff (filters), a resident's own for residents")
def list_tickets(
    limit: Limit = 50,
    cursor: Cursor = None,
    status: Annotated[TicketStatus | None, Query()] = None,
    site_id: Annotated[str | None, Query(max_length=64)] = None,
    category: Annotated[Category | None, Query()] = None,
    assignee: Annotated[str | None, Query(pattern="^me$", description="'me': assigned to the caller")] = None,
    mine: Annotated[bool, Query(description="only tickets the caller filed")] = False,
    priority: Annotated[Priority | None, Query()] = None,
    overdue: Annotated[
        bool, Query(description="only open tickets past their resolve-by time (not resolved yet)")
    ] = False,
    unit_id: Annotated[
        str | None, Query(max_length=64, description="only one unit's tickets (a filter: pages may be short)")
    ] = None,
) -> TicketPageOut:
    page = wiring.service().tickets(
        app.tenant(),
        status=status,
        site_id=site_id,
        category=category,
        assignee_me=assignee == "me",
        mine=mine,
        limit=limit,
        cursor=cursor,
        priority=priority,
        overdue=overdue,
        unit_id=unit_id,
    )
    return TicketPageOut(items=[TicketOut.from_domain(t) for t in page.items], next_cursor=page.next_cursor)


@app.get(
    "/tickets/<ticket_id>",
    summary=(
        "One ticket, with 5-minute links to its photos and its follow-up (one DynamoDB read; for staff also "
        "the reporter's name from the directory)"
    ),
)
def get_ticket(ticket_id: str) -> TicketOut:
    ctx = app.tenant()
    ticket = wiring.service().get(ctx, ticket_id)
    out = TicketOut.from_domain(ticket, photos=wiring.photos().links(ticket), internal=ctx.is_staff)
    out.reporter_name = reporter_name(wiring.people(), ctx, ticket)
    return out


@app.post("/tickets/<ticket_id>/actions", summary="Move a ticket: assign, accept, start, resolve, close, ...")
def act_on_ticket(ticket_id: str, body: TicketActionRequest) -> TicketOut:
    return TicketOut.from_domain(wiring.service().act(app.tenant(), ticket_id, body))


@app.post(
    "/tickets/<ticket_id>/comments",
    summary="Comment: public, or internal (staff only)",
    responses={201: {"description": "Created", "content": {"application/json": {"model": CommentOut}}}},
)
def comment_on_ticket(ticket_id: str, body: CommentCreate) -> tuple[CommentOut, int]:
    return CommentOut.from_domain(wiring.service().comment(app.tenant(), ticket_id, body)), 201


@app.get(
    "/tickets/<ticket_id>/timeline",
    summary="Timeline and comments (residents: public comments only, no quality check)",
)
def ticket_timeline(ticket_id: str) -> TimelineOut:
    ctx = app.tenant()
    history = wiring.service().history(ctx, ticket_id)
    return TimelineOut(
        ticket_id=history.ticket.ticket_id,
        status=history.ticket.status,
        timeline=[TimelineEntryOut.from_domain(e) for e in resident_timeline(ctx, history.timeline)],
        comments=[CommentOut.from_domain(c) for c in history.comments],
    )


@app.post("/tickets/<ticket_id>/rating", summary="The reporter rates a resolved ticket, once")
def rate_ticket(ticket_id: str, body: RatingCreate) -> TicketOut:
    return TicketOut.from_domain(wiring.service().rate(app.tenant(), ticket_id, body))


@app.get("/ticket-settings", summary="Dispatch rules, SLA targets and calendar (manager)")
def get_ticket_settings() -> TicketSettingsOut:
    return TicketSettingsOut(**wiring.service().settings(app.tenant()).model_dump())


@app.put("/ticket-settings", summary="Replace the dispatch rules, SLA targets and calendar (manager)")
def put_ticket_settings(body: TicketSettingsIn) -> TicketSettingsOut:
    return TicketSettingsOut(**wiring.service().put_settings(app.tenant(), body).model_dump())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
# Responses carry descriptions residents wrote: X-Ray must not record them.
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
