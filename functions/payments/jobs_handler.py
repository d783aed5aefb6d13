"""The payments' schedules: ``Reminders`` (hourly) sends the arrears ladder's steps outside quiet hours;
``Reconciliation`` (daily) compares yesterday's (UTC) provider settlements with the ledger;
``CloseAbandoned`` (every 15 minutes) closes WeChat Pay / Alipay orders left unpaid past their hold. The
event's ``job`` input says which; ``date`` (YYYY-MM-DD) reconciles another day.

The hourly run first sweeps the outbox (``courtyard.outbox``): the BillIssued of bills whose billing chunk
failed after their commit and was never redelivered go out within the hour. Then it sweeps the billing runs:
one that stopped moving has its missing chunks queued again, or is marked failed with the units it missed
(``payments.run_policy``), so no run stays ``running`` for ever."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from courtyard.drain import out_of_time
from courtyard.tracing import Tracer
from payments.wiring import abandoned, billing_worker, jobs, wiring, worker_outbox

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    job = str(event.get("job", "reminders"))
    if job == "close_abandoned":
        closing = abandoned().close()
        metrics.add_metric(name="AbandonedOrdersClosed", unit=MetricUnit.Count, value=len(closing.closed))
        logger.info("abandoned orders", closed=len(closing.closed), paid=closing.paid_meanwhile)
        return {
            "job": job,
            "closed": closing.closed,
            "paid_meanwhile": closing.paid_meanwhile,
            "unanswered": closing.unanswered,
        }
    due = jobs()
    if job == "reconciliation":
        day = (
            date.fromisoformat(str(event["date"]))
            if event.get("date")
            else wiring.clock.now().date() - timedelta(days=1)
        )
        if not event.get("date"):
            # The day before again: WeChat Pay's bills are by Beijing day, out after 10:00 the next day, so
            # only now is the bill that covers that UTC day's last eight hours out (its report is rewritten).
            due.reconcile(day - timedelta(days=1))
        reports = due.reconcile(day)
        unbalanced = [t for t, r in reports.items() if not r["balanced"]]
        metrics.add_metric(name="ReconciliationsUnbalanced", unit=MetricUnit.Count, value=len(unbalanced))
        logger.info("reconciliation", day=day.isoformat(), tenants=len(reports), unbalanced=len(unbalanced))
        return {"job": job, "date": day.isoformat(), "tenants": len(reports), "unbalanced": len(unbalanced)}
    swept = worker_outbox().sweep()
    metrics.add_metric(name="OutboxFlushed", unit=MetricUnit.Count, value=swept.flushed)
    for pk in swept.failed:
        logger.error("pending effects not flushed", pending=pk)
    runs = billing_worker().sweep_runs()
    for run_id in runs.failed:
        logger.error("billing run failed", run_id=run_id)
    report = due.remind(out_of_time(context))
    metrics.add_metric(name="RemindersSent", unit=MetricUnit.Count, value=sum(report.sent.values()))
    logger.info(
        "reminders", looked_at=report.looked_at, sent=report.sent, deferred=len(report.deferred_tenants)
    )
    return {
        "job": job,
        "looked_at": report.looked_at,
        "sent": report.sent,
        "deferred_tenants": len(report.deferred_tenants),
        "outbox_flushed": swept.flushed,
        "runs_resumed": runs.resumed,
        "runs_failed": runs.failed,
    }
