"""Domain events on the EventBridge bus: the base detail model and the publisher features send them with.

An entry is ``Source = courtyard.<feature>``, ``DetailType = <Noun><PastVerb>`` (``TicketCreated``) and
``Detail`` = the event model as JSON. Publishing either succeeds for every event or raises ``PublishFailed``,
so the caller's request or queue record fails and is retried; consumers are idempotent on ``event_id``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ConfigDict, Field, field_serializer, field_validator

from courtyard import aws
from courtyard.clock import to_iso
from courtyard.ids import new_id
from courtyard.models import Model

MAX_BATCH_ENTRIES = 10  # PutEvents accepts at most 10 entries per request
MAX_REQUEST_BYTES = 256 * 1024  # ... whose summed entry sizes must stay under 256 KB
_TIME_FIELD_BYTES = 14  # how EventBridge counts the Time field of an entry

SOURCE_PATTERN = re.compile(r"^courtyard\.[a-z][a-z0-9-]*$")
# PascalCase, at least two words, e.g. TicketCreated, TicketStatusChanged.
DETAIL_TYPE_PATTERN = re.compile(r"^(?:[A-Z][a-z0-9]+){2,}$")
# The last word must read as a past participle: "-ed", or one of these irregular or state words
# ("PaymentOverdue" is in DESIGN.md's list). Extend the set when a real event needs another.
PAST_WORDS = frozenset(
    {"Overdue", "Due", "Sent", "Paid", "Built", "Left", "Lost", "Set", "Reset", "Read", "Held", "Found",
     "Done", "Made", "Taken", "Given", "Written", "Broken", "Frozen", "Chosen", "Hidden", "Shown", "Seen",
     "Run", "Put", "Cut", "Shut", "Won", "Begun", "Withdrawn", "Undone", "Rebuilt", "Resent", "Bound"}
)  # fmt: skip
_LAST_WORD = re.compile(r"[A-Z][a-z0-9]*$")
# A phrasal verb's particle ends the name after its verb: ResidentMovedOut, DeviceSignedIn.
_PARTICLE = re.compile(r"[A-Z][a-z0-9]*(?=(?:Out|In|Up|Off|Down|Back|Over)$)")


class DomainEvent(Model):
    """The detail every domain event carries; feature events subclass it and add the subject's id."""

    # Built on first use, not at import: a function imports every event model of schemas.events but
    # publishes or reads only a few, and building them all was a tenth of each cold start.
    model_config = ConfigDict(frozen=True, defer_build=True)

    event_id: str = Field(default_factory=new_id)
    tenant_id: str = Field(min_length=1)
    # Services should pass their injected clock's now(); the default serves ad-hoc and test events.
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("occurred_at must be timezone-aware")
        return value.astimezone(UTC)

    @field_serializer("occurred_at", when_used="json")
    def _iso(self, value: datetime) -> str:
        return to_iso(value)


def validate_detail_type(detail_type: str) -> str:
    """Return ``detail_type`` if it follows ``<Noun><PastVerb>``, else raise ValueError."""
    if len(detail_type) > 128 or not DETAIL_TYPE_PATTERN.match(detail_type):
        raise ValueError(f"detail type {detail_type!r} is not PascalCase <Noun><PastVerb>")
    last = _LAST_WORD.search(detail_type)
    if last is not None and last.group() not in PAST_WORDS:
        last = _PARTICLE.search(detail_type) or last
    if last is None or not (last.group().endswith("ed") or last.group() in PAST_WORDS):
        raise ValueError(f"detail type {detail_type!r} must end with a past verb (TicketCreated)")
    return detail_type


def validate_source(source: str) -> str:
    if not SOURCE_PATTERN.match(source):
        raise ValueError(f"event source {source!r} must be courtyard.<feature>")
    return source


class EventTooLarge(ValueError):
    """An entry over EventBridge's 256 KB limit: not retryable, so it fails before anything is sent."""


@dataclass(frozen=True, slots=True)
class FailedEvent:
    event_id: str
    detail_type: str
    error_code: str
    error_message: str


class PublishFailed(Exception):
    """Some events were still rejected after retries; nothing tells which consumers saw the others."""

    def __init__(self, failures: Sequence[FailedEvent]) -> None:
        self.failures = list(failures)
        summary = ", ".join(f"{f.event_id} ({f.error_code})" for f in self.failures[:10])
        more = f" and {len(self.failures) - 10} more" if len(self.failures) > 10 else ""
        super().__init__(f"{len(self.failures)} event(s) not published: {summary}{more}")

    @property
    def event_ids(self) -> list[str]:
        return [f.event_id for f in self.failures]


@dataclass(frozen=True, slots=True)
class EventEnvelope:
    """One PutEvents entry, built and size-checked before any request is made."""

    bus_name: str
    source: str
    detail_type: str
    detail: DomainEvent

    def entry(self) -> dict[str, Any]:
        return {
            "EventBusName": self.bus_name,
            "Source": self.source,
            "DetailType": self.detail_type,
            "Detail": self.detail.model_dump_json(),
            "Time": self.detail.occurred_at,
        }

    @staticmethod
    def size(entry: dict[str, Any]) -> int:
        """The entry size as EventBridge counts it (Time, Source, DetailType, Detail, Resources)."""
        size = _TIME_FIELD_BYTES if entry.get("Time") is not None else 0
        size += len(entry["Source"].encode()) + len(entry["DetailType"].encode())
        size += len(entry.get("Detail", "").encode())
        size += sum(len(r.encode()) for r in entry.get("Resources", []))
        return size


class EventPublisher:
    """Publishes domain events to one bus under one source (``courtyard.<feature>``)."""

    def __init__(
        self,
        bus_name: str,
        source: str,
        client: Any | None = None,
        *,
        max_attempts: int = 3,
        backoff_seconds: float = 0.1,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.bus_name = bus_name
        self.source = validate_source(source)
        self._client = client
        self._max_attempts = max_attempts
        self._backoff_seconds = backoff_seconds
        self._sleep = sleep

    @property
    def client(self) -> Any:
        # Resolved on first publish so that building a publisher at import time makes no client.
        return self._client if self._client is not None else aws.client("events")

    def publish(self, detail_type: str, detail: DomainEvent) -> None:
        self.publish_many([(detail_type, detail)])

    def publish_many(self, events: Iterable[tuple[str, DomainEvent]]) -> None:
        """Send every event (batched by 10 and 256 KB); raise PublishFailed if any is still rejected."""
        envelopes = [
            EventEnvelope(self.bus_name, self.source, validate_detail_type(detail_type), detail)
            for detail_type, detail in events
        ]
        pending: list[tuple[EventEnvelope, dict[str, Any], int]] = []
        for envelope in envelopes:
            entry = envelope.entry()
            size = EventEnvelope.size(entry)
            if size >= MAX_REQUEST_BYTES:
                raise EventTooLarge(
                    f"event {envelope.detail.event_id} ({envelope.detail_type}) is {size} bytes; "
                    f"the limit is {MAX_REQUEST_BYTES}"
                )
            pending.append((envelope, entry, size))

        failures: list[FailedEvent] = []
        for batch in _batches(pending):
            failures.extend(self._send_with_retries(batch))
        if failures:
            raise PublishFailed(failures)

    def _send_with_retries(self, batch: list[tuple[EventEnvelope, dict[str, Any], int]]) -> list[FailedEvent]:
        remaining = [(envelope, entry) for envelope, entry, _ in batch]
        failures: list[FailedEvent] = []
        for attempt in range(1, self._max_attempts + 1):
            response = self.client.put_events(Entries=[entry for _, entry in remaining])
            results = response.get("Entries", [])
            failures = []
            retry: list[tuple[EventEnvelope, dict[str, Any]]] = []
            for index, (envelope, entry) in enumerate(remaining):
                result = results[index] if index < len(results) else {"ErrorCode": "MissingResult"}
                if result.get("ErrorCode"):
                    retry.append((envelope, entry))
                    failures.append(
                        FailedEvent(
                            envelope.detail.event_id,
                            envelope.detail_type,
                            str(result.get("ErrorCode")),
                            str(result.get("ErrorMessage", "")),
                        )
                    )
            if not retry:
                return []
            remaining = retry
            if attempt < self._max_attempts:
                self._sleep(self._backoff_seconds * 2 ** (attempt - 1))
        return failures


def _batches(
    pending: list[tuple[EventEnvelope, dict[str, Any], int]],
) -> Iterable[list[tuple[EventEnvelope, dict[str, Any], int]]]:
    batch: list[tuple[EventEnvelope, dict[str, Any], int]] = []
    batch_bytes = 0
    for item in pending:
        size = item[2]
        if batch and (len(batch) == MAX_BATCH_ENTRIES or batch_bytes + size >= MAX_REQUEST_BYTES):
            yield batch
            batch, batch_bytes = [], 0
        batch.append(item)
        batch_bytes += size
    if batch:
        yield batch
