"""Tickets use cases, one module each: tickets (filing, seeing and moving tickets, settings), alarms (the
alarm intake: an alarm becomes a work order through the same filing), jobs (the scheduled re-dispatch,
escalation, SLA breaches and auto-close), followup (return visits, quality checks), photos, stats, reporter
(the reporter's name staff see on a ticket). Pure rules live beside the package: lifecycle.py, sla.py,
dispatch.py, kpis.py."""
