"""`make bench`: every benchmark, one table, and bench/results.json."""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import logging
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from bench import cold_import, imports, requests, scale, summary
from bench.moto_transactions import lean_transaction_backups

RESULTS = Path(__file__).resolve().parent / "results.json"
# Each feature's benchmark module: ``run()`` returns a dataclass of results, ``table(result)`` its lines.
FEATURE_BENCHES: tuple[str, ...] = (
    "payments",
    "statements",
    "notifications",
    "visitors",
    "sensors",
    "cost",
    "local_cloud",
    "console",
    "mobile",
    "import_limits",
)
# moto's backends are global to a process: a benchmark that starts a whole fresh local cloud after others
# have used moto in this process runs in a process of its own.
OWN_PROCESS = frozenset({"cost", "console"})


def _in_own_process(name: str) -> object:
    """Run ``python -m bench.<name> --json FILE``: its table goes to our stdout, its results come back."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"{name}.json"
        print(flush=True)
        subprocess.run([sys.executable, "-m", f"bench.{name}", "--json", str(out)], check=True)
        return json.loads(out.read_text(encoding="utf-8"))


def main() -> int:
    with lean_transaction_backups():
        return _main()


def _main() -> int:
    logging.disable(logging.CRITICAL)
    cold = cold_import.run()
    with contextlib.redirect_stdout(io.StringIO()):  # handler logs are not the benchmark's output
        routes = requests.run()
    bulk = imports.run()
    for line in cold_import.table(cold):
        print(line)
    print("\nPer request, in-process moto (median CPU of 50; AWS calls cold/warm)")
    print(f"  {'route':<20} {'CPU ms':>8} {'cold':>6} {'warm':>6}  calls (warm)")
    for route in routes:
        calls = ", ".join(f"{k}={v}" for k, v in sorted(route.calls.items())) or "-"
        print(
            f"  {route.route:<20} {route.cpu_ms_median:>8.2f} {route.aws_calls_cold:>6} "
            f"{route.aws_calls_warm:>6}  {calls}"
        )
    print("\nBulk import on the local cloud (API + S3 presigned POST + SQS + worker process)")
    print(f"  {'rows':>6} {'validate s':>11} {'rows/s':>8} {'commit s':>9} {'rows/s':>8}")
    print(
        f"  {bulk.rows:>6} {bulk.validate_s:>11.2f} {bulk.validate_rows_per_s:>8.0f} "
        f"{bulk.commit_s:>9.2f} {bulk.commit_rows_per_s:>8.0f}"
    )
    features: dict[str, object] = {}
    for name in FEATURE_BENCHES:
        if name in OWN_PROCESS:
            features[name] = _in_own_process(name)
            if name == "cost":  # the month at scale, from the cost run's per-firing calls
                print()
                print("\n".join(scale.table(features[name])))  # type: ignore[arg-type]
            continue
        module = importlib.import_module(f"bench.{name}")
        with contextlib.redirect_stdout(io.StringIO()):
            result = module.run()
        print()
        for line in module.table(result):
            print(line)
        features[name] = asdict(result)
    results = {
        **features,
        "cold_import": [asdict(r) for r in cold],
        "requests": [asdict(r) for r in routes],
        "import": {
            **asdict(bulk),
            "validate_rows_per_s": bulk.validate_rows_per_s,
            "commit_rows_per_s": bulk.commit_rows_per_s,
        },
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print("\nSummary (bench/results.json)")
    for line in summary.table(results):
        print(line)
    print(f"\nwrote {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
