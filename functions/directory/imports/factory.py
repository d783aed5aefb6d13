"""Builds the import service for both halves: the API (create, validate, commit) and the worker."""

from __future__ import annotations

from directory import deps
from directory.imports.repository import ImportJobRepository
from directory.imports.service import ImportService
from directory.imports.storage_repository import ImportStorage
from directory.imports.writer_repository import ImportWriter, SiteDirectory
from directory.people.repository import PeopleRepository


def build_service() -> ImportService:
    config = deps.config()
    table = deps.table()
    return ImportService(
        jobs=ImportJobRepository(table),
        storage=ImportStorage(config.import_bucket, config.import_queue_url),
        sites=SiteDirectory(table),
        writer=ImportWriter(table, deps.cipher(), deps.blind_index(), deps.clock()),
        audit=deps.audit(),
        events=deps.events(),
        clock=deps.clock(),
        people=PeopleRepository(table, deps.cipher(), deps.blind_index()),
    )
