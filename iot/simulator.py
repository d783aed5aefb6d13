"""Device simulator: publishes one device's JSON telemetry over MQTT, to the local broker or AWS IoT Core.

Run ``python -m iot.simulator --help``; ``--mqtt-url`` is plain MQTT 3.1.1, ``--endpoint`` mTLS to AWS.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal, Protocol, get_args
from urllib.parse import urlsplit

from iot.kinds import connect_mode_of, is_battery
from iot.link import CONNECT_MODES, ConnectMode, cheaper_mode, connections_of, session
from iot.topics import basic_ingest_topic, events_topic, rule_names, telemetry_topic

log = logging.getLogger(__name__)

DeviceKind = Literal["elevator", "water_pressure", "pump", "power_meter", "leak", "smoke", "heat"]
DEVICE_KINDS: Final[tuple[DeviceKind, ...]] = get_args(DeviceKind)

Metrics = dict[str, float | int | bool]

# Where a reading stops being normal. The simulator's normal readings stay well inside these, and its fault
# episodes well outside, so a consumer's alarm rule with the same thresholds fires exactly on the episode.
VIBRATION_ALARM_MM_S: Final = 4.5  # elevator car vibration
PRESSURE_LOW_MPA: Final = 0.10  # fire-water network: below this a hydrant cannot be relied on
PUMP_OVERCURRENT_A: Final = 18.0  # 1.5 x the simulated pump's 12 A rated current
VOLTAGE_LOW_V: Final = 198.0  # 220 V nominal - 10 %
HEAT_ALARM_C: Final = 57.0  # the usual fixed-temperature heat detector rating

DEFAULT_MQTT_PORT: Final = 1883
TIMEOUT_S: Final = 10.0


# --- readings (pure: everything random comes from the rng passed in) -----------------------------------


class _Sensor(Protocol):
    def read(self, fault: bool) -> Metrics: ...


def _clamp(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


class _Elevator:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._door_cycles = rng.randint(10_000, 90_000)  # a lifetime counter: the car is not new

    def read(self, fault: bool) -> Metrics:
        self._door_cycles += self._rng.randint(0, 4)
        normal = _clamp(self._rng.gauss(1.2, 0.3), 0.3, 2.5)
        vibration = self._rng.uniform(5.0, 8.0) if fault else normal
        return {"vibration_mm_s": round(vibration, 2), "door_cycles": self._door_cycles}


class _WaterPressure:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def read(self, fault: bool) -> Metrics:
        normal = _clamp(self._rng.gauss(0.35, 0.02), 0.28, 0.45)
        pressure = self._rng.uniform(0.02, 0.08) if fault else normal
        return {"pressure_mpa": round(pressure, 3)}


class _Pump:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._running = True

    def read(self, fault: bool) -> Metrics:
        if fault:
            self._running = True  # the fault is a running pump drawing too much (a seizing bearing)
            return {"current_a": round(self._rng.uniform(20.0, 26.0), 1), "running": True}
        if self._rng.random() < 0.1:  # a booster pump cycles on and off with demand
            self._running = not self._running
        current = _clamp(self._rng.gauss(12.0, 0.5), 10.5, 13.5) if self._running else 0.0
        return {"current_a": round(current, 1), "running": self._running}


class _PowerMeter:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._kwh = rng.uniform(1_000.0, 50_000.0)

    def read(self, fault: bool) -> Metrics:
        self._kwh += self._rng.uniform(0.5, 3.0)
        if fault:
            voltage = self._rng.uniform(175.0, 190.0)  # a sag, e.g. a failing transformer tap
        else:
            voltage = _clamp(self._rng.gauss(220.0, 2.0), 212.0, 228.0)
        return {"kwh": round(self._kwh, 2), "voltage_v": round(voltage, 1)}


class _Leak:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def read(self, fault: bool) -> Metrics:
        return {"leak": fault}


class _Smoke:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._battery = rng.randint(60, 100)

    def read(self, fault: bool) -> Metrics:
        if self._battery > 0 and self._rng.random() < 0.05:
            self._battery -= 1
        return {"smoke": fault, "battery_pct": self._battery}


class _Heat:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def read(self, fault: bool) -> Metrics:
        if fault:
            temperature = self._rng.uniform(60.0, 80.0)
        else:
            temperature = _clamp(self._rng.gauss(24.0, 1.0), 20.0, 28.0)
        return {"temperature_c": round(temperature, 1)}


_SENSORS: Final[dict[DeviceKind, Callable[[random.Random], _Sensor]]] = {
    "elevator": _Elevator,
    "water_pressure": _WaterPressure,
    "pump": _Pump,
    "power_meter": _PowerMeter,
    "leak": _Leak,
    "smoke": _Smoke,
    "heat": _Heat,
}


def fault_window(count: int) -> range:
    """The readings (by index) of the fault episode in a run of ``count``.

    At least three readings (fewer only if the run is shorter), a third of the run if longer, starting a
    third of the way in, so a long enough run shows normal readings on both sides of the episode.
    """
    length = min(count, max(3, count // 3))
    start = min(count // 3, count - length)
    return range(start, start + length)


def readings(kind: DeviceKind, count: int, fault: bool, rng: random.Random) -> Iterator[Metrics]:
    """Yield ``count`` metric sets for a ``kind`` of device; with ``fault``, fault_window's are abnormal.

    Counters (door cycles, kWh) only grow. The same seed gives the same readings.
    """
    if kind not in _SENSORS:
        raise ValueError(f"unknown device kind {kind!r}; expected one of {DEVICE_KINDS}")
    if count < 0:
        raise ValueError("count must not be negative")
    sensor = _SENSORS[kind](rng)
    episode = fault_window(count) if fault else range(0)
    for index in range(count):
        yield sensor.read(index in episode)


def is_abnormal(kind: DeviceKind, metrics: Metrics) -> bool:
    """Whether a reading is outside the normal range (the thresholds at the top of this module)."""
    match kind:
        case "elevator":
            return float(metrics["vibration_mm_s"]) > VIBRATION_ALARM_MM_S
        case "water_pressure":
            return float(metrics["pressure_mpa"]) < PRESSURE_LOW_MPA
        case "pump":
            return float(metrics["current_a"]) > PUMP_OVERCURRENT_A
        case "power_meter":
            return float(metrics["voltage_v"]) < VOLTAGE_LOW_V
        case "leak":
            return metrics["leak"] is True
        case "smoke":
            return metrics["smoke"] is True
        case "heat":
            return float(metrics["temperature_c"]) > HEAT_ALARM_C
    raise ValueError(f"unknown device kind {kind!r}")


def format_ts(at: datetime) -> str:
    """UTC ISO-8601 with milliseconds and ``Z``, as the API writes times."""
    if at.tzinfo is None:
        raise ValueError("a naive datetime has no defined UTC instant")
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def telemetry_message(kind: DeviceKind, seq: int, metrics: Metrics, at: datetime) -> dict[str, Any]:
    """The JSON body a device publishes on its telemetry topic.

    ``{"device_type", "seq", "ts", "metrics"}``: ``seq`` counts from 0 per run so a consumer can spot gaps
    and duplicates (QoS 1 may redeliver). Tenant, site and device ids are not repeated here: the topic
    carries them, the thing policy pins the topic to the certificate, and the rule copies them from it.
    """
    return {"device_type": kind, "seq": seq, "ts": format_ts(at), "metrics": metrics}


def batch_message(kind: DeviceKind, seq: int, samples: Sequence[Sample], at: datetime) -> dict[str, Any]:
    """The JSON body of a batch: the samples (each at its own time) uploaded at ``at`` in one message."""
    return {
        "device_type": kind,
        "seq": seq,
        "ts": format_ts(at),
        "samples": [{"ts": format_ts(when), "metrics": metrics} for when, metrics in samples],
    }


# --- reporting: what a device's firmware uploads, and when -------------------------------------------

Sample = tuple[datetime, Metrics]

# How far a numeric metric must move from the last value uploaded to count as a change (beyond the normal
# noise of the readings above); metrics not listed are counters or slow levels that never trigger an upload.
# Booleans and words count as changed whenever they differ.
DEADBANDS: Final[dict[DeviceKind, dict[str, float]]] = {
    "elevator": {"vibration_mm_s": 1.5},
    "water_pressure": {"pressure_mpa": 0.1},
    "pump": {"current_a": 3.0},
    "power_meter": {"voltage_v": 10.0},
    "leak": {},
    "smoke": {},
    "heat": {"temperature_c": 10.0},
}
IGNORED: Final[frozenset[str]] = frozenset({"door_cycles", "kwh", "battery_pct"})
SETTLE_SAMPLES: Final = 5


class Uploader:
    """Report by exception: sample every period, upload in batches, and at once when something changes.

    A sample joins the buffer. The buffer goes out as one message when it holds ``batch`` samples (the
    steady state: one message per ``batch`` periods), at once when a sample moved beyond its deadband from
    the last value uploaded (or a boolean/word changed), and for the ``settle`` samples after a change every
    sample goes out at once, so a rule with a duration of up to ``settle`` periods decides as fast as with
    one message a sample. The first sample goes out at once (the device announces itself).
    """

    def __init__(self, kind: DeviceKind, batch: int, settle: int = SETTLE_SAMPLES) -> None:
        if batch < 1:
            raise ValueError("batch must be at least 1")
        self.kind = kind
        self.batch = batch
        self.settle = settle
        self._deadbands = DEADBANDS[kind]
        self._buffer: list[Sample] = []
        self._last_sent: Metrics | None = None
        self._fast_left = 0

    def add(self, at: datetime, metrics: Metrics) -> list[Sample]:
        """Take one sample; return the samples to upload now (empty: keep buffering)."""
        self._buffer.append((at, metrics))
        if self._last_sent is None or self._changed(metrics):
            self._fast_left = self.settle
            return self.flush()
        if self._fast_left > 0:
            self._fast_left -= 1
            return self.flush()
        if len(self._buffer) >= self.batch:
            return self.flush()
        return []

    def flush(self) -> list[Sample]:
        """Everything buffered (the end of a run, or a forced upload)."""
        out, self._buffer = self._buffer, []
        if out:
            self._last_sent = out[-1][1]
        return out

    def _changed(self, metrics: Metrics) -> bool:
        last = self._last_sent or {}
        for name, value in metrics.items():
            if name in IGNORED:
                continue
            before = last.get(name)
            band = self._deadbands.get(name)
            if isinstance(value, bool) or not isinstance(value, int | float) or band is None:
                if value != before:
                    return True
            elif not isinstance(before, int | float) or abs(float(value) - float(before)) > band:
                return True
        return False


# --- transport ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalBroker:
    """Plain MQTT 3.1.1 over TCP, e.g. ``mqtt://127.0.0.1:1883`` (the local cloud's broker)."""

    url: str


@dataclass(frozen=True)
class AwsIotCore:
    """mTLS to an AWS IoT Core data endpoint with the device's certificate and key (PEM files)."""

    endpoint: str
    cert: str
    key: str
    ca: str | None = None  # None: the system trust store, which normally includes Amazon Root CA 1
    port: int | None = None  # None: 443 with ALPN where the platform supports it, else 8883


Target = LocalBroker | AwsIotCore


def parse_mqtt_url(url: str) -> tuple[str, int]:
    """``mqtt://host[:port]`` -> (host, port); the port defaults to 1883."""
    parts = urlsplit(url)
    if parts.scheme != "mqtt" or not parts.hostname:
        raise ValueError(f"expected mqtt://host[:port], got {url!r}")
    if parts.path not in ("", "/") or parts.query or parts.username:
        raise ValueError(f"unexpected path, query or credentials in {url!r}")
    return parts.hostname, parts.port or DEFAULT_MQTT_PORT


def connect(target: Target, client_id: str, *, timeout_s: float = TIMEOUT_S) -> Any:
    """Open an MQTT connection (an ``awscrt.mqtt.Connection``) as ``client_id``.

    On AWS the client id must be the thing name: the thing policy lets a certificate connect only as that.
    """
    # Imported here so that the pure part of this module works without the native awscrt library.
    from awscrt import io, mqtt

    if isinstance(target, LocalBroker):
        host, port = parse_mqtt_url(target.url)
        # awscrt's own client with no TLS context: the awsiotsdk builders always set up TLS.
        client = mqtt.Client(io.ClientBootstrap.get_or_create_static_default(), tls_ctx=None)
        connection = mqtt.Connection(
            client, host, port, client_id, clean_session=True, keep_alive_secs=60, disable_metrics=True
        )
    else:
        from awsiot import mqtt_connection_builder

        connection = mqtt_connection_builder.mtls_from_path(
            endpoint=target.endpoint,
            cert_filepath=target.cert,
            pri_key_filepath=target.key,
            ca_filepath=target.ca,
            client_id=client_id,
            port=target.port,
            clean_session=True,
            keep_alive_secs=60,
        )
    connection.connect().result(timeout_s)
    return connection


@contextmanager
def connected(target: Target, client_id: str, *, timeout_s: float = TIMEOUT_S) -> Iterator[Any]:
    """``connect`` for the duration of a ``with`` block, disconnecting cleanly at its end."""
    connection = connect(target, client_id, timeout_s=timeout_s)
    try:
        yield connection
    finally:
        try:
            connection.disconnect().result(timeout_s)
        except Exception:
            log.warning("MQTT disconnect did not complete cleanly", exc_info=True)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def stepped_clock(start: datetime, step_s: float) -> Callable[[], datetime]:
    """A reading clock for fast replays: each call is ``step_s`` later than the last, starting at ``start``.

    With ``interval_s=0`` the simulator then publishes a scenario of N seconds at once, with the readings'
    ``ts`` spaced as a real device would space them (rules with durations see the durations).
    """
    if start.tzinfo is None:
        raise ValueError("a naive datetime has no defined UTC instant")
    calls = [0]

    def now() -> datetime:
        at = start + timedelta(seconds=step_s * calls[0])
        calls[0] += 1
        return at

    return now


def event_message(
    name: str, seq: int, at: datetime, attributes: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The JSON body of a device's events topic: one discrete event (smoke, a camera's detection)."""
    return {"seq": seq, "ts": format_ts(at), "event": {"name": name, "attributes": attributes or {}}}


def publish_event(
    connection: Any,
    *,
    tenant_id: str,
    site_id: str,
    device_id: str,
    name: str,
    seq: int = 0,
    attributes: dict[str, Any] | None = None,
    at: datetime | None = None,
    timeout_s: float = TIMEOUT_S,
    ingest_rule: str | None = None,
) -> dict[str, Any]:
    """Publish one event (QoS 1, waits for the PUBACK) on ``.../events``; return the message sent.

    With ``ingest_rule`` (the stage's events rule) it goes through Basic Ingest, as a production device's.
    """
    from awscrt import mqtt

    message = event_message(name, seq, at or _utcnow(), attributes)
    body = json.dumps(message, separators=(",", ":"))
    topic = events_topic(tenant_id, site_id, device_id)
    if ingest_rule is not None:
        topic = basic_ingest_topic(ingest_rule, topic)
    future, _packet_id = connection.publish(topic, body.encode(), mqtt.QoS.AT_LEAST_ONCE)
    future.result(timeout_s)
    return message


def publish_readings(
    connection: Any,
    *,
    tenant_id: str,
    site_id: str,
    device_id: str,
    kind: DeviceKind,
    count: int,
    interval_s: float = 1.0,
    fault: bool = False,
    rng: random.Random | None = None,
    clock: Callable[[], datetime] = _utcnow,
    stop: threading.Event | None = None,
    timeout_s: float = TIMEOUT_S,
    batch: int = 1,
    ingest_rule: str | None = None,
) -> list[dict[str, Any]]:
    """Take ``count`` readings ``interval_s`` apart and publish them at QoS 1; return the messages sent.

    With ``batch=1`` every reading is one message; with more, an ``Uploader`` batches up to ``batch``
    readings per message and uploads at once on a change (what remains is sent at the end of the run).
    Each publish waits for the broker's PUBACK, so on return every message has reached the broker. Setting
    ``stop`` ends the run early (between readings). With ``ingest_rule`` the messages go through Basic
    Ingest to that rule (``$aws/rules/{rule}/...``), as a production device publishes. ``connection`` is an
    open connection (held for the run) or an ``iot.link.PerUpload`` (a connection for each upload); which
    one a device uses is ``iot.link.cheaper_mode``'s choice.
    """
    from awscrt import mqtt

    if interval_s < 0:
        raise ValueError("interval_s must not be negative")
    topic = telemetry_topic(tenant_id, site_id, device_id)
    if ingest_rule is not None:
        topic = basic_ingest_topic(ingest_rule, topic)
    stop = stop or threading.Event()
    uploader = Uploader(kind, batch) if batch > 1 else None
    sent: list[dict[str, Any]] = []

    def publish(message: dict[str, Any]) -> None:
        body = json.dumps(message, separators=(",", ":"))
        future, _packet_id = connection.publish(topic, body.encode(), mqtt.QoS.AT_LEAST_ONCE)
        future.result(timeout_s)
        sent.append(message)
        log.info("published %s %s", topic, body)

    for index, metrics in enumerate(readings(kind, count, fault, rng or random.Random())):
        if index and stop.wait(interval_s):
            break
        at = clock()
        if uploader is None:
            publish(telemetry_message(kind, len(sent), metrics, at))
        elif samples := uploader.add(at, metrics):
            publish(batch_message(kind, len(sent), samples, at))
    if uploader is not None and (rest := uploader.flush()):
        publish(batch_message(kind, len(sent), rest, rest[-1][0]))
    return sent


# --- command line ------------------------------------------------------------------------------------


def _non_negative_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m iot.simulator",
        description="Publish simulated devices' telemetry to courtyard/{tenant}/{site}/{device}/telemetry, "
        "with optional fault episodes (--fault, --faulty).",
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--mqtt-url", help="plain MQTT broker, e.g. mqtt://127.0.0.1:1883 (the local cloud)")
    where.add_argument("--endpoint", help="AWS IoT Core data endpoint (mTLS; needs --cert and --key)")
    parser.add_argument("--cert", help="device certificate PEM file (with --endpoint)")
    parser.add_argument("--key", help="device private key PEM file (with --endpoint)")
    parser.add_argument("--ca", help="root CA PEM file (with --endpoint; default: system trust store)")
    parser.add_argument("--port", type=_positive_int, help="port (with --endpoint; default 443 or 8883)")
    parser.add_argument("--tenant", required=True, help="tenant id")
    parser.add_argument("--site", required=True, help="site id")
    parser.add_argument("--device", required=True, help="device id = thing name = MQTT client id")
    parser.add_argument("--kind", required=True, choices=DEVICE_KINDS, help="device type")
    parser.add_argument("--count", type=_positive_int, default=10, help="messages to publish (default 10)")
    parser.add_argument(
        "--interval", type=_non_negative_float, default=1.0, help="seconds between messages (default 1)"
    )
    parser.add_argument("--fault", action="store_true", help="include an abnormal episode")
    ingest = parser.add_mutually_exclusive_group()
    ingest.add_argument(
        "--ingest-rule",
        help="publish through Basic Ingest to this topic rule (courtyard_telemetry_<stage>)",
    )
    ingest.add_argument(
        "--stage",
        help="publish through Basic Ingest to the stage's telemetry rule, as production devices do "
        "(the local cloud's stage is dev)",
    )
    parser.add_argument(
        "--batch",
        type=_positive_int,
        default=1,
        help="readings per message in the steady state (report by exception: a change goes out at once)",
    )
    parser.add_argument(
        "--connect",
        choices=("auto", *CONNECT_MODES),
        default="auto",
        help="hold one connection (stay) or connect for each upload (per-upload); auto: per-upload for a "
        "battery kind (smoke, heat, leak: iot/kinds.py), else the cheaper on AWS IoT Core for the steady "
        "upload interval (--interval x --batch; see iot/link.py)",
    )
    parser.add_argument("--seed", type=int, help="random seed, for a reproducible run")
    parser.add_argument(
        "--devices",
        type=_positive_int,
        default=1,
        help="simulate N devices at once, ids {device}-001 .. {device}-N, one connection each "
        "(local broker only: on AWS IoT Core each device signs in with its own certificate)",
    )
    parser.add_argument(
        "--faulty",
        type=int,
        help="with --devices: how many have an abnormal episode (default: all with --fault, else none)",
    )
    return parser


def fleet_ids(device: str, devices: int) -> list[str]:
    """The device ids of a simulated fleet: the id itself for one device, numbered ids for more."""
    return [device] if devices == 1 else [f"{device}-{n:03d}" for n in range(1, devices + 1)]


def connect_mode(args: argparse.Namespace) -> ConnectMode:
    """``--connect``, with ``auto`` resolved from the kind: a battery detector wakes and connects for each
    upload whatever its interval (``iot.kinds``); a gateway holds the cheaper way for its steady upload
    interval (``iot.link.cheaper_mode``)."""
    if args.connect in CONNECT_MODES:
        mode: ConnectMode = args.connect
        return mode
    if is_battery(args.kind):
        return connect_mode_of(args.kind)
    return cheaper_mode(args.interval * args.batch)


def _publish_fleet(target: Target, args: argparse.Namespace, device_ids: list[str]) -> int:
    """Every device on its own link and thread (the thing policy pins client id = thing name)."""
    faulty = len(device_ids) if args.faulty is None and args.fault else max(0, args.faulty or 0)
    mode = connect_mode(args)
    sent: list[int] = [0] * len(device_ids)
    connects: list[int] = [0] * len(device_ids)
    errors: list[BaseException] = []

    def run(index: int, device_id: str) -> None:
        try:
            with session(target, device_id, mode, timeout_s=TIMEOUT_S) as connection:
                messages = publish_readings(
                    connection,
                    tenant_id=args.tenant,
                    site_id=args.site,
                    device_id=device_id,
                    kind=args.kind,
                    count=args.count,
                    interval_s=args.interval,
                    fault=index < faulty,
                    rng=random.Random(None if args.seed is None else args.seed + index),
                    batch=args.batch,
                    ingest_rule=args.ingest_rule,
                )
            sent[index] = len(messages)
            connects[index] = connections_of(messages, mode).connects
        except Exception as exc:  # reported once for the whole fleet below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, d), daemon=True) for i, d in enumerate(device_ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    log.info("%d connection(s), %s", sum(connects), "one per upload" if mode == "per-upload" else "held")
    return sum(sent)


def _target(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Target:
    if args.mqtt_url is not None:
        if args.cert or args.key or args.ca or args.port:
            parser.error("--cert, --key, --ca and --port go with --endpoint; put the port in --mqtt-url")
        try:
            parse_mqtt_url(args.mqtt_url)
        except ValueError as exc:
            parser.error(str(exc))
        return LocalBroker(args.mqtt_url)
    if not (args.cert and args.key):
        parser.error("--endpoint needs --cert and --key")
    return AwsIotCore(args.endpoint, args.cert, args.key, args.ca, args.port)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    target = _target(parser, args)
    if args.devices > 1 and args.endpoint is not None:
        parser.error("--devices goes with --mqtt-url: on AWS IoT Core run one simulator per certificate")
    if args.faulty is not None and not 0 <= args.faulty <= args.devices:
        parser.error("--faulty must be between 0 and --devices")
    device_ids = fleet_ids(args.device, args.devices)
    try:
        if args.stage is not None:
            args.ingest_rule = rule_names(args.stage)[0]
        for device_id in device_ids:
            telemetry_topic(args.tenant, args.site, device_id)
    except ValueError as exc:
        parser.error(str(exc))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        sent = _publish_fleet(target, args, device_ids)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a CLI reports the failure in one line rather than a native-library trace
        log.error("simulator failed: %s: %s", type(exc).__name__, exc)
        return 1
    log.info("published %d message(s) from %d device(s)", sent, len(device_ids))
    return 0


if __name__ == "__main__":
    sys.exit(main())
