"""The payments table beyond bills, payments and the ledger (those are ``payments/repository.py``), by what
it keeps: bank statement lines, receipts, invoice requests, open provider orders, the settled payments the
month's figures read, and what an erasure scrubs."""
