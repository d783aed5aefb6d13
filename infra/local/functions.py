"""Runs each function of the template in its own worker process, as a Lambda sandbox would."""

from __future__ import annotations

import json
import logging
import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

log = logging.getLogger("courtyard.local.functions")

# Variables every worker gets besides its template environment: the Lambda runtime's own, and the
# local AWS endpoint. Nothing else of the parent's environment leaks in.
_PASSTHROUGH = ("PATH", "LANG", "LC_ALL", "TZ", "SYSTEMROOT", "HOME", "COURTYARD_METER_DDB_UNITS")


# The knobs of a start on a busy machine, named in the message when a start fails.
START_TIMEOUT_VARIABLE = "COURTYARD_START_TIMEOUT"
START_PARALLELISM_VARIABLE = "COURTYARD_START_PARALLELISM"
# Seconds one worker may take to import its handler on an idle machine; a handler imports in well under 2 s
# here, so this only trips on a worker that hangs or a machine far busier than its load average says.
DEFAULT_START_TIMEOUT_S = 60.0
# How long stop() lets workers exit after SIGTERM before it kills them (they hold no state worth waiting for).
STOP_GRACE_S = 2.0


class StartError(RuntimeError):
    """A worker did not start: the message says which, why, and which knob to turn."""


@dataclass(frozen=True)
class StartPolicy:
    """How a pool starts its workers: a few at a time, each with a wait that grows with the machine's load.

    Starting every worker at once makes them compete for the same cores, so on a busy machine each import
    takes many times longer and a fixed wait fails ("no start"). At most ``parallelism`` workers import at
    a time, and each may take ``timeout_s`` times the load factor (the 1-minute load average per core, at
    least 1), measured from its own spawn: the start goes on as long as workers keep becoming ready.
    """

    timeout_s: float = DEFAULT_START_TIMEOUT_S
    parallelism: int = 2

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> StartPolicy:
        """``COURTYARD_START_TIMEOUT`` (seconds per worker on an idle machine) and
        ``COURTYARD_START_PARALLELISM`` (workers importing at once; default: the number of cores)."""
        env = os.environ if environ is None else environ
        timeout = env.get(START_TIMEOUT_VARIABLE, "").strip()
        parallelism = env.get(START_PARALLELISM_VARIABLE, "").strip()
        try:
            return cls(
                timeout_s=float(timeout) if timeout else DEFAULT_START_TIMEOUT_S,
                parallelism=max(1, int(parallelism)) if parallelism else max(1, os.cpu_count() or 1),
            )
        except ValueError:
            raise StartError(
                f"{START_TIMEOUT_VARIABLE} must be a number of seconds and {START_PARALLELISM_VARIABLE} a "
                f"whole number (got {timeout!r} and {parallelism!r})"
            ) from None

    def worker_timeout_s(self, load: Callable[[], float] | None = None) -> float:
        """The wait for one worker started now: the base timeout scaled by the load per core."""
        return self.timeout_s * load_factor(load)


def load_factor(load: Callable[[], float] | None = None) -> float:
    """The 1-minute load average per core, at least 1 (1 on a machine without a load average)."""
    try:
        one_minute = load() if load is not None else os.getloadavg()[0]
    except OSError:
        return 1.0
    return max(1.0, one_minute / max(1, os.cpu_count() or 1))


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
    # DynamoDB request units by item size and index (infra/local/ddb_units.py), when the bench asks for them.
    ddb_units: dict[str, float] = field(default_factory=dict)


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
        # Set by stop(): an invocation that arrives afterwards (a poller, the broker) must not spawn again.
        self._closed = False
        # Orders spawn against terminate, so a spawn that passed its check cannot outlive a stop.
        self._lifecycle = threading.Lock()

    # -- lifecycle
    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None else None

    def spawn(self) -> None:
        """Start the process without waiting for its import (so several workers start in parallel)."""
        with self._lifecycle:
            self._spawn()

    def _spawn(self) -> None:
        if self._closed:
            raise InvocationError(
                self.spec.function_id,
                {"errorType": "Runtime.ExitError", "errorMessage": "local cloud stopped"},
            )
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

    def wait_ready(self, timeout_s: float | None = None) -> float:
        """Block until the handler module imported; returns the import time in ms.

        Without ``timeout_s`` the wait is the environment's start policy for the machine's load now.
        """
        wait_s = StartPolicy.from_environment().worker_timeout_s() if timeout_s is None else timeout_s
        reply = self._next_reply(wait_s)
        if reply is None or not reply.get("ready"):
            error = (reply or {}).get("error") or {
                "errorType": "Runtime.ExitError",
                "errorMessage": "no start" if self._is_alive() else "the worker exited before it was ready",
            }
            raise InvocationError(self.spec.function_id, error)
        import_ms = float(reply.get("import_ms", 0.0))
        self.stats.cold_starts += 1
        self.stats.import_ms.append(import_ms)
        return import_ms

    def _is_alive(self) -> bool:
        process = self._process
        return process is not None and process.poll() is None

    def terminate(self) -> subprocess.Popen[str] | None:
        """Close the worker for good and send its process SIGTERM; returns the process to reap.

        An invocation in flight ends at once with an error (its caller is told the sandbox exited), so no
        poller or delivery thread keeps the stop waiting.
        """
        with self._lifecycle:
            self._closed = True
            process, self._process = self._process, None
        if process is None:
            return None
        try:
            if process.stdin:
                process.stdin.close()
        except OSError:
            pass  # a worker that already died has a broken pipe: SIGTERM below still reaps it
        if process.poll() is None:
            process.terminate()
        return process

    def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        _reap([p for p in [self.terminate()] if p is not None], grace_s)

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
                if self._closed:
                    raise InvocationError(
                        self.spec.function_id,
                        {"errorType": "Runtime.ExitError", "errorMessage": "local cloud stopped"},
                    )
                message = f"Task timed out after {self.spec.timeout_s:.2f} seconds"
                raise InvocationError(
                    self.spec.function_id, {"errorType": "Sandbox.Timedout", "errorMessage": message}
                )
            self.stats.duration_ms += float(reply.get("duration_ms", 0.0))
            self.stats.cpu_ms += float(reply.get("cpu_ms", 0.0))
            self.stats.aws_calls.update({str(k): int(v) for k, v in (reply.get("aws_calls") or {}).items()})
            for key, units in (reply.get("ddb_units") or {}).items():
                self.stats.ddb_units[str(key)] = self.stats.ddb_units.get(str(key), 0.0) + float(units)
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
    """All of a template's functions, started a few at a time (StartPolicy) and stopped all at once."""

    def __init__(self, specs: list[WorkerSpec], log_dir: Path) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir = log_dir
        self.workers = {spec.function_id: FunctionWorker(spec, log_dir) for spec in specs}

    def start(self, policy: StartPolicy | None = None, load: Callable[[], float] | None = None) -> None:
        """Start every worker, ``policy.parallelism`` at a time (default: from the environment).

        On a failure the workers already started are stopped and StartError says which function, why,
        the machine's load and the variable that gives a slow machine more time.
        """
        policy = policy or StartPolicy.from_environment()

        aborted = threading.Event()

        def start_one(worker: FunctionWorker) -> None:
            # Once one worker failed the start is over: the queued ones are not spawned at all.
            if aborted.is_set():
                return
            # The wait is decided when this worker spawns, from the load at that moment.
            timeout_s = policy.worker_timeout_s(load)
            try:
                worker.spawn()
                worker.wait_ready(timeout_s)
            except InvocationError as error:
                aborted.set()
                raise StartError(_start_failure(worker.spec.function_id, error, timeout_s, policy)) from error

        with ThreadPoolExecutor(max_workers=policy.parallelism, thread_name_prefix="start-worker") as starter:
            futures: list[Future[None]] = [starter.submit(start_one, w) for w in self.workers.values()]
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            failed = next((f for f in futures if f in done and f.exception() is not None), None)
            if failed is not None:
                for future in futures:
                    future.cancel()
                self.stop()
                failed.result()

    def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        """Stop every worker at once: SIGTERM to all, one short grace period shared by all, then SIGKILL."""
        processes = [p for p in (w.terminate() for w in self.workers.values()) if p is not None]
        _reap(processes, grace_s)

    def pids(self) -> list[int]:
        """The process ids of the workers running now."""
        return [pid for pid in (w.pid for w in self.workers.values()) if pid is not None]

    def metering(self) -> dict[str, InvocationStats]:
        """Each function's invocations, duration and AWS calls so far (a copy)."""
        return {
            function_id: replace(
                worker.stats,
                aws_calls=Counter(worker.stats.aws_calls),
                ddb_units=dict(worker.stats.ddb_units),
            )
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
    return dict(os.environ)


def _start_failure(function_id: str, error: InvocationError, timeout_s: float, policy: StartPolicy) -> str:
    reason = str(error.error.get("errorMessage") or error.error.get("errorType") or "no start")
    load = _load_text()
    if reason == "no start":
        return (
            f"{function_id} did not start: its worker was not ready within {timeout_s:.0f} s "
            f"({policy.timeout_s:g} s x the load factor; {load}, {policy.parallelism} worker(s) starting "
            f"at a time). On a busy machine set {START_TIMEOUT_VARIABLE} to more seconds per worker, "
            f"e.g. {START_TIMEOUT_VARIABLE}={int(policy.timeout_s * 4)} make up, "
            f"or {START_PARALLELISM_VARIABLE}=1 to start one worker at a time."
        )
    return (
        f"{function_id} did not start: {error.error.get('errorType')}: {reason} "
        f"(see its log; {load}; {START_TIMEOUT_VARIABLE} sets the wait per worker)"
    )


def _load_text() -> str:
    try:
        return f"load {os.getloadavg()[0]:.1f} on {os.cpu_count() or 1} core(s)"
    except OSError:
        return "load unknown"


def _reap(processes: list[subprocess.Popen[str]], grace_s: float) -> None:
    """Wait for terminated processes for at most ``grace_s`` in all, then kill the ones still running."""
    deadline = time.monotonic() + grace_s
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
