"""The local cloud's machinery on a probe stack: proxy events, errors, SQS, schedules, IoT, environments."""

from __future__ import annotations

import ctypes
import json
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from infra.http import request
from infra.local.cloud import LocalCloud, wait_for
from infra.local.functions import START_TIMEOUT_VARIABLE
from infra.local.processes import alive, descendants
from tests.e2e.conftest import PROBE_TEMPLATE, probe_records

ROOT = Path(__file__).resolve().parents[2]


def api(probe: LocalCloud) -> str:
    assert probe.info is not None
    return probe.info.api_url


def test_invalid_body_is_422_with_error_body(probe: LocalCloud):
    response = request("POST", f"{api(probe)}/echo", body={"message": "", "times": 9})
    assert response.status == 422
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert {tuple(d["loc"]) for d in error["details"]} == {("body", "message"), ("body", "times")}


def test_valid_body_is_served(probe: LocalCloud):
    response = request("POST", f"{api(probe)}/echo", body={"message": "hi", "times": 2})
    assert (response.status, response.json()) == (200, {"echo": ["hi", "hi"]})


def test_unexpected_exception_is_500_with_request_id_and_no_traceback(probe: LocalCloud):
    response = request("GET", f"{api(probe)}/boom")
    assert response.status == 500
    error = response.json()["error"]
    assert error["code"] == "internal"
    assert error["request_id"]
    assert "Traceback" not in response.text
    assert "/var/task" not in response.text


def test_proxy_event_is_a_full_rest_event(probe: LocalCloud):
    response = request("GET", f"{api(probe)}/items/42?colour=red&size=l")
    assert response.json() == {
        "item_id": "42",
        "resource": "/items/{item_id}",
        "path": "/items/42",
        "query": {"colour": "red", "size": "l"},
        "method": "GET",
    }


def test_function_environments_are_kept_apart(probe: LocalCloud):
    env = request("GET", f"{api(probe)}/env").json()
    assert env["ONLY_API"] == "api-value"
    assert env["ONLY_QUEUE"] is None
    assert env["SHARED_SETTING"] == "from-globals"
    assert env["AWS_LAMBDA_FUNCTION_NAME"].endswith("ApiProbeFunction")
    assert probe.stack is not None
    assert env["PROBE_TABLE"] == probe.stack.ref("ProbeTable")
    queue_url = probe.client("sqs").get_queue_url(QueueName=probe.stack.ref("ProbeQueue").rsplit("/", 1)[-1])
    probe.client("sqs").send_message(QueueUrl=queue_url["QueueUrl"], MessageBody="env check")
    assert wait_for(lambda: probe_records(probe, "sqs-env"), timeout_s=15)
    assert probe_records(probe, "sqs-env")[0] == {"ONLY_QUEUE": "queue-value", "ONLY_API": None}


def test_workers_meter_invocations_and_the_aws_calls_they_make(probe: LocalCloud):
    assert probe.pool is not None
    before = probe.pool.metering()["QueueProbeFunction"]
    record = {"messageId": "metered", "body": "metered", "attributes": {"ApproximateReceiveCount": "1"}}
    probe.invoke("QueueProbeFunction", {"Records": [record]})

    after = probe.pool.metering()["QueueProbeFunction"]

    assert after.invocations == before.invocations + 1
    assert after.aws_calls["dynamodb.PutItem"] >= before.aws_calls["dynamodb.PutItem"] + 1


def test_sqs_partial_failure_retry_and_redrive_to_dlq(probe: LocalCloud):
    assert probe.stack is not None
    sqs = probe.client("sqs")
    queue_url = probe.stack.ref("ProbeQueue")
    bodies = ["ok-1", "ok-2", "please fail", "ok-3"]
    sqs.send_message_batch(
        QueueUrl=queue_url, Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies)]
    )

    def seen(body: str) -> list[dict[str, object]]:
        return [r for r in probe_records(probe, "sqs") if r["body"] == body]

    dlq_url = probe.stack.ref("ProbeDeadLetterQueue")

    def dead_letters() -> list[str]:
        messages = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        return [m["Body"] for m in messages.get("Messages", [])]

    assert wait_for(lambda: len(seen("please fail")) >= 2, timeout_s=20)
    dead: list[str] = []

    def failing_message_reached_dlq() -> bool:
        dead.extend(dead_letters())
        return "please fail" in dead

    assert wait_for(failing_message_reached_dlq, timeout_s=20)
    # The good messages were processed once and deleted; the failing one was tried maxReceiveCount times.
    for body in ("ok-1", "ok-2", "ok-3"):
        assert len(seen(body)) == 1
    attempts = sorted(str(r["attempt"]) for r in seen("please fail"))
    assert attempts == ["1", "2"]
    assert all(int(str(r["batch"])) <= 5 for r in probe_records(probe, "sqs"))
    time.sleep(1.5)  # past the visibility timeout: a third delivery would show up now
    assert len(seen("please fail")) == 2


def test_iot_rule_sql_selects_and_filters(probe: LocalCloud):
    from awscrt import io, mqtt

    assert probe.iot is not None
    bootstrap = io.ClientBootstrap(io.EventLoopGroup(1), io.DefaultHostResolver(io.EventLoopGroup(1)))
    client = mqtt.Client(bootstrap, None)
    connection = mqtt.Connection(client, "127.0.0.1", probe.iot.port, "gate-sim-1", clean_session=True)
    connection.connect().result(timeout=5)
    try:
        messages = {
            "hot": (
                "courtyard/t1/s1/dev-hot/telemetry",
                {"temperature": 71.5, "battery": 80, "mains": False},
            ),
            "mains": (
                "courtyard/t1/s1/dev-mains/telemetry",
                {"temperature": 65, "battery": 3, "mains": True},
            ),
            "flat": ("courtyard/t1/s1/dev-flat/telemetry", {"temperature": 65, "battery": 3, "mains": False}),
            "cool": ("courtyard/t1/s1/dev-cool/telemetry", {"temperature": 20, "battery": 80, "mains": True}),
            "other": ("courtyard/t1/s1/dev-other/events", {"temperature": 99, "battery": 80, "mains": True}),
        }
        for topic, payload in messages.values():
            connection.publish(topic, json.dumps(payload), mqtt.QoS.AT_LEAST_ONCE)[0].result(timeout=5)
    finally:
        connection.disconnect().result(timeout=5)

    assert wait_for(lambda: len(probe_records(probe, "iot")) >= 2, timeout_s=10)
    time.sleep(0.5)  # let any wrongly matched message arrive before asserting it did not
    records = {r["device_id"]: r for r in probe_records(probe, "iot")}
    assert set(records) == {"dev-hot", "dev-mains"}
    hot = records["dev-hot"]
    assert (hot["tenant_id"], hot["site_id"], hot["temperature"]) == ("t1", "s1", 71.5)
    assert isinstance(hot["received_at"], int)


def test_schedule_fired_by_command(probe: LocalCloud):
    assert probe.info is not None
    before = len(probe_records(probe, "schedule"))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(ROOT)}
    completed = subprocess.run(
        [sys.executable, "-m", "infra.local", "fire", "ScheduleProbeFunction"],
        cwd=ROOT,
        env={**env, "COURTYARD_STATE_DIR": str(probe.state_dir)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["result"] == {"ran": "yes"}
    runs = probe_records(probe, "schedule")
    assert len(runs) == before + 1
    assert runs[-1] == {"job": "nightly-report"}


def test_invoke_command_runs_a_function_with_an_event_file(probe: LocalCloud, tmp_path: Path):
    event = {
        "Records": [{"messageId": "m-1", "body": "by hand", "attributes": {"ApproximateReceiveCount": "1"}}]
    }
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps(event))
    completed = subprocess.run(
        [sys.executable, "-m", "infra.local", "invoke", "QueueProbeFunction", "--event", str(event_file)],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "COURTYARD_STATE_DIR": str(probe.state_dir)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["result"] == {"batchItemFailures": []}


def _up(template: Path, state_dir: Path, **environment: str) -> subprocess.Popen[str]:
    """``make up`` of ``template`` in a process of its own (moto's backends are global to a process)."""
    command = ["up", "--template", str(template)]
    return subprocess.Popen(
        [sys.executable, "-m", "infra.local", "--state-dir", str(state_dir), *command],
        cwd=ROOT,
        env={**os.environ, **environment},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


_SYS_TGKILL = {"x86_64": 234, "aarch64": 131}.get(platform.machine())


def _signal_another_thread(pid: int, stop_signal: signal.Signals) -> None:
    """Deliver ``stop_signal`` to a thread of ``pid`` other than its main thread, as the kernel may do with a
    process-wide signal: a main thread blocked in a wait is then never interrupted."""
    threads = sorted(int(tid) for tid in os.listdir(f"/proc/{pid}/task") if int(tid) != pid)
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.syscall(_SYS_TGKILL, pid, threads[0], int(stop_signal)) == 0, ctypes.get_errno()


# A plain SIGTERM is proven on the whole cloud, after the demo's story and the memory workload, through the
# same `_up` code (test_demo.py): one start less.
@pytest.mark.parametrize(
    ("stop_signal", "to_another_thread"),
    [(signal.SIGINT, False), (signal.SIGTERM, True)],
    ids=["Ctrl-C", "SIGTERM-received-by-another-thread"],
)
def test_stopping_make_up_ends_every_process_it_started(
    tmp_path: Path, stop_signal: signal.Signals, to_another_thread: bool
):
    if to_another_thread and _SYS_TGKILL is None:
        pytest.skip("tgkill's number is known here for x86_64 and aarch64 Linux only")
    up = _up(PROBE_TEMPLATE, tmp_path)
    try:
        assert wait_for(lambda: (tmp_path / "cloud.json").exists() or up.poll() is not None, timeout_s=300)
        workers = descendants(up.pid)
        assert len(workers) >= 4  # the probe template's functions

        if to_another_thread:
            _signal_another_thread(up.pid, stop_signal)
        else:
            up.send_signal(stop_signal)
        returncode = up.wait(timeout=120)  # a safety net only: the assertions are about what is left
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()

    assert returncode == 0
    assert [pid for pid in workers if alive(pid)] == []
    assert not (tmp_path / "cloud.json").exists()


def test_a_start_that_times_out_names_the_knob_and_leaves_nothing_running(tmp_path: Path):
    # A wait no worker can meet stands for a machine far busier than the default allows.
    up = _up(PROBE_TEMPLATE, tmp_path, **{START_TIMEOUT_VARIABLE: "0.001"})
    _out, err = up.communicate(timeout=300)

    assert up.returncode == 1
    assert f"set {START_TIMEOUT_VARIABLE} to more seconds per worker" in err
    assert "Traceback" not in err
    assert not (tmp_path / "cloud.json").exists()
