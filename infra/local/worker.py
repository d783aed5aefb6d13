"""A function's worker process: imports the handler once and runs invocations sent as JSON lines.

One process per function gives each function exactly its own environment, a real cold start, and
serialised invocations (Powertools keeps the current event in module state, as one Lambda sandbox does).
Protocol: requests on stdin, responses on the original stdout; the handler's own prints and logs go to stderr.
Each reply also reports the AWS API calls the invocation made (by ``service.Operation``), so the local cloud
can meter a workload the way an AWS bill would (bench/cost.py).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Any, TextIO

import boto3

import courtyard.aws_calls
from courtyard.aws_calls import count_aws_calls, install_dispatcher
from infra.local.ddb_units import ENV_FLAG, UnitMeter


@dataclass
class LocalLambdaContext:
    function_name: str
    memory_limit_in_mb: int
    timeout_s: float
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    region: str = "us-east-1"
    account_id: str = "123456789012"
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_s - (time.monotonic() - self.started)) * 1000))


def _load(handler_path: str) -> Any:
    module_name, _, attr = handler_path.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


def _reply(out: TextIO, message: dict[str, Any]) -> None:
    out.write(json.dumps(message, default=str) + "\n")
    out.flush()


def main(argv: list[str]) -> int:
    handler_path, function_name, timeout_s, memory_mb = argv[0], argv[1], float(argv[2]), int(argv[3])
    protocol_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # the handler's stdout (EMF metrics, prints) joins its log
    sys.stdout = sys.stderr
    # Before the handler's import, so that clients it builds at import time from boto3's default session
    # are metered too (a client copies its session's event hooks when it is created).
    install_dispatcher(boto3._get_default_session().events)
    units = _unit_meter() if os.environ.get(ENV_FLAG) == "1" else None
    started = time.perf_counter()
    try:
        handler = _load(handler_path)
    except Exception as error:  # a broken import is reported, as Lambda reports Runtime.ImportModuleError
        _reply(protocol_out, {"ready": False, "error": _error(error)})
        return 1
    _reply(protocol_out, {"ready": True, "import_ms": round((time.perf_counter() - started) * 1000, 1)})
    for line in sys.stdin:
        request = json.loads(line)
        context = LocalLambdaContext(
            function_name, memory_mb, timeout_s, aws_request_id=request["request_id"]
        )
        wall, cpu = time.perf_counter(), time.process_time()
        with count_aws_calls() as calls:
            try:
                result = handler(request["event"], context)
                reply: dict[str, Any] = {"ok": True, "result": result}
            except Exception as error:
                traceback.print_exc()
                reply = {"ok": False, "error": _error(error)}
        reply.update(
            id=request["id"],
            duration_ms=round((time.perf_counter() - wall) * 1000, 3),
            cpu_ms=round((time.process_time() - cpu) * 1000, 3),
            aws_calls={f"{service}.{op}": n for (service, op), n in calls.by_operation().items()},
        )
        if units is not None:
            reply["ddb_units"] = units.take()
        _reply(protocol_out, reply)
    return 0


def _unit_meter() -> UnitMeter:
    """DynamoDB units by item size (bench/cost.py): hooked wherever the call counter is, i.e. on boto3's
    default session and on every session ``courtyard.aws`` builds (it installs the counter by this name)."""
    meter = UnitMeter()
    counter_only = courtyard.aws_calls.install_dispatcher

    def both(events: Any) -> None:
        counter_only(events)
        meter.install(events)

    courtyard.aws_calls.install_dispatcher = both
    meter.install(boto3._get_default_session().events)
    return meter


def _error(error: BaseException) -> dict[str, Any]:
    return {
        "errorType": type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_exception(error)[-8:],
    }


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
