"""The payments table beyond bills, payments and the ledger (those are ``payments/repository.py``):
bank statement lines, and what an erasure scrubs."""
