"""The sensors API's models by role: requests (``requests.py``) and responses (``responses.py``); the
domain records are ``sensors/domain.py`` and ``sensors/lifecycle.py``."""

from sensors.models.requests import DeviceCreate, DeviceUpdate, RefId, RuleTestRequest, TestReading, Text
from sensors.models.responses import (
    AlarmOut,
    AlarmPageOut,
    CredentialsOut,
    DeviceCreatedOut,
    DeviceDetailOut,
    DeviceOut,
    DevicePageOut,
    MaintenanceOut,
    MetricHourOut,
    RuleOut,
    RulePageOut,
    RuleTestHit,
    RuleTestOut,
    TelemetryHourOut,
    TelemetryOut,
)

__all__ = [
    "AlarmOut",
    "AlarmPageOut",
    "CredentialsOut",
    "DeviceCreate",
    "DeviceCreatedOut",
    "DeviceDetailOut",
    "DeviceOut",
    "DevicePageOut",
    "DeviceUpdate",
    "MaintenanceOut",
    "MetricHourOut",
    "RefId",
    "RuleOut",
    "RulePageOut",
    "RuleTestHit",
    "RuleTestOut",
    "RuleTestRequest",
    "TelemetryHourOut",
    "TelemetryOut",
    "TestReading",
    "Text",
]
