"""The payments table's key scheme: every partition key is tenant-prefixed; every reader and writer uses
these.

Items:
- fee item        pk FEES, sk FEE#{fee_id}                       (a tenant has tens of them)
- meter reading   pk READINGS#{fee_id}#{period}, sk UNIT#{unit_id}
- billing run     pk RUN#{run_id}, sk RUN; gsi1 = the tenant's runs by run id (newest first); while running,
                  ``due_pk``/``due_sk`` put it in the active-runs partition of the ``due`` index (the sweep's)
- run chunk       pk RUN#{run_id}, sk CHUNK#{index}             (the queue message, kept to re-queue it)
- bill            pk BILL#{bill_id}, sk BILL; gsi1 = the tenant's bills by ``{site}#{period}#{unit}``,
                  gsi2 = a unit's bills by period; while unpaid and a reminder is ahead, ``due_pk``/``due_sk``
                  put it in the reminder index
- checkout lock   pk BILL#{bill_id}, sk CHECKOUT                 (the checkout in flight for the bill, until)
- ledger entry    pk LEDGER#{unit_id}, sk E#{at}#{entry_id}      (immutable; the unit's balance is their sum)
- credit          pk CREDIT#{site_id}, sk UNIT#{unit_id}         (a unit's unapplied overpayment)
- payment         pk PAY#{payment_id}, sk PAY; once settled (or flagged), ``day_pk``/``day_sk`` put it in the
                  settlement-day index that reconciliation reads
- refund          pk PAY#{payment_id}, sk REFUND#{refund_id}
- claims          IDEM (client retries of checkout, refunds and fee items), EVENT (a provider event applied
                  once)
- settings        pk SETTINGS, sk PAYMENTS                       (reminder ladder, quiet hours)
- reconciliation  pk RECON, sk {date}
"""

from __future__ import annotations

from courtyard.dynamo import tenant_key

# The reminder and settlement-day indexes are the two cross-tenant reads (scheduled jobs ask "which bills
# need a reminder now?" and "what settled on this day?"); the reminder index is write-sharded.
DUE_SHARDS = 8


def fee_items(tenant_id: str) -> str:
    return tenant_key(tenant_id, "FEES")


def fee_item(tenant_id: str, fee_id: str) -> dict[str, str]:
    return {"pk": fee_items(tenant_id), "sk": f"FEE#{fee_id}"}


def readings(tenant_id: str, fee_id: str, period: str) -> str:
    return tenant_key(tenant_id, "READINGS", fee_id, period)


def reading(tenant_id: str, fee_id: str, period: str, unit_id: str) -> dict[str, str]:
    return {"pk": readings(tenant_id, fee_id, period), "sk": f"UNIT#{unit_id}"}


def run(tenant_id: str, run_id: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "RUN", run_id), "sk": "RUN"}


def run_chunk(tenant_id: str, run_id: str, index: int) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "RUN", run_id), "sk": f"CHUNK#{index:05d}"}


def tenant_runs(tenant_id: str) -> str:
    """gsi1pk: every billing run of the tenant; gsi1sk is the run id (a ULID: newest last)."""
    return tenant_key(tenant_id, "RUNS")


# The ``due`` index's partition of billing runs still running, across tenants: a handful at any time.
ACTIVE_RUNS = "PAYRUNS"


def active_run_sort(tenant_id: str, run_id: str) -> str:
    return f"{tenant_id}#{run_id}"


def bill(tenant_id: str, bill_id: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "BILL", bill_id), "sk": "BILL"}


def checkout_lock(tenant_id: str, bill_id: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "BILL", bill_id), "sk": "CHECKOUT"}


def tenant_bills(tenant_id: str) -> str:
    """gsi1pk: every bill of the tenant; gsi1sk ``{site}#{period}#{unit}`` narrows to a site and period."""
    return tenant_key(tenant_id, "BILLS")


def bill_order(site_id: str, period: str, unit_id: str) -> str:
    return f"{site_id}#{period}#{unit_id}"


def unit_bills(tenant_id: str, unit_id: str) -> str:
    """gsi2pk: a unit's bills; gsi2sk is ``{period}#{bill_id}``."""
    return tenant_key(tenant_id, "UNITBILLS", unit_id)


def ledger(tenant_id: str, unit_id: str) -> str:
    return tenant_key(tenant_id, "LEDGER", unit_id)


def ledger_entry(tenant_id: str, unit_id: str, at: str, entry_id: str) -> dict[str, str]:
    return {"pk": ledger(tenant_id, unit_id), "sk": f"E#{at}#{entry_id}"}


def credits(tenant_id: str, site_id: str) -> str:
    return tenant_key(tenant_id, "CREDIT", site_id)


def credit(tenant_id: str, site_id: str, unit_id: str) -> dict[str, str]:
    return {"pk": credits(tenant_id, site_id), "sk": f"UNIT#{unit_id}"}


def receipt_counter(tenant_id: str, year: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "RECEIPTNO"), "sk": year}


def payment(tenant_id: str, payment_id: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "PAY", payment_id), "sk": "PAY"}


def refund(tenant_id: str, payment_id: str, refund_id: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "PAY", payment_id), "sk": f"REFUND#{refund_id}"}


def payment_partition(tenant_id: str, payment_id: str) -> str:
    return tenant_key(tenant_id, "PAY", payment_id)


def idempotency_claim(tenant_id: str, scope: str, user_id: str, key_digest: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "IDEM", scope, user_id, key_digest), "sk": "CLAIM"}


def event_claim(tenant_id: str, provider: str, event_digest: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "EVENT", provider, event_digest), "sk": "CLAIM"}


def settings(tenant_id: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "SETTINGS"), "sk": "PAYMENTS"}


def reconciliation(tenant_id: str, day: str) -> dict[str, str]:
    return {"pk": tenant_key(tenant_id, "RECON"), "sk": day}


def due_partition(bill_id: str) -> str:
    """The reminder-index shard of a bill, stable for its life."""
    return f"PAYDUE#{sum(bill_id.encode()) % DUE_SHARDS}"


def due_shard(shard: int) -> str:
    return f"PAYDUE#{shard}"


def due_sort(next_reminder_on: str, tenant_id: str, bill_id: str) -> str:
    return f"{next_reminder_on}#{tenant_id}#{bill_id}"


# The ``due`` index's partitions of WeChat Pay / Alipay orders still open (created, not settled or closed),
# by creation time: the close job's. An order leaves them when its payment is saved again. Every tenant's
# checkouts write them, so they are sharded by firm like the settlement day (bench/scale.py).
OPEN_ORDER_SHARDS = 8


def open_orders(tenant_id: str) -> str:
    return f"PAYOPEN#{sum(tenant_id.encode()) % OPEN_ORDER_SHARDS}"


def every_open_orders() -> list[str]:
    return [f"PAYOPEN#{shard}" for shard in range(OPEN_ORDER_SHARDS)]


def open_order_sort(created_at: str, tenant_id: str, payment_id: str) -> str:
    return f"{created_at}#{tenant_id}#{payment_id}"


# The settlement-day index is written by every tenant's payments: on a due day of 10 million households (a
# few million payments, peaks of thousands a second) one partition would pass DynamoDB's 1,000 writes a
# second and throttle the table through the index. Sixteen shards per day keep each under it (bench/scale).
# A firm's payments share one shard (by its tenant id), so its figures still read one partition a day.
DAY_SHARDS = 16


def settlement_day(day: str, tenant_id: str | None = None) -> str:
    """The settlement-day partition of a firm's payments (its shard, stable), or the day's legacy unsharded
    one (payments settled before the index was sharded)."""
    if tenant_id is None:
        return f"PAYDAY#{day}"
    return f"PAYDAY#{day}#{sum(tenant_id.encode()) % DAY_SHARDS}"


def settlement_days(day: str) -> list[str]:
    """Every partition reconciliation reads for a day: its shards and the legacy unsharded one."""
    return [*(f"PAYDAY#{day}#{shard}" for shard in range(DAY_SHARDS)), settlement_day(day)]
