"""The tickets function's collaborators, built once per cold start (tests swap the clock and reset)."""

from __future__ import annotations

from functools import lru_cache

from courtyard.audit import AuditWriter
from courtyard.clock import Clock, SystemClock
from courtyard.cursor import CursorCodec, load_cursor_secret
from courtyard.directory import DirectoryReader
from courtyard.events import EventPublisher
from courtyard.outbox import Outbox
from courtyard.table import Table
from tickets.photo_records_repository import PhotoRecords
from tickets.photos import PhotoService
from tickets.photos_repository import PhotoStorage
from tickets.repository import TicketRepository
from tickets.service import TicketService
from tickets.settings import TicketsSettings, settings

SOURCE = "courtyard.tickets"
_clock_override: list[Clock] = []


def config() -> TicketsSettings:
    return settings()


def use_clock(clock: Clock | None) -> None:
    """Tests inject a FixedClock here; None returns to the wall clock."""
    _clock_override.clear()
    if clock is not None:
        _clock_override.append(clock)
    reset()


@lru_cache(maxsize=1)
def clock() -> Clock:
    return _clock_override[0] if _clock_override else SystemClock()


@lru_cache(maxsize=1)
def audit() -> AuditWriter:
    return AuditWriter(config().audit_table, config().audit_retention_days, clock())


@lru_cache(maxsize=1)
def events() -> EventPublisher:
    return EventPublisher(config().event_bus_name, SOURCE)


@lru_cache(maxsize=1)
def reader() -> DirectoryReader:
    return DirectoryReader(config().directory_table)


@lru_cache(maxsize=1)
def table() -> Table:
    return Table(config().tickets_table, CursorCodec(load_cursor_secret(config().cursor_secret_arn)))


@lru_cache(maxsize=1)
def outbox() -> Outbox:
    return Outbox(table(), clock(), events())


@lru_cache(maxsize=1)
def repository() -> TicketRepository:
    return TicketRepository(table(), config().idempotency_hours)


@lru_cache(maxsize=1)
def service() -> TicketService:
    return TicketService(
        repo=repository(),
        directory=reader(),
        audit=audit(),
        events=events(),
        clock=clock(),
        outbox=outbox(),
    )


@lru_cache(maxsize=1)
def photos() -> PhotoService:
    storage = PhotoStorage(config().photo_bucket)
    return PhotoService(repository(), PhotoRecords(table()), storage, audit(), clock())


def reset() -> None:
    """Forget every collaborator (tests switch environments between cases)."""
    for factory in (clock, audit, events, reader, table, outbox, repository, service, photos):
        factory.cache_clear()
    settings.cache_clear()
