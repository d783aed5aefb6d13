"""Requests of the sensors API: what a caller may send (validated at the door, extra fields refused)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AwareDatetime, ConfigDict, Field, model_validator

from courtyard.models import Model
from schemas.telemetry import DeviceEvent, MetricName, MetricValue
from sensors.domain import DeviceKind
from sensors.rules import RuleSpec

RefId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Text = Annotated[str, Field(min_length=1, max_length=120)]


class _In(Model):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DeviceCreate(_In):
    site_id: RefId
    kind: DeviceKind
    name: Text
    building_id: RefId | None = None
    unit_id: RefId | None = None
    location: Annotated[str, Field(max_length=200)] | None = None
    model: Annotated[str, Field(max_length=120)] | None = None
    install_date: date | None = None
    provision: bool = Field(default=True, description="create the IoT thing, certificate and policy now")


class DeviceUpdate(_In):
    name: Text | None = None
    building_id: RefId | None = None
    location: Annotated[str, Field(max_length=200)] | None = None
    model: Annotated[str, Field(max_length=120)] | None = None
    install_date: date | None = None

    @model_validator(mode="after")
    def _something(self) -> DeviceUpdate:
        if not self.model_fields_set:
            raise ValueError("nothing to change")
        return self


class TestReading(_In):
    ts: AwareDatetime
    metrics: dict[MetricName, MetricValue] | None = None
    event: DeviceEvent | None = None


class RuleTestRequest(_In):
    """Either ``readings`` (a list of what a device would publish) or a device's stored hourly aggregates."""

    readings: list[TestReading] | None = Field(default=None, max_length=10_000)
    device_id: RefId | None = None
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    rule: RuleSpec | None = Field(default=None, description="test this definition instead of the stored one")

    @model_validator(mode="after")
    def _one_source(self) -> RuleTestRequest:
        if (self.readings is None) == (self.device_id is None):
            raise ValueError("give either readings or a device_id (with start and end)")
        return self
