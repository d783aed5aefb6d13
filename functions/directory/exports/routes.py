"""Export routes: a resident asks for a copy of their data, follows it, and downloads it."""

from __future__ import annotations

from courtyard.api import CourtyardRouter
from courtyard.idempotency import IdempotencyKey, checked_key
from directory.exports.models import PersonalExportOut
from directory.wiring import exports as service

router = CourtyardRouter()


@router.post(
    "/me/exports",
    summary="Ask for a copy of everything Courtyard holds about you (residents; one at a time)",
    description="Starts an export (202): the directory and every feature write their part. While one runs, "
    "a second request answers it (200); the same `Idempotency-Key` answers the export it started. Never in "
    "assisted mode. Follow it with GET /me/exports/{export_id}.",
    responses={
        200: {
            "description": "The export already running (or started with this key)",
            "content": {"application/json": {"model": PersonalExportOut}},
        },
        202: {"description": "Started", "content": {"application/json": {"model": PersonalExportOut}}},
    },
)
def start_export(idempotency_key: IdempotencyKey = None) -> tuple[PersonalExportOut, int]:
    progress, started = service().start(router.tenant(), checked_key(idempotency_key))
    return PersonalExportOut.from_domain(progress), 202 if started else 200


@router.get(
    "/me/exports/<export_id>",
    summary="An export's parts done and pending; when all are done, 5-minute links to its JSON and ZIP",
)
def get_export(export_id: str) -> PersonalExportOut:
    return PersonalExportOut.from_domain(service().progress(router.tenant(), export_id))
