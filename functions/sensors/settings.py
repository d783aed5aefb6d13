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
    # The ingest's write budget (sensors.write_budget). The heartbeat mark (the state item's last_seen) is
    # rewritten only when the stored one is older than this: with uploads every ten minutes that is every
    # third upload, and the heartbeat job counts a device as heard until last_seen + this, so an offline
    # alarm comes 30 to 50 minutes after the last upload (25 minutes' timeout, sensors.defaults). Aggregates
    # are flushed when the hour rolls, or after this long for a buffer a container still holds: nothing
    # reads an hour before it ends (GET /devices/{id}/telemetry, rule tests on stored hours).
    heartbeat_refresh_seconds: int = Field(default=1500, ge=10, le=3600)
    aggregate_flush_seconds: int = Field(default=3600, ge=10, le=3600)


@lru_cache(maxsize=1)
def settings() -> SensorsSettings:
    return SensorsSettings.from_environment()
