"""Sensors API: the door. Parse, call the service, map to responses; the rules live in services/sensors.py."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from courtyard.idempotency import IdempotencyKey, checked_key
from iot.kinds import is_battery, session_of, upload_interval_s
from iot.topics import basic_ingest_topic, commands_topic, events_topic, rule_names, telemetry_topic
from sensors import wiring
from sensors.app import app, logger, metrics, tracer
from sensors.domain import AlarmStatus, DeviceKind, Severity
from sensors.models import (
    AlarmOut,
    AlarmPageOut,
    CredentialsOut,
    DeviceCreate,
    DeviceCreatedOut,
    DeviceDetailOut,
    DeviceOut,
    DevicePageOut,
    DeviceUpdate,
    MaintenanceOut,
    RuleOut,
    RulePageOut,
    RuleTestHit,
    RuleTestOut,
    RuleTestRequest,
    TelemetryHourOut,
    TelemetryOut,
)
from sensors.rule_test import iso
from sensors.rules import RuleSpec

Limit = Annotated[int, Query(ge=1, le=100, description="page size")]
Cursor = Annotated[str | None, Query(max_length=4096, description="next_cursor of the previous page")]
SiteFilter = Annotated[str | None, Query(max_length=64)]


@app.post(
    "/devices",
    summary="Register a device; with provision, its IoT thing, certificate and policy (shown once)",
    description="With an `Idempotency-Key` header (8 to 255 printable characters, the caller's own within "
    "the firm), a retry after a failure resumes the same registration (201 with fresh credentials), and a "
    "retry of a completed one answers 200 with the same device and `credentials: null`: the private key "
    "is shown once and never kept. The same key with a different body is 422 `key_reused`; while an "
    "attempt with the key is under way, 409.",
    responses={
        200: {
            "description": "Replayed (same Idempotency-Key)",
            "content": {"application/json": {"model": DeviceCreatedOut}},
        },
        201: {"description": "Created", "content": {"application/json": {"model": DeviceCreatedOut}}},
    },
)
def register_device(
    body: DeviceCreate, idempotency_key: IdempotencyKey = None
) -> tuple[DeviceCreatedOut, int]:
    registered = wiring.service().register(app.tenant(), body, checked_key(idempotency_key))
    device, credentials = registered.device, registered.credentials
    shown = None
    if credentials is not None:
        ids = (device.tenant_id, device.site_id, device.device_id)
        telemetry_rule, events_rule = rule_names(wiring.config().stage)
        kind = device.kind.value
        shown = CredentialsOut(
            thing_name=credentials.thing_name,
            certificate_pem=credentials.certificate_pem,
            private_key=credentials.private_key,
            endpoint=credentials.endpoint,
            telemetry_ingest_topic=basic_ingest_topic(telemetry_rule, telemetry_topic(*ids)),
            events_ingest_topic=basic_ingest_topic(events_rule, events_topic(*ids)),
            session=session_of(kind),
            upload_interval_s=upload_interval_s(kind),
            commands_topic=None if is_battery(kind) else commands_topic(*ids),
        )
    status = 201 if registered.created else 200
    return DeviceCreatedOut(device=DeviceOut.from_domain(device), credentials=shown), status


@app.get("/devices", summary="Devices of the firm, or of one community (and kind)")
def list_devices(
    limit: Limit = 50,
    cursor: Cursor = None,
    site_id: SiteFilter = None,
    kind: Annotated[DeviceKind | None, Query()] = None,
) -> DevicePageOut:
    page = wiring.service().devices(
        app.tenant(), site_id=site_id, kind=kind.value if kind else None, limit=limit, cursor=cursor
    )
    return DevicePageOut(items=[DeviceOut.from_domain(d) for d in page.items], next_cursor=page.next_cursor)


@app.get("/devices/<device_id>", summary="The device ledger (设备台账): record and maintenance history")
def get_device(device_id: str) -> DeviceDetailOut:
    device, ledger = wiring.service().device(app.tenant(), device_id)
    return DeviceDetailOut(
        **DeviceOut.from_domain(device).model_dump(),
        maintenance=[MaintenanceOut.from_domain(e) for e in ledger],
    )


@app.patch("/devices/<device_id>", summary="Change a device's name, place, model or install date")
def update_device(device_id: str, body: DeviceUpdate) -> DeviceOut:
    return DeviceOut.from_domain(wiring.service().update(app.tenant(), device_id, body))


@app.delete("/devices/<device_id>", summary="Deactivate: revoke the certificate, stop listening")
def deactivate_device(device_id: str) -> DeviceOut:
    return DeviceOut.from_domain(wiring.service().deactivate(app.tenant(), device_id))


@app.get("/devices/<device_id>/telemetry", summary="Hourly aggregates (min, max, avg, count) per metric")
def device_telemetry(
    device_id: str,
    start: Annotated[datetime | None, Query()] = None,
    end: Annotated[datetime | None, Query()] = None,
    metric: Annotated[str | None, Query(max_length=64)] = None,
) -> TelemetryOut:
    hours = wiring.service().telemetry(app.tenant(), device_id, start, end)
    return TelemetryOut(device_id=device_id, hours=[TelemetryHourOut.from_domain(h, metric) for h in hours])


@app.post(
    "/alarm-rules",
    summary="Create an alarm rule (refused with the reason when it could not behave)",
    responses={201: {"description": "Created", "content": {"application/json": {"model": RuleOut}}}},
)
def create_rule(body: RuleSpec) -> tuple[RuleOut, int]:
    return RuleOut.from_domain(wiring.service().create_rule(app.tenant(), body)), 201


@app.get("/alarm-rules", summary="The firm's alarm rules, default pack first")
def list_rules() -> RulePageOut:
    return RulePageOut(items=[RuleOut.from_domain(r) for r in wiring.service().rules(app.tenant())])


@app.get("/alarm-rules/<rule_id>", summary="One alarm rule")
def get_rule(rule_id: str) -> RuleOut:
    return RuleOut.from_domain(wiring.service().rule(app.tenant(), rule_id))


@app.put("/alarm-rules/<rule_id>", summary="Replace an alarm rule's definition")
def replace_rule(rule_id: str, body: RuleSpec) -> RuleOut:
    return RuleOut.from_domain(wiring.service().replace_rule(app.tenant(), rule_id, body))


@app.delete("/alarm-rules/<rule_id>", summary="Delete an alarm rule")
def delete_rule(rule_id: str) -> tuple[dict[str, str], int]:
    wiring.service().delete_rule(app.tenant(), rule_id)
    return {"rule_id": rule_id, "status": "deleted"}, 200


@app.post(
    "/alarm-rules/<rule_id>/test", summary="Which alarms the rule would have raised on readings or history"
)
def test_rule(rule_id: str, body: RuleTestRequest) -> RuleTestOut:
    evaluated, hits = wiring.service().test_rule(app.tenant(), rule_id, body)
    return RuleTestOut(
        evaluated=evaluated,
        alarms=sum(1 for h in hits if h.signal.value == "raise"),
        signals=[RuleTestHit(at=iso(h.at), signal=h.signal.value, value=h.value) for h in hits],
    )


@app.get("/alarms", summary="Alarms, newest first (filters: status, site_id, severity)")
def list_alarms(
    limit: Limit = 50,
    cursor: Cursor = None,
    status: Annotated[AlarmStatus | None, Query()] = None,
    site_id: SiteFilter = None,
    severity: Annotated[Severity | None, Query()] = None,
) -> AlarmPageOut:
    page = wiring.service().alarms(
        app.tenant(),
        status=status.value if status else None,
        site_id=site_id,
        severity=severity.value if severity else None,
        limit=limit,
        cursor=cursor,
    )
    return AlarmPageOut(items=[AlarmOut.from_domain(a) for a in page.items], next_cursor=page.next_cursor)


@app.get("/alarms/<alarm_id>", summary="One alarm")
def get_alarm(alarm_id: str) -> AlarmOut:
    return AlarmOut.from_domain(wiring.service().alarm(app.tenant(), alarm_id))


@app.post("/alarms/<alarm_id>/ack", summary="Acknowledge an active alarm")
def acknowledge_alarm(alarm_id: str) -> AlarmOut:
    return AlarmOut.from_domain(wiring.service().acknowledge(app.tenant(), alarm_id))


@app.post("/alarms/<alarm_id>/clear", summary="Clear an alarm by hand")
def clear_alarm(alarm_id: str) -> AlarmOut:
    return AlarmOut.from_domain(wiring.service().clear(app.tenant(), alarm_id))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
# Responses carry private keys once: X-Ray must not record them.
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
