"""Worker processes of the local cloud: a start bounded in parallelism with a wait that grows with the load,
a failure that names the knob, and a stop that ends every process at once (no timed asserts)."""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from infra.local.cloud import wait_for
from infra.local.functions import (
    START_PARALLELISM_VARIABLE,
    START_TIMEOUT_VARIABLE,
    FunctionPool,
    InvocationError,
    StartError,
    StartPolicy,
    WorkerSpec,
)

ROOT = Path(__file__).resolve().parents[3]

HANDLERS = {
    "quick": "def handler(event, context):\n    return event\n",
    # Never finishes importing: stands for a worker on a machine far busier than the wait allows.
    "hang": "import time\ntime.sleep(3600)\n\ndef handler(event, context):\n    return event\n",
    "broken": "import no_such_module_anywhere\n",
    # Says when an invocation is in flight, then never returns.
    "stuck": (
        "import os, pathlib, time\n\n"
        "def handler(event, context):\n"
        "    pathlib.Path(os.environ['MARK']).write_text('in flight')\n"
        "    time.sleep(3600)\n"
    ),
}


@pytest.fixture
def code(tmp_path: Path) -> Path:
    for name, text in HANDLERS.items():
        (tmp_path / f"{name}.py").write_text(text, encoding="utf-8")
    return tmp_path


def spec(code: Path, function_id: str, module: str, **environment: str) -> WorkerSpec:
    return WorkerSpec(
        function_id=function_id,
        function_name=function_id,
        handler=f"{module}.handler",
        environment=environment,
        python_path=(str(code), str(ROOT / "layers" / "courtyard"), str(ROOT)),
        timeout_s=60.0,
    )


@pytest.fixture
def spawned(monkeypatch: pytest.MonkeyPatch) -> list[subprocess.Popen[str]]:
    """Every worker process the pool creates, in order."""
    created: list[subprocess.Popen[str]] = []
    real_popen = subprocess.Popen

    def recording_popen(*args: Any, **kwargs: Any) -> subprocess.Popen[str]:
        process = real_popen(*args, **kwargs)
        created.append(process)
        return process

    monkeypatch.setattr(subprocess, "Popen", recording_popen)
    return created


def idle() -> float:
    return 0.0


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_worker_not_ready_in_time_fails_the_start_with_a_message_naming_the_knob(code, tmp_path, spawned):
    pool = FunctionPool([spec(code, "HangFunction", "hang")], tmp_path / "logs")

    with pytest.raises(StartError) as failure:
        pool.start(StartPolicy(timeout_s=0.5, parallelism=1), load=idle)

    message = str(failure.value)
    assert "HangFunction did not start" in message
    assert f"{START_TIMEOUT_VARIABLE}=" in message
    assert START_PARALLELISM_VARIABLE in message
    assert pool.pids() == []
    assert not alive(spawned[0].pid)


def test_workers_start_at_most_parallelism_at_a_time(code, tmp_path, spawned):
    pool = FunctionPool([spec(code, f"Hang{n}Function", "hang") for n in range(5)], tmp_path / "logs")

    with pytest.raises(StartError):
        pool.start(StartPolicy(timeout_s=0.5, parallelism=2), load=idle)

    # Two workers imported at once and never became ready: the three queued behind them never started.
    assert len(spawned) == 2
    assert [p.poll() is not None for p in spawned] == [True, True]


def test_a_pool_starts_every_worker_a_few_at_a_time_and_serves_them(code, tmp_path, spawned):
    pool = FunctionPool([spec(code, f"Quick{n}Function", "quick") for n in range(4)], tmp_path / "logs")
    try:
        pool.start(StartPolicy(timeout_s=120, parallelism=2), load=idle)

        assert len(spawned) == 4
        assert len(pool.pids()) == 4
        assert pool.invoke("Quick3Function", {"n": 3}) == {"n": 3}
    finally:
        pool.stop()


def test_a_worker_whose_import_fails_fails_the_start_with_its_error(code, tmp_path, spawned):
    pool = FunctionPool([spec(code, "BrokenFunction", "broken")], tmp_path / "logs")

    with pytest.raises(StartError) as failure:
        pool.start(StartPolicy(timeout_s=120, parallelism=1), load=idle)

    assert "BrokenFunction did not start: ModuleNotFoundError" in str(failure.value)
    assert pool.pids() == []


def test_the_wait_for_a_worker_grows_with_the_load_per_core(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    policy = StartPolicy(timeout_s=10, parallelism=2)

    assert policy.worker_timeout_s(lambda: 0.5) == 10  # an idle machine gets the base wait
    assert policy.worker_timeout_s(lambda: 8.0) == 40  # four runnable processes per core: four times it


def test_the_start_policy_comes_from_the_environment_and_bad_values_name_the_variable():
    policy = StartPolicy.from_environment({START_TIMEOUT_VARIABLE: "240", START_PARALLELISM_VARIABLE: "1"})
    assert (policy.timeout_s, policy.parallelism) == (240.0, 1)

    with pytest.raises(StartError, match=START_TIMEOUT_VARIABLE):
        StartPolicy.from_environment({START_TIMEOUT_VARIABLE: "a minute"})


def test_stop_ends_an_invocation_in_flight_and_spawns_nothing_afterwards(code, tmp_path, spawned):
    mark = tmp_path / "in-flight"
    pool = FunctionPool([spec(code, "StuckFunction", "stuck", MARK=str(mark))], tmp_path / "logs")
    pool.start(StartPolicy(timeout_s=120, parallelism=1), load=idle)
    errors: list[InvocationError] = []

    def invoke() -> None:
        try:
            pool.invoke("StuckFunction", {})
        except InvocationError as error:
            errors.append(error)

    caller = threading.Thread(target=invoke)
    caller.start()
    assert wait_for(mark.exists, timeout_s=60)

    pool.stop()
    caller.join(timeout=120)  # a safety net only: the stop ends the invocation

    assert errors[0].error["errorMessage"] == "local cloud stopped"
    assert not alive(spawned[0].pid)
    with pytest.raises(InvocationError, match="local cloud stopped"):
        pool.invoke("StuckFunction", {})  # a late poller or MQTT delivery after the stop
    assert len(spawned) == 1
    assert pool.pids() == []
