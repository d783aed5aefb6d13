"""How a device holds its MQTT connection: connected all the time, or connecting for each upload.

What either costs on AWS IoT Core (``bench/prices.py``, us-east-1 list prices; the same metering in the China
regions): connectivity is billed in whole minutes of connection, and each MQTT CONNECT is metered as a message
(one 5 KB unit) like a publish; keep-alive pings, CONNACK, PUBACK sent by the service and DISCONNECT are free,
and a publish through Basic Ingest has no messaging charge. So a device that stays connected pays one
connection-minute a minute (0.08 USD per million), and one that connects for an upload pays one CONNECT
message (1.00 USD per million) plus at least one minute. Connecting per upload is cheaper only when uploads
are more than ``BREAK_EVEN_S`` (13.5 minutes) apart: a steady device uploading every ten minutes
(``iot.simulator.Uploader``) stays connected; ``cheaper_mode`` decides from the upload interval.

Either way a change beyond the deadband or an alarm is published at once (connecting first if need be).
Nothing is sent to a device today (``courtyard/.../commands`` is reserved, subscribe-only in the thing
policy). If it ever is, a device that connects per upload must keep a persistent session (MQTT 3.1.1
``clean_session=False`` / MQTT 5 ``clean_start=False`` with a session expiry above its upload interval; AWS
IoT Core keeps a persistent session an hour by default, up to 7 days) and subscribe at QoS 1, so what was
sent while it was away arrives at its next connect, up to one upload interval late.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

ConnectMode = Literal["stay", "per-upload"]
CONNECT_MODES: Final[tuple[ConnectMode, ...]] = ("stay", "per-upload")

CONNECT_MESSAGE_USD_PER_M: Final = 1.00  # a CONNECT is one 5 KB message unit (first billion a month)
CONNECTION_MINUTE_USD_PER_M: Final = 0.08
BILLED_MINUTE_S: Final = 60
BREAK_EVEN_S: Final = (
    BILLED_MINUTE_S * (CONNECT_MESSAGE_USD_PER_M + CONNECTION_MINUTE_USD_PER_M) / CONNECTION_MINUTE_USD_PER_M
)
"""Uploads further apart than this are cheaper with a connection each (810 s: 13.5 minutes)."""


def cheaper_mode(upload_interval_s: float) -> ConnectMode:
    """The cheaper way to hold the connection for a device uploading every ``upload_interval_s``."""
    return "per-upload" if upload_interval_s > BREAK_EVEN_S else "stay"


@dataclass(frozen=True)
class Connections:
    """What a device's connections of a run are billed: CONNECT messages and whole connection-minutes."""

    connects: int
    minutes: int


def _ts(message: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(message["ts"]).replace("Z", "+00:00"))


def connections_of(sent: Sequence[dict[str, Any]], mode: ConnectMode) -> Connections:
    """The billed connections of a run, timed on the device's own clock (each message's ``ts``, the upload
    time), so a replay in accelerated time is billed as the real device would be.

    ``per-upload``: one connection per message, each well inside the 1-minute minimum. ``stay``: one
    connection from the first upload to the last, rounded up to whole minutes.
    """
    if not sent:
        return Connections(0, 0)
    if mode == "per-upload":
        return Connections(len(sent), len(sent))
    span_s = (_ts(sent[-1]) - _ts(sent[0])).total_seconds()
    return Connections(1, max(1, math.ceil(span_s / BILLED_MINUTE_S)))


class PerUpload:
    """A device link that connects for each publish: CONNECT, PUBLISH at the QoS asked (the PUBACK awaited),
    DISCONNECT. It stands in for an open connection in ``iot.simulator.publish_readings``/``publish_event``.
    """

    def __init__(self, target: Any, client_id: str, *, timeout_s: float) -> None:
        self._target = target
        self._client_id = client_id
        self._timeout_s = timeout_s
        self.connects = 0

    def publish(self, topic: str, payload: bytes, qos: Any) -> tuple[Future[Any], int]:
        from iot.simulator import connected  # the simulator's transport; imported late (it imports this)

        with connected(self._target, self._client_id, timeout_s=self._timeout_s) as connection:
            self.connects += 1
            future, packet_id = connection.publish(topic, payload, qos)
            result = future.result(self._timeout_s)
        done: Future[Any] = Future()
        done.set_result(result)
        return done, packet_id


@contextmanager
def session(target: Any, client_id: str, mode: ConnectMode, *, timeout_s: float) -> Iterator[Any]:
    """A device's link for a ``with`` block: one connection held throughout (``stay``), or a ``PerUpload``."""
    if mode == "per-upload":
        yield PerUpload(target, client_id, timeout_s=timeout_s)
        return
    from iot.simulator import connected

    with connected(target, client_id, timeout_s=timeout_s) as connection:
        yield connection
