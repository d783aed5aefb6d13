"""Sensors: device registry and provisioning, telemetry ingest, alarm rules and the alarm lifecycle."""
