"""Identity's answers to the directory, from the directory's event queue.

``ResidentPhoneChangeRefused``: identity could not make a resident's new number their sign-in (another account
signs in with it); the directory puts the previous number back and records the refusal for the app
(``directory.phones.refusals``). Idempotent: a redelivery finds nothing pending and changes nothing.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from courtyard.batch import SqsRecord, process_sqs_batch
from directory.wiring import phone_refusals
from schemas.events import ResidentPhoneChangeRefused, parse_event

logger = Logger()


def handle(record: SqsRecord) -> None:
    detail_type, event = parse_event(record.body)
    if not isinstance(event, ResidentPhoneChangeRefused):
        logger.info("event ignored", detail_type=detail_type)
        return
    outcome = phone_refusals().apply(event)
    logger.info("identity event applied", detail_type=detail_type, outcome=outcome)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], _context: LambdaContext) -> dict[str, Any]:
    return process_sqs_batch(event, handle, raise_on_entire_batch_failure=False)
