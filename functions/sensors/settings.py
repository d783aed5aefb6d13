"""The sensors functions' environment, read once per cold start."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from courtyard.settings import FunctionSettings


class SensorsSettings(FunctionSettings):
    sensors_table: str
    aws_region: str = Field(default="us-east-1", validation_alias="AWS_REGION")
    # For the per-site IoT policy's resource ARNs (the template passes AWS::AccountId / AWS::Partition).
    iot_account_id: str = "123456789012"
    iot_partition: str = "aws"
    iot_policy_prefix: str = "courtyard"
    # Hourly aggregates are kept this long (TTL); raw readings are never stored.
    telemetry_retention_days: int = Field(default=90, ge=1, le=3650)
    # The ingest's write budget: state refreshed at most this often while nothing changes (it is also the
    # heartbeat's precision), aggregates flushed at most this often. Devices upload every ten minutes in the
    # steady state (schemas/telemetry.py): refreshing every other upload and flushing every third keeps a
    # device at about 3,600 writes a month (bench/cost.py) while offline alarms come within 15 minutes of
    # their timeout.
    heartbeat_refresh_seconds: int = Field(default=900, ge=10, le=3600)
    aggregate_flush_seconds: int = Field(default=1800, ge=10, le=3600)


@lru_cache(maxsize=1)
def settings() -> SensorsSettings:
    return SensorsSettings.from_environment()
