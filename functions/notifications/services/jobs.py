"""The every-minute job: scheduled notices whose time has come go to the fan-out, messages held by quiet
hours whose window has ended go back to the delivery queue (marked released)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import islice

from courtyard.clock import Clock
from notifications.domain import DeliveryJob
from notifications.repository import DueEntry, NotificationsRepository
from notifications.routing import Lanes
from notifications.services.fanout import JobSink
from notifications.services.notices import fanout_command


@dataclass(frozen=True)
class JobsReport:
    notices: int
    released: int


class DueJobs:
    def __init__(
        self, repo: NotificationsRepository, fanout: JobSink, deliveries: Lanes, clock: Clock
    ) -> None:
        self._repo = repo
        self._fanout = fanout
        self._deliveries = deliveries
        self._clock = clock

    # Entries handled per batch of sends; between batches the run checks its time (courtyard.drain).
    BATCH = 100

    def run(self, out_of_time: Callable[[], bool] = lambda: False) -> JobsReport:
        """Drains every entry due now, a batch at a time, until none is left or ``out_of_time``: what it
        did not reach stays due for the next minute."""
        due = iter(self._repo.due(self._clock.now()))
        notices = released = 0
        while not out_of_time() and (batch := list(islice(due, self.BATCH))):
            report = self._batch(batch)
            notices, released = notices + report.notices, released + report.released
        return JobsReport(notices, released)

    def _batch(self, due: Iterable[DueEntry]) -> JobsReport:
        due = list(due)
        # The fan-out removes a notice's entry when it finishes; until then the command may be resent.
        notices = [fanout_command(e.tenant_id, e.entry_id) for e in due if e.kind == "notice"]
        held: list[DueEntry] = [e for e in due if e.kind == "held" and e.payload]
        if notices:
            self._fanout.send((str(n % 10), body) for n, body in enumerate(notices))
        if held:
            jobs = [DeliveryJob.model_validate_json(str(e.payload)) for e in held]
            # Enqueued (each on its lane) before the entry is removed: a crash in between re-sends a job
            # the sender has done.
            self._deliveries.send(jobs)
            for entry, job in zip(held, jobs, strict=True):
                self._repo.release(entry.tenant_id, entry.entry_id, job.notice_id)
        return JobsReport(len(notices), len(held))
