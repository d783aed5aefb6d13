"""A local cloud's environment overrides (a bench's knob) change only what a function already declares."""

from __future__ import annotations

from infra.local.cloud import overridden


def test_an_override_replaces_a_declared_variable() -> None:
    environment = {"SMS_QUIET_HOURS": "21:00-08:00", "STAGE": "dev"}

    assert overridden(environment, {"SMS_QUIET_HOURS": ""}) == {"SMS_QUIET_HOURS": "", "STAGE": "dev"}


def test_an_override_never_adds_a_variable_the_function_does_not_declare() -> None:
    environment = {"STAGE": "dev"}

    assert overridden(environment, {"SMS_QUIET_HOURS": ""}) == {"STAGE": "dev"}
