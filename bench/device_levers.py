"""The devices' IoT Core month by what the devices are, and the lever of battery sensors without a connection.

**The device mix** (``DEVICE_MIX``, bench/workload.md "Devices"): the seeds (../shared/seeds/) name what a
community puts sensors on: elevators and water pumps (电梯、水泵), the fire-protection terminals' water
pressure, smoke and heat readings (消防水压、烟感、温感), and public power; leak sensors guard pump rooms and
garages. Elevators, pumps, pressure and power monitors are mains-powered gateways and stay connected over
MQTT; smoke, heat and leak detectors in corridors and garages are battery products (NB-IoT in the mainland)
that report periodically and at once on an alarm, without a standing connection.

**The lever, modelled (not applied)**: battery sensors post over HTTPS (``POST /topics/<topic>?qos=1`` with
the device certificate, AWS IoT "HTTPS publish"): no connection, so no connection-minutes and no CONNECT.
What the docs establish and what they do not, which is why it is only modelled:

- an HTTPS publish is metered as a message (IoT Core pricing: "MQTT and HTTP messaging"); the Basic Ingest
  page promises no messaging charge for topics ``$aws/rules/<rule>/...`` "from your devices or applications"
  and the HTTPS URL takes the full topic name, but neither page says that Basic Ingest applies to HTTPS, so
  the after figure prices every post as a message (if Basic Ingest does apply, that part is 0);
- ``${iot:Connection.Thing.ThingName}`` resolves only over MQTT (AWS IoT "Thing policy variables"), so the
  site policy of ``iot/policy.py`` authorises nothing over HTTPS: each battery device would need its own
  policy naming its topics literally;
- a post is worth it only at a battery product's cadence: at the ten-minute uploads of the workload, a message
  a post (1.00 USD a million) costs more than the ten connected minutes (0.80); at an hourly heartbeat it is
  far less, and sensors' offline window (declared 30-50 minutes after the last upload) would have to widen for
  those kinds first. An alarm still goes out at once (one post), so its latency does not change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from bench import prices
from bench.cost_levers import Lever

DEVICE_MIX: Final[dict[str, int]] = {
    "elevator": 20,  # about 10 high-rise buildings for 1,000 households, two cars each
    "pump": 6,  # domestic-water booster and fire pumps
    "water_pressure": 8,  # the fire-water network's pressure points
    "power_meter": 6,  # public power
    "smoke": 40,  # corridors, garages, pump and power rooms
    "heat": 10,  # garages and plant rooms
    "leak": 10,  # pump rooms, garages, water tanks
}
BATTERY_KINDS: Final = frozenset({"smoke", "heat", "leak"})
BATTERY_HEARTBEAT_S: Final = 3600  # what the lever assumes a battery device reports at when nothing happens


def battery_devices(mix: Mapping[str, int] = DEVICE_MIX) -> int:
    return sum(count for kind, count in mix.items() if kind in BATTERY_KINDS)


def battery_https(
    usage: Mapping[str, float],
    *,
    devices: int,
    uploads: float,
    month_s: float,
    mix: Mapping[str, int] = DEVICE_MIX,
) -> Lever:
    """Battery sensors post over HTTPS at an hourly heartbeat instead of holding an MQTT connection.

    ``usage`` is the month's metered usage (``iot.connect_minutes``, ``iot.connects`` as measured on the
    devices' clocks for ``devices`` devices); ``uploads`` the month's steady uploads of all devices. Before:
    the battery devices' share of the measured connection-minutes and CONNECTs and of the rules and actions
    their uploads trigger. After: one post an hour each, every post a metered message, a rule and an action.
    """
    price = prices.PRICES
    share = battery_devices(mix) / sum(mix.values())
    per_upload = price["iot.rules"].cost(1) + price["iot.actions"].cost(1)
    before = (
        price["iot.connect_minutes"].cost(share * usage.get("iot.connect_minutes", 0.0))
        + price["iot.messages"].cost(share * usage.get("iot.connects", 0.0))
        + share * uploads * per_upload
    )
    posts = share * devices * month_s / BATTERY_HEARTBEAT_S
    messages = price["iot.messages"].cost(posts)
    return Lever(
        f"battery sensors ({', '.join(sorted(BATTERY_KINDS))}: {share:.0%} of the devices) post over HTTPS "
        f"at an hourly heartbeat and at once on an alarm, without a standing connection",
        before,
        messages + posts * per_upload,
        False,
        f"{posts:,.0f} posts a month, each priced as a message ({messages:.2f}: the docs do not say Basic "
        "Ingest applies to HTTPS) + a rule and an action; not applied: needs a policy per device (the "
        "thing-name policy variable is MQTT-only) and a wider offline window for these kinds "
        "(bench/device_levers.py)",
    )
