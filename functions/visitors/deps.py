"""The visitors function's collaborators, built once per cold start (tests swap the clock and reset)."""

from __future__ import annotations

from functools import lru_cache

from courtyard.audit import AuditWriter
from courtyard.blind_index import BlindIndex, load_blind_index
from courtyard.clock import Clock, SystemClock
from courtyard.crypto import FieldCipher
from courtyard.cursor import CursorCodec, load_cursor_secret
from courtyard.directory import DirectoryReader
from courtyard.events import EventPublisher
from courtyard.outbox import Outbox
from courtyard.table import Table
from visitors.blocklist import BlocklistService
from visitors.gate import GateService
from visitors.pass_keys_repository import KmsPassKeys
from visitors.repository import VisitorsRepository
from visitors.service import PassService
from visitors.settings import VisitorsSettings, settings

SOURCE = "courtyard.visitors"
_clock_override: list[Clock] = []


def config() -> VisitorsSettings:
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
def cipher() -> FieldCipher:
    return FieldCipher(config().pii_key_id, clock=clock())


@lru_cache(maxsize=1)
def blind_index() -> BlindIndex:
    return load_blind_index(config().blind_index_secret_arn)


@lru_cache(maxsize=1)
def pass_keys() -> KmsPassKeys:
    """Public keys are fetched on first use and kept for the life of the sandbox: no KMS call per scan."""
    return KmsPassKeys(config().pass_signing_key_id, config().retired_key_ids)


@lru_cache(maxsize=1)
def table() -> Table:
    return Table(config().visitors_table, CursorCodec(load_cursor_secret(config().cursor_secret_arn)))


@lru_cache(maxsize=1)
def outbox() -> Outbox:
    return Outbox(table(), clock(), events())


@lru_cache(maxsize=1)
def repository() -> VisitorsRepository:
    return VisitorsRepository(table(), config().idempotency_hours)


@lru_cache(maxsize=1)
def service() -> PassService:
    return PassService(
        repo=repository(),
        directory=reader(),
        audit=audit(),
        events=events(),
        clock=clock(),
        cipher=cipher(),
        index=blind_index(),
        keys=pass_keys(),
        share_base_url=config().pass_share_base_url,
        outbox=outbox(),
    )


@lru_cache(maxsize=1)
def gate() -> GateService:
    return GateService(
        repo=repository(),
        directory=reader(),
        audit=audit(),
        events=events(),
        clock=clock(),
        index=blind_index(),
        keys=pass_keys(),
        passes=service(),
    )


@lru_cache(maxsize=1)
def blocklist() -> BlocklistService:
    return BlocklistService(repository(), reader(), audit(), clock(), cipher(), blind_index())


def reset() -> None:
    """Forget every collaborator (tests switch environments between cases)."""
    for factory in (
        clock,
        audit,
        events,
        reader,
        cipher,
        blind_index,
        pass_keys,
        table,
        outbox,
        repository,
        service,
        gate,
        blocklist,
    ):
        factory.cache_clear()
    settings.cache_clear()
