"""moto's TransactWriteItems deep-copies every table it touches before applying (to roll back on a
failure): with thousands of items that is seconds per transaction and gigabytes over a billing run, a
cost of the test double, not of DynamoDB. Inside ``lean_transaction_backups()`` the backup copies the
table's item index instead (every partition's dict, sharing the items): a failed transaction still gets
back exactly the items it had, while an item a failed transaction had *updated in place* keeps the update.
The benchmarks' transactions do not fail, so their numbers are ours, not moto's copy.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.dynamodb.models.table import Table


def _lean_copy(table: Table, memo: dict[int, Any]) -> Table:  # noqa: ARG001  # deepcopy protocol
    clone = copy.copy(table)
    items: defaultdict[Any, Any] = defaultdict(dict)
    for key, value in table.items.items():
        items[key] = dict(value) if table.has_range_key else value
    clone.items = items
    return clone


@contextmanager
def lean_transaction_backups() -> Iterator[None]:
    previous = getattr(Table, "__deepcopy__", None)
    Table.__deepcopy__ = _lean_copy  # type: ignore[attr-defined]
    try:
        yield
    finally:
        if previous is None:
            del Table.__deepcopy__  # type: ignore[attr-defined]
        else:
            Table.__deepcopy__ = previous  # type: ignore[attr-defined]
