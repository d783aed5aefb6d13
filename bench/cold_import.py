"""Cold start of every function against a floor: its handler's import in a fresh interpreter, then (API
functions) its first request, on a moto server provisioned from the template and seeded with the demo.

The floor is what any Python API function on Lambda pays anyway: ``import boto3`` plus a bare Powertools
REST resolver, and that resolver's first request. Measured as Lambda runs it: ``LAMBDA_TASK_ROOT`` is set (the
X-Ray SDK builds no clients there; outside Lambda it does, a third of a second that Lambda never pays),
tracing is on but the invocation unsampled (as API Gateway leaves most), and shipped code is byte-compiled
first, as `make build` does, because Lambda's code directory is read-only and an uncompiled module would
recompile on every cold start.

The machine is shared, so the processes of every target are interleaved run by run and each figure is a
median; the ratio is taken on CPU time, which another process's load disturbs far less than wall time.
``python -m bench.cold_import [--runs N]`` runs this benchmark alone and records its rows in
bench/results.json (the other benchmarks' rows kept), as `make bench` does.
"""

from __future__ import annotations

import argparse
import compileall
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import boto3

from bench import summary
from infra.local.provision import Stack, provision
from infra.local.template import ApiEvent, FunctionSpec, load_template
from infra.seed import seed_stack

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"
FLOOR_NAME = "floor (boto3 + Powertools REST resolver)"
# Each API function's first request: a GET its seeded manager may make.
FIRST_REQUEST = {
    "IdentityFunction": "/identity/jwks",
    "DirectoryFunction": "/me",
    "TicketsFunction": "/tickets",
    "PaymentsFunction": "/bills",
    "NotificationsFunction": "/inbox",
    "VisitorsFunction": "/visitor-settings",
    "SensorsFunction": "/alarms",
}

FLOOR = (
    "import boto3\n"
    "from aws_lambda_powertools.event_handler import APIGatewayRestResolver\n"
    "app = APIGatewayRestResolver(enable_validation=True)\n"
    "@app.get('/me')\n"
    "def me() -> dict:\n"
    "    return {'ok': True}\n"
    "def lambda_handler(event, context):\n"
    "    return app.resolve(event, context)\n"
)
# Runs in the fresh interpreter: the import, then the first request if an event file is given.
_CHILD = """\
import json, sys, time
_w, _c = time.perf_counter(), time.process_time()
{body}
_import = ((time.perf_counter() - _w) * 1000, (time.process_time() - _c) * 1000)
_first, _status = None, None
if len(sys.argv) > 1:
    class _Context:
        function_name = "bench"
        memory_limit_in_mb = 512
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
        aws_request_id = "bench-1"
    with open(sys.argv[1]) as _f:
        _event = json.load(_f)
    _w, _c = time.perf_counter(), time.process_time()
    _response = lambda_handler(_event, _Context())
    _first = ((time.perf_counter() - _w) * 1000, (time.process_time() - _c) * 1000)
    _status = _response.get("statusCode")
print(json.dumps({{"import": _import, "first": _first, "status": _status}}))
"""


@dataclass(frozen=True)
class ImportResult:
    name: str
    median_ms: float  # import, CPU time (the ratio's basis)
    runs_ms: tuple[float, ...]
    wall_ms: float = 0.0  # import, wall time
    first_request_ms: float | None = None  # the first request's CPU time (API functions)
    first_request_status: int | None = None

    @property
    def cold_start_ms(self) -> float:
        return self.median_ms + (self.first_request_ms or 0.0)


@dataclass
class _Target:
    name: str
    body: str
    python_path: list[str]
    environment: dict[str, str]
    event_file: Path | None
    imports: list[tuple[float, float]]
    firsts: list[float]
    status: int | None = None


def _run_child(target: _Target) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "AWS_", "POWERTOOLS_"))}
    env.update(target.environment)
    env.update(
        PYTHONPATH=os.pathsep.join([str(ROOT / "bench" / "lambda_runtime"), *target.python_path]),
        LAMBDA_TASK_ROOT=target.python_path[0],
        AWS_DEFAULT_REGION="us-east-1",
        POWERTOOLS_TRACE_DISABLED="false",
        POWERTOOLS_SERVICE_NAME=target.environment.get("POWERTOOLS_SERVICE_NAME", "bench"),
        POWERTOOLS_LOG_LEVEL="ERROR",
    )
    args = [sys.executable, "-c", _CHILD.format(body=target.body)]
    if target.event_file is not None:
        args.append(str(target.event_file))
    output = subprocess.run(args, env=env, capture_output=True, text=True, check=True).stdout
    measured = json.loads(output.strip().splitlines()[-1])
    target.imports.append((float(measured["import"][0]), float(measured["import"][1])))
    if measured["first"] is not None:
        target.firsts.append(float(measured["first"][1]))
        target.status = measured["status"]


@contextmanager
def _seeded_moto() -> Iterator[tuple[Stack, str]]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per AWS call
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    session = boto3.Session(
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        region_name="us-east-1",
    )
    try:
        stack = provision(load_template(ROOT / "template.yaml"), endpoint_url=endpoint, session=session)
        yield stack, endpoint
    finally:
        server.stop()


def _api_event(path: str, claims: dict[str, str]) -> dict[str, Any]:
    from tests.factories import api_event

    return api_event("GET", path, claims=claims)


def _targets(stack: Stack, endpoint: str, folder: Path) -> list[_Target]:
    from courtyard.tenancy import Role

    session = boto3.Session(aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1")
    demo = seed_stack(stack, lambda service: session.client(service, endpoint_url=endpoint))
    manager = demo.user("greenfield", Role.MANAGER)
    claims = {
        "sub": manager.user_id,
        "custom:tenant_id": manager.tenant_id,
        "cognito:groups": manager.role,
        "mfa": "totp",
    }
    floor_event = folder / "floor.json"
    floor_event.write_text(json.dumps(_api_event("/me", claims)), encoding="utf-8")
    targets = [_Target(FLOOR_NAME, FLOOR, [str(ROOT)], {}, floor_event, [], [])]
    aws = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
    }
    for function in load_template(ROOT / "template.yaml").functions():
        targets.append(_function_target(function, stack, aws, claims, folder))
    return targets


def _function_target(
    function: FunctionSpec, stack: Stack, aws: dict[str, str], claims: dict[str, str], folder: Path
) -> _Target:
    module = function.handler.rpartition(".")[0]
    path = [str(function.code_uri), *(str(d) for d in function.layer_dirs), str(ROOT)]
    event_file = None
    route = FIRST_REQUEST.get(function.logical_id)
    if route is not None and any(e.path == route for e in function.events_of(ApiEvent)):
        event_file = folder / f"{function.logical_id}.json"
        event_file.write_text(json.dumps(_api_event(route, claims)), encoding="utf-8")
    environment = {**stack.function_environment(function), **aws}
    body = f"from {module} import lambda_handler\n"
    return _Target(f"{function.logical_id} ({module})", body, path, environment, event_file, [], [])


def run(runs: int = 9) -> list[ImportResult]:
    for folder in ("functions", "layers/courtyard", "schemas"):
        compileall.compile_dir(ROOT / folder, quiet=1)
    with _seeded_moto() as (stack, endpoint), tempfile.TemporaryDirectory() as folder:
        targets = _targets(stack, endpoint, Path(folder))
        # Interleaved: a burst of load on the machine spreads over every target instead of hitting one.
        for _ in range(runs):
            for target in targets:
                _run_child(target)
    results = []
    for target in targets:
        cpu = tuple(c for _, c in target.imports)
        results.append(
            ImportResult(
                target.name,
                statistics.median(cpu),
                cpu,
                wall_ms=statistics.median(w for w, _ in target.imports),
                first_request_ms=statistics.median(target.firsts) if target.firsts else None,
                first_request_status=target.status,
            )
        )
    return results


def table(results: list[ImportResult]) -> list[str]:
    floor = results[0]
    runs = len(floor.runs_ms)
    lines = [
        f"Cold start, fresh interpreter, compiled .pyc, LAMBDA_TASK_ROOT set (CPU ms, median of {runs})",
        f"  {'function (handler module)':<58} {'import':>7} {'x floor':>8} {'wall':>7} "
        f"{'1st req':>8} {'cold':>7} {'x floor':>8}",
    ]
    for result in results:
        first = "-" if result.first_request_ms is None else f"{result.first_request_ms:.1f}"
        cold = "-" if result.first_request_ms is None else f"{result.cold_start_ms:.1f}"
        cold_ratio = (
            "-" if result.first_request_ms is None else f"{result.cold_start_ms / floor.cold_start_ms:.2f}"
        )
        status = "" if result.first_request_status in (None, 200) else f" ({result.first_request_status})"
        lines.append(
            f"  {result.name:<58} {result.median_ms:>7.1f} {result.median_ms / floor.median_ms:>8.2f} "
            f"{result.wall_ms:>7.1f} {first:>8} {cold:>7} {cold_ratio:>8}{status}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args(argv)
    results = run(args.runs)
    for line in table(results):
        print(line)
    recorded = record(results)
    print()
    for line in summary.table({"cold_import": recorded["cold_import"]}, _cold_rows):
        print(line)
    print(f"\nrecorded in {RESULTS.relative_to(ROOT)}")
    return 0


def _cold_rows(document: summary.Results) -> list[summary.Row]:
    """`make bench`'s summary rows of this benchmark (the others' would print as "-")."""
    return [row for row in summary.rows(document) if row.benchmark.startswith("cold")]


def record(results: list[ImportResult], path: Path = RESULTS) -> dict[str, Any]:
    """``path``'s results document with its cold import rows replaced by ``results``."""
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    document["cold_import"] = [asdict(r) for r in results]
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return document


if __name__ == "__main__":
    sys.exit(main())
