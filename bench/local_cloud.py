"""The local cloud as a newcomer runs it: `make up` in a process of its own, a mixed workload, then Ctrl-C.

Records how long `up` takes to be ready (the process start to the demo data seeded, and the cloud's own
start-up figure), the peak memory of the whole local cloud (the `up` process, which holds moto server, the
gateway, the broker and the pollers, plus every function's worker process: RSS summed over the process tree,
sampled throughout) during a mixed workload of at least 500 API requests, four spreadsheet imports and
five billing runs, and how long SIGTERM takes to end every process. tests/e2e/test_demo.py
runs the same workload and asserts the memory bound.

    python -m bench.local_cloud [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import boto3

from bench.emergency import sos_to_on_duty
from directory.imports.sample import clean_sample
from infra.http import HttpResponse, post_form, request
from infra.local.cloud import FAKE_CREDENTIALS, REGION, CloudInfo, wait_for
from infra.local.processes import alive, descendants, tree_rss_bytes
from infra.seed import DemoData, sign_in

ROOT = Path(__file__).resolve().parents[1]
REQUESTS = 500
IMPORTS = 4
BILLING_RUNS = 5
IMPORT_ROWS = 60
# The bounds the end-to-end test asserts; neither depends on the machine's load. At rest the local cloud is
# about 1.7 GB of RSS summed over its processes: 19 worker interpreters of about 80 MB each (boto3, pydantic,
# Powertools; the shared library pages counted in each, 60 MB each without them) and the `up` process with
# moto. Before moto's transaction copies and model tracking were bounded (infra/local/moto_memory.py) this
# workload grew it by 1.4 GB to 3.1 GB; now it grows by about 150 MB (workers warming up, the data itself).
#
# The absolute bound is per worker: the local cloud runs one interpreter per function, as Lambda runs one
# container per function, so each function the template gains adds a worker (19 when the bound was a flat
# 2,560 MB, 32 on 2026-12-08: 2,200 MB at rest, peaks of 2,440-2,580 MB, the flat bound failing by 20 MB on
# a fresh clone). What must not grow is a worker's size, the `up` process and the workload's growth.
WORKER_RSS_BOUND_BYTES = 80 * 1024 * 1024
UP_RSS_BOUND_BYTES = 512 * 1024 * 1024


def rss_bound_bytes(workers: int) -> int:
    """The peak the local cloud with ``workers`` function workers stays under (19 workers: 2,032 MB)."""
    return UP_RSS_BOUND_BYTES + workers * WORKER_RSS_BOUND_BYTES


GROWTH_BOUND_BYTES = 512 * 1024 * 1024
_READY_LINE = "Press Ctrl-C to stop."


@dataclass
class Workload:
    """What the workload did, counted as it went."""

    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    imports: int = 0
    billing_runs: int = 0
    failures: list[str] = field(default_factory=list)


@dataclass
class LocalCloudResult:
    ready_s: float  # `python -m infra.local up` launched until it printed its addresses (demo data seeded)
    startup_s: float  # the cloud's own start-up figure (LocalCloud.start: moto, provisioning, workers, ...)
    workers: int
    rss_after_start_mb: float
    peak_rss_mb: float
    rss_after_workload_mb: float
    workload_s: float
    requests: int
    imports: int
    billing_runs: int
    stop_s: float  # SIGTERM until the `up` process exited with every worker gone
    processes_left: int
    failures: list[str]
    # Issue 19 / issue 16: the resident's SOS request to the first SMS or push to the rostered on-duty staff.
    sos_to_on_duty_s: float | None = None


class RssSampler:
    """The peak RSS of a process tree, sampled every ``interval_s`` in a thread."""

    def __init__(self, pid: int, interval_s: float = 0.25) -> None:
        self.pid = pid
        self.peak = 0
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def sample(self) -> int:
        rss = tree_rss_bytes(self.pid)
        self.peak = max(self.peak, rss)
        return rss

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            self.sample()


def start_up(
    state_dir: Path, command: tuple[str, ...] = ("up",), stderr: int | IO[str] = subprocess.STDOUT
) -> tuple[subprocess.Popen[str], list[str]]:
    """`make up` (seeded; or ``command``, e.g. the demo's story then the same serving: ``demo --stay-up``)
    in a process of its own; returns it once it printed its addresses, and its lines."""
    up = subprocess.Popen(
        [sys.executable, "-m", "infra.local", "--state-dir", str(state_dir), *command],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert up.stdout is not None
    lines: list[str] = []
    for line in up.stdout:
        lines.append(line.rstrip("\n"))
        if line.strip() == _READY_LINE:
            break
    if up.poll() is not None or not lines or lines[-1].strip() != _READY_LINE:
        up.wait()
        raise RuntimeError(
            f"`python -m infra.local {' '.join(command)}` did not start:\n" + "\n".join(lines[-30:])
        )
    # Keep draining what `up` prints (the stop's line) so it never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in up.stdout or ()], daemon=True).start()
    return up, lines


def stop(up: subprocess.Popen[str]) -> tuple[float, int]:
    """SIGTERM, then wait; returns the seconds it took and how many of its processes were left."""
    workers = descendants(up.pid)
    started = time.perf_counter()
    up.send_signal(signal.SIGTERM)
    try:
        up.wait(timeout=300)
    except subprocess.TimeoutExpired:
        up.kill()
        up.wait()
    stop_s = time.perf_counter() - started
    return stop_s, sum(1 for pid in workers if alive(pid))


def mixed_workload(info: CloudInfo, demo: DemoData, tick: Callable[[], object] = lambda: None) -> Workload:
    """At least REQUESTS API requests (reads and ticket filings by two roles), IMPORTS spreadsheet imports
    into new communities (validate and commit through SQS) and BILLING_RUNS billing runs on them; ``tick``
    runs between steps (the memory sampler)."""
    done = Workload()
    api = info.api_url
    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=info.aws_endpoint,
        region_name=REGION,
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    manager = sign_in(
        cognito, info.user_pool_id, info.user_pool_client_id, demo.user("greenfield", "manager").username
    )
    resident = sign_in(
        cognito, info.user_pool_id, info.user_pool_client_id, demo.user("greenfield", "resident").username
    )

    def call(method: str, path: str, token: str | None, **kwargs: Any) -> HttpResponse:
        response = request(method, f"{api}{path}", token=token, timeout_s=120, **kwargs)
        done.requests += 1
        done.statuses[response.status] = done.statuses.get(response.status, 0) + 1
        if response.status >= 500:
            done.failures.append(f"{method} {path}: {response.status} {response.text[:200]}")
        return response

    sites = [_import(call, manager, n, done) for n in range(IMPORTS)]
    tick()
    period = datetime.now(UTC).strftime("%Y-%m")
    runs = [(site, period) for site in sites] + [(sites[0], _previous_month(period))]
    for site_id, run_period in runs[:BILLING_RUNS]:
        _billing_run(call, manager, site_id, run_period, done)
        tick()

    site_id = demo.sites["greenfield"]
    reads: list[tuple[str, str, str | None]] = [
        ("GET", "/me", manager),
        ("GET", "/me", resident),
        ("GET", "/sites", manager),
        ("GET", f"/sites/{site_id}/units", manager),
        ("GET", f"/sites/{site_id}/buildings", manager),
        ("GET", "/bills", resident),
        ("GET", "/tickets", resident),
        ("GET", "/inbox", resident),
        ("GET", "/health", None),
    ]
    round_number = 0
    while done.requests < REQUESTS:
        for method, path, token in reads:
            call(method, path, token)
        filed = call(
            "POST",
            "/tickets",
            resident,
            body={"kind": "repair", "category": "plumbing", "description": f"水管漏水 leak {round_number}"},
            headers={"Idempotency-Key": f"memory-{uuid.uuid4()}"},
        )
        if filed.status != 201:
            done.failures.append(f"POST /tickets: {filed.status} {filed.text[:200]}")
        round_number += 1
        tick()
    return done


def _import(call: Callable[..., HttpResponse], token: str, n: int, done: Workload) -> str:
    site = call(
        "POST", "/sites", token, body={"name": f"Memory Garden {n}", "address": "1 Rd", "city": "Hangzhou"}
    )
    if site.status != 201:
        raise RuntimeError(f"site not created: {site.status} {site.text}")
    site_id = str(site.json()["site_id"])
    created = call(
        "POST",
        "/imports",
        token,
        body={"site_id": site_id, "filename": f"m{n}.csv", "content_type": "text/csv"},
    ).json()
    form = created["upload"]
    if post_form(
        form["url"], form["fields"], f"m{n}.csv", clean_sample(IMPORT_ROWS, seed=100 + n)
    ).status not in (
        200,
        204,
    ):
        raise RuntimeError("the presigned POST was refused")
    import_id = created["import_id"]
    for action, finished in (("validate", "validated"), ("commit", "committed")):
        call("POST", f"/imports/{import_id}/{action}", token)
        state: dict[str, Any] = {}

        def settled(wanted: str = finished, state: dict[str, Any] = state) -> bool:
            state.update(call("GET", f"/imports/{import_id}", token).json())
            return state.get("status") in {wanted, "failed"}

        if not wait_for(settled, timeout_s=300, interval_s=0.25) or state.get("status") != finished:
            done.failures.append(f"import {n} {action}: {state.get('status')} {state.get('failure')}")
            return site_id
    call(
        "POST",
        "/fee-items",
        token,
        body={
            "site_id": site_id,
            "name": "物业费 Property fee",
            "kind": "fixed",
            "price_minor": 15000,
            "due_day": 28,
        },
    )
    done.imports += 1
    return site_id


def _billing_run(
    call: Callable[..., HttpResponse], token: str, site_id: str, period: str, done: Workload
) -> None:
    # 201 when the run finished inside the request, 202 when it went to the queue: either is a run.
    started = call("POST", "/billing-runs", token, body={"site_id": site_id, "period": period})
    if started.status not in (201, 202):
        done.failures.append(f"billing run {period}: {started.status} {started.text[:200]}")
        return
    run_id = started.json()["run_id"]

    def finished() -> bool:
        return str(call("GET", f"/billing-runs/{run_id}", token).json().get("status")) != "running"

    if started.status == 202 and not wait_for(finished, timeout_s=300, interval_s=0.5):
        done.failures.append(f"billing run {run_id} still running")
        return
    done.billing_runs += 1


def _previous_month(period: str) -> str:
    year, month = (int(part) for part in period.split("-"))
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


def run() -> LocalCloudResult:
    with tempfile.TemporaryDirectory(prefix="courtyard-bench-") as folder:
        state_dir = Path(folder)
        launched = time.perf_counter()
        up, _lines = start_up(state_dir)
        ready_s = time.perf_counter() - launched
        try:
            info = CloudInfo.load(state_dir / "cloud.json")
            assert info.demo is not None
            demo = DemoData.from_json(info.demo)
            workers = len(descendants(up.pid))
            with RssSampler(up.pid) as sampler:
                after_start = sampler.sample()
                started = time.perf_counter()
                workload = mixed_workload(info, demo, tick=sampler.sample)
                workload_s = time.perf_counter() - started
                after_workload = sampler.sample()
                sos_s: float | None = None
                try:
                    sos_s = sos_to_on_duty(info, demo)
                except RuntimeError as failure:
                    workload.failures.append(f"SOS to on-duty staff: {failure}")
        finally:
            stop_s, left = stop(up)
    mb = 1024 * 1024
    return LocalCloudResult(
        ready_s=round(ready_s, 2),
        startup_s=info.startup_s,
        workers=workers,
        rss_after_start_mb=round(after_start / mb, 1),
        peak_rss_mb=round(sampler.peak / mb, 1),
        rss_after_workload_mb=round(after_workload / mb, 1),
        workload_s=round(workload_s, 1),
        requests=workload.requests,
        imports=workload.imports,
        billing_runs=workload.billing_runs,
        stop_s=round(stop_s, 2),
        processes_left=left,
        failures=workload.failures,
        sos_to_on_duty_s=sos_s,
    )


def table(result: LocalCloudResult) -> list[str]:
    load = os.getloadavg()[0]
    return [
        f"The local cloud: `make up`, a mixed workload, SIGTERM (load {load:.1f} on {os.cpu_count()} cores)",
        f"  {'ready (process start to demo seeded)':<44} {result.ready_s:>9.2f} s",
        f"  {'start-up (LocalCloud.start)':<44} {result.startup_s:>9.2f} s   {result.workers} workers",
        f"  {'RSS after start':<44} {result.rss_after_start_mb:>9.1f} MB",
        f"  {'peak RSS during the workload':<44} {result.peak_rss_mb:>9.1f} MB  "
        f"({result.requests} requests, {result.imports} imports, {result.billing_runs} billing runs, "
        f"{result.workload_s:.0f} s)",
        f"  {'RSS after the workload':<44} {result.rss_after_workload_mb:>9.1f} MB",
        f"  {'stop (SIGTERM to every process gone)':<44} {result.stop_s:>9.2f} s   "
        f"{result.processes_left} processes left",
        f"  {'SOS tap to on-duty staff notification':<44} {_seconds(result.sos_to_on_duty_s)} s   "
        "(SOS request to the first SMS/push to the rostered guard or technician)",
    ]


def _seconds(value: float | None) -> str:
    return f"{value:>9.2f}" if value is not None else f"{'-':>9}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.local_cloud", description=__doc__)
    parser.add_argument("--json", type=Path, help="also write the result to this file")
    args = parser.parse_args(argv)
    result = run()
    print("\n".join(table(result)), flush=True)
    if args.json:
        args.json.write_text(json.dumps(asdict(result), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
