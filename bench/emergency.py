"""Issue 19 (and issue 16's "SOS tap to on-duty staff notification") on the local cloud: from the resident's
SOS request to the first SMS or push that reaches a staff member the roster puts on duty, through the real
path (tickets API -> bus -> the notifications' event queue -> the emergency ladder -> the priority lane ->
the sender -> SNS, captured by moto). Wall-clock seconds: the bench's job, never a test's.
"""

from __future__ import annotations

import time
import uuid

import boto3

from infra.http import request
from infra.local.cloud import FAKE_CREDENTIALS, REGION, CloudInfo, wait_for
from infra.local.outbox import read_outbox
from infra.seed import DemoData, sign_in

TIMEOUT_S = 120.0


def sos_to_on_duty(info: CloudInfo, demo: DemoData) -> float:
    """Seconds from the SOS request to the first emergency SMS or push to the rostered guard or technician."""
    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=info.aws_endpoint,
        region_name=REGION,
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )

    def token(role: str) -> str:
        user = demo.user("greenfield", role)
        return sign_in(cognito, info.user_pool_id, info.user_pool_client_id, user.username)

    guard, tech = demo.user("greenfield", "guard"), demo.user("greenfield", "technician")
    site_id = demo.sites["greenfield"]
    lines = [{"staff_id": p.person_id, "shift": s} for p in (guard, tech) for s in ("day", "night")]
    roster = request(
        "PUT", f"{info.api_url}/sites/{site_id}/duty-roster", token=token("manager"), body={"lines": lines}
    )
    if roster.status != 200:
        raise RuntimeError(f"roster: {roster.status} {roster.text[:200]}")
    phones = {f"+86{guard.phone}", f"+86{tech.phone}"}
    before = read_outbox(info.aws_endpoint)
    seen = {m.message_id for m in before.sms} | {m.message_id for m in before.pushes}
    resident = token("resident")

    started = time.perf_counter()
    filed = request(
        "POST",
        f"{info.api_url}/tickets",
        token=resident,
        body={"kind": "sos", "description": "bench SOS"},
        headers={"Idempotency-Key": f"bench-sos-{uuid.uuid4()}"},
    )
    if filed.status != 201:
        raise RuntimeError(f"SOS: {filed.status} {filed.text[:200]}")

    def reached() -> bool:
        box = read_outbox(info.aws_endpoint)
        sms = any(
            m.phone_number in phones for m in box.sms if m.message_id not in seen and "紧急" in m.message
        )
        push = any(m.title.startswith("紧急") for m in box.pushes if m.message_id not in seen)
        return sms or push

    if not wait_for(reached, TIMEOUT_S, interval_s=0.05):
        raise RuntimeError("no on-duty SMS or push within the timeout")
    return round(time.perf_counter() - started, 2)
