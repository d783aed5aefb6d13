"""The cost of a simulated month for one 1,000-household community (bench/workload.md), on the local cloud.

Each activity of the workload runs a small sample on the local cloud, one activity at a time; the meters
(worker botocore hooks, the gateway's request count, the broker bridge's message and rule counters, the
workers' log files, and the S3 requests the client makes itself) are read before and after the activity has
settled, and the difference, multiplied by the activity's scale factor (monthly count / sample count), is
its share of the month. What the local cloud cannot show (Lambda's SQS pollers, IoT connection minutes,
the ingest's wall-clock writes, X-Ray sampling, Lambda's platform log lines) is modelled and labelled so.
bench/prices.py turns the month into dollars.

    python -m bench.cost
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench import (
    app_opens,
    applied_levers,
    cost_levers,
    cost_model,
    ddb_units,
    device_levers,
    edge_cost,
    household_texts,
    lambda_units,
    prices,
    sms_reasons,
    wechat_share,
)
from bench.identity_cost import OPENS_PER_RESIDENT, WECHAT_SHARE, identity_month

if TYPE_CHECKING:
    from infra.local.cloud import CloudInfo, LocalCloud
    from infra.seed import DemoData

SECONDS_PER_MONTH = 30 * 24 * 3600
MINUTES_PER_MONTH = SECONDS_PER_MONTH // 60
TARGET_USD = 2.0
HOUSEHOLDS = 1_000
# The shared lines (keys, secrets, idle polling) are divided by the communities one deployment serves.
COMMUNITIES_PER_DEPLOYMENT = 100

# Modelling constants (bench/workload.md says why).
ESM_IDLE_RECEIVES_PER_MINUTE = 5 * 3  # 5 long-polling pollers per SQS mapping, a 20 s wait each
PLATFORM_LOG_BYTES_PER_INVOCATION = 260  # Lambda's own START, END and REPORT lines
XRAY_RESERVOIR_PER_S = 1.0  # Lambda's default sampling: the first request each second ...
XRAY_RATE = 0.05  # ... and 5 % of the rest
DEVICES = 100
READING_INTERVAL_S = 60
# Readings per message in the steady state: devices sample once a minute and upload every ten minutes, at
# once when a reading moves beyond its deadband (iot.simulator.Uploader, schemas/telemetry.py).
UPLOAD_BATCH = 10
REMINDER_JOB = ("PaymentsJobsFunction", "Reminders")  # template.yaml: the arrears ladder's hourly firing
TICKETS_JOB = "TicketsJobsFunction"
TICKET_CHECKS = 4  # due looks per ticket in its life: response and resolution targets, escalation, auto-close
HEARTBEAT_REFRESH_S = 1500  # functions/sensors/settings.py defaults (a unit test keeps them equal)
GATEWAY_READINGS = "gateway readings"  # the activities' names (the applied battery lever finds them)
BATTERY_READINGS = "battery detector readings"
AGGREGATE_FLUSH_S = 3600

Usage = dict[str, float]
"""Flat counters: "fn:<id>" invocations, "ms:<id>" duration, "log:<id>" bytes, "aws:<service>.<Op>" calls
made by functions, "client:s3.<Op>" requests the app makes itself, "apigw", "iot.messages" (5 KB units),
"iot.rules", "iot.actions"."""


@dataclass(frozen=True)
class Activity:
    name: str
    per_month: float  # occurrences per month for HOUSEHOLDS households (bench/workload.md)
    sample: float  # occurrences the local cloud ran
    usage: Mapping[str, float]  # what the sample used (meter differences)
    devices: bool = False  # caused by the connected devices rather than by people
    shared: bool = False  # a charge of the deployment (a schedule's own sweep), shared by its communities

    @property
    def scale(self) -> float:
        return self.per_month / self.sample if self.sample else 0.0


@dataclass(frozen=True)
class FunctionMeta:
    memory_mb: int
    sqs_triggered: bool = False
    fed_by_eventbridge: bool = False  # its queue is a target of an EventBridge rule
    scheduled_per_month: float = 0.0
    iot_triggered: bool = False  # invoked by an IoT topic rule (the per-reading ingest)
    traced: bool = True  # Tracing: Active (its own or the Globals'); PassThrough records no traces of its own
    platform_logs: bool = True  # SystemLogLevel INFO or DEBUG: Lambda writes START/END/REPORT lines
    init_ms: float = 0.0  # measured cold import (the local worker's), billed as INIT per cold start
    rss_mb: float = 0.0  # the worker's resident memory at the end of the run (the memory lever's floor)


@dataclass(frozen=True)
class Line:
    service: str
    what: str
    quantity: float
    unit: str
    usd: float
    estimate: bool  # modelled, or approximated from call counts
    shared: bool = False  # a charge of the deployment, shared by every community it serves


@dataclass(frozen=True)
class CostResult:
    households: int
    prices_date: str
    activities: list[dict[str, Any]]
    lines: list[dict[str, Any]]
    by_service: dict[str, float]  # the community's own lines plus its share of the deployment's
    community_usd: float
    deployment_usd: float
    communities: int  # the deployment size the shared lines are divided by
    total_usd: float  # community_usd + deployment_usd / communities
    alone_usd: float  # a deployment serving this one community
    target_usd: float
    cognito_usd: float
    run_s: float
    # Identity priced (bench/identity_cost.py): residents on Courtyard identity, staff on the template's tier.
    identity_usd: float = 0.0
    alone_identity_usd: float = 0.0  # identity's month on a deployment serving this community alone
    identity_lines: list[tuple[str, float]] = field(default_factory=list)
    user_pool_tier: str = "ESSENTIALS"
    aws_calls_month: dict[str, float] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    levers: dict[str, float] = field(default_factory=dict)  # what a design change would save, USD/month
    # Issue 18's levers, before -> after (bench/cost_levers.py), and the totals with all of them.
    lever_lines: list[dict[str, Any]] = field(default_factory=list)
    total_with_identity_usd: float = 0.0
    levers_total_usd: float = 0.0  # with identity, every lever, at ``communities``
    levers_alone_usd: float = 0.0  # with identity, every lever, one community alone on its deployment
    lambda_lines: list[dict[str, Any]] = field(default_factory=list)  # per function (bench/lambda_units.py)
    edge_note: str = ""  # what the distribution's web ACL adds when the deployment leaves it out


# ---------------------------------------------------------------------------------------------- arithmetic
def month_usage(activities: list[Activity], shared: bool = False) -> Usage:
    """Every activity's sample usage times its scale factor, summed (the deployment's, or the community's)."""
    total: dict[str, float] = {}
    for activity in activities:
        if activity.shared != shared:
            continue
        for key, value in activity.usage.items():
            total[key] = total.get(key, 0.0) + value * activity.scale
    return dict(total)


def split_calls(usage: Usage, function_id: str, calls: Iterable[str]) -> tuple[Usage, Usage]:
    """``usage`` without ``function_id``'s own ``calls`` (``"dynamodb.Query"``), and those calls apart."""
    rest, own = dict(usage), {}
    for call in calls:
        mine = usage.get(f"by:{function_id}:{call}", 0.0)
        own[f"aws:{call}"] = mine
        rest[f"aws:{call}"] = rest.get(f"aws:{call}", 0.0) - mine
    return rest, own


def xray_traces(invocations: float, seconds: float = SECONDS_PER_MONTH) -> float:
    """Traces Lambda's default sampling records for ``invocations`` arriving as Poisson over ``seconds``."""
    if invocations <= 0:
        return 0.0
    rate = invocations / seconds
    reservoir = seconds * XRAY_RESERVOIR_PER_S * (1.0 - math.exp(-rate / XRAY_RESERVOIR_PER_S))
    reservoir = min(reservoir, invocations)
    return reservoir + XRAY_RATE * (invocations - reservoir)


def lines_of(
    usage: Usage,
    functions: Mapping[str, FunctionMeta],
    *,
    devices: int = DEVICES,
    modelled: bool = True,
    api_trace_rate: float = 0.0,
    communities: int = COMMUNITIES_PER_DEPLOYMENT,
    ingest_wru_per_write: float = 1.0,
    acls: list[edge_cost.WebAcl] | None = None,
    identity_requests: float = 0.0,
) -> list[Line]:
    """The month's priced lines. ``modelled=False`` leaves out what does not scale with ``usage`` (scheduled
    invocations, idle polling, connection minutes, the ingest's wall-clock writes), to price one activity.
    ``acls``: the web ACLs that inspect each API request; ``identity_requests``: identity's (a model) through
    the same edge."""
    quantities: dict[tuple[str, str, bool, bool], float] = {}

    def add(key: str, what: str, quantity: float, estimate: bool = False, shared: bool = False) -> None:
        quantities[(key, what, estimate, shared)] = (
            quantities.get((key, what, estimate, shared), 0.0) + quantity
        )

    for function_id, meta in functions.items():
        invoked = usage.get(f"fn:{function_id}", 0.0)
        scheduled = meta.scheduled_per_month if modelled else 0.0
        count = invoked + scheduled
        add("lambda.requests", "invocations", invoked)
        # One firing of a schedule serves every community of the deployment: its invocation is a charge of
        # the deployment; the work it does for this community (its AWS calls, duration, log lines) is not.
        add(
            "lambda.requests",
            "scheduled invocations (one per firing for the deployment)",
            scheduled,
            False,
            True,
        )
        ms = cost_model.duration_ms(usage, function_id, meta.memory_mb)
        add(
            "lambda.gb_s_arm64",
            "GB-s (measured CPU at the memory's CPU share + AWS calls at in-region latency, x memory)",
            prices.gb_seconds(ms, meta.memory_mb),
            True,
        )
        if modelled:  # INIT is billed: cold starts modelled from the deployment's arrival rate
            cost_model.add_init(add, meta.init_ms, meta.memory_mb, invoked, scheduled, communities)
        if meta.sqs_triggered:
            # Lambda's poller receives and deletes each batch; local batches are mostly of one message.
            add("sqs.requests", "event source mapping Receive + DeleteBatch per batch", 2 * invoked, True)
            if meta.fed_by_eventbridge:
                add("sqs.requests", "EventBridge deliveries into queues (SendMessage)", invoked, True)
            if modelled:
                idle = ESM_IDLE_RECEIVES_PER_MINUTE * MINUTES_PER_MONTH
                add("sqs.requests", "idle long polls of the SQS mappings (5 pollers, 20 s)", idle, True, True)
        platform = PLATFORM_LOG_BYTES_PER_INVOCATION if meta.platform_logs else 0
        log_bytes = usage.get(f"log:{function_id}", 0.0) + platform * invoked
        add("logs.ingest_gb", "log bytes written by the workers (+ platform lines)", log_bytes / 1e9, True)
        if platform and scheduled:
            what = "platform lines of scheduled invocations"
            add("logs.ingest_gb", what, platform * scheduled / 1e9, True, True)
        if meta.traced:
            add("xray.traces", "traces at Lambda's default sampling (1/s + 5 %)", xray_traces(count), True)
    if api_trace_rate:
        what = f"API requests traced by the sampling rule ({api_trace_rate:.0%}, no reservoir)"
        add("xray.traces", what, api_trace_rate * usage.get("apigw", 0.0), True)
    sized, sms = cost_model.add_dynamodb_units(usage, add), cost_model.add_sms(usage, add)
    for key, calls in usage.items():
        kind, _, name = key.partition(":")
        if kind not in ("aws", "client"):
            continue
        service, _, operation = name.partition(".")
        if service == "sns" and operation == "Publish" and sms:
            calls = max(0.0, calls - sms)
        if service == "dynamodb":  # priced from item sizes and index copies above when the run sized them
            units = None if sized else prices.dynamodb_units(operation)
            if units is not None:
                add(units[0], f"{operation} (approximate units per call)", calls * units[1], True)
            continue
        if service == "s3" and operation == "PostObject":
            add("s3.put", "presigned POST uploads by the app", calls)
            continue
        price = prices.price_key_of_call(service, operation)
        if price is not None:
            add(price, f"{service}.{operation}", calls)
    add("apigw.rest_requests", "requests through the gateway", usage.get("apigw", 0.0))
    what = "template messages sent (free: WeChat service account)"
    add("wechat.messages", what, usage.get("wechat.messages", 0.0))
    edge_cost.add_edge(usage, add, acls or [], identity_requests if modelled else 0.0)
    add("iot.messages", "messages at the broker (5 KB units)", usage.get("iot.messages", 0.0))
    basic = usage.get("iot.basic_ingest", 0.0)
    add("iot.basic_ingest", "uploads through Basic Ingest (no messaging charge)", basic)
    add("iot.rules", "rules triggered", usage.get("iot.rules", 0.0))
    add("iot.actions", "Lambda actions executed", usage.get("iot.actions", 0.0))
    # Measured from the run on the devices' own clocks (iot.link.connections_of): whole connection-minutes,
    # and each CONNECT metered as a message. Gateways uploading every ten minutes stay connected
    # (iot/link.py); battery detectors connect for each wake, one billed minute each (iot/kinds.py).
    what = "connection-minutes measured on the devices' clocks (whole minutes, 1 at least)"
    add("iot.connect_minutes", what, usage.get("iot.connect_minutes", 0.0), True)
    add("iot.messages", "MQTT CONNECTs (each metered as a 5 KB message)", usage.get("iot.connects", 0.0))
    if modelled:
        # Each kind at its own cadence (iot/kinds.py): gateways every ten minutes, battery detectors hourly.
        # The mark when the stored one is old, each finished hour once when the next hour's first upload
        # arrives (sensors.write_budget); more often only with a flush interval under an hour.
        mix = device_levers.scaled_mix(devices)
        writes = device_levers.ingest_writes(mix, SECONDS_PER_MONTH, HEARTBEAT_REFRESH_S, AGGREGATE_FLUSH_S)
        what = (
            "ingest heartbeat + aggregate flush writes (wall clock, modelled; "
            f"{ingest_wru_per_write:.2f} WRU a write as sized in the sample)"
        )
        add("dynamodb.wru", what, writes * ingest_wru_per_write, True)
        uploads = device_levers.steady_uploads(mix, SECONDS_PER_MONTH)
        rru, what = cost_model.ingest_cache_misses(uploads, MINUTES_PER_MONTH)
        add("dynamodb.rru", what, rru, True)
    lines: list[Line] = []
    for (key, what, estimate, shared), quantity in quantities.items():
        if quantity <= 0:
            continue
        rate = prices.PRICES[key]
        lines.append(Line(rate.service, what, quantity, rate.unit, rate.cost(quantity), estimate, shared))
    return lines


def fixed_lines(kms_keys: int, secrets: int, acls: list[edge_cost.WebAcl] | None = None) -> list[Line]:
    """Charges of the deployment itself, whatever its size (shared by every community it serves)."""
    out = []
    counts = {
        "kms.key_month": kms_keys,
        "secretsmanager.secret_month": secrets,
        **edge_cost.acl_months(acls or []),
    }
    for key, count in counts.items():
        if not count:
            continue
        price = prices.PRICES[key]
        out.append(Line(price.service, price.unit, count, price.unit, price.cost(count), False, True))
    return out


def activity_usd(
    activity: Activity,
    functions: Mapping[str, FunctionMeta],
    api_trace_rate: float = 0.0,
    acls: list[edge_cost.WebAcl] | None = None,
) -> float:
    """One activity's month priced alone, without the modelled lines (X-Ray is not additive: approximate)."""
    usage = {key: value * activity.scale for key, value in activity.usage.items()}
    lines = lines_of(usage, functions, modelled=False, api_trace_rate=api_trace_rate, acls=acls)
    return sum(line.usd for line in lines)


def summarise(
    activities: list[Activity],
    functions: Mapping[str, FunctionMeta],
    *,
    kms_keys: int,
    secrets: int,
    monthly_active_users: float,
    run_s: float,
    communities: int = COMMUNITIES_PER_DEPLOYMENT,
    failures: list[str] | None = None,
    api_trace_rate: float = 0.0,
    user_pool_tier: str = "ESSENTIALS",
    ingest_wru_per_write: float = 1.0,
    acls: list[edge_cost.WebAcl] | None = None,
    reference: Mapping[str, Activity] | None = None,
) -> CostResult:
    usage = month_usage(activities)
    residents = max(0.0, monthly_active_users - 12.0)
    identity_requests = residents * OPENS_PER_RESIDENT  # one refresh per open (bench/identity_cost.py)

    def priced(communities: int) -> list[Line]:
        lines = lines_of(
            usage,
            functions,
            api_trace_rate=api_trace_rate,
            communities=communities,
            ingest_wru_per_write=ingest_wru_per_write,
            acls=acls,
            identity_requests=identity_requests,
        ) + fixed_lines(kms_keys, secrets, acls)
        deployment = lines_of(month_usage(activities, shared=True), functions, modelled=False, acls=acls)
        return lines + [replace(line, shared=True) for line in deployment]

    lines = priced(communities)
    # Alone on a deployment: its cold starts are those of one community's traffic, every fixed charge its own.
    alone_usd = sum(line.usd for line in priced(1))
    services: dict[str, float] = {}
    for line in lines:
        share = line.usd / communities if line.shared else line.usd
        services[line.service] = services.get(line.service, 0.0) + share
    xray = prices.PRICES["xray.traces"]
    ingest_xray = sum(
        xray.cost(xray_traces(usage.get(f"fn:{f}", 0.0)))
        for f, meta in functions.items()
        if meta.iot_triggered and meta.traced
    )
    levers = {
        **(
            {"Tracing: PassThrough on the IoT ingest (Lambda's own sampling rate is fixed)": ingest_xray}
            if ingest_xray
            else {}
        ),
        # DESIGN.md chose the REST API (v1 events, request validation, usage plans); an HTTP API with a JWT
        # authorizer on the same user pool serves the same routes at under a third of the price.
        "an HTTP API with a JWT authorizer instead of the REST API": prices.PRICES[
            "apigw.rest_requests"
        ].cost(usage.get("apigw", 0.0))
        - prices.PRICES["apigw.http_requests"].cost(usage.get("apigw", 0.0)),
    }
    if broker := prices.PRICES["iot.messages"].cost(usage.get("iot.messages", 0.0)):
        levers["what still goes through the message broker, through Basic Ingest instead"] = broker
    community_usd = sum(line.usd for line in lines if not line.shared)
    deployment_usd = sum(line.usd for line in lines if line.shared)
    identity = identity_month(residents, communities, user_pool_tier)
    alone_identity = identity_month(residents, 1, user_pool_tier).usd

    def usd_of(match: str, shared: bool) -> float:
        return sum(line.usd for line in lines if line.shared == shared and match in line.what)

    found = cost_levers.levers(
        usage,
        functions,
        residents=residents,
        communities=communities,
        tier=user_pool_tier,
        # The lever of connecting per upload concerns the devices that stay connected: the gateways.
        devices=round(device_levers.gateway_devices()),
        uploads=device_levers.gateway_devices()
        * MINUTES_PER_MONTH
        * 60
        / (READING_INTERVAL_S * UPLOAD_BATCH),
        minutes=MINUTES_PER_MONTH,
        index_copies_usd=usd_of("index ", False),
        fixed={
            "kms": prices.PRICES["kms.key_month"].cost(kms_keys),
            "idle": usd_of("idle long polls", True),
        },
    )
    found += applied(activities, reference or {}, functions, usage, api_trace_rate, acls)
    found.append(applied_levers.secure_parameters(secrets))
    found.append(applied_levers.async_memory(usage, functions))
    # An applied lever's saving is already in the month above, and a lever that would cost more is not taken
    # (the devices' per-upload connections at ten-minute uploads): only modelled savings are subtracted.
    own = sum(
        max(0.0, lever.saves) for lever in found if lever.scope == "per community" and not lever.applied
    )
    fixed_saves = sum(
        max(0.0, lever.saves) for lever in found if lever.scope != "per community" and not lever.applied
    )
    total_usd = community_usd + deployment_usd / communities
    return CostResult(
        households=HOUSEHOLDS,
        prices_date=prices.PRICES_DATE,
        activities=[
            {
                "name": a.name,
                "per_month": a.per_month,
                "sample": a.sample,
                "scale": round(a.scale, 2),
                "usd": round(activity_usd(a, functions, api_trace_rate, acls), 4),
                "devices": a.devices,
                "shared": a.shared,
                # The activity's month by counter (invocations, ms, log bytes, AWS calls): where its USD goes.
                "month": {key: round(value * a.scale, 1) for key, value in sorted(a.usage.items()) if value},
            }
            for a in activities
        ],
        lines=[asdict(line) for line in lines],
        by_service=dict(sorted(services.items(), key=lambda kv: -kv[1])),
        community_usd=community_usd,
        deployment_usd=deployment_usd,
        communities=communities,
        total_usd=community_usd + deployment_usd / communities,
        alone_usd=alone_usd,
        lever_lines=cost_levers.as_dicts(found),
        lambda_lines=lambda_units.attribution(
            usage,
            month_usage(activities, shared=True),
            functions,
            communities,
            PLATFORM_LOG_BYTES_PER_INVOCATION,
        ),
        total_with_identity_usd=total_usd + identity.usd,
        levers_total_usd=total_usd + identity.usd - own - fixed_saves / communities,
        levers_alone_usd=alone_usd + alone_identity - own - fixed_saves,
        target_usd=TARGET_USD,
        cognito_usd=prices.PRICES["cognito.mau_essentials"].cost(monthly_active_users),
        run_s=run_s,
        identity_usd=identity.usd,
        alone_identity_usd=alone_identity,
        identity_lines=[*identity.lines, (f"Cognito {user_pool_tier} for staff", identity.staff_usd)],
        user_pool_tier=user_pool_tier,
        aws_calls_month={k[4:]: round(v) for k, v in sorted(usage.items()) if k.startswith("aws:")},
        failures=list(failures or []),
        levers=levers,
        edge_note=edge_cost.unset_acl_note(
            acls or [], usage.get("apigw", 0.0) + identity_requests, communities
        ),
    )


def applied(
    activities: list[Activity],
    reference: Mapping[str, Activity],
    functions: Mapping[str, FunctionMeta],
    usage: Usage,
    api_trace_rate: float,
    acls: list[edge_cost.WebAcl] | None,
) -> list[cost_levers.Lever]:
    """The applied levers' before -> after (bench/applied_levers.py), from this run's own activities."""
    out = []
    opens = next((a for a in activities if a.name.startswith("app opens")), None)
    if opens is not None and "app opens" in reference:
        before = activity_usd(reference["app opens"], functions, api_trace_rate, acls)
        out.append(applied_levers.home_cache(before, activity_usd(opens, functions, api_trace_rate, acls)))
    if api_trace_rate:
        out.append(applied_levers.api_traces(usage.get("apigw", 0.0), api_trace_rate))
    if wru := applied_levers.metered_wru(usage):
        out.append(applied_levers.ddb_writes(wru))
    # The tickets' sample is the one run at WeChat's stated share (4 of 5 tickets with the resident linked):
    # before, every update of a resident without push followed them to SMS.
    gateways = next((a for a in activities if a.name.startswith(GATEWAY_READINGS)), None)
    battery = next((a for a in activities if a.name.startswith(BATTERY_READINGS)), None)
    if gateways is not None and battery is not None:
        month = {a.name: {k: v * a.scale for k, v in a.usage.items()} for a in (gateways, battery)}
        out.append(device_levers.battery_wakes(month[gateways.name], month[battery.name]))
    tickets = next((a for a in activities if a.name.startswith("tickets with a photo")), None)
    if tickets is not None and tickets.usage.get("wechat.messages"):
        sms = (v for k, v in tickets.usage.items() if k.startswith("units:") and k.endswith(":sms:Publish"))
        wechat = tickets.usage["wechat.messages"] * tickets.scale
        out.append(applied_levers.wechat_ahead_of_sms(sum(sms) * tickets.scale, wechat))
    billed = next((a for a in activities if a.name.startswith("billing run")), None)
    reminded = next((a for a in activities if a.name.startswith("arrears reminders' texts")), None)
    if billed is not None and reminded is not None:
        out.append(applied_levers.household_once(billed.per_month + reminded.per_month))
    return out


# ------------------------------------------------------------------------------------------------ metering
class Meter:
    """Reads every counter of a running local cloud; ``measure`` gives one activity's usage."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self.client_calls: Counter[str] = Counter()  # S3 requests the app makes itself

    def snapshot(self) -> Usage:
        cloud = self.cloud
        assert cloud.pool is not None
        assert cloud.gateway is not None
        assert cloud.iot is not None
        out: dict[str, float] = {}

        def bump(key: str, value: float) -> None:
            out[key] = out.get(key, 0.0) + value

        for function_id, stats in cloud.pool.metering().items():
            bump(f"fn:{function_id}", stats.invocations)
            bump(f"ms:{function_id}", stats.duration_ms)
            bump(f"cpu:{function_id}", stats.cpu_ms)
            for call, n in stats.aws_calls.items():
                bump(f"aws:{call}", n)
                bump(f"by:{function_id}:{call}", n)  # who made it (not priced twice: lines_of skips "by:")
            for counter, units in stats.ddb_units.items():  # DynamoDB units by item size, SMS sent
                bump(f"units:{function_id}:{counter}", units)
            log = cloud.pool.log_dir / f"{function_id}.log"
            bump(f"log:{function_id}", log.stat().st_size if log.exists() else 0)
        out["apigw"] = cloud.gateway.requests
        out["apigw.bytes_in"] = cloud.gateway.bytes_in
        out["apigw.bytes_out"] = cloud.gateway.bytes_out
        iot = cloud.iot.stats
        out["iot.messages"] = iot.billable_messages
        out["iot.basic_ingest"] = iot.basic_ingest
        out["iot.rules"] = iot.rules_triggered
        out["iot.actions"] = iot.actions_executed
        for call, n in self.client_calls.items():
            bump(f"client:{call}", n)
        # WeChat template messages the senders sent (the local cloud's WeChat persona keeps them): free.
        out["wechat.messages"] = len(cloud.pay_sandbox.wechat_messages.sent())
        return dict(out)

    def settle(self, quiet_s: float = 1.5, timeout_s: float = 60.0) -> None:
        """Wait until no function has been invoked for ``quiet_s`` (queues drained, fan-outs done)."""
        deadline = time.monotonic() + timeout_s
        last = self._busy()
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.1)
            now = self._busy()
            if now != last:
                last, quiet_since = now, time.monotonic()
            elif time.monotonic() - quiet_since >= quiet_s:
                return

    def _busy(self) -> tuple[float, int]:
        assert self.cloud.pool is not None
        assert self.cloud.iot is not None
        stats = self.cloud.pool.metering().values()
        return sum(s.invocations for s in stats), self.cloud.iot.stats.messages

    @contextlib.contextmanager
    def measure(self, into: dict[str, Usage], name: str) -> Iterator[None]:
        self.settle(quiet_s=0.5)
        before = self.snapshot()
        yield
        self.settle()
        after = self.snapshot()
        into[name] = {k: v - before.get(k, 0.0) for k, v in after.items() if v - before.get(k, 0.0)}
        assert self.cloud.pool is not None
        into[name].update(sms_reasons.counted(self.cloud.pool.log_dir, before, after))  # texts by template


# ------------------------------------------------------------------------------------------------- workload
@dataclass(frozen=True)
class Plan:
    """The monthly workload (bench/workload.md) and the sample sizes run locally."""

    residents: int = 1_500  # app users: 1.5 per household
    app_opens_per_resident: int = 20
    browses_per_resident: int = 6
    staff_checks: int = 12 * 22 * 20  # 12 staff, 22 working days, 20 list views
    tickets: int = 200
    billed_units: int = HOUSEHOLDS
    payments: int = 850
    notices: int = 8
    passes: int = 3_000
    fault_episodes: int = 4
    sample_sessions: int = 6
    # Five, so that WeChat's share of residents (bench.identity_cost.WECHAT_SHARE, 80 %) is whole: 4 of 5.
    sample_tickets: int = 5
    sample_payments: int = 3
    sample_passes: int = 4
    sample_devices: int = 3
    sample_extra_recipients: int = 40
    reminders: int = 600  # 20 % of households pay late, and get up to 3 reminder steps each
    sample_readings_per_device: int = 600  # ten simulated hours each: the start-up uploads weigh little
    sample_battery_readings_per_device: int = 1440  # a simulated day each: 24 hourly wakes + the start-up's
    batch: int = UPLOAD_BATCH


@dataclass
class _Run:
    """What every activity of one sample run needs: the cloud, the plan, the meter and a signed-in caller."""

    cloud: LocalCloud
    demo: DemoData
    plan: Plan
    meter: Meter
    used: dict[str, Usage] = field(default_factory=dict)
    activities: list[Activity] = field(default_factory=list)
    reference: dict[str, Activity] = field(default_factory=dict)  # measured only for a lever's before
    failures: list[str] = field(default_factory=list)
    ingest_wru_per_write: float = (
        1.0  # the ingest's writes as sized in the sample (scales the wall-clock model)
    )
    billing_phone_only_units: float = 0.0  # units the billing run billed before the resident linked WeChat
    _tokens: dict[str, str] = field(default_factory=dict)

    @property
    def info(self) -> CloudInfo:
        assert self.cloud.info is not None
        return self.cloud.info

    @property
    def site_id(self) -> str:
        return self.demo.sites["greenfield"]

    @property
    def tenant_id(self) -> str:
        return self.demo.tenants["greenfield"]

    def token(self, role: str) -> str:
        from infra.seed import sign_in

        if role not in self._tokens:
            user = self.demo.user("greenfield", role)
            info = self.info
            self._tokens[role] = sign_in(
                self.cloud.client("cognito-idp"), info.user_pool_id, info.user_pool_client_id, user.username
            )
        return self._tokens[role]

    def call(self, method: str, path: str, role: str | None = None, **kwargs: Any) -> Any:
        from infra.http import request

        token = self.token(role) if role else None
        answer = request(method, f"{self.info.api_url}{path}", token=token, **kwargs)
        if answer.status >= 400:
            raise RuntimeError(f"{method} {path} -> {answer.status} {answer.text[:300]}")
        return answer.json() if answer.text.lstrip().startswith(("{", "[")) else answer.text

    @staticmethod
    def post_form(url: str, fields: dict[str, str], filename: str, data: bytes) -> Any:
        from infra.http import post_form

        return post_form(url, fields, filename, data)


def drive(cloud: LocalCloud, demo: DemoData, plan: Plan) -> _Run:
    """Run every activity's sample; the run holds the activities, what failed and the ingest's write size."""
    run = _Run(cloud, demo, plan, Meter(cloud))
    # The notice comes last: it adds residents to the community, who would otherwise receive the other
    # activities' messages (bill reminders) and make them look like a larger community's.
    # The phone-only parts of the passes and the billing run before the tickets link the sample's resident's
    # WeChat; their WeChat parts after (both weighted to WECHAT_SHARE).
    before = (_people, _passes_phone_only, _billing_phone_only, _tickets)
    for activity in (*before, _money, _passes, _devices, _schedules, _notices):
        activity(run)
    for function_id, stats in cloud.pool.metering().items() if cloud.pool else ():
        if stats.errors:
            run.failures.append(f"{function_id}: {stats.errors} failed invocation(s) during the run")
    return run


def _people(run: _Run) -> None:
    plan = run.plan
    meter = run.meter
    used = run.used
    call = run.call
    activities = run.activities

    # Warm every API container first: a cold start's one-off calls (secrets, keys) must not be scaled up.
    for path, role in (("/me", "resident"), ("/inbox/unread-count", "resident"), ("/bills", "resident")):
        call("GET", path, role)
    call("GET", "/tickets", "technician")
    # The apps ask for the keys of one firm (the token's tid); without it the answer is the stage's old key
    # alone, another request than the one a month is made of.
    call("GET", f"/passes/keys?tenant_id={run.tenant_id}")

    # Residents open the app: the home asks for the parts whose freshness window has passed, one resident's
    # month of opens as bench/app_opens.py states it (the browser story counts the same requests).
    me = call("GET", "/me", "resident")
    units = (me.get("person") or {}).get("units") or []
    unit_id = next((u["unit_id"] for u in units if u.get("primary")), units[0]["unit_id"] if units else "")

    def home(parts: Iterable[str]) -> None:
        for part in parts:
            for path in app_opens.PART_REQUESTS[part]:
                call("GET", path.replace("{unit_id}", unit_id), "resident")

    with meter.measure(used, "app"):
        for kind in app_opens.MONTH:
            for _ in range(kind.per_month):
                home(kind.parts)
    activities.append(
        Activity(
            f"app opens (home parts kept: {app_opens.month_requests()} requests/resident-month)",
            plan.residents * app_opens.OPENS_PER_RESIDENT,
            app_opens.OPENS_PER_RESIDENT,
            used["app"],
        )
    )
    # The lever's before: every open fetching every part (what the home did before it kept them).
    with meter.measure(used, "app-uncached"):
        for _ in range(plan.sample_sessions):
            home(app_opens.PART_REQUESTS)
    run.reference["app opens"] = Activity(
        "app opens, every part each time",
        plan.residents * app_opens.OPENS_PER_RESIDENT,
        plan.sample_sessions,
        used["app-uncached"],
    )
    # Browsing: the pages' own lists, which refresh the home's parts they hold (the bills page's list is the
    # home's bills; a resident's repairs fit one page); the inbox of a resident of some months is longer than
    # a page, so the home asks for the unread count again on the way back.
    with meter.measure(used, "browse"):
        for _ in range(plan.sample_sessions):
            call("GET", "/inbox?limit=30", "resident")
            call("GET", "/bills?limit=100", "resident")
            call("GET", "/tickets?mine=true&limit=20", "resident")
            home(("unread",))
    activities.append(
        Activity(
            "resident browsing (inbox, bills, repairs + unread count)",
            plan.residents * plan.browses_per_resident,
            plan.sample_sessions,
            used["browse"],
        )
    )
    with meter.measure(used, "staff"):
        for _ in range(plan.sample_sessions):
            call("GET", "/tickets", "technician")
    activities.append(
        Activity("staff work lists (GET /tickets)", plan.staff_checks, plan.sample_sessions, used["staff"])
    )


def _tickets(run: _Run) -> None:
    plan = run.plan
    meter = run.meter
    used = run.used
    call = run.call
    activities = run.activities
    post_form = run.post_form

    # Tickets with a photo: filed, photo up by presigned POST, seen by the technician, handled, rated, closed.
    # As the apps do: the technician's screen registers for push (TechJobs.vue, 开启新工单提醒); the
    # residents' app registers none, and WECHAT_SHARE of residents sign in with WeChat (identity announces
    # the openid): their repair's updates go by WeChat, the others' only the step they act on by SMS
    # (issue 18). The sample's resident files the first tickets before signing in with WeChat, the rest after.
    call(
        "POST",
        "/me/push-endpoints",
        "technician",
        body={"platform": "fcm", "token": f"bench-{uuid.uuid4().hex}"},
    )
    jpeg = b"\xff\xd8\xff\xe0" + bytes(random.Random(5).getrandbits(8) for _ in range(150_000)) + b"\xff\xd9"

    def one_ticket(index: int) -> None:
        ticket = call(
            "POST",
            "/tickets",
            "resident",
            body={"kind": "repair", "category": "plumbing", "description": f"漏水 leak {index}"},
            headers={"Idempotency-Key": f"bench-{uuid.uuid4()}"},
        )
        ticket_id = ticket["ticket_id"]
        slot = call("POST", f"/tickets/{ticket_id}/photos", "resident", body={"content_type": "image/jpeg"})
        form = slot["upload"]
        uploaded = post_form(form["url"], form["fields"], "leak.jpg", jpeg)
        if uploaded.status not in (200, 204):
            raise RuntimeError(f"photo upload -> {uploaded.status}")
        meter.client_calls["s3.PostObject"] += 1
        call("POST", f"/tickets/{ticket_id}/photos/{slot['photo_id']}/confirm", "resident")
        seen = call("GET", f"/tickets/{ticket_id}", "technician")
        for photo in seen["photos"]:
            with urllib.request.urlopen(photo["url"], timeout=30) as got:
                got.read()
            meter.client_calls["s3.GetObject"] += 1
        for action in ("accept", "start", "resolve"):
            call("POST", f"/tickets/{ticket_id}/actions", "technician", body={"action": action})
        call("POST", f"/tickets/{ticket_id}/rating", "resident", body={"score": 5, "comment": "好"})
        call("POST", f"/tickets/{ticket_id}/actions", "resident", body={"action": "close"})
        call("GET", f"/tickets/{ticket_id}/timeline", "resident")

    linked_from = plan.sample_tickets - round(plan.sample_tickets * WECHAT_SHARE)
    parts: dict[str, Usage] = {}
    with meter.measure(parts, "phone only"):
        for index in range(linked_from):
            one_ticket(index)
    _sign_in_with_wechat(run)
    with meter.measure(parts, "wechat"):
        for index in range(linked_from, plan.sample_tickets):
            one_ticket(index)
    used["tickets"] = {k: sum(p.get(k, 0.0) for p in parts.values()) for k in set().union(*parts.values())}
    activities.append(
        Activity("tickets with a photo, full lifecycle", plan.tickets, plan.sample_tickets, used["tickets"])
    )


def _sign_in_with_wechat(run: _Run) -> None:
    """The sample's resident signs in with WeChat: identity's ``ResidentWeChatLinked`` on the bus, with the
    openid WeChat's persona gives that user (the senders' real adapter then reaches it there)."""
    from schemas.events import ResidentWeChatLinked

    assert run.cloud.stack is not None
    me = run.call("GET", "/me", "resident")
    openid = run.cloud.pay_sandbox.wechat_login.openid(f"bench-{me['user_id']}")
    event = ResidentWeChatLinked(
        tenant_id=me["tenant_id"], resident_id=me["person"]["person_id"], user_id=me["user_id"], openid=openid
    )
    entry = {
        "EventBusName": run.cloud.stack.ref("EventBus"),
        "Source": "courtyard.identity",
        "DetailType": "ResidentWeChatLinked",
        "Detail": event.model_dump_json(),
    }
    if run.cloud.client("events").put_events(Entries=[entry]).get("FailedEntryCount"):
        raise RuntimeError("ResidentWeChatLinked was not put on the bus")
    run.meter.settle()


def _periods(plan: Plan) -> list[str]:
    # One billed while the sample's resident is phone-only, one after WeChat, one per sampled payment.
    return [f"2025-{month:02d}" for month in range(1, plan.sample_payments + 3)]


def _billing_run(run: _Run, period: str) -> float:
    """Bills the community's units for ``period``; the units billed."""
    body = {"site_id": run.site_id, "period": period}
    answer = _billed(run.call, run.call("POST", "/billing-runs", "manager", body=body))
    return max(1, int(answer.get("units") or len(run.demo.units["greenfield"])))


def _billing_phone_only(run: _Run) -> None:
    """Fee items once, and a measured billing run while the sample's resident has no WeChat (before the
    tickets link it): the bill that resident is sent ends on a text."""
    for body in (
        {"name": "物业费", "kind": "area", "price_minor": 280, "due_day": 28},
        {"name": "垃圾清运", "kind": "fixed", "price_minor": 1500, "due_day": 28},
    ):
        run.call("POST", "/fee-items", "manager", body={"site_id": run.site_id, **body})
    with run.meter.measure(run.used, "billing phone only"):
        run.billing_phone_only_units = _billing_run(run, _periods(run.plan)[0])


def _money(run: _Run) -> None:
    plan = run.plan
    meter = run.meter
    used = run.used
    call = run.call
    activities = run.activities

    # Billing per unit billed, at WECHAT_SHARE of residents linked (bench/wechat_share.py): the phone-only
    # run (before the tickets) weighted with this one (the sample's resident now on WeChat).
    periods = _periods(plan)[1:]
    with meter.measure(used, "billing wechat"):
        units_billed = _billing_run(run, periods[0])
    used["billing"] = wechat_share.at_share(
        used["billing phone only"],
        run.billing_phone_only_units,
        used["billing wechat"],
        units_billed,
    )
    _household_texts(run)
    for period in periods[1:]:
        _billing_run(run, period)
    meter.settle()

    # Residents pay through the sandbox provider: checkout, hosted pay step, signed webhook, status.
    with meter.measure(used, "payments"):
        for _ in range(plan.sample_payments):
            bills = [b for b in call("GET", "/bills", "resident")["items"] if b["status"] != "paid"]
            payment = call(
                "POST",
                "/payments",
                "resident",
                body={"bill_ids": [bills[0]["bill_id"]], "provider": "sandbox"},
                headers={"Idempotency-Key": f"bench-pay-{uuid.uuid4()}"},
            )
            _post_json(payment["next_action"]["url"], {"outcome": "succeed"})
            call("GET", f"/payments/{payment['payment_id']}", "resident")
    activities.append(
        Activity(
            "payments through the sandbox provider", plan.payments, plan.sample_payments, used["payments"]
        )
    )


def _household_texts(run: _Run) -> None:
    """The billing run's texts, and the arrears reminders', household by household at WeChat's share per
    person (bench/household_texts.py; the sample's units are not households as they are)."""
    texts = household_texts.per_household()
    run.used["billing"] = household_texts.with_texts(run.used["billing"], texts, "bill_issued")
    name = f"billing run (per unit billed; {WECHAT_SHARE:.0%} of residents on WeChat, texts by household ~)"
    run.activities.append(Activity(name, run.plan.billed_units, 1, run.used["billing"]))
    reminders = household_texts.with_texts({}, texts, "payment_overdue")
    name = f"arrears reminders' texts (households, {WECHAT_SHARE:.0%} of residents on WeChat ~)"
    run.activities.append(Activity(name, run.plan.reminders, 1, reminders))


def _notices(run: _Run) -> None:
    plan = run.plan
    meter = run.meter
    used = run.used
    call = run.call
    activities = run.activities
    site_id = run.site_id

    # A community-wide notice (inbox + push) to the seeded residents and a few dozen more, so the notice's
    # own work (the request, the fan-out's pages) weighs as little as it does for 1,500 recipients.
    from infra.seed import add_residents

    assert run.cloud.stack is not None
    add_residents(run.cloud.stack, run.cloud.client, run.demo, "greenfield", plan.sample_extra_recipients)
    with meter.measure(used, "notice"):
        created = call(
            "POST",
            "/notices",
            "manager",
            body={
                "content": {"zh-CN": {"title": "停水通知", "body": "明天 9:00-12:00 停水检修。"}},
                "audience": {"site_id": site_id, "everyone": True},
                "channels": ["inbox", "push"],
            },
            headers={"Idempotency-Key": f"bench-notice-{uuid.uuid4()}"},
        )
    # On a loaded machine the fan-out can outlast the meter's quiet period: wait for its count to settle, so
    # the sample is divided by the recipients it reached (a count of 1 would scale it 40 times too high).
    from infra.local.cloud import wait_for

    def counted() -> int:
        notice = call("GET", f"/notices/{created['notice_id']}", "manager")
        return int((notice.get("statistics") or {}).get("recipients") or 0)

    with contextlib.suppress(TimeoutError, RuntimeError):
        wait_for(lambda: counted() > plan.sample_extra_recipients, timeout_s=120, interval_s=0.5)
    recipients = max(1, counted())
    activities.append(
        Activity(
            f"notices to the community (per recipient; {plan.notices}/month)",
            plan.notices * plan.residents,
            recipients,
            used["notice"],
        )
    )


def _issue_and_scan(run: _Run, count: int) -> None:
    """Visitor passes: issued, shown as a QR code, scanned once at the gate. As the app issues them: no
    visitor phone (web/mobile/src/pages/visitors/PassNew.vue), so no SMS to the visitor; the resident shares
    the QR or the link, and hears of the arrival by the notifications' ladder (push -> WeChat -> SMS)."""
    call = run.call
    for index in range(count):
        issued = call(
            "POST",
            "/passes",
            "resident",
            body={"visitor_name": f"访客 {index}"},
            headers={"Idempotency-Key": f"bench-pass-{uuid.uuid4()}"},
        )
        # The app shows the pass (its QR drawn on the phone) and its entries; the visitor opens the link.
        call("GET", f"/passes/{issued['pass_id']}", "resident")
        call("GET", f"/passes/{issued['pass_id']}/entries?limit=50", "resident")
        call("POST", "/passes/view", body={"token": issued["token"]})
        call(
            "POST",
            "/gate/scans",
            "guard",
            body={"site_id": run.site_id, "gate_id": "north-1", "token": issued["token"]},
        )


# Passes the sample's resident issues before signing in with WeChat (the residents without WeChat).
SAMPLE_PASSES_PHONE_ONLY = 1


def _passes_phone_only(run: _Run) -> None:
    run.token("guard")  # the guard signs in once, outside the sample (x3,000 it would be 600 sign-ins)
    with run.meter.measure(run.used, "passes phone only"):
        _issue_and_scan(run, SAMPLE_PASSES_PHONE_ONLY)


def _passes(run: _Run) -> None:
    plan = run.plan
    # After the tickets the sample's resident is WeChat-linked: weighted with the phone-only part to
    # WECHAT_SHARE of residents (bench/wechat_share.py), so the visitors' texts to the rest are in the month.
    with run.meter.measure(run.used, "passes wechat"):
        _issue_and_scan(run, plan.sample_passes)
    run.used["passes"] = wechat_share.at_share(
        run.used["passes phone only"], SAMPLE_PASSES_PHONE_ONLY, run.used["passes wechat"], plan.sample_passes
    )
    run.activities.append(
        Activity(
            f"visitor passes issued, shown and scanned ({WECHAT_SHARE:.0%} of residents on WeChat)",
            plan.passes,
            1,
            run.used["passes"],
        )
    )


def _device_readings(run: _Run, name: str, kinds: list[str], minutes: int, batch: int) -> tuple[str, Usage]:
    """A sample of devices of ``kinds`` (one each) reporting ``minutes`` one-minute readings each, as the
    product's firmware does for its kind (iot/kinds.py): a gateway holds its connection, a battery detector
    connects for each wake; the connections are billed on the devices' clock (the replay runs in accelerated
    time). Returns the last device's id and the sample's usage."""
    from iot.kinds import connect_mode_of
    from iot.link import Connections, connections_of, session
    from iot.simulator import LocalBroker, publish_readings, stepped_clock

    device_ids = [
        run.call(
            "POST", "/devices", "manager", body={"site_id": run.site_id, "kind": kind, "name": f"{kind} {i}"}
        )["device"]["device_id"]
        for i, kind in enumerate(kinds)
    ]
    begin = datetime.now(UTC) - timedelta(minutes=minutes + 5)
    # Devices publish through Basic Ingest to the template's named rule (iot/topics.py).
    assert run.cloud.stack is not None
    rule = run.cloud.stack.ref("SensorsTelemetryRule")
    billed = Connections(0, 0)
    with run.meter.measure(run.used, name):
        for index, (device_id, kind) in enumerate(zip(device_ids, kinds, strict=True)):
            mode = connect_mode_of(kind)
            with session(LocalBroker(run.info.mqtt_url), device_id, mode, timeout_s=30.0) as connection:
                sent = publish_readings(
                    connection,
                    tenant_id=run.tenant_id,
                    site_id=run.site_id,
                    device_id=device_id,
                    kind=kind,  # type: ignore[arg-type]  # the simulator's kinds (iot/kinds.py's test)
                    count=minutes,
                    interval_s=0,
                    rng=random.Random(index),
                    clock=stepped_clock(begin, READING_INTERVAL_S),
                    batch=batch,
                    ingest_rule=rule,
                )
            run_billed = connections_of(sent, mode)
            billed = Connections(billed.connects + run_billed.connects, billed.minutes + run_billed.minutes)
    # The sample runs a month's readings in minutes, so its ingest writes are the hour roll-overs of
    # accelerated time, not the wall-clock refreshes and flushes a real month makes: those are modelled
    # (lines_of), so the sample's own ingest writes are left out rather than counted twice.
    ingest = "SensorsIngestFunction"
    readings_used, writes = split_calls(run.used[name], ingest, ("dynamodb.PutItem", "dynamodb.UpdateItem"))
    sized = {k: v for k, v in readings_used.items() if k.startswith(f"units:{ingest}:wru:")}
    attributed = (f"units:{ingest}:wop:", f"units:{ingest}:wix:")  # the same writes by kind (bench/ddb_units)
    readings_used = {
        k: v for k, v in readings_used.items() if k not in sized and not k.startswith(attributed)
    }
    if name == GATEWAY_READINGS and (count := sum(writes.values())) and sized:
        run.ingest_wru_per_write = sum(sized.values()) / count
    readings_used["iot.connects"] = float(billed.connects)
    readings_used["iot.connect_minutes"] = float(billed.minutes)
    return device_ids[-1], readings_used


def _devices(run: _Run) -> None:
    plan = run.plan
    info = run.info
    meter = run.meter
    used = run.used
    activities = run.activities
    site_id = run.site_id
    tenant_id = run.tenant_id

    # Devices: steady readings once a simulated minute (gateways and battery detectors, each the way its
    # kind sends: iot/kinds.py), then one fault episode.
    from iot.kinds import BATTERY_KINDS, samples_per_upload
    from iot.simulator import LocalBroker, connected, publish_readings, stepped_clock

    gateways = device_levers.gateway_devices()
    battery = device_levers.battery_devices()
    minutes = plan.sample_readings_per_device
    _, used_gateways = _device_readings(
        run, GATEWAY_READINGS, ["elevator"] * plan.sample_devices, minutes, plan.batch
    )
    activities.append(
        Activity(
            f"{GATEWAY_READINGS} ({gateways:g} mains devices connected, 1/min, up to {plan.batch} a message)",
            gateways * MINUTES_PER_MONTH,
            plan.sample_devices * minutes,
            used_gateways,
            devices=True,
        )
    )
    battery_kinds = sorted(BATTERY_KINDS)
    battery_minutes = plan.sample_battery_readings_per_device
    _, used_battery = _device_readings(
        run, BATTERY_READINGS, battery_kinds, battery_minutes, samples_per_upload(battery_kinds[0])
    )
    activities.append(
        Activity(
            f"{BATTERY_READINGS} ({battery:g} on batteries, a short session per wake, up to "
            f"{samples_per_upload(battery_kinds[0])} a message)",
            battery * MINUTES_PER_MONTH,
            len(battery_kinds) * battery_minutes,
            used_battery,
            devices=True,
        )
    )
    assert run.cloud.stack is not None
    rule = run.cloud.stack.ref("SensorsTelemetryRule")
    lift = {"site_id": site_id, "kind": "elevator", "name": "lift with a fault"}
    device_ids = [run.call("POST", "/devices", "manager", body=lift)["device"]["device_id"]]
    with meter.measure(used, "fault"), connected(LocalBroker(info.mqtt_url), device_ids[-1]) as connection:
        publish_readings(
            connection,
            tenant_id=tenant_id,
            site_id=site_id,
            device_id=device_ids[-1],
            kind="elevator",
            count=40,
            interval_s=0,
            fault=True,
            rng=random.Random(8),
            clock=stepped_clock(datetime.now(UTC) - timedelta(seconds=60), 1.0),
            batch=plan.batch,
            ingest_rule=rule,
        )
    activities.append(
        Activity(
            "fault episodes (alarm, work order, alerts)", plan.fault_episodes, 1, used["fault"], devices=True
        )
    )


def _schedules(run: _Run) -> None:
    cloud = run.cloud
    meter = run.meter
    used = run.used
    activities = run.activities
    failures = run.failures

    # Scheduled jobs: one firing of each, scaled to the firings of a month. Done last, with devices present.
    from infra.local.functions import InvocationError

    assert cloud.scheduler is not None
    # Everything the earlier activities caused must be done first (a loaded machine delivers the fault
    # episode's alerts late): a late arrival inside a firing's window would be scaled by 43,200 firings.
    meter.settle(quiet_s=5.0, timeout_s=180.0)
    for job in cloud.scheduler.jobs:
        key = f"schedule:{job.function_id}:{job.name}"
        fired: Any = None
        with meter.measure(used, key):
            try:
                fired = cloud.fire(job.function_id, job.name)
            except InvocationError as error:  # still metered; the table names it
                failures.append(f"{job.function_id} {job.name}: {str(error).splitlines()[0][:160]}")
        # The scheduled invocation itself is counted from the template (FunctionMeta), not here. Its sweep
        # (the job's own duration, log lines and due-index queries, one per shard whatever the number of
        # communities) is the deployment's; what it does for this community's due items is the community's.
        fid = job.function_id
        usage = {k: v for k, v in used[key].items() if k != f"fn:{fid}"}
        # ... and so are the units its due-index queries read (sized by the workers).
        own = {f"ms:{fid}", f"cpu:{fid}", f"log:{fid}", f"units:{fid}:rru:Query"}
        own |= {k for k in usage if k.startswith(f"units:{fid}:rtb:") and k.endswith(":Query")}
        work, queries = split_calls(
            {k: v for k, v in usage.items() if k not in own}, fid, ("dynamodb.Query",)
        )
        # ... and so is the waiting on its due-index queries (the duration model reads it from "by:").
        by_queries = f"by:{fid}:dynamodb.Query"
        sweep = {
            **{k: v for k, v in usage.items() if k in own},
            **queries,
            by_queries: work.pop(by_queries, 0.0),
        }
        name = f"schedule {fid} {job.name}"
        devices = fid.startswith("Sensors")
        firings = firings_per_month(job)
        reminded = work.get("fn:NotificationsEventsFunction", 0.0)
        handled = int(fired.get("changed") or 0) if isinstance(fired, dict) and fid == TICKETS_JOB else 0
        if handled:
            # The firing found tickets of the sample due (an SLA target passed while the run went on): that
            # work scales with the month's tickets and their checks, not with the job's 43,200 firings.
            checks = TICKET_CHECKS * (run.plan.tickets + run.plan.fault_episodes)
            activities.append(Activity(f"{name}: due tickets handled", checks, handled, work))
            work = {}
        if (fid, job.name) == REMINDER_JOB:  # its texts are the households' (_household_texts)
            work = household_texts.without_sms(work)
        if (fid, job.name) == REMINDER_JOB and reminded:
            # The first firing sends every reminder then due; later ones find each step already sent, so the
            # work scales with the month's reminders, not with the firings.
            activities.append(Activity(f"{name}: arrears reminders", run.plan.reminders, reminded, work))
        else:
            activities.append(Activity(name, firings, 1, work, devices=devices))
        activities.append(Activity(f"{name} (sweep)", firings, 1, sweep, devices=devices, shared=True))


def _billed(call: Any, started: dict[str, Any]) -> dict[str, Any]:
    """A billing run answers at once (202); the billing queue bills it: poll until it ends."""
    from infra.local.cloud import wait_for

    latest = dict(started)

    def ended() -> bool:
        latest.update(call("GET", f"/billing-runs/{started['run_id']}", "manager"))
        return latest.get("status") in ("completed", "failed")

    wait_for(ended, timeout_s=120, interval_s=0.2)
    return latest


def _post_json(url: str, body: dict[str, Any]) -> dict[str, Any]:
    data = json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=60) as response:
        answer: dict[str, Any] = json.loads(response.read().decode())
        return answer


def function_meta(cloud: LocalCloud) -> dict[str, FunctionMeta]:
    from infra.local.processes import rss_bytes
    from infra.local.template import IoTRuleEvent, Resolver, SqsEvent

    template = cloud.template
    fed: set[str] = set()
    for rule in template.resources_of_type("AWS::Events::Rule"):
        for target in template.resources[rule].get("Properties", {}).get("Targets", []):
            arn = target.get("Arn")
            if isinstance(arn, dict) and "Fn::GetAtt" in arn:
                fed.add(str(arn["Fn::GetAtt"][0]))
    assert cloud.scheduler is not None
    fires: dict[str, float] = {}
    for job in cloud.scheduler.jobs:
        fires[job.function_id] = fires.get(job.function_id, 0.0) + firings_per_month(job)
    out = {}
    global_tracing = ((template.body.get("Globals") or {}).get("Function") or {}).get(
        "Tracing", "PassThrough"
    )

    resolver = Resolver(template, {})

    def platform_logs(properties: Mapping[str, Any]) -> bool:
        level = resolver.resolve((properties.get("LoggingConfig") or {}).get("SystemLogLevel", "INFO"))
        return str(level) in ("DEBUG", "INFO")

    metering = cloud.pool.metering() if cloud.pool else {}
    for function in template.functions():
        stats = metering.get(function.logical_id)
        imports = stats.import_ms if stats else []
        worker = cloud.pool.workers.get(function.logical_id) if cloud.pool else None
        pid = worker.pid if worker else None
        queues = [e.queue for e in function.events_of(SqsEvent) if e.enabled]
        queue_ids = {str(q["Fn::GetAtt"][0]) for q in queues if isinstance(q, dict) and "Fn::GetAtt" in q}
        out[function.logical_id] = FunctionMeta(
            memory_mb=function.memory,
            sqs_triggered=bool(queues),
            fed_by_eventbridge=bool(queue_ids & fed),
            scheduled_per_month=fires.get(function.logical_id, 0.0),
            iot_triggered=bool(function.events_of(IoTRuleEvent)),
            traced=str(function.properties.get("Tracing", global_tracing)) == "Active",
            platform_logs=platform_logs(template.function_properties(function.logical_id)),
            init_ms=sum(imports) / len(imports) if imports else 0.0,
            rss_mb=rss_bytes(pid) / 2**20 if pid else 0.0,
        )
    return out


def api_trace_rate(template: Any) -> float:
    """The share of API requests X-Ray traces: the API Gateway sampling rule's fixed rate, if one is defined
    with no reservoir (with a reservoir, at a community's rates nearly every request would be traced)."""
    from infra.local.template import Resolver

    resolver = Resolver(template, {})
    for resource in template.resources_of_type("AWS::XRay::SamplingRule").values():
        rule = resource.get("Properties", {}).get("SamplingRule", {})
        if rule.get("ServiceType") == "AWS::ApiGateway::Stage":
            if int(resolver.resolve(rule.get("ReservoirSize", 1))) != 0:
                return 1.0
            return float(resolver.resolve(rule.get("FixedRate", 0.05)))
    return 0.0


# ------------------------------------------------------------------------------------------------- entry
def run(plan: Plan | None = None) -> CostResult:
    import logging

    from infra.demo import seed_cloud
    from infra.local.cloud import LocalCloud
    from infra.local.ddb_units import ENV_FLAG

    logging.disable(logging.WARNING)
    plan = plan or Plan()
    os.environ[ENV_FLAG] = "1"  # the workers size DynamoDB items and count SMS (infra/local/ddb_units.py)
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory() as state,
        # The firm's SMS quiet hours hold a non-urgent text until the morning, past the sample's few minutes:
        # a run at night would count none of the month's held texts, which still go out. Without them the
        # sample sends every text at once and counts it, whatever the hour (the month is the same).
        LocalCloud(
            state_dir=Path(state), run_schedules=False, environment_overrides={"SMS_QUIET_HOURS": ""}
        ) as cloud,
    ):
        demo = seed_cloud(cloud)
        sample = drive(cloud, demo, plan)
        meta = function_meta(cloud)
        trace_rate = api_trace_rate(cloud.template)
        acls = edge_cost.web_acls(cloud.template)
        kms = len(list(cloud.template.resources_of_type("AWS::KMS::Key")))
        secrets = len(list(cloud.template.resources_of_type("AWS::SecretsManager::Secret")))
    return summarise(
        sample.activities,
        meta,
        kms_keys=kms,
        secrets=secrets,
        monthly_active_users=plan.residents + 12.0,
        run_s=time.perf_counter() - started,
        failures=sample.failures,
        reference=sample.reference,
        ingest_wru_per_write=sample.ingest_wru_per_write,
        api_trace_rate=trace_rate,
        user_pool_tier=user_pool_tier(cloud.template),
        acls=acls,
    )


def user_pool_tier(template: Any) -> str:
    """The tier template.yaml declares for the staff user pool (Cognito's default is Essentials)."""
    pool = template.resources.get("UserPool") or {}
    return str((pool.get("Properties") or {}).get("UserPoolTier") or "ESSENTIALS")


def table(result: CostResult) -> list[str]:
    out = [
        f"Cost of a simulated month for {result.households:,} households (bench/workload.md): "
        f"local cloud sample x scale; us-east-1 arm64 list prices of {result.prices_date} "
        "(bench/prices.py), free tiers ignored",
        f"  {'activity':<58} {'per month':>11} {'sample':>7} {'scale':>10} {'USD':>7}",
    ]
    for activity in result.activities:
        # A deployment's activity is printed whole; the total carries 1/communities of it.
        mark = f" [1/{result.communities}]" if activity.get("shared") else ""
        out.append(
            f"  {activity['name']:<58} {float(activity['per_month']):>11,.0f} "
            f"{float(activity['sample']):>7,.0f} {float(activity['scale']):>10,.1f} "
            f"{float(activity['usd']):>7.2f}{mark}"
        )
    own = [a for a in result.activities if not a.get("shared")]
    people = sum(float(a["usd"]) for a in own if not a["devices"])
    things = sum(float(a["usd"]) for a in own if a["devices"])
    out.append(
        f"  (activity USD: measured lines only, X-Ray per activity; the modelled lines are below) "
        f"people's activities {people:.2f}, devices' {things:.2f}"
    )
    out.append(f"  {'service':<18} {'USD/month':>10} {'share':>7}")
    total = result.total_usd or 1.0
    estimated = {line["service"] for line in result.lines if line["estimate"]}
    for service, usd in result.by_service.items():
        mark = "  estimate" if service in estimated else ""
        out.append(f"  {service:<18} {usd:>10.2f} {usd / total:>7.1%}{mark}")
    verdict = "under" if result.total_usd < result.target_usd else "OVER"
    out.append(
        f"  {'TOTAL':<18} {result.total_usd:>10.2f}          per {result.households:,} households per month "
        f"(estimate): {verdict} the {result.target_usd:.2f} USD target"
    )
    out.append(
        f"  = this community's own {result.community_usd:.2f} + 1/{result.communities} of the deployment's "
        f"shared {result.deployment_usd:.2f} (WAF web ACLs, KMS keys, idle SQS polling, schedule "
        "firings); "
        f"alone on a deployment: {result.alone_usd:.2f}"
    )
    out.append(
        f"  identity (~ modelled, bench/identity_cost.py): residents on Courtyard identity, staff on Cognito "
        f"{result.user_pool_tier} (template UserPoolTier)"
    )
    for what, usd in result.identity_lines:
        out.append(f"   ~{usd:>8.2f}  {what}")
    with_identity = result.total_usd + result.identity_usd
    verdict_identity = "under" if with_identity < result.target_usd else "OVER"
    out.append(
        f"  {'TOTAL WITH IDENTITY':<18} {with_identity:>10.2f}          per {result.households:,} "
        f"households per month: {verdict_identity} the {result.target_usd:.2f} USD target"
    )
    alone = result.alone_usd + result.alone_identity_usd
    out.append(
        f"  {'TOTAL WITH IDENTITY, 1 community on its deployment':<18} {alone:>10.2f}: "
        f"{'under' if alone < result.target_usd else 'OVER'} the {result.target_usd:.2f} USD target"
    )
    if result.edge_note:
        out.append(f"  {result.edge_note}")
    out.append(
        f"  before (residents in Cognito, Essentials beyond the free tier): "
        f"{result.total_usd + result.cognito_usd:.2f}"
    )
    out.append("  largest lines (~ = modelled or approximate):")
    for line in sorted(result.lines, key=lambda line: -float(line["usd"]))[:8]:
        flag = "~" if line["estimate"] else " "
        shared = " [shared]" if line["shared"] else ""
        out.append(
            f"   {flag}{line['service']:<16} {float(line['usd']):>8.2f} {float(line['quantity']):>14,.1f} "
            f"{line['unit']}: {line['what']}{shared}"
        )
    out.extend(f"  {line}" for line in lambda_units.report(result.lambda_lines))
    out.extend(f"  {line}" for line in ddb_units.report(asdict(result)))  # where DynamoDB's units come from
    out.extend(sms_reasons.report(result.activities, result.communities))  # which texts the month buys
    out.extend(cost_levers.table(result))
    for failure in result.failures:
        out.append(f"  !! {failure}")
    out.append(f"  (sample run on the local cloud: {result.run_s:.0f} s)")
    return out


def firings_per_month(job: Any) -> float:
    """Firings of a scheduled job in 30 days, from its parsed schedule."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = start + timedelta(days=30)
    count, at = 0, start - timedelta(microseconds=1)
    while (at := job.schedule.next_after(at)) < end:
        count += 1
    return float(count)


def main(argv: list[str]) -> int:
    result = run()
    print("\n".join(table(result)))
    if argv[:1] == ["--json"] and len(argv) > 1:
        Path(argv[1]).write_text(json.dumps(asdict(result), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
