"""The directory's events that change who may hold a resident session, from identity's event queue.

``ResidentRegistered`` (an invitation accepted by a Courtyard account) binds the account to the firm and the
person: its next tokens carry ``custom:tenant_id``, ``cognito:groups`` = resident and ``person_id``.
``ResidentMovedOut`` ends the account's sessions (its next sign-in carries what is left); ``ResidentErased``
deletes everything identity holds about the account (the number's digest, WeChat links, devices: the sessions
die with it); ``ResidentPhoneChanged`` (the desk changed the number) makes the new number the account's
sign-in and the old one sign nobody in, unless the new number already has an account: then nothing changes
here and identity answers ``ResidentPhoneChangeRefused`` (the digest, never the number), on which the
directory puts the previous number back and tells the resident, so both give one answer. Refresh tokens
die at once; an access token lives out its 15 minutes (the stated revocation delay). Events for Cognito
users (staff-made accounts) find no account and do nothing.
Each is idempotent: applying one twice leaves the same state.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from courtyard.batch import SqsRecord, process_sqs_batch
from identity import wiring
from schemas.events import ResidentPhoneChangeRefused

logger = Logger()


def apply(detail_type: str, detail: dict[str, Any]) -> str:
    """What the event did to the account: ``bound``, ``ended``, ``erased``, ``moved``, ``unchanged``,
    ``refused`` or ``ignored``."""
    user_id = str(detail.get("user_id") or "")
    if not user_id:
        return "ignored"
    service = wiring.service()
    if detail_type == "ResidentRegistered":
        bound = service.bind(user_id, str(detail["tenant_id"]), str(detail["resident_id"]))
        return "bound" if bound else "ignored"
    if detail_type == "ResidentMovedOut":
        service.end_sessions(user_id)
        return "ended"
    if detail_type == "ResidentErased":
        return "erased" if service.erase(user_id) else "ignored"
    if detail_type == "ResidentPhoneChanged":
        digest = str(detail["sign_in_phone_digest"])
        outcome = service.change_phone(user_id, digest)
        if outcome == "refused":
            # A redelivery refuses again and answers again: the directory's revert is idempotent.
            wiring.events().publish(
                "ResidentPhoneChangeRefused",
                ResidentPhoneChangeRefused(
                    tenant_id=str(detail["tenant_id"]),
                    resident_id=str(detail["resident_id"]),
                    user_id=user_id,
                    sign_in_phone_digest=digest,
                    occurred_at=wiring.wiring.clock.now(),
                ),
            )
        return outcome
    return "ignored"


def handle(record: SqsRecord) -> None:
    envelope = json.loads(record.body)
    outcome = apply(str(envelope["detail-type"]), dict(envelope["detail"]))
    logger.info("directory event applied", detail_type=envelope["detail-type"], outcome=outcome)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], _context: LambdaContext) -> dict[str, Any]:
    return process_sqs_batch(event, handle, raise_on_entire_batch_failure=False)
