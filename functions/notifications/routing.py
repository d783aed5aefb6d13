"""Two delivery lanes, so bulk traffic never delays what someone is waiting for.

The priority lane (its own queue, dead-letter queue and sender with its own concurrency) carries alarms,
SOS and other urgent work orders (and their escalations), visitors (the pass link, the arrival) and payment
receipts. Everything else - notices, bills, arrears letters, routine ticket updates - takes the bulk lane.
Notices stay on the bulk lane even when urgent: one notice can be thousands of jobs, and on the priority
lane it would queue them ahead of the next alarm.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from notifications.domain import Category, DeliveryJob, Priority
from notifications.services.fanout import JobSink

_PRIORITY_CATEGORIES = frozenset({Category.ALARM, Category.VISITOR})
_PRIORITY_TEMPLATES = frozenset({"payment_succeeded"})


class Lane(StrEnum):
    BULK = "bulk"
    PRIORITY = "priority"


def lane_of(job: DeliveryJob) -> Lane:
    if job.category is Category.NOTICE:
        return Lane.BULK
    if job.category in _PRIORITY_CATEGORIES or job.content.template in _PRIORITY_TEMPLATES:
        return Lane.PRIORITY
    if job.category is Category.TICKET and job.priority is Priority.URGENT:
        return Lane.PRIORITY
    return Lane.BULK


class Lanes:
    """Sends each delivery job to its lane's queue."""

    def __init__(self, bulk: JobSink, priority: JobSink) -> None:
        self._sinks = {Lane.BULK: bulk, Lane.PRIORITY: priority}

    def send(self, jobs: Iterable[DeliveryJob]) -> dict[Lane, int]:
        """Enqueue the jobs; the number sent per lane. The priority lane goes first."""
        by_lane: dict[Lane, list[DeliveryJob]] = {Lane.PRIORITY: [], Lane.BULK: []}
        for job in jobs:
            by_lane[lane_of(job)].append(job)
        for lane, chosen in by_lane.items():
            if chosen:
                self._sinks[lane].send((str(n % 10), job.model_dump_json()) for n, job in enumerate(chosen))
        return {lane: len(chosen) for lane, chosen in by_lane.items()}
