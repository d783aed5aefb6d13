"""The directory's collaborators, built once per cold start and shared by its route modules."""

from __future__ import annotations

from functools import lru_cache

from courtyard.audit import AuditWriter
from courtyard.blind_index import BlindIndex, load_blind_index
from courtyard.clock import Clock, SystemClock
from courtyard.crypto import FieldCipher
from courtyard.cursor import CursorCodec, load_cursor_secret
from courtyard.directory import DirectoryReader
from courtyard.events import EventPublisher
from directory.identity_repository import IdentityRepository
from directory.settings import DirectorySettings, settings
from directory.table import DirectoryTable

SOURCE = "courtyard.directory"


def config() -> DirectorySettings:
    return settings()


@lru_cache(maxsize=1)
def clock() -> Clock:
    return SystemClock()


@lru_cache(maxsize=1)
def cipher() -> FieldCipher:
    return FieldCipher(config().pii_key_id)


@lru_cache(maxsize=1)
def blind_index() -> BlindIndex:
    return load_blind_index(config().blind_index_secret_arn)


@lru_cache(maxsize=1)
def audit() -> AuditWriter:
    return AuditWriter(config().audit_table, config().audit_retention_days, clock())


@lru_cache(maxsize=1)
def events() -> EventPublisher:
    return EventPublisher(config().event_bus_name, SOURCE)


@lru_cache(maxsize=1)
def table() -> DirectoryTable:
    return DirectoryTable(
        config().directory_table, CursorCodec(load_cursor_secret(config().cursor_secret_arn))
    )


@lru_cache(maxsize=1)
def reader() -> DirectoryReader:
    return DirectoryReader(config().directory_table)


@lru_cache(maxsize=1)
def identity() -> IdentityRepository:
    return IdentityRepository(config().user_pool_id)


def reset() -> None:
    """Forget every collaborator (tests switch environments between cases)."""
    for factory in (clock, cipher, blind_index, audit, events, table, reader, identity):
        factory.cache_clear()
    settings.cache_clear()
