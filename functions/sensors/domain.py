"""The sensors vocabulary: device kinds, severities, operators, alarm statuses, and the device record.

Pure values only; no AWS, no HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final, Literal, get_args


class DeviceKind(StrEnum):
    ELEVATOR = "elevator"
    WATER_PRESSURE = "water_pressure"
    SMOKE = "smoke"
    HEAT = "heat"
    LEAK = "leak"
    PUMP = "pump"
    POWER_METER = "power_meter"
    CAMERA = "camera"
    GATE = "gate"


class DeviceStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"  # deactivated: certificate revoked, messages refused, no heartbeat


class Severity(StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"
    WARNING = "warning"


class Operator(StrEnum):
    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="
    EQ = "=="
    NE = "!="


class AlarmStatus(StrEnum):
    """An alarm's life after it is raised (``pending`` lives only in the evaluation state, see engine)."""

    ACTIVE = "active"
    ACKNOWLEDGED = "acknowledged"
    CLEARED = "cleared"


OPEN_ALARM_STATUSES: Final = frozenset({AlarmStatus.ACTIVE, AlarmStatus.ACKNOWLEDGED})

# tickets' categories and priorities (features never import each other; the values are the contract that
# tickets' alarm consumer validates AlarmRaised.action against).
WorkOrderCategory = Literal[
    "plumbing",
    "electrical",
    "elevator",
    "door_access",
    "fire_safety",
    "public_facility",
    "cleaning",
    "pest_control",
    "greening",
    "security",
    "noise",
    "parking",
    "renovation",
    "other",
]
WorkOrderPriority = Literal["normal", "urgent", "emergency"]
NotifiableRole = Literal["manager", "service_desk", "technician", "guard", "finance"]
WORK_ORDER_CATEGORIES: Final = get_args(WorkOrderCategory)

# The steady device's cadence (iot.simulator.Uploader): it samples once a minute and connects to upload its
# samples every ten minutes (at once on a change). Offline means two uploads missed plus five minutes'
# margin for a slow connect: one lost upload is not offline.
UPLOAD_INTERVAL_S: Final = 600
OFFLINE_AFTER_S: Final = 2 * UPLOAD_INTERVAL_S + 300


@dataclass(frozen=True, slots=True)
class Device:
    """A registered device. ``device_id`` is also its IoT thing name and MQTT client id."""

    tenant_id: str
    device_id: str
    site_id: str
    kind: DeviceKind
    name: str
    status: DeviceStatus
    created_at: str
    updated_at: str
    building_id: str | None = None
    unit_id: str | None = None
    location: str | None = None
    model: str | None = None
    install_date: str | None = None
    certificate_id: str | None = None
    thing_name: str | None = None
    version: int = 1
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def active(self) -> bool:
        return self.status is DeviceStatus.ACTIVE
