"""Payments use cases, one module each: billing (fee items, readings, runs), checkout (payments, webhooks,
refunds), queries (bills, ledger, arrears, reports), jobs (reminders, reconciliation). Pure rules live beside
the package: fees.py, due_dates.py, credit.py, reminders.py, settle.py, run_policy.py, arrears.py,
reconcile.py."""
