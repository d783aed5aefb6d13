"""The bench's SMS by reason (bench/sms_reasons.py): counted from the senders' "delivered" lines, reconciled
with the metered SNS Publishes (what no sender logged stays visible as "other")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import sms_reasons


def line(template: str, sms: str | None, duplicate: bool = False) -> str:
    statuses = {"inbox": "delivered", **({"sms": sms} if sms else {})}
    entry = {"message": "delivered", "template": template, "statuses": statuses, "duplicate": duplicate}
    return json.dumps(entry)


def test_only_sent_texts_of_first_deliveries_count_by_template() -> None:
    text = "\n".join(
        [
            line("bill_issued", "sent"),
            line("bill_issued", "sent"),
            line("bill_issued", "skipped"),
            line("ticket_status_changed", None),
            line("payment_overdue", "sent", duplicate=True),
            "not json at all",
            json.dumps({"message": "delivery will be retried", "statuses": {"sms": "sent"}}),
        ]
    )
    assert sms_reasons.from_log(text) == {"bill_issued": 2}


def test_counted_reads_only_the_bytes_written_between_two_snapshots(tmp_path: Path) -> None:
    log = tmp_path / "NotificationsSenderFunction.log"
    old = line("bill_issued", "sent") + "\n"
    new = line("payment_overdue", "sent") + "\n"
    log.write_text(old + new, encoding="utf-8")
    size = len(old.encode())
    found = sms_reasons.counted(
        tmp_path,
        {"log:NotificationsSenderFunction": size},
        {"log:NotificationsSenderFunction": size + len(new.encode())},
    )
    assert found == {"smsby:NotificationsSenderFunction:payment_overdue": 1.0}


def test_reasons_scale_with_the_month_and_keep_unlogged_texts_as_other() -> None:
    activities: list[dict[str, Any]] = [
        {
            "name": "billing run",
            "month": {
                "smsby:NotificationsSenderFunction:bill_issued": 120.0,
                "units:NotificationsSenderFunction:sms:Publish": 120.0,
                "units:NotificationsEventsFunction:sms:Publish": 4.0,
            },
        },
        {"name": "sweep", "shared": True, "month": {"smsby:NotificationsSenderFunction:notice": 100.0}},
    ]
    found = sms_reasons.reasons(activities, communities=100)
    assert found == {
        ("billing run", "bill_issued"): 120.0,
        ("billing run", "other: NotificationsEventsFunction"): 4.0,
        ("sweep", "notice"): 1.0,
    }
    lines = sms_reasons.report(activities, 100)
    assert "125.0 texts" in lines[0]
    assert any("bill_issued" in x and "0.76 USD" in x for x in lines)
