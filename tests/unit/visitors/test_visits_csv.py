"""The visit log's CSV export: one row per scan, and cells a spreadsheet would run as formulas made inert."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from visitors.models import Direction, EntryRecord, Reason, Verdict
from visitors.visit_log import visits_csv


def _entry(name: str, verdict: Verdict = Verdict.ALLOW, reason: Reason | None = None) -> EntryRecord:
    return EntryRecord(
        tenant_id="t",
        site_id="s",
        scan_id="scan",
        scanned_at=datetime(2026, 3, 10, 2, 0, tzinfo=UTC),
        gate_id="north-1",
        direction=Direction.IN,
        verdict=verdict,
        reason=reason,
        by="guard",
        pass_id="p1",
        visitor_name=name,
        unit_label="A101",
        entry_number=1,
    )


def test_one_row_per_scan_under_a_header():
    rows = list(
        csv.reader(io.StringIO(visits_csv([_entry("Sun"), _entry("Qian", Verdict.DENY, Reason.EXHAUSTED)])))
    )

    assert rows[0][:5] == ["scanned_at", "gate_id", "direction", "verdict", "reason"]
    assert rows[1][:7] == ["2026-03-10T02:00:00.000Z", "north-1", "in", "allow", "", "p1", "Sun"]
    assert rows[2][3:5] == ["deny", "exhausted"]


def test_a_visitor_name_that_looks_like_a_formula_stays_text():
    rows = list(csv.reader(io.StringIO(visits_csv([_entry('=HYPERLINK("http://x","y")')]))))

    assert rows[1][6].startswith("'=")
