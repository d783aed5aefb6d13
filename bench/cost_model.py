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
    what = "INIT GB-s of modelled cold starts (measured import time x template memory)"
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
