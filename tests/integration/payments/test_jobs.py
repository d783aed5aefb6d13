"""The payments' scheduled jobs on moto with the clock driven by the tests: the reminder ladder across 40
days, quiet hours, no reminder after payment; daily reconciliation against the sandbox's settlements;
arrears and collection KPIs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from courtyard.clock import FixedClock
from courtyard.tenancy import Role
from infra.local.pay_sandbox import PaySandbox
from tests.factories import lambda_context
from tests.integration.payments.conftest import (
    Caller,
    Community,
    Reply,
    billing_records,
    bills_of,
    drain_billing_queue,
    fee,
    run,
)

Call = Callable[..., Reply]
Events = list[tuple[str, dict[str, Any]]]


@pytest.fixture
def run_job(
    call: Call,
    function_env: Callable[[str], dict[str, str]],
    sandbox: PaySandbox,
    monkeypatch: pytest.MonkeyPatch,
    clock: FixedClock,
) -> Iterator[Callable[..., dict[str, Any]]]:
    """One scheduled run of the payments job at the clock's instant, with its template environment."""
    function_env("PaymentsJobsFunction")
    monkeypatch.setenv("PAYMENT_SANDBOX_URL", sandbox.url)
    from payments import jobs_handler

    from courtyard.wiring import use_clock

    use_clock(clock)

    def fire(job: str = "reminders", **extra: str) -> dict[str, Any]:
        result: dict[str, Any] = jobs_handler.lambda_handler({"job": job, **extra}, lambda_context())
        return result

    yield fire
    use_clock(None)


def _checkout_and_settle(
    call: Call,
    who: Caller,
    bill_id: str,
    sandbox: PaySandbox,
    deliver: Callable[..., Reply],
    outcome: str = "succeed",
    send: bool = True,
) -> dict[str, Any]:
    payment: dict[str, Any] = call("POST", "/payments", as_=who, body={"bill_ids": [bill_id]}).body
    paid = sandbox.pay(str(payment["next_action"]["url"]).rsplit("/", 1)[1], outcome=outcome, hold=True)
    if send:
        deliver(paid["event_id"])
    return payment


def test_the_reminder_ladder_across_40_days_sends_each_step_once_and_none_after_payment(
    call: Call,
    manager: tuple[Community, Caller],
    residents: Callable[..., Caller],
    clock: FixedClock,
    run_job: Callable[..., dict[str, Any]],
    published: Events,
    sandbox: PaySandbox,
    deliver: Callable[..., Reply],
):
    community, wang = manager
    fee(call, wang, community.site_id)
    run(call, wang, community.site_id)  # due 2026-03-15
    chen = residents(community, "Chen", "a101")
    li = residents(community, "Li", "a102")
    paid_bill = bills_of(call, li)[0]["bill_id"]
    start = datetime(2026, 3, 8, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai; 40 days reach 04-17

    for day in range(40):
        # Each day: a run at 23:00 Shanghai (quiet hours: deferred), then one at 10:00 the next morning.
        clock.set(start + timedelta(days=day, hours=13))
        quiet = run_job()
        assert quiet["sent"] == {}
        clock.set(start + timedelta(days=day + 1))
        run_job()
        run_job()  # a second run the same hour sends nothing more
        if clock.now().date().isoformat() == "2026-03-20":
            _checkout_and_settle(call, li, paid_bill, sandbox, deliver)

    steps: dict[str, list[tuple[str, int]]] = {}
    for name, detail in published:
        if name == "PaymentOverdue":
            steps.setdefault(detail["unit_id"], []).append((detail["step"], detail["days_overdue"]))
    assert steps[community.units["a101"]] == [
        ("due_soon", -3),
        ("overdue_3", 3),
        ("overdue_15", 15),
        ("formal_notice", 30),
    ]
    assert steps[community.units["a102"]] == [("due_soon", -3), ("overdue_3", 3)]
    formal = [d for n, d in published if n == "PaymentOverdue" and d["step"] == "formal_notice"]
    assert all(d["formal"] for d in formal)
    assert call("GET", f"/bills/{bills_of(call, chen)[0]['bill_id']}", as_=chen).body["reminders"] == [
        "due_soon",
        "overdue_3",
        "overdue_15",
        "formal_notice",
    ]


def test_a_bill_found_late_gets_only_the_step_it_has_reached(
    call: Call,
    manager: tuple[Community, Caller],
    clock: FixedClock,
    run_job: Callable[..., dict[str, Any]],
    published: Events,
):
    community, wang = manager
    fee(call, wang, community.site_id)
    run(call, wang, community.site_id)
    clock.set(datetime(2026, 3, 31, 2, 0, tzinfo=UTC))  # 16 days overdue, no run before

    result = run_job()

    assert result["sent"] == {"overdue_15": 3}
    assert {d["step"] for n, d in published if n == "PaymentOverdue"} == {"overdue_15"}


def test_the_daily_reconciliation_reports_matched_missing_and_mismatched_payments(
    call: Call,
    manager: tuple[Community, Caller],
    residents: Callable[..., Caller],
    clock: FixedClock,
    sandbox: PaySandbox,
    deliver: Callable[..., Reply],
    run_job: Callable[..., dict[str, Any]],
):
    # The sandbox dates its settlements by the wall clock: the test's clock follows it today.
    clock.set(datetime.now(UTC))
    community, wang = manager
    fee(call, wang, community.site_id, due_day=28)
    run(call, wang, community.site_id, period=clock.now().strftime("%Y-%m"))
    a101, a102, b201 = (
        residents(community, n, u) for n, u in (("Chen", "a101"), ("Li", "a102"), ("Wu", "b201"))
    )
    sandbox.state.settlements.clear()
    matched = _checkout_and_settle(call, a101, bills_of(call, a101)[0]["bill_id"], sandbox, deliver)
    lost_webhook = _checkout_and_settle(
        call, a102, bills_of(call, a102)[0]["bill_id"], sandbox, deliver, send=False
    )
    review = _checkout_and_settle(
        call, b201, bills_of(call, b201)[0]["bill_id"], sandbox, deliver, outcome="mismatch"
    )
    day = clock.now().date().isoformat()

    result = run_job("reconciliation", date=day)
    report = call("GET", f"/reconciliations/{day}", as_=wang)
    resident = call("GET", f"/reconciliations/{day}", as_=a101)

    assert result["tenants"] >= 1
    assert report.status == 200, report.body
    assert report.body["balanced"] is False
    assert [r["payment_id"] for r in report.body["matched"]] == [matched["payment_id"]]
    assert [r["payment_id"] for r in report.body["missing_in_ledger"]] == [lost_webhook["payment_id"]]
    assert [r["payment_id"] for r in report.body["amount_mismatch"]] == [review["payment_id"]]
    assert report.body["missing_at_provider"] == []
    assert resident.status == 403
    assert call("GET", "/reconciliations/2020-01-01", as_=wang).status == 404


def test_arrears_by_age_with_the_repeated_late_payer_flag_and_the_collection_rate(
    call: Call,
    manager: tuple[Community, Caller],
    residents: Callable[..., Caller],
    staff: Callable[..., Caller],
    clock: FixedClock,
    sandbox: PaySandbox,
    deliver: Callable[..., Reply],
):
    community, wang = manager
    fee(call, wang, community.site_id)
    for period in ("2026-03", "2026-04", "2026-05"):
        run(call, wang, community.site_id, period)
    li = residents(community, "Li", "a102")
    for bill in bills_of(call, li):
        _checkout_and_settle(call, li, bill["bill_id"], sandbox, deliver)  # on time: 2026-03-02
    clock.set(datetime(2026, 6, 20, 2, 0, tzinfo=UTC))

    arrears = call("GET", "/arrears", as_=wang, query={"site_id": community.site_id})
    stats = call("GET", "/payments/stats", as_=wang, query={"site_id": community.site_id})
    desk = call(
        "GET",
        "/arrears",
        as_=staff(community, "Desk", Role.SERVICE_DESK),
        query={"site_id": community.site_id},
    )

    assert arrears.status == 200, arrears.body
    units = {u["unit_id"]: u for u in arrears.body["units"]}
    assert set(units) == {community.units["a101"], community.units["b201"]}
    a101 = units[community.units["a101"]]
    assert a101["buckets"] == {"0-30": 0, "31-90": 2 * 22375, "90+": 22375}  # 36, 66 and 97 days overdue
    assert a101["risk"] is True
    assert a101["late_bills"] == 3
    assert arrears.body["totals"]["overdue"] == 3 * 22375 + 3 * 16313
    assert stats.status == 200, stats.body
    march = next(c for c in stats.body["collection"] if c["period"] == "2026-03")
    assert march["collected"] == 30000
    assert march["billed"] == 22375 + 30000 + 16313
    assert march["rate_pct"] == round(100 * 30000 / (22375 + 30000 + 16313), 2)
    assert march["on_target"] is False
    assert stats.body["risk_units"] == 2
    assert desk.status == 403


def test_arrears_show_the_reminders_each_unit_has_had(
    call: Call,
    manager: tuple[Community, Caller],
    clock: FixedClock,
    run_job: Callable[..., dict[str, Any]],
):
    community, wang = manager
    fee(call, wang, community.site_id)
    run(call, wang, community.site_id)  # due 2026-03-15
    clock.set(datetime(2026, 3, 12, 2, 0, tzinfo=UTC))
    run_job()  # due_soon
    clock.set(datetime(2026, 3, 31, 2, 0, tzinfo=UTC))
    run_job()  # overdue_15 (overdue_3 was passed over)

    arrears = call("GET", "/arrears", as_=wang, query={"site_id": community.site_id})

    assert arrears.status == 200, arrears.body
    assert {u["unit_id"]: u["reminders"] for u in arrears.body["units"]}[community.units["a101"]] == [
        {"period": "2026-03", "step": "due_soon"},
        {"period": "2026-03", "step": "overdue_15"},
    ]


def test_a_tenants_own_ladder_and_quiet_hours_drive_the_reminders(
    call: Call,
    manager: tuple[Community, Caller],
    residents: Callable[..., Caller],
    clock: FixedClock,
    run_job: Callable[..., dict[str, Any]],
    published: Events,
):
    community, wang = manager
    chen = residents(community, "Chen", "a101")
    ladder = {
        "ladder": [{"name": "overdue_7", "offset_days": 7, "formal": True}],
        "quiet_start": "12:00",
        "quiet_end": "13:00",
    }
    saved = call("PUT", "/payment-settings", as_=wang, body=ladder)
    refused = call("PUT", "/payment-settings", as_=chen, body=ladder)
    fee(call, wang, community.site_id)
    run(call, wang, community.site_id)

    clock.set(datetime(2026, 3, 22, 4, 30, tzinfo=UTC))  # 12:30 in Shanghai: the tenant's quiet hour
    quiet = run_job()
    clock.set(datetime(2026, 3, 22, 5, 30, tzinfo=UTC))
    sent = run_job()

    assert saved.status == 200, saved.body
    assert call("GET", "/payment-settings", as_=wang).body["ladder"] == ladder["ladder"]
    assert refused.status == 403
    assert (quiet["deferred_tenants"], quiet["sent"]) == (1, {})
    assert sent["sent"] == {"overdue_7": 3}
    assert {(d["step"], d["formal"]) for n, d in published if n == "PaymentOverdue"} == {("overdue_7", True)}


def test_bills_whose_bill_issued_failed_after_their_commit_are_announced_by_the_hourly_sweep_once(
    call: Call,
    manager: tuple[Community, Caller],
    clock: FixedClock,
    run_job: Callable[..., dict[str, Any]],
    published: Events,
    monkeypatch: pytest.MonkeyPatch,
):
    from botocore.exceptions import ClientError

    from courtyard.outbox import Outbox

    community, wang = manager
    fee(call, wang, community.site_id)
    flush_many = Outbox.flush_many

    def bus_down(self: Outbox, pendings: Any) -> None:
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "x"}}, "PutEvents")

    monkeypatch.setattr(Outbox, "flush_many", bus_down)
    reply = call("POST", "/billing-runs", as_=wang, body={"site_id": community.site_id, "period": "2026-03"})
    assert reply.status == 202, reply.body
    assert drain_billing_queue() == 1  # the chunk's bills are issued, their BillIssued still pending
    monkeypatch.setattr(Outbox, "flush_many", flush_many)
    bills = {b["unit_id"] for b in bills_of(call, wang)}
    assert bills
    assert [name for name, _ in published if name == "BillIssued"] == []

    clock.advance(minutes=3)
    first = run_job()
    clock.advance(hours=1)
    second = run_job()

    assert (first["outbox_flushed"], second["outbox_flushed"]) == (len(bills), 0)
    announced = [detail["unit_id"] for name, detail in published if name == "BillIssued"]
    assert sorted(announced) == sorted(bills)


def test_a_bill_for_a_past_period_is_due_from_its_issue_date_and_is_not_chased_at_once(
    call: Call,
    manager: tuple[Community, Caller],
    clock: FixedClock,
    run_job: Callable[..., dict[str, Any]],
    published: Events,
):
    community, wang = manager
    fee(call, wang, community.site_id)  # due day 15
    clock.set(datetime(2026, 4, 20, 2, 0, tzinfo=UTC))  # 10:00 in Shanghai, long after 2026-03-15

    run(call, wang, community.site_id, "2026-03")
    clock.advance(minutes=5)
    at_once = run_job()
    clock.set(datetime(2026, 5, 2, 2, 0, tzinfo=UTC))  # three days before the new due date
    soon = run_job()

    [bill] = bills_of(call, wang, unit_id=community.units["a101"])
    assert bill["due_date"] == "2026-05-05"  # issued 2026-04-20 + 15 days' grace (the default)
    assert bill["late_fee"] == 0
    assert at_once["sent"] == {}
    assert soon["sent"] == {"due_soon": 3}
    assert not [d for name, d in published if name == "PaymentOverdue" and d["formal"]]


def test_the_firms_grace_for_late_issued_bills_is_a_payment_setting(
    call: Call, manager: tuple[Community, Caller], clock: FixedClock
):
    community, wang = manager
    fee(call, wang, community.site_id)
    default = call("GET", "/payment-settings", as_=wang).body["late_issue_grace_days"]
    saved = call(
        "PUT",
        "/payment-settings",
        as_=wang,
        body={"ladder": [{"name": "overdue_3", "offset_days": 3}], "late_issue_grace_days": 30},
    )
    refused = call("PUT", "/payment-settings", as_=wang, body={"ladder": [], "late_issue_grace_days": -1})
    clock.set(datetime(2026, 4, 20, 2, 0, tzinfo=UTC))

    run(call, wang, community.site_id, "2026-03")

    assert default == 15
    assert saved.status == 200, saved.body
    assert refused.status == 422
    [bill] = bills_of(call, wang, unit_id=community.units["a101"])
    assert bill["due_date"] == "2026-05-20"


def _lose_the_queued_chunks() -> None:
    """The chunks' messages vanish (to the dead-letter queue after three failed receives, or never sent)."""
    import boto3
    from payments import wiring

    for record in billing_records():
        boto3.client("sqs").delete_message(
            QueueUrl=wiring.config().billing_queue_url, ReceiptHandle=record["receiptHandle"]
        )


def test_a_billing_run_whose_chunk_was_lost_is_resumed_by_the_sweep_and_completes(
    call: Call, manager: tuple[Community, Caller], clock: FixedClock, run_job: Callable[..., dict[str, Any]]
):
    community, wang = manager
    fee(call, wang, community.site_id)
    started = call(
        "POST", "/billing-runs", as_=wang, body={"site_id": community.site_id, "period": "2026-03"}
    )
    _lose_the_queued_chunks()

    clock.advance(minutes=10)
    early = run_job()
    clock.advance(minutes=25)
    swept = run_job()
    drain_billing_queue()
    done = call("GET", f"/billing-runs/{started.body['run_id']}", as_=wang).body

    assert early["runs_resumed"] == []  # still within the stall window: nothing re-queued
    assert swept["runs_resumed"] == [started.body["run_id"]]
    assert (done["status"], done["bills_created"], done["resumes"]) == ("completed", 3, 1)
    assert len(bills_of(call, wang)) == 3
    clock.advance(hours=2)
    assert run_job()["runs_resumed"] == []  # a completed run leaves the sweep's index


def test_a_billing_run_that_keeps_failing_is_marked_failed_naming_the_units_it_missed(
    call: Call,
    manager: tuple[Community, Caller],
    clock: FixedClock,
    run_job: Callable[..., dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
):
    community, wang = manager
    fee(call, wang, community.site_id)
    from payments.services.billing import BillingService

    bill_chunk = BillingService.bill_chunk

    def broken(self: BillingService, chunk: Any) -> Any:
        raise RuntimeError("the chunk fails every time")

    monkeypatch.setattr(BillingService, "bill_chunk", broken)
    started = call(
        "POST", "/billing-runs", as_=wang, body={"site_id": community.site_id, "period": "2026-03"}
    )
    outcomes = []
    for _ in range(4):
        drain_billing_queue()
        _lose_the_queued_chunks()  # after its receives, the message is on the dead-letter queue
        clock.advance(minutes=31)
        job = run_job()
        outcomes.append((job["runs_resumed"], job["runs_failed"]))
    failed = call("GET", f"/billing-runs/{started.body['run_id']}", as_=wang).body
    monkeypatch.setattr(BillingService, "bill_chunk", bill_chunk)
    again = run(call, wang, community.site_id, "2026-03")

    run_id = started.body["run_id"]
    assert outcomes == [([run_id], []), ([run_id], []), ([], [run_id]), ([], [])]
    assert failed["status"] == "failed"
    assert "re-run the period" in failed["failed_reason"]
    assert sorted(failed["missed_units"]) == sorted(community.units.values())
    assert (again["status"], again["bills_created"]) == ("completed", 3)  # exactly the missed units
