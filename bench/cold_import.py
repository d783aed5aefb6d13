"""Cold import of every function's handler module in a fresh interpreter, against a floor.

The floor is what any Python API function on Lambda pays anyway: ``import boto3`` plus a bare Powertools
REST resolver. Shipped code is byte-compiled first, as `make build` does, because Lambda's code directory is
read-only and an uncompiled module would recompile on every cold start.
"""

from __future__ import annotations

import compileall
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from infra.local.template import load_template

ROOT = Path(__file__).resolve().parents[1]

FLOOR = (
    "import boto3\n"
    "from aws_lambda_powertools.event_handler import APIGatewayRestResolver\n"
    "APIGatewayRestResolver(enable_validation=True)\n"
)
_TIMER = "import time\n_t = time.perf_counter()\n{body}print((time.perf_counter() - _t) * 1000)\n"


@dataclass(frozen=True)
class ImportResult:
    name: str
    median_ms: float
    runs_ms: tuple[float, ...]


def measure(code: str, python_path: list[str], runs: int) -> tuple[float, ...]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "AWS_"))}
    env.update(
        PYTHONPATH=os.pathsep.join([str(ROOT / "bench" / "lambda_runtime"), *python_path]),
        AWS_DEFAULT_REGION="us-east-1",
        POWERTOOLS_TRACE_DISABLED="false",
        POWERTOOLS_SERVICE_NAME="bench",
    )
    samples = []
    for _ in range(runs):
        output = subprocess.run(
            [sys.executable, "-c", _TIMER.format(body=code)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        samples.append(float(output.strip().splitlines()[-1]))
    return tuple(samples)


def run(runs: int = 7) -> list[ImportResult]:
    for folder in ("functions", "layers/courtyard", "schemas"):
        compileall.compile_dir(ROOT / folder, quiet=1)
    template = load_template(ROOT / "template.yaml")
    floor = measure(FLOOR, [str(ROOT)], runs)
    results = [ImportResult("floor (boto3 + Powertools REST resolver)", statistics.median(floor), floor)]
    for function in template.functions():
        module = function.handler.rpartition(".")[0]
        path = [str(function.code_uri), *(str(d) for d in function.layer_dirs), str(ROOT)]
        samples = measure(f"import {module}\n", path, runs)
        results.append(ImportResult(f"{function.logical_id} ({module})", statistics.median(samples), samples))
    return results
