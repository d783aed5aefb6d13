"""Runs each function of the template in its own worker process, as a Lambda sandbox would."""

from __future__ import annotations

import json
import logging
import queue
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

log = logging.getLogger("courtyard.local.functions")

# Variables every worker gets besides its template environment: the Lambda runtime's own, and the
# local AWS endpoint. Nothing else of the parent's environment leaks in.
_PASSTHROUGH = ("PATH", "LANG", "LC_ALL", "TZ", "SYSTEMROOT", "HOME")


# Every worker imports at once when the cloud starts: on a shared 2-core machine under load (load average 40,
# five engineers' test sessions) the first import alone took over 30 s. The limit only guards a hung import.
READY_TIMEOUT_S = 180.0


class InvocationError(Exception):
    """The handler raised, timed out or its worker died; carries Lambda's error shape."""

    def __init__(self, function_id: str, error: Mapping[str, Any]) -> None:
        super().__init__(f"{function_id}: {error.get('errorType')}: {error.get('errorMessage')}")
        self.function_id = function_id
        self.error = dict(error)


@dataclass
class InvocationStats:
    invocations: int = 0
    errors: int = 0
    duration_ms: float = 0.0
    cpu_ms: float = 0.0
    cold_starts: int = 0
    import_ms: list[float] = field(default_factory=list)
    # AWS API calls the invocations made, by "service.Operation" (what an AWS bill charges per request).
    aws_calls: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class WorkerSpec:
    function_id: str
    function_name: str
    handler: str
    environment: Mapping[str, str]
    python_path: tuple[str, ...]
    timeout_s: float = 10.0
    memory_mb: int = 512


class FunctionWorker:
    """One function's sandbox: a long-lived process, restarted after a crash or a timeout."""

    def __init__(self, spec: WorkerSpec, log_dir: Path) -> None:
        self.spec = spec
        self.stats = InvocationStats()
        self._log_path = log_dir / f"{spec.function_id}.log"
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._replies: queue.Queue[dict[str, Any] | None] = queue.Queue()

    # -- lifecycle
    def spawn(self) -> None:
        """Start the process without waiting for its import (so many workers start in parallel)."""
        env = {k: v for k, v in _parent_env().items() if k in _PASSTHROUGH}
        env.update(self.spec.environment)
        env["PYTHONPATH"] = ":".join(self.spec.python_path)
        self._replies = queue.Queue()
        log_file: IO[str] = self._log_path.open("a", encoding="utf-8")
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "infra.local.worker",
                self.spec.handler,
                self.spec.function_name,
                str(self.spec.timeout_s),
                str(self.spec.memory_mb),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log_file,
            env=env,
            text=True,
            bufsize=1,
        )
        log_file.close()
        threading.Thread(target=self._read_replies, args=(self._process,), daemon=True).start()

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> float:
        """Block until the handler module imported; returns the import time in ms."""
        reply = self._next_reply(timeout_s)
        if reply is None or not reply.get("ready"):
            error = (reply or {}).get("error") or {
                "errorType": "Runtime.ExitError",
                "errorMessage": "no start",
            }
            raise InvocationError(self.spec.function_id, error)
        import_ms = float(reply.get("import_ms", 0.0))
        self.stats.cold_starts += 1
        self.stats.import_ms.append(import_ms)
        return import_ms

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin:
            process.stdin.close()
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    # -- invocation
    def invoke(self, event: Mapping[str, Any], request_id: str | None = None) -> Any:
        """Run the handler on ``event`` (serialised: one invocation at a time, like one sandbox)."""
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self.spawn()
                self.wait_ready()
            process = self._process
            assert process is not None
            assert process.stdin is not None
            invocation_id = uuid.uuid4().hex
            request = {"id": invocation_id, "request_id": request_id or str(uuid.uuid4()), "event": event}
            try:
                process.stdin.write(json.dumps(request, default=str) + "\n")
                process.stdin.flush()
            except (BrokenPipeError, OSError) as error:
                self._recycle()
                raise InvocationError(
                    self.spec.function_id, {"errorType": "Runtime.ExitError", "errorMessage": str(error)}
                ) from error
            reply = self._next_reply(self.spec.timeout_s + 1.0)
            self.stats.invocations += 1
            if reply is None:
                # Timed out or died: a real sandbox is discarded too.
                self._recycle()
                self.stats.errors += 1
                message = f"Task timed out after {self.spec.timeout_s:.2f} seconds"
                raise InvocationError(
                    self.spec.function_id, {"errorType": "Sandbox.Timedout", "errorMessage": message}
                )
            self.stats.duration_ms += float(reply.get("duration_ms", 0.0))
            self.stats.cpu_ms += float(reply.get("cpu_ms", 0.0))
            self.stats.aws_calls.update({str(k): int(v) for k, v in (reply.get("aws_calls") or {}).items()})
            if not reply.get("ok"):
                self.stats.errors += 1
                raise InvocationError(self.spec.function_id, reply.get("error") or {})
            return reply.get("result")

    def _recycle(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.wait()

    def _next_reply(self, timeout_s: float) -> dict[str, Any] | None:
        try:
            return self._replies.get(timeout=timeout_s)
        except queue.Empty:
            return None

    def _read_replies(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        replies = self._replies
        for line in process.stdout:
            try:
                replies.put(json.loads(line))
            except ValueError:
                log.warning("%s: unreadable worker output", self.spec.function_id)
        replies.put(None)  # the process ended


class FunctionPool:
    """All of a template's functions, started in parallel."""

    def __init__(self, specs: list[WorkerSpec], log_dir: Path) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir = log_dir
        self.workers = {spec.function_id: FunctionWorker(spec, log_dir) for spec in specs}

    def start(self) -> None:
        for worker in self.workers.values():
            worker.spawn()
        for worker in self.workers.values():
            worker.wait_ready()

    def stop(self) -> None:
        for worker in self.workers.values():
            worker.stop()

    def metering(self) -> dict[str, InvocationStats]:
        """Each function's invocations, duration and AWS calls so far (a copy)."""
        return {
            function_id: replace(worker.stats, aws_calls=Counter(worker.stats.aws_calls))
            for function_id, worker in self.workers.items()
        }

    def invoke(self, function_id: str, event: Mapping[str, Any], request_id: str | None = None) -> Any:
        try:
            worker = self.workers[function_id]
        except KeyError:
            raise KeyError(f"no function {function_id!r} in the template") from None
        started = time.perf_counter()
        try:
            return worker.invoke(event, request_id)
        finally:
            log.debug("%s invoked in %.1f ms", function_id, (time.perf_counter() - started) * 1000)


def _parent_env() -> dict[str, str]:
    import os

    return dict(os.environ)
