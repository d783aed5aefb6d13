"""Contracts shared across features (events, telemetry, common types) and the generated JSON artifacts."""
