"""Lambda attribution per function and the applied memory lever (bench/lambda_units.py, applied_levers)."""

from __future__ import annotations

from types import SimpleNamespace

from bench import applied_levers, lambda_units


def _meta(memory_mb: int, platform_logs: bool = False) -> SimpleNamespace:
    return SimpleNamespace(memory_mb=memory_mb, platform_logs=platform_logs)


def test_each_function_gets_its_own_gb_s_and_log_bytes_with_a_share_of_the_schedules() -> None:
    community = {"fn:Api": 1_000.0, "cpu:Api": 50_000.0, "log:Api": 2_000.0, "fn:ApiTwo": 0.0}
    deployment = {"fn:Job": 4_000.0, "cpu:Job": 400_000.0, "log:Job": 100_000.0}
    functions = {"Api": _meta(512, platform_logs=True), "Job": _meta(128), "ApiTwo": _meta(512)}
    found = lambda_units.attribution(community, deployment, functions, 100, 260)
    rows = {row["function"]: row for row in found}
    assert set(rows) == {"Api", "Job"}  # a function that did not run has no row
    assert rows["Job"]["invocations"] == 40.0  # 1/100 of the deployment's sweeps
    assert rows["Job"]["log_bytes"] == 1_000.0
    assert rows["Api"]["log_bytes"] == 2_000.0 + 260 * 1_000  # its own lines + the platform's
    assert rows["Api"]["gb_s"] > 0
    assert rows["Api"]["usd"] > 0
    assert lambda_units.report(list(rows.values()))[2].split()[0] in {"Api", "Job"}


def test_the_async_memory_lever_prices_the_moved_functions_at_512_before() -> None:
    usage = {"fn:Job": 10_000.0, "cpu:Job": 100_000.0, "by:Job:dynamodb.Query": 20_000.0}
    lever = applied_levers.async_memory(usage, {"Job": _meta(128), "Api": _meta(512)})
    assert lever.applied
    assert lever.after < lever.before  # the waiting on AWS calls is billed at a quarter of the memory
    assert "Job 128" in lever.basis
    assert "Api" not in lever.basis
    unmoved = applied_levers.async_memory(usage, {"Job": _meta(512)})
    assert unmoved.before == unmoved.after == 0.0
