"""Tickets of a device, from the tickets' events through the sensors' queue: the device's maintenance
history (设备台账). ``TicketCreated`` and ``TicketStatusChanged`` carrying ``device_id`` add an entry; an
entry's key holds the event id, so a redelivery changes nothing. Other events are ignored.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from courtyard.batch import SqsRecord, process_sqs_batch
from courtyard.clock import to_iso
from courtyard.tracing import Tracer
from schemas.events import TicketCreated, TicketStatusChanged, parse_event
from sensors import wiring
from sensors.repository import LedgerEntry

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def handle(record: SqsRecord) -> None:
    _, event = parse_event(record.body)
    if isinstance(event, TicketCreated) and event.device_id:
        entry = LedgerEntry(
            to_iso(event.occurred_at),
            event.event_id,
            event.ticket_id,
            f"work order opened ({event.category})",
            "submitted",
        )
    elif isinstance(event, TicketStatusChanged) and event.device_id:
        entry = LedgerEntry(
            to_iso(event.occurred_at),
            event.event_id,
            event.ticket_id,
            f"work order {event.action}",
            event.to_status,
        )
    else:
        return
    wiring.internal_repository().add_ledger_entry(event.tenant_id, event.device_id, entry)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], _context: LambdaContext) -> dict[str, Any]:
    return process_sqs_batch(event, handle)
