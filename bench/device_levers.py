"""The devices' IoT Core month by what the devices are, and the applied lever of battery detectors that wake.

**The device mix** (``DEVICE_MIX``, bench/workload.md "Devices"): the seeds (../shared/seeds/) name what a
community puts sensors on: elevators and water pumps (电梯、水泵), the fire-protection terminals' water
pressure, smoke and heat readings (消防水压、烟感、温感), and public power; leak sensors guard pump rooms and
garages. Elevators, pumps, pressure and power monitors are mains-powered gateways and stay connected over
MQTT, uploading every ten minutes; smoke, heat and leak detectors in corridors and garages are battery
products (``iot.kinds.BATTERY_KINDS``) that wake at an hourly heartbeat and at once on an alarm, each wake a
short MQTT session (CONNECT, PUBLISH through Basic Ingest at QoS 1, DISCONNECT).

**The lever, applied** (``battery_wakes``): before, every device held a connection the whole month and
uploaded every ten minutes (the product until 2026-12-08, and how the bench priced all 100); after, the
battery detectors wake. Both sides come from the run: before prices the battery detectors as the measured
gateways (their connection-minutes, CONNECTs, rules and actions per device-month), after is the battery
detectors' own measured sample (a CONNECT and one billed minute per wake, a rule and an action per upload).
Why a short session and not an HTTPS post (two metered messages a wake, and no thing-name policy variable)
is in ``iot/kinds.py``, with the AWS pages it rests on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

from bench import prices
from bench.cost_levers import Lever
from iot.kinds import BATTERY_KINDS, HEARTBEAT_S, is_battery, upload_interval_s

DEVICE_MIX: Final[dict[str, int]] = {
    "elevator": 20,  # about 10 high-rise buildings for 1,000 households, two cars each
    "pump": 6,  # domestic-water booster and fire pumps
    "water_pressure": 8,  # the fire-water network's pressure points
    "power_meter": 6,  # public power
    "smoke": 40,  # corridors, garages, pump and power rooms
    "heat": 10,  # garages and plant rooms
    "leak": 10,  # pump rooms, garages, water tanks
}
IOT_LINES: Final = ("iot.connect_minutes", "iot.connects", "iot.rules", "iot.actions")


def battery_devices(mix: Mapping[str, float] = DEVICE_MIX) -> float:
    return sum(count for kind, count in mix.items() if is_battery(kind))


def gateway_devices(mix: Mapping[str, float] = DEVICE_MIX) -> float:
    return sum(count for kind, count in mix.items() if not is_battery(kind))


def scaled_mix(devices: float, mix: Mapping[str, int] = DEVICE_MIX) -> dict[str, float]:
    """The mix for ``devices`` devices in the same proportions (the bench's 100 is the mix itself)."""
    total = sum(mix.values())
    return {kind: count * devices / total for kind, count in mix.items()}


def steady_uploads(mix: Mapping[str, float], month_s: float) -> float:
    """The month's steady uploads: each kind at its own interval (``iot.kinds.upload_interval_s``)."""
    return sum(count * month_s / upload_interval_s(kind) for kind, count in mix.items())


def ingest_writes(mix: Mapping[str, float], month_s: float, refresh_s: float, flush_s: float) -> float:
    """The ingest's wall-clock writes a month (``sensors.write_budget``): the heartbeat mark when the stored
    one is ``refresh_s`` old (every third ten-minute upload; every hourly wake), and each finished hour
    once."""
    hours = month_s / 3600
    writes = 0.0
    for kind, count in mix.items():
        interval = upload_interval_s(kind)
        marks = month_s / interval / math.ceil(refresh_s / interval)
        flushes = hours * math.ceil(3600 / flush_s)
        writes += count * (marks + flushes)
    return writes


def _iot_usd(usage: Mapping[str, float]) -> float:
    price = prices.PRICES
    return (
        price["iot.connect_minutes"].cost(usage.get("iot.connect_minutes", 0.0))
        + price["iot.messages"].cost(usage.get("iot.connects", 0.0))  # each CONNECT a metered message
        + price["iot.rules"].cost(usage.get("iot.rules", 0.0))
        + price["iot.actions"].cost(usage.get("iot.actions", 0.0))
    )


def battery_wakes(
    gateways_month: Mapping[str, float],
    battery_month: Mapping[str, float],
    mix: Mapping[str, float] = DEVICE_MIX,
) -> Lever:
    """Battery detectors wake for a short session instead of holding a connection (applied, measured).

    ``gateways_month`` / ``battery_month``: the month's usage of the gateway and battery samples as scaled
    (``iot.connect_minutes``, ``iot.connects``, ``iot.rules``, ``iot.actions``). Before: the battery
    detectors as gateways, per device; after: their own month.
    """
    gateways, battery = gateway_devices(mix), battery_devices(mix)
    per_gateway = {key: gateways_month.get(key, 0.0) / gateways for key in IOT_LINES} if gateways else {}
    before = _iot_usd({key: value * battery for key, value in per_gateway.items()})
    after = _iot_usd(battery_month)
    wakes = battery_month.get("iot.connects", 0.0)
    return Lever(
        f"battery detectors ({', '.join(sorted(BATTERY_KINDS))}: {battery:g} of {gateways + battery:g}) wake "
        "for a short MQTT session at an hourly heartbeat and at once on an alarm, instead of staying "
        "connected with ten-minute uploads",
        before,
        after,
        True,
        f"measured: {wakes:,.0f} wakes a month (each a CONNECT, metered as a message, and 1 billed minute; "
        f"the upload through Basic Ingest), heartbeat {HEARTBEAT_S // 60} min; before = the gateways' "
        "measured minutes, CONNECTs, rules and actions per device; an HTTPS post would meter 2 messages a "
        "wake and needs a policy per device (iot/kinds.py)",
    )
