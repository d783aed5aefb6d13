"""moto's TransactWriteItems deep-copies every table it touches before applying (to roll back on a
failure): with thousands of items that is seconds per transaction and gigabytes over a billing run, a
cost of the test double, not of DynamoDB. The benches use the local cloud's fix (``infra.local.moto_memory``):
the backup copies only the items a transaction names and shares the rest, so a failed transaction still
restores exactly what it touched, and moto keeps only its latest model instances.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from infra.local import moto_memory


@contextmanager
def lean_transaction_backups() -> Iterator[None]:
    """Install the fix for this process (it stays: it changes no answer moto gives)."""
    moto_memory.install()
    yield
