"""Lambda memory per function class (issue 18): right-sized where nobody waits, unchanged where someone does.

A smaller memory is a smaller share of a vCPU, so a cold start's imports take several times longer. That is
felt where a person waits (an API request, the authorizer, a sign-in trigger, a device's upload) and on the
priority lane (an SOS, an alarm, its emergency ladder and its acknowledgement must not wait a second longer);
it is not felt by the asynchronous consumers and scheduled jobs, which get the memory their measured resident
size x 1.5 needs (``bench.cost_levers.right_size``, the same rule the bench's memory lever prices).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.cost_levers import right_size
from bench.cost_model import cpu_stretch
from infra.local.template import ApiEvent, load_template

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = {f.logical_id: f for f in load_template(ROOT / "template.yaml").functions()}
WAITED_MEMORY_MB = 512  # the Globals' memory every waited-on function keeps (at least)

# A person or a device waits on these though no API event invokes them.
WAITED_WITHOUT_API = {
    "IdentityAuthorizerFunction": "the gateway's authorizer runs before every uncached request",
    "SigninMfaClaimFunction": "Cognito's token trigger runs inside a staff member's sign-in",
    "SensorsIngestFunction": "a device's upload (the IoT rule's action) and its alarm path",
}
# The priority lane: an SOS or an alarm, its emergency ladder and its acknowledgement.
PRIORITY = {
    "NotificationsPrioritySenderFunction": "alarms, SOS, visitors and receipts; the ladder's voice calls",
    "NotificationsEventsFunction": "starts and stops the emergency ladders",
    "NotificationsJobsFunction": "climbs the emergency ladders every minute",
    "TicketsAlarmsFunction": "opens the work order of an alarm",
    "TicketsRepliesFunction": "a keypress of 1 on an emergency call accepts it",
    "SensorsAcksFunction": "a keypress of 1 on an emergency call acknowledges the alarm",
}
# Bulk jobs whose resident size grows with the job (a 10,000-row import, a city's audience), not with the
# sample's small ones: they keep the memory they were given for their largest job.
BULK = {"DirectoryImportFunction": 1024, "NotificationsFanoutFunction": 1024}
# Added after the measurement (merged from main): the Globals' memory until a bench run measures them.
NOT_YET_MEASURED = {"DirectoryEventsFunction"}
# No time guard, and work that grows with the data in one invocation: their timeouts must hold at any size.
NO_TIME_GUARD = {"PaymentsBillingFunction", "VisitorsJobsFunction", "AuditExportFunction"}
# Measured at the end of `python -m bench.cost` (2026-12-08, the local cloud's workers): worker RSS and mean
# import time (MB, ms) of the consumers and jobs nobody waits on (the drain jobs stop 5 s before timeout).
MEASURED = {
    "IdentityEventsFunction": (60.0, 460.5),
    "TicketsJobsFunction": (75.0, 258.5),
    "TicketsPeopleFunction": (61.8, 798.7),
    "PaymentsPeopleFunction": (60.5, 160.4),
    "PaymentsJobsFunction": (79.0, 190.9),
    "NotificationsRepliesFunction": (58.9, 64.3),
    "NotificationsSenderFunction": (96.7, 162.4),
    "VisitorsResidencyFunction": (60.4, 127.8),
    "SensorsHeartbeatFunction": (73.6, 135.8),
    "SensorsTicketsFunction": (84.6, 131.4),
}
INIT_BUDGET_MS = 5_000  # half Lambda's 10 s INIT limit, for the imports at the smaller CPU share


def right_sized(rss_mb: float, init_ms: float) -> int:
    """RSS x 1.5, raised (64 MB steps) until the imports at the memory's CPU share fit the budget."""
    memory = right_size(rss_mb)
    while init_ms * cpu_stretch(memory) > INIT_BUDGET_MS:
        memory += 64
    return memory


def _is_api(logical_id: str) -> bool:
    return any(isinstance(e, ApiEvent) for e in FUNCTIONS[logical_id].events)


def test_every_function_has_a_class() -> None:
    classed = (
        set(WAITED_WITHOUT_API) | set(PRIORITY) | set(BULK) | NO_TIME_GUARD | NOT_YET_MEASURED | set(MEASURED)
    )
    unclassed = {fid for fid in FUNCTIONS if not _is_api(fid)} - classed
    assert not unclassed, f"new function(s) {sorted(unclassed)}: waited on, priority, bulk or right-sized?"
    assert not {fid for fid in MEASURED if _is_api(fid)}, "an API function is never right-sized down"


WAITED = sorted(f for f in FUNCTIONS if _is_api(f)) + sorted(WAITED_WITHOUT_API)


@pytest.mark.parametrize("logical_id", WAITED)
def test_waited_on_functions_keep_their_memory(logical_id: str) -> None:
    assert FUNCTIONS[logical_id].memory >= WAITED_MEMORY_MB


@pytest.mark.parametrize("logical_id", sorted(PRIORITY))
def test_the_priority_lane_keeps_its_memory(logical_id: str) -> None:
    assert FUNCTIONS[logical_id].memory >= WAITED_MEMORY_MB


@pytest.mark.parametrize("logical_id", sorted(BULK))
def test_bulk_jobs_keep_their_memory(logical_id: str) -> None:
    assert FUNCTIONS[logical_id].memory >= BULK[logical_id]


@pytest.mark.parametrize("logical_id", sorted(NO_TIME_GUARD))
def test_jobs_without_a_time_guard_keep_their_memory(logical_id: str) -> None:
    assert FUNCTIONS[logical_id].memory >= WAITED_MEMORY_MB


@pytest.mark.parametrize("logical_id", sorted(MEASURED))
def test_nobody_waits_so_memory_is_measured_rss_with_headroom(logical_id: str) -> None:
    rss_mb, init_ms = MEASURED[logical_id]
    assert FUNCTIONS[logical_id].memory == right_sized(rss_mb, init_ms)
    assert FUNCTIONS[logical_id].memory < WAITED_MEMORY_MB


def test_the_right_size_rule_raises_memory_for_slow_imports() -> None:
    assert right_sized(60.0, 100.0) == 128
    assert right_sized(97.0, 100.0) == 192  # RSS x 1.5 = 146 MB
    assert right_sized(60.0, 800.0) == 320  # 800 ms x 1769/320 = 4.4 s; at 256 MB it would be 5.5 s
