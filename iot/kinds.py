"""Which device kinds run on a battery, and so how each kind sends (issue 18).

**Mains-powered gateways** (elevator, pump and fire-water pressure monitors, power meters, cameras, gate
scanners) hold one MQTT connection and upload every ten minutes, at once on a change (``iot.link``: at that
interval a standing connection is cheaper than a connection per upload). **Battery detectors** (smoke, heat,
leak: NB-IoT or Cat-1 products in corridors, garages and plant rooms) cannot keep a TLS session open for a
month, their battery would last days: they sleep, wake at an hourly heartbeat or at once on an alarm, connect,
publish through Basic Ingest at QoS 1, wait for the PUBACK and disconnect (``per_wake``, a short session).

Why a short MQTT session and not HTTPS publish (AWS docs as stored on 2026-12-08):

- *HTTPS publish* (``POST https://<endpoint>:8443/topics/<url-encoded topic>?qos=1`` with the device
  certificate; developer guide "HTTPS publish" and "Device communication protocols": HTTPS is publish-only,
  X.509 on 8443 or on 443 with ALPN ``x-amzn-http-ca``) holds no connection, but IoT Core's "additional
  metering details" meter the body of the HTTP *request* and of the *response* in 5 KB messages, and the
  publish answers with a body (``{"message":"OK","traceId":...}``): two messages a wake, 2.00 USD a million.
  Whether Basic Ingest's "no messaging charge" ("Reducing messaging costs with Basic Ingest") covers an HTTPS
  post is not stated. And ``${iot:Connection.Thing.ThingName}`` "is only available when a device connects
  over MQTT or MQTT over the WebSocket protocol" ("Thing policy variables"; HTTPS has no client id): every
  HTTPS device would need a policy of its own naming its topics literally.
- *A short MQTT session*: the CONNECT is metered as one message (its size; no Will: one 5 KB unit),
  connectivity "is metered in one-minute increments" (IoT Core pricing), so a wake is one billed minute; the
  PUBLISH through Basic Ingest has no messaging charge; CONNACK, the service's PUBACK and DISCONNECT are
  excluded from metering. 1.08 USD a million wakes (``iot.link.CONNECT_MESSAGE_USD_PER_M`` +
  ``CONNECTION_MINUTE_USD_PER_M``), with the site's policy (thing-name variable) and Basic Ingest as
  documented.

So battery kinds wake and connect: cheaper by the pricing pages' own words, one policy per site and class,
and the local broker's semantics stay those of AWS (``infra/local/mqtt.py`` counts each CONNECT). Nothing is
sent to a sleeping device: its policy grants no Subscribe or Receive (``iot.policy``); a command for it would
need a persistent session and those grants back. Its offline window is wider (two missed heartbeats + 5
minutes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:  # the sensors functions read this module; iot.link is the device side's
    from iot.link import ConnectMode

Session = Literal["connected", "per_wake"]

BATTERY_KINDS: Final = frozenset({"smoke", "heat", "leak"})
SAMPLE_INTERVAL_S: Final = 60  # every device samples once a minute (iot.simulator.Uploader)
CONNECTED_UPLOAD_S: Final = 600  # a gateway's steady upload: ten samples a message
HEARTBEAT_S: Final = 3600  # a battery detector's steady wake: an hour of samples (schemas/telemetry.py: 60)
OFFLINE_MARGIN_S: Final = 300  # a slow connect or a retry; one lost upload is not offline


def is_battery(kind: str) -> bool:
    """Whether a device of this kind runs on a battery (and so wakes to send instead of staying connected)."""
    return kind in BATTERY_KINDS


def session_of(kind: str) -> Session:
    """How a device of this kind holds its MQTT session: ``connected`` all the time, or ``per_wake``."""
    return "per_wake" if is_battery(kind) else "connected"


def connect_mode_of(kind: str) -> ConnectMode:
    """The kind's session as ``iot.link`` holds it: one connection (``stay``) or one per upload."""
    return "per-upload" if is_battery(kind) else "stay"


def upload_interval_s(kind: str) -> int:
    """The steady upload interval of the kind: ten minutes connected, an hour for a battery detector."""
    return HEARTBEAT_S if is_battery(kind) else CONNECTED_UPLOAD_S


def samples_per_upload(kind: str) -> int:
    """The samples a steady upload carries (``iot.simulator.Uploader``'s batch)."""
    return upload_interval_s(kind) // SAMPLE_INTERVAL_S


def offline_after_s(kind: str) -> int:
    """Silence that makes a device of this kind offline: two missed uploads plus the margin."""
    return 2 * upload_interval_s(kind) + OFFLINE_MARGIN_S
