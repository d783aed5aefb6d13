"""Bulk imports in the directory table: jobs (the import job records) and plan_writer (a validated plan
written in bulk, idempotently)."""
