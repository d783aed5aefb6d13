import pytest
from pydantic import ValidationError

from courtyard.settings import FunctionSettings

GLOBALS = {
    "EVENT_BUS_NAME": "courtyard-dev",
    "AUDIT_TABLE": "audit",
    "IDEMPOTENCY_TABLE": "idempotency",
    "PII_KEY_ID": "key-1",
    "CURSOR_KEY_PARAMETER": "arn:aws:secretsmanager:us-east-1:123456789012:secret:cursor",
    "POWERTOOLS_SERVICE_NAME": "directory",
    "DIRECTORY_TABLE": "directory",
    "BLIND_INDEX_PARAMETER": "arn:aws:secretsmanager:us-east-1:123456789012:secret:index",
}


def test_settings_are_read_from_the_environment(monkeypatch):
    for name, value in GLOBALS.items():
        monkeypatch.setenv(name, value)
    settings = FunctionSettings.from_environment()
    assert settings.event_bus_name == "courtyard-dev"
    assert settings.service_name == "directory"
    assert settings.audit_retention_days == 400


def test_a_missing_variable_fails_at_cold_start(monkeypatch):
    for name, value in GLOBALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AUDIT_TABLE")
    with pytest.raises(ValidationError, match="audit_table"):
        FunctionSettings.from_environment()


def test_audit_retention_below_180_days_is_refused(monkeypatch):
    for name, value in GLOBALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AUDIT_RETENTION_DAYS", "30")
    with pytest.raises(ValidationError):
        FunctionSettings.from_environment()


def test_settings_are_frozen(monkeypatch):
    for name, value in GLOBALS.items():
        monkeypatch.setenv(name, value)
    settings = FunctionSettings.from_environment()
    with pytest.raises(ValidationError):
        settings.stage = "prod"  # type: ignore[misc]


def test_a_keyword_wins_over_the_environment(monkeypatch):
    for name, value in GLOBALS.items():
        monkeypatch.setenv(name, value)
    settings = FunctionSettings.from_environment(service_name="tickets", audit_table="other")
    assert (settings.service_name, settings.audit_table) == ("tickets", "other")


def test_variable_names_are_matched_in_any_case(monkeypatch):
    for name, value in GLOBALS.items():
        monkeypatch.setenv(name.lower(), value)
    assert FunctionSettings.from_environment().directory_table == "directory"
