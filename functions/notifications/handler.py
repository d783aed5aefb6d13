"""Notifications API: the door. Parse, call the services, map to responses; the rules live in the services."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from courtyard.idempotency import IdempotencyKey, checked_key
from notifications import wiring
from notifications.app import app, logger, metrics, tracer
from notifications.models import (
    Audience,
    AudienceCountOut,
    InboxMessageOut,
    InboxPageOut,
    LinkOut,
    NoticeCreate,
    NoticeOut,
    NoticePageOut,
    PreferencesIn,
    PreferencesOut,
    PushEndpointIn,
    PushEndpointOut,
    UnreadOut,
    VoiceAckOut,
)

Limit = Annotated[int, Query(ge=1, le=100, description="page size")]
Cursor = Annotated[str | None, Query(max_length=4096, description="next_cursor of the previous page")]


def _created(model: type[BaseModel]) -> dict[int, OpenAPIResponse]:
    return {
        200: {"description": "Replayed or already there", "content": {"application/json": {"model": model}}},
        201: {"description": "Created", "content": {"application/json": {"model": model}}},
    }


@app.post(
    "/notices",
    summary="Send a notice to a community, buildings, units, staff roles or named residents (now or later)",
    responses=_created(NoticeOut),
)
def create_notice(body: NoticeCreate, idempotency_key: IdempotencyKey = None) -> tuple[NoticeOut, int]:
    notice, created = wiring.notices().create(app.tenant(), body, checked_key(idempotency_key))
    return NoticeOut.from_domain(notice), 201 if created else 200


@app.post(
    "/notices/audience-count",
    summary="Count who an audience reaches now, as the fan-out would (a dry run: nothing is sent)",
)
def count_audience(body: Audience) -> AudienceCountOut:
    return wiring.notices().count(app.tenant(), body)


@app.get("/notices", summary="The firm's notices, newest first (manager, service desk)")
def list_notices(limit: Limit = 50, cursor: Cursor = None) -> NoticePageOut:
    page = wiring.notices().list(app.tenant(), limit, cursor)
    return NoticePageOut(items=[NoticeOut.from_domain(n) for n in page.items], next_cursor=page.next_cursor)


@app.get("/notices/<notice_id>", summary="One notice with its delivery statistics")
def get_notice(notice_id: str) -> NoticeOut:
    notice, stats = wiring.notices().get(app.tenant(), notice_id)
    return NoticeOut.from_domain(notice, stats)


@app.post("/notices/<notice_id>/cancel", summary="Cancel a notice that has not started sending")
def cancel_notice(notice_id: str) -> NoticeOut:
    return NoticeOut.from_domain(wiring.notices().cancel(app.tenant(), notice_id))


@app.get("/inbox", summary="The caller's messages, newest first")
def list_inbox(limit: Limit = 50, cursor: Cursor = None) -> InboxPageOut:
    page = wiring.inbox().messages(app.tenant(), limit, cursor)
    return InboxPageOut(
        items=[InboxMessageOut.from_domain(e) for e in page.items], next_cursor=page.next_cursor
    )


@app.get("/inbox/unread-count", summary="How many of the caller's messages are unread")
def unread_count() -> UnreadOut:
    return UnreadOut(unread=wiring.inbox().unread(app.tenant()))


@app.post("/inbox/<message_id>/read", summary="Mark a message read (a read receipt for its notice)")
def read_message(message_id: str) -> InboxMessageOut:
    return InboxMessageOut.from_domain(wiring.inbox().read(app.tenant(), message_id))


@app.get("/me/notification-preferences", summary="The caller's channels, quiet hours and language")
def get_preferences() -> PreferencesOut:
    return wiring.me().preferences(app.tenant())


@app.put("/me/notification-preferences", summary="Replace the caller's notification preferences")
def put_preferences(body: PreferencesIn) -> PreferencesOut:
    return wiring.me().put_preferences(app.tenant(), body.to_domain())


@app.post(
    "/me/push-endpoints",
    summary="Register this device for push (SNS platform endpoint); the same token again is a no-op",
    responses=_created(PushEndpointOut),
)
def add_push_endpoint(body: PushEndpointIn) -> tuple[PushEndpointOut, int]:
    endpoint, created = wiring.me().add_push_endpoint(app.tenant(), body)
    return PushEndpointOut.from_domain(endpoint), 201 if created else 200


@app.delete(
    "/me/push-endpoints/<endpoint_id>",
    summary="Unregister a device",
    responses={204: {"description": "Unregistered"}},
)
def delete_push_endpoint(endpoint_id: str) -> Response[None]:
    wiring.me().delete_push_endpoint(app.tenant(), endpoint_id)
    return Response(status_code=204)


@app.get("/links/<code>", summary="Where an SMS's short link leads (no authentication: the code is the link)")
def resolve_link(code: str) -> LinkOut:
    return wiring.link_resolver().resolve(code)


@app.post(
    "/voice/callbacks",
    summary="The telephony provider's call reports (public; X-Voice-Signature verified, 300 s tolerance): "
    "a callee pressing 1 acknowledges the emergency the call was about",
)
def voice_callback() -> VoiceAckOut:
    event = app.current_event
    body = event.body or ""
    if event.is_base64_encoded:
        body = base64.b64decode(body).decode("utf-8", errors="replace")
    outcome = wiring.voice_acks().receive(dict(event.headers or {}), body)
    logger.info("voice call reports", reports=outcome.reports, acknowledged=outcome.acknowledged)
    return VoiceAckOut(reports=outcome.reports, acknowledged=outcome.acknowledged, ignored=outcome.ignored)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
# Responses carry notice and message texts: X-Ray must not record them.
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
