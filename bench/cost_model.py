"""The modelled parts of the honest month (issue 18), kept apart from the sample's metering (bench/cost.py).

- **DynamoDB units by item size**: the local workers size every write's item before and after it and every
  index copy it changes (``infra/local/ddb_units.py``); this prices them per table and per index.
- **Lambda INIT**: Lambda bills the INIT phase of on-demand functions (since August 2025). Cold starts are
  modelled from the deployment's arrival rate of each function (Poisson): an invocation finds no warm
  container when the previous one came more than ``IDLE_S`` before, and a busy function still gets a fresh
  container every ``LIFETIME_S``. Each costs the function's measured import time (the local worker's cold
  import on this machine, bench/cold_import.py measures the same) at the template's memory.
- **The ingest at real cadence**: the accelerated sample sends a device's uploads seconds apart, so the
  ingest's caches (device 60 s, a tenant's rules 60 s) always hit; at real cadence a device uploads every
  ten minutes, so its device lookup misses every time and its tenant's rules about once a minute.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bench import prices

SECONDS_PER_MONTH = 30 * 24 * 3600
IDLE_S = 6 * 60.0  # an idle container is reclaimed after roughly 5-15 minutes: the short end (conservative)
LIFETIME_S = 2 * 3600.0  # a busy container is replaced every few hours: the short end
# Reads of one upload whose caches missed (functions/sensors/services/ingest.py): the device (GetItem,
# eventually consistent, under 4 KB: 0.5 RRU); a tenant's rules (one Query page: 0.5 RRU) once per cache
# period per warm container.
INGEST_DEVICE_RRU = 0.5
INGEST_RULES_RRU = 0.5
INGEST_CACHE_S = 60.0
INGEST_CONTAINERS = 2  # warm ingest containers at 100 communities x 100 devices (17 uploads/s x ~50 ms)

Add = Callable[..., None]


FULL_VCPU_MB = 1769  # Lambda gives one vCPU at 1,769 MB and a proportional share below it


def cpu_stretch(memory_mb: int) -> float:
    """How much longer CPU-bound work takes at ``memory_mb`` than on one full core (the local worker's)."""
    return max(1.0, FULL_VCPU_MB / memory_mb)


# Typical in-region latency of one AWS call from Lambda (ms, p50 of published figures and common
# measurements): the waiting part of a duration. The local cloud's wall clock measures moto over HTTP on a
# shared 2-core machine instead (3-10x slower, and load-dependent), so it is not what Lambda would bill.
CALL_MS: dict[str, float] = {
    "dynamodb": 6.0,
    "events": 15.0,
    "sqs": 12.0,
    "sns": 20.0,
    "s3": 20.0,
    "kms": 10.0,
    "secretsmanager": 20.0,
    "ssm": 15.0,
    "ses": 50.0,
    "sesv2": 50.0,
    "cognito-idp": 30.0,
    "iot": 20.0,
    "iot-data": 20.0,
}
DEFAULT_CALL_MS = 20.0
RUNTIME_MS = 1.0  # the runtime's own work per invocation (the Lambda API round trip), besides the handler


def lambda_ms(wall_ms: float, cpu_ms: float, memory_mb: int) -> float:
    """Lambda's billed duration for work measured locally on a full core: the waiting part as given, the CPU
    part stretched to the memory's CPU share (at 512 MB, 0.29 vCPU: 3.5x)."""
    cpu = min(max(cpu_ms, 0.0), wall_ms)
    return wall_ms - cpu + cpu * cpu_stretch(memory_mb)


def waiting_ms(usage: Mapping[str, float], function_id: str) -> float:
    """The time ``function_id`` waits on AWS calls: its calls (by service) x their in-region latency."""
    prefix = f"by:{function_id}:"
    return sum(
        calls * CALL_MS.get(key[len(prefix) :].partition(".")[0], DEFAULT_CALL_MS)
        for key, calls in usage.items()
        if key.startswith(prefix)
    )


def duration_ms(usage: Mapping[str, float], function_id: str, memory_mb: int) -> float:
    """Modelled billed duration of ``function_id``'s invocations in ``usage``: measured CPU time at the
    memory's CPU share + its AWS calls at in-region latency + the runtime's per-invocation overhead."""
    cpu = usage.get(f"cpu:{function_id}", 0.0)
    invocations = usage.get(f"fn:{function_id}", 0.0)
    waiting = waiting_ms(usage, function_id) + RUNTIME_MS * invocations
    return waiting + cpu * cpu_stretch(memory_mb)


def cold_starts(invocations: float, seconds: float = SECONDS_PER_MONTH) -> float:
    """Cold starts of one function invoked ``invocations`` times a month (Poisson arrivals)."""
    if invocations <= 0:
        return 0.0
    warm = 1.0 - math.exp(-invocations / seconds * IDLE_S)  # P(the previous call was within IDLE_S)
    return min(invocations, invocations * (1.0 - warm) + warm * seconds / LIFETIME_S)


@dataclass(frozen=True)
class InitShare:
    community: float  # the community's cold starts (its own invocations' share)
    deployment: float  # the schedules' share (a charge of the deployment)


def init_share(invoked: float, scheduled: float, communities: int) -> InitShare:
    """A function's month of cold starts on a deployment of ``communities`` like this one, split between
    this community (by its share of the invocations) and the deployment (its schedules)."""
    total = invoked * communities + scheduled
    cold = cold_starts(total)
    if total <= 0:
        return InitShare(0.0, 0.0)
    return InitShare(cold * invoked / total, cold * scheduled / total)


def short_table(name: str) -> str:
    """``courtyard-dev-tickets`` -> ``tickets`` (the physical names carry the stack and stage)."""
    for prefix in ("courtyard-", "Courtyard"):
        name = name.removeprefix(prefix)
    return name.split("-", 1)[1] if name.count("-") >= 1 and name.split("-", 1)[0].islower() else name


def add_dynamodb_units(usage: Mapping[str, float], add: Add) -> bool:
    """Price the ``units:<function>:<kind>:<table>[/<index>]`` counters; False if the run had none (then the
    calls are priced at the old flat units per call)."""
    seen = False
    for key, units in usage.items():
        if not key.startswith("units:") or units <= 0:
            continue
        _, _, rest = key.partition(":")
        _, _, counter = rest.partition(":")
        kind, _, what = counter.partition(":")
        if kind == "wru":
            seen = True
            table, _, index = what.partition("/")
            label = (
                f"{short_table(table)}: index {index} copies (sized, projection from the table)"
                if index
                else f"{short_table(table)}: table writes (item sizes, x2 in transactions)"
            )
            add("dynamodb.wru", label, units, True)
        elif kind == "rru":
            seen = True
            add("dynamodb.rru", f"{what} reads (sized by the items returned)", units, True)
    return seen


def add_sms(usage: Mapping[str, float], add: Add) -> float:
    """Price the SMS the workload sent (SNS Publish to a phone number); returns how many."""
    sms = sum(v for k, v in usage.items() if k.startswith("units:") and k.endswith(":sms:Publish"))
    if sms:
        add("sms.cn", "SMS sent by the workload (SNS Publish to a phone number)", sms, True)
    return sms


def add_init(
    add: Add, init_ms: float, memory_mb: int, invoked: float, scheduled: float, communities: int
) -> None:
    """INIT GB-s of a function's modelled cold starts: the community's, and the deployment's (schedules)."""
    if not init_ms:
        return
    share = init_share(invoked, scheduled, communities)
    # An import is CPU work: stretched to the memory's CPU share like the invocations' CPU part.
    init_ms = init_ms * cpu_stretch(memory_mb)
    what = "INIT GB-s of modelled cold starts (measured import time at the memory's CPU share)"
    add("lambda.gb_s_arm64", what, prices.gb_seconds(share.community * init_ms, memory_mb), True)
    add("lambda.gb_s_arm64", what, prices.gb_seconds(share.deployment * init_ms, memory_mb), True, True)


def ingest_cache_misses(uploads: float, tenants_minutes: float) -> tuple[float, str]:
    """RRU of the ingest's cache misses at real cadence for ``uploads`` a month."""
    rules = min(uploads, tenants_minutes * INGEST_CONTAINERS * 60.0 / INGEST_CACHE_S)
    what = (
        "ingest cache misses at real cadence (a device lookup per upload, a tenant's rules once a minute "
        f"per warm container, {INGEST_CONTAINERS} containers; modelled)"
    )
    return uploads * INGEST_DEVICE_RRU + rules * INGEST_RULES_RRU, what
