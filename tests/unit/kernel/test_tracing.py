"""The kernel's Tracer: X-Ray is loaded only by an invocation its caller sampled."""

from __future__ import annotations

from typing import Any

import pytest

from courtyard.tracing import Tracer

SAMPLED = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
UNSAMPLED = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0"


class FakePowertoolsTracer:
    def __init__(self) -> None:
        self.captured: list[Any] = []

    def capture_lambda_handler(self, handler: Any, capture_response: bool) -> Any:
        def traced(event: Any, context: Any) -> Any:
            self.captured.append(event)
            return handler(event, context)

        return traced


@pytest.fixture
def tracing(monkeypatch: pytest.MonkeyPatch) -> tuple[Tracer, FakePowertoolsTracer]:
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "false")
    tracer, fake = Tracer(), FakePowertoolsTracer()
    monkeypatch.setattr(tracer, "real", lambda: fake)
    return tracer, fake


def test_an_unsampled_invocation_runs_without_x_ray(tracing, monkeypatch) -> None:
    tracer, fake = tracing
    handler = tracer.capture_lambda_handler(capture_response=False)(lambda event, context: event["n"] + 1)
    monkeypatch.setenv("_X_AMZN_TRACE_ID", UNSAMPLED)
    assert handler({"n": 1}, None) == 2
    monkeypatch.delenv("_X_AMZN_TRACE_ID")
    assert handler({"n": 2}, None) == 3
    assert fake.captured == []


def test_a_sampled_invocation_is_captured_by_powertools(tracing, monkeypatch) -> None:
    tracer, fake = tracing
    handler = tracer.capture_lambda_handler(capture_response=False)(lambda event, context: event["n"] + 1)
    monkeypatch.setenv("_X_AMZN_TRACE_ID", SAMPLED)
    assert handler({"n": 1}, None) == 2
    assert fake.captured == [{"n": 1}]


def test_disabled_tracing_wins_over_a_sampled_header(tracing, monkeypatch) -> None:
    tracer, fake = tracing
    handler = tracer.capture_lambda_handler(capture_response=False)(lambda event, context: event)
    monkeypatch.setenv("_X_AMZN_TRACE_ID", SAMPLED)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    handler({}, None)
    assert fake.captured == []
