"""Payments: fee items, billing runs, bills, checkout through providers, signed webhooks, ledger."""
