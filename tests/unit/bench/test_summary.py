from bench.summary import rows, table

RESULTS = {
    "cold_import": [
        {"name": "floor", "median_ms": 200.0, "first_request_ms": 10.0},
        {"name": "TicketsFunction (tickets.handler)", "median_ms": 300.0, "first_request_ms": 120.0},
        {"name": "sensors.ingest_handler", "median_ms": 500.0},
    ],
    "requests": [{"route": "GET /me", "cpu_ms_median": 6.0, "aws_calls_warm": 3}],
    "sensors": {"evaluations_per_s": 19_000.0, "dynamodb_writes": 11, "steady_readings": 1000},
    "cost": {"total_usd": 1.0, "total_with_identity_usd": 1.25},
}


def test_targets_are_judged_and_missing_benchmarks_show_as_dashes():
    by_name = {row.benchmark: row for row in rows(RESULTS)}

    assert by_name["cold import, slowest handler (sensors.ingest_handler)"].value == 2.5
    assert by_name["cold import, slowest handler (sensors.ingest_handler)"].met is False
    assert by_name["cold start, slowest API function (TicketsFunction)"].value == 420.0
    assert by_name["cold start of TicketsFunction / floor's"].value == 2.0
    assert by_name["rule evaluations, one core"].met is False
    assert by_name["DynamoDB writes per 1,000 steady readings"].value == 11
    assert by_name["DynamoDB writes per 1,000 steady readings"].met is True
    assert by_name["cost per 1,000 households, with identity"].met is True
    assert by_name["cost per 1,000 households, with identity"].value == 1.25
    assert by_name["billing run, 1,000 units"].value is None
    lines = table(RESULTS)
    assert any("MISSED" in line and "rule evaluations" in line for line in lines)
    assert any(line.split()[:3] == ["billing", "run,", "1,000"] and " - " in line for line in lines)


def test_an_empty_results_document_still_prints_a_table():
    assert len(table({})) > 5


def test_the_consoles_first_load_is_judged_against_400_kb():
    over = {"console": {"first_load_gzip_bytes": 471_000, "tti_ms_median": 1800.0}}
    under = {"console": {"first_load_gzip_bytes": 310_000, "tti_ms_median": 900.0}}

    first = "console first load (entry + Today), gzip"
    assert {r.benchmark: r for r in rows(over)}[first].met is False
    assert {r.benchmark: r for r in rows(under)}[first].value == 310.0
    assert {r.benchmark: r for r in rows(under)}[first].met is True
    assert {r.benchmark: r for r in rows(under)}["console time to interactive (Today)"].value == 900.0
