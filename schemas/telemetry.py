"""What a device publishes: the telemetry contract (``schemas/telemetry.json`` is generated from it).

A message is either measurements (``metrics``: name -> finite number, boolean or short string) on
``.../telemetry``, a batch of them (``samples``: up to 60 ``{ts, metrics}`` taken at their own times), or
one discrete event (``event``: name and attributes) on ``.../events``; ``ts`` is the device's UTC reading
(or, for a batch, sending) time and ``seq`` its message counter (QoS 1 may redeliver; consumers drop repeats).

Why batches: every message costs an IoT Core message, a rule, a rule action and a Lambda invocation, the
same for one reading as for ten. A device samples once a minute and uploads its samples every few minutes
in one message, and at once when a sample moves beyond its deadband (``iot.simulator.Uploader``), so a steady
fleet costs a fraction of one message a minute while a change still arrives within the minute.
Tenant, site and device ids are not part of the body: the topic carries them and the topic rule adds them.

The sensors ingest validates with this pydantic model (the source of the JSON Schema, so the two cannot
disagree); a unit test keeps the checked-in JSON in step and checks both accept and refuse the same samples.
Regenerate with ``python -m schemas.telemetry``.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Final

from pydantic import AwareDatetime, ConfigDict, Field, StrictBool, model_validator

from courtyard.models import Model

MAX_MESSAGE_BYTES: Final = 8 * 1024
"""Larger messages are refused before parsing (AWS IoT allows 128 KB; a sensor reading never needs 8)."""
MAX_METRICS: Final = 32
MAX_SAMPLES: Final = 60  # an hour of one-minute samples; the 8 KB message limit usually binds first
MAX_ATTRIBUTES: Final = 16
METRIC_BOUND: Final = 1e12  # larger magnitudes are a broken sensor or an attack, never a reading

JSON_PATH: Final = Path(__file__).with_name("telemetry.json")

NAME_PATTERN: Final = r"^[a-z][a-z0-9_]{0,63}$"
_NAME_SCHEMA: Final[dict[str, Any]] = {"pattern": NAME_PATTERN}
MetricName = Annotated[str, Field(pattern=NAME_PATTERN)]
Number = Annotated[float, Field(allow_inf_nan=False, ge=-METRIC_BOUND, le=METRIC_BOUND)]
ShortText = Annotated[str, Field(max_length=64)]
MetricValue = StrictBool | Number | ShortText
"""A boolean (leak, smoke), a finite bounded number, or a short state word; bool first so true stays true."""


class DeviceEvent(Model):
    """A discrete event: ``smoke`` ``{"state": "alarm"}``, ``high_altitude_throw``, ``fire_lane_blocked``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: MetricName
    attributes: dict[MetricName, MetricValue] = Field(
        default_factory=dict, max_length=MAX_ATTRIBUTES, json_schema_extra={"propertyNames": _NAME_SCHEMA}
    )


class Sample(Model):
    """One reading of a batch: the measurements taken at ``ts``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ts: AwareDatetime = Field(description="reading time, ISO-8601 with Z or an offset")
    metrics: dict[MetricName, MetricValue] = Field(
        max_length=MAX_METRICS, json_schema_extra={"minProperties": 1, "propertyNames": _NAME_SCHEMA}
    )

    @model_validator(mode="after")
    def _not_empty(self) -> Sample:
        if not self.metrics:
            raise ValueError("a sample's metrics must not be empty")
        return self


class Telemetry(Model):
    """One device message: ``metrics``, ``samples`` or ``event`` (exactly one)."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        title="CourtyardTelemetry",
        # What the model validator checks, said in JSON Schema too: exactly one of metrics and event.
        json_schema_extra={
            "oneOf": [
                {
                    "required": ["metrics"],
                    "not": {"anyOf": [{"required": ["event"]}, {"required": ["samples"]}]},
                },
                {
                    "required": ["samples"],
                    "not": {"anyOf": [{"required": ["event"]}, {"required": ["metrics"]}]},
                },
                {
                    "required": ["event"],
                    "not": {"anyOf": [{"required": ["metrics"]}, {"required": ["samples"]}]},
                },
            ]
        },
    )

    ts: AwareDatetime = Field(description="reading time, ISO-8601 with Z or an offset")
    seq: int = Field(default=0, ge=0, le=2**53, description="message counter of the device")
    device_type: Annotated[str, Field(max_length=32)] | None = Field(
        default=None, description="the device's kind, checked against the registry when present"
    )
    metrics: dict[MetricName, MetricValue] | None = Field(
        default=None,
        max_length=MAX_METRICS,
        json_schema_extra={"minProperties": 1, "propertyNames": _NAME_SCHEMA},
    )
    samples: list[Sample] | None = Field(
        default=None, min_length=1, max_length=MAX_SAMPLES, description="readings batched into one message"
    )
    event: DeviceEvent | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Telemetry:
        if sum(part is not None for part in (self.metrics, self.samples, self.event)) != 1:
            raise ValueError("a message carries exactly one of metrics, samples and event")
        if self.metrics is not None and not self.metrics:
            raise ValueError("metrics must not be empty")
        return self

    def readings(self) -> list[tuple[datetime, dict[str, Any]]]:
        """``(time, metrics)`` of every measurement the message carries, oldest first (none for an event)."""
        if self.samples is not None:
            return sorted(((s.ts, dict(s.metrics)) for s in self.samples), key=lambda pair: pair[0])
        return [(self.ts, dict(self.metrics))] if self.metrics is not None else []

    @property
    def at(self) -> datetime:
        return self.ts


def json_schema() -> dict[str, Any]:
    schema = Telemetry.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://courtyard.example/schemas/telemetry.json"
    return schema


def json_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write_json(path: Path = JSON_PATH) -> Path:
    """Write ``schemas/telemetry.json`` (``make schemas`` calls this)."""
    path.write_text(json_text(), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write_json())
