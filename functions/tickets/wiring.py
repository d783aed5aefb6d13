"""The tickets functions' collaborators, built once per cold start by the kernel's wiring.

Tests: ``courtyard.wiring.use_clock(FixedClock(...))``, ``wiring.override(repository, fake)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from courtyard.table import Table
from courtyard.wiring import Wiring
from tickets.adapters.s3_photos import PhotoStorage
from tickets.repositories.photos import PhotoRecords
from tickets.repositories.tickets import TicketRepository
from tickets.services.followup import FollowUpService
from tickets.services.photos import PhotoService
from tickets.services.stats import StatsService
from tickets.services.tickets import TicketService
from tickets.settings import settings

if TYPE_CHECKING:
    from tickets.services.alarms import AlarmIntake
    from tickets.services.emergency_acks import EmergencyAcceptance
    from tickets.services.erasure import ReporterErasure
    from tickets.services.export import TicketsExport
    from tickets.services.jobs import TicketJobs
    from tickets.services.replies import ReplyIntake

wiring = Wiring(settings, source="courtyard.tickets")


def table() -> Table:
    return wiring.table(wiring.config.tickets_table)


def worker_table() -> Table:
    """The jobs and the alarm consumer write no list cursors: a per-process key spares them the secret."""
    return wiring.table(wiring.config.tickets_table, cursors=False)


repository = wiring.factory(lambda: TicketRepository(table(), wiring.config.idempotency_hours))
worker_repository = wiring.factory(lambda: TicketRepository(worker_table(), wiring.config.idempotency_hours))

# Filing reads the caller's units, the unit and the staff list on every request: kept a minute per
# container (courtyard.directory_cache), within the delay a directory change may take (issue 18).
service = wiring.factory(
    lambda: TicketService(
        repo=repository(),
        directory=wiring.recent(),
        audit=wiring.audit(),
        events=wiring.events(),
        clock=wiring.clock,
        outbox=wiring.outbox(table()),
        links=wiring.live_links(),
    )
)

# Photos, follow-ups and statistics are built (and their modules imported) by the first request that uses
# them: the jobs and the alarm consumer never load them.

# Who is who, for the reporter's name on a ticket (the kernel's directory view; tests override it).
people = wiring.factory(lambda: wiring.reader())


def _photos() -> PhotoService:
    from tickets.services.photos import PhotoService

    storage = PhotoStorage(wiring.config.photo_bucket)
    return PhotoService(repository(), PhotoRecords(table()), storage, wiring.audit(), wiring.clock)


def _follow_ups() -> FollowUpService:
    from tickets.services.followup import FollowUpService

    return FollowUpService(repository(), wiring.audit(), wiring.clock)


def _stats() -> StatsService:
    from tickets.services.stats import StatsService

    return StatsService(repository(), wiring.reader(), wiring.clock)


photos = wiring.factory(_photos)
follow_ups = wiring.factory(_follow_ups)
stats = wiring.factory(_stats)

# The job and the alarm consumer import their modules when built, so the API function never loads them.


def _jobs() -> TicketJobs:
    from tickets.repositories.jobs import JobsRepository
    from tickets.services.jobs import TicketJobs

    store = JobsRepository(worker_table(), worker_repository())
    return TicketJobs(store, wiring.reader(), wiring.audit(), wiring.events(), wiring.clock)


def _alarm_intake() -> AlarmIntake:
    from tickets.repositories.alarms import AlarmsRepository
    from tickets.services.alarms import AlarmIntake

    store = AlarmsRepository(worker_table(), worker_repository())
    return AlarmIntake(store, wiring.reader(), wiring.audit(), wiring.clock, wiring.outbox(worker_table()))


# The API's rules on the worker's table (no list cursors, so no cursor secret for the reply consumer).
worker_service = wiring.factory(
    lambda: TicketService(
        repo=worker_repository(),
        directory=wiring.reader(),
        audit=wiring.audit(),
        events=wiring.events(),
        clock=wiring.clock,
        outbox=wiring.outbox(worker_table()),
    )
)


def _reply_intake() -> ReplyIntake:
    from tickets.services.replies import ReplyIntake

    return ReplyIntake(worker_service())


def _emergency_acks() -> EmergencyAcceptance:
    from tickets.services.emergency_acks import EmergencyAcceptance

    return EmergencyAcceptance(worker_service(), wiring.reader(), wiring.audit())


jobs = wiring.factory(_jobs)
reply_intake = wiring.factory(_reply_intake)
# EmergencyAcknowledged (a keypress of 1 on the ladder's call), on the reply queue: accepts the ticket.
emergency_acks = wiring.factory(_emergency_acks)
alarm_intake = wiring.factory(_alarm_intake)
sweep_outbox = wiring.factory(lambda: wiring.outbox(worker_table()))


def _erasure() -> ReporterErasure:
    from tickets.repositories.erasure import ReporterScrubber
    from tickets.services.erasure import ReporterErasure

    return ReporterErasure(ReporterScrubber(worker_table()))


# The people consumer (ResidentErased): anonymises an erased person's tickets.
erasure = wiring.factory(_erasure)


def _export() -> TicketsExport:
    from tickets.repositories.export import TicketExportReader
    from tickets.services.export import TicketsExport

    return TicketsExport(TicketExportReader(worker_table()), wiring.export_part("tickets"))


# The people consumer (PersonalDataExportRequested): writes the tickets' part of a person's export.
export = wiring.factory(_export)
