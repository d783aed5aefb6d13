"""Domain events from the bus -> delivery jobs, one per recipient of each message the event produces.

Each job goes to its lane (``notifications.routing``). Idempotent on the event: message ids are derived from
the event id and the recipient, so a duplicate event enqueues the same jobs again and the sender keeps the
first of each.
"""

from __future__ import annotations

from dataclasses import dataclass

from courtyard.clock import to_iso
from notifications.domain import DeliveryJob, Household, Recipient, message_id
from notifications.event_messages import Directory, EventMessage, content_of, messages_for, source_of
from notifications.routing import Lanes
from schemas.events import parse_event


@dataclass(frozen=True)
class IntakeReport:
    detail_type: str
    tenant_id: str
    event_id: str
    jobs: int


class EventIntake:
    def __init__(self, directory: Directory, jobs: Lanes) -> None:
        self._directory = directory
        self._jobs = jobs

    def handle(self, body: str) -> IntakeReport:
        """Raises ValueError for a malformed or unknown event (the record fails alone, then the DLQ)."""
        detail_type, event = parse_event(body)
        source = source_of(detail_type, event)
        at = event.occurred_at
        jobs: list[DeliveryJob] = []
        for message in messages_for(event, self._directory):
            content = content_of(message)
            for recipient in message.recipients:
                jobs.append(
                    DeliveryJob(
                        tenant_id=event.tenant_id,
                        message_id=message_id(source, recipient.key, at),
                        source=source,
                        recipient=recipient,
                        category=message.category,
                        priority=message.priority,
                        channels=message.channels,
                        content=content,
                        created_at=to_iso(at),
                        data=message.data,
                        household=_household(message, recipient),
                    )
                )
        if jobs:
            self._jobs.send(jobs)  # urgent kinds on the priority lane: never behind a notice's backlog
        return IntakeReport(detail_type, event.tenant_id, event.event_id, len(jobs))


def _household(message: EventMessage, recipient: Recipient) -> Household | None:
    """A unit's money message: the texter's job names the rest of the household (household_once)."""
    if message.household is None:
        return None
    if recipient.key != message.household.texter_key:
        return Household(unit_id=message.household.unit_id)
    others = tuple(r for r in message.recipients if r.key != recipient.key)
    return Household(unit_id=message.household.unit_id, texter=True, others=others)
