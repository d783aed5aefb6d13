"""Visitors API: the door. Parse, call the services, map to responses; the rules live in services/
(passes, gate, blocklist).

A gate device signs in as a Cognito user in the ``guard`` group (one account per gate, named after it), so it
scans with the same route and rules as a guard's handheld.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from courtyard.clock import to_iso
from courtyard.idempotency import IdempotencyKey, checked_key
from visitors import wiring
from visitors.app import app, logger, metrics, tracer
from visitors.models import (
    BatchOut,
    BlockCreate,
    BlockListOut,
    BlockOut,
    EntryOut,
    EntryPageOut,
    JwksOut,
    PassCreate,
    PassOut,
    PassPageOut,
    PassViewOut,
    PassViewRequest,
    ReconciledScanOut,
    ScanBatch,
    ScanOut,
    ScanRequest,
    VisitLogOut,
    VisitorSettingsIn,
)
from visitors.revocations import RevocationListOut
from visitors.services.pass_keys import PassKeyRotationOut
from visitors.token_access import may_hold_token

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


def _pass_out(visitor_pass: Any) -> PassOut:
    return PassOut.from_domain(
        visitor_pass,
        share_url=wiring.service().share_url(visitor_pass),
        with_token=may_hold_token(app.tenant(), visitor_pass),
    )


# ------------------------------------------------------------------ passes


@app.get(
    "/passes/keys",
    summary="The public keys that verify pass tokens (JWKS; no authentication)",
    description="With `tenant_id` (a token's `tid`): that firm's keys only (each firm signs with its own "
    "key; a replaced key stays until its last pass ends) and the stage's old key, which verifies passes "
    "issued before firms had keys; an unknown firm is a 404. Without it, the stage's keys only.",
    responses={
        200: {"description": "JWKS", "content": {"application/json": {"model": JwksOut}}},
        404: {"description": "No such firm"},
    },
)
def pass_keys(
    tenant_id: Annotated[str | None, Query(max_length=64, pattern=r"^[0-9A-Za-z_-]+$")] = None,
) -> Response[Any]:
    jwks = JwksOut.model_validate(wiring.pass_key_service().jwks(tenant_id))
    # Public and the same for everyone: gates and CDNs may keep them a while (a rotation's new key is also
    # fetched by a gate that meets an unknown kid; a replaced key only leaves after its last pass ended).
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=jwks.model_dump(mode="json"),
        headers={"Cache-Control": "public, max-age=300"},
    )


@app.post(
    "/passes/keys/rotations",
    summary="Rotate the firm's pass-signing key (manager); the old key verifies until its last pass ends",
    responses=_created(PassKeyRotationOut),
)
def rotate_pass_key(idempotency_key: IdempotencyKey = None) -> tuple[PassKeyRotationOut, int]:
    rotation, created = wiring.pass_key_service().rotate(app.tenant(), checked_key(idempotency_key))
    return PassKeyRotationOut.from_domain(rotation), 201 if created else 200


@app.post("/passes/view", summary="The visitor's page: the pass its token names (no authentication)")
def view_pass(body: PassViewRequest) -> PassViewOut:
    return wiring.gate().view(body.token)


@app.post("/passes", summary="Issue a visitor pass (signed QR token)", responses=_created(PassOut))
def issue_pass(body: PassCreate, idempotency_key: IdempotencyKey = None) -> tuple[PassOut, int]:
    visitor_pass, created = wiring.service().issue(app.tenant(), body, checked_key(idempotency_key))
    if created:
        metrics.add_metric(name="PassIssued", unit=MetricUnit.Count, value=1)
    return _pass_out(visitor_pass), 201 if created else 200


@app.get("/passes", summary="Passes: a community's for staff (site_id), the caller's own for residents")
def list_passes(
    limit: Limit = 50,
    cursor: Cursor = None,
    site_id: Annotated[str | None, Query(max_length=64)] = None,
    unit_id: Annotated[
        str | None, Query(max_length=64, description="only one unit's passes (a filter: pages may be short)")
    ] = None,
) -> PassPageOut:
    page = wiring.service().passes(app.tenant(), site_id, limit, cursor, unit_id)
    return PassPageOut(items=[_pass_out(p) for p in page.items], next_cursor=page.next_cursor)


@app.get("/passes/<pass_id>", summary="One pass (its token, share link and masked contact data)")
def get_pass(pass_id: str) -> PassOut:
    return _pass_out(wiring.service().get(app.tenant(), pass_id))


@app.delete("/passes/<pass_id>", summary="Revoke a pass (its host or a manager); effective on the next scan")
def revoke_pass(pass_id: str) -> PassOut:
    return _pass_out(wiring.service().revoke(app.tenant(), pass_id))


# No return annotation on purpose: with one, Powertools serialises the body through pydantic as JSON, which
# cannot carry PNG bytes; without one it passes a Response through and base64-encodes its bytes body.
@app.get("/passes/<pass_id>/qr", summary="The pass as a QR code (SVG or PNG)")
def pass_qr(  # type: ignore[no-untyped-def]
    pass_id: str,
    format: Annotated[Literal["svg", "png"], Query()] = "svg",
):
    image, content_type = wiring.service().qr_code(app.tenant(), pass_id, format)
    return Response(
        status_code=200, content_type=content_type, body=image, headers={"Cache-Control": "private, no-store"}
    )


@app.get("/passes/<pass_id>/entries", summary="The scans of one pass (host and staff)")
def pass_entries(pass_id: str, limit: Limit = 50, cursor: Cursor = None) -> EntryPageOut:
    page = wiring.service().entries(app.tenant(), pass_id, limit, cursor)
    return EntryPageOut(items=[EntryOut.from_domain(e) for e in page.items], next_cursor=page.next_cursor)


# ------------------------------------------------------------------ gates


@app.post("/gate/scans", summary="Verify a pass at a gate (QR token or licence plate): allow or deny")
def scan(body: ScanRequest) -> ScanOut:
    result = wiring.gate().scan(app.tenant(), body)
    metrics.add_metric(name=f"Scan{result.verdict.value.title()}", unit=MetricUnit.Count, value=1)
    return ScanOut.from_domain(result)


@app.get("/gate/revocations", summary="A community's signed revocation list for offline gates (guards)")
def revocation_list(site_id: Annotated[str, Query(min_length=1, max_length=64)]) -> RevocationListOut:
    signed = wiring.revocations().signed_list(app.tenant(), site_id)
    return RevocationListOut(
        token=signed.token, issued_at=signed.issued_at, expires_at=signed.expires_at, pass_ids=signed.pass_ids
    )


@app.post("/gate/scans/batch", summary="Upload scans an offline gate verified; reconciled, over-use flagged")
def upload_scans(body: ScanBatch) -> BatchOut:
    results = wiring.gate().upload(app.tenant(), body)
    out = [
        ReconciledScanOut(
            scan_id=r.scan_id,
            gate_verdict=r.gate_verdict,
            verdict=r.verdict,
            reason=r.reason,
            counted=r.counted,
            entry_number=r.entry_number,
            flagged=bool(r.flags),
            flags=list(r.flags),
            duplicate=r.duplicate,
        )
        for r in results
    ]
    return BatchOut(
        accepted=sum(1 for r in out if not r.duplicate), flagged=sum(1 for r in out if r.flagged), results=out
    )


@app.get(
    "/sites/<site_id>/visits",
    summary="A community's visit log for one local day (JSON or CSV)",
    responses={
        200: {
            "description": "A page of the day's scans, or with format=csv the whole day as a file",
            "content": {
                "application/json": {"model": VisitLogOut},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    },
)
def visits(
    site_id: str,
    date: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="local day")] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Response[Any]:
    if format == "csv":
        day, text = wiring.gate().visits_csv(app.tenant(), site_id, date)
        return Response(
            status_code=200,
            content_type="text/csv; charset=utf-8",
            body=text,
            headers={"Content-Disposition": f'attachment; filename="visits-{day}.csv"'},
        )
    day, page = wiring.gate().visits(app.tenant(), site_id, date, limit, cursor)
    body = VisitLogOut(
        date=day, items=[EntryOut.from_domain(e) for e in page.items], next_cursor=page.next_cursor
    )
    return Response(
        status_code=200, content_type=content_types.APPLICATION_JSON, body=body.model_dump(mode="json")
    )


# ------------------------------------------------------------------ blocklist and settings


def _block_out(entry: Any) -> BlockOut:
    return BlockOut(
        entry_id=entry.entry_id,
        site_id=entry.site_id,
        kind=entry.kind,
        value=entry.value_masked,
        reason=entry.reason,
        created_at=to_iso(entry.created_at),
    )


@app.post(
    "/sites/<site_id>/blocklist",
    summary="Block a visitor's phone or plate in a community",
    responses={201: {"description": "Created", "content": {"application/json": {"model": BlockOut}}}},
)
def block_visitor(site_id: str, body: BlockCreate) -> tuple[BlockOut, int]:
    return _block_out(wiring.blocklist().add(app.tenant(), site_id, body)), 201


@app.get("/sites/<site_id>/blocklist", summary="A community's blocklist (values masked)")
def blocklist(site_id: str) -> BlockListOut:
    return BlockListOut(items=[_block_out(e) for e in wiring.blocklist().entries(app.tenant(), site_id)])


@app.delete("/sites/<site_id>/blocklist", summary="Remove one blocklist entry (manager)")
def unblock_visitor(
    site_id: str, entry_id: Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z]+$")]
) -> Response[Any]:
    wiring.blocklist().remove(app.tenant(), site_id, entry_id)
    return Response(status_code=204, content_type=content_types.APPLICATION_JSON, body="")


@app.get("/visitor-settings", summary="Pass windows and retention (manager)")
def get_visitor_settings() -> VisitorSettingsIn:
    return wiring.service().settings(app.tenant())


@app.put("/visitor-settings", summary="Replace the pass windows and retention (manager)")
def put_visitor_settings(body: VisitorSettingsIn) -> VisitorSettingsIn:
    return wiring.service().put_settings(app.tenant(), body)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
# Requests carry phone numbers and plates: X-Ray must not record responses.
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
