"""Keeps the moto server of the local cloud small however long it runs (issue 14: 12.9 GB after 13 minutes).

Three things in moto grow with every request rather than with the data:
- ``TransactWriteItems`` deep-copies every table it touches before applying, to roll back on a failure:
  seconds and a table's worth of memory per transaction. Here the backup shares every item the transaction
  does not name and deep-copies only the ones it names, so a failed transaction restores exactly what it
  touched (items it put, updated in place or deleted) at the cost of its own items.
- Every moto model instance ever created is kept in its class's ``instances_tracked`` list for the
  ``/moto-api`` dashboard: every DynamoDB item version, SQS message and backup copy stays alive for good.
  Here each class keeps its latest ``MODEL_HISTORY`` instances (the dashboard, and so ``python -m
  infra.local outbox``, shows the latest ones).
- What moto "sent" and what SQS deleted: SES ``sent_messages``, SNS ``sms_messages`` and
  ``sms_message_objects``, each push endpoint's ``messages``, and each queue's ``deleted_messages`` receipt
  handles are trimmed to the latest ``MODEL_HISTORY`` after each call that adds to them.

``install()`` patches moto's classes for the whole process (moto's backends are global to a process anyway);
it is idempotent and changes no answer moto gives to a request.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict, defaultdict, deque
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from functools import wraps
from typing import Any

MODEL_HISTORY = 1000

_touched = threading.local()
_installed = False
_install_lock = threading.Lock()


def install() -> None:
    """Patch moto (once per process)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        _bound_transaction_backups()
        _bound_instance_tracking()
        _bound_sent_and_deleted()
        _installed = True


# ---------------------------------------------------------------------------------------- transactions
def _bound_transaction_backups() -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    original = DynamoDBBackend.transact_write_items

    @wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        with _touching(_keys_by_table(self, transact_items)):
            original(self, transact_items)

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    Table.__deepcopy__ = _backup_of_touched_items  # type: ignore[attr-defined]


@contextmanager
def _touching(keys: dict[str, list[tuple[Any, Any]]]) -> Iterator[None]:
    _touched.keys = keys
    try:
        yield
    finally:
        _touched.keys = None


def _keys_by_table(backend: Any, transact_items: list[dict[str, Any]]) -> dict[str, list[tuple[Any, Any]]]:
    """``{table name: [(hash key, range key or None), ...]}`` of the items a transaction names."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    keys: dict[str, list[tuple[Any, Any]]] = defaultdict(list)
    for entry in transact_items:
        for operation in entry.values():
            table = backend.tables.get(operation.get("TableName"))
            key = operation.get("Key") or operation.get("Item")
            if table is None or not isinstance(key, dict) or table.hash_key_attr not in key:
                continue  # moto answers these itself (validation errors); nothing to back up
            range_value = key.get(table.range_key_attr) if table.range_key_attr else None
            keys[table.name].append(
                (DynamoType(key[table.hash_key_attr]), DynamoType(range_value) if range_value else None)
            )
    return keys


def _backup_of_touched_items(table: Any, memo: dict[int, Any]) -> Any:
    """The backup moto swaps back in when a transaction fails: this table's item index as it is now, the
    items the transaction names copied, every other item shared (the transaction cannot change it)."""
    keys = (getattr(_touched, "keys", None) or {}).get(table.name)
    if keys is None:
        # Not inside a transaction: someone really wants a copy of the whole table.
        clone = copy.copy(table)
        clone.items = copy.deepcopy(table.items, memo)
        return clone
    clone = copy.copy(table)
    items: defaultdict[Any, Any] = defaultdict(dict)
    for hash_value, value in table.items.items():
        items[hash_value] = dict(value) if table.has_range_key else value
    for hash_value, range_value in keys:
        if table.has_range_key:
            current = table.items.get(hash_value, {}).get(range_value)
            if current is not None:
                items[hash_value][range_value] = copy.deepcopy(current, memo)
        elif hash_value in table.items:
            items[hash_value] = copy.deepcopy(table.items[hash_value], memo)
    clone.items = items
    return clone


# ---------------------------------------------------------------------------------------- model tracking
class _LatestInstances(deque[Any]):
    """A class's latest instances. Iterating walks a copy: the dashboard reads while other requests of the
    threaded server create instances, which a plain deque refuses ("deque mutated during iteration") where
    moto's list did not."""

    def __iter__(self) -> Iterator[Any]:
        # list() drains the C iterator without running Python code in between, so no append interleaves.
        return iter(list(deque.__iter__(self)))


def _bound_instance_tracking() -> None:
    from moto.core.common_models import BaseModel

    def tracked_new(cls: Any, *_args: Any, **_kwargs: Any) -> Any:
        instance = super(BaseModel, cls).__new__(cls)
        tracked = cls.__dict__.get("instances_tracked")
        if not isinstance(tracked, _LatestInstances):
            # A class moto defined (or reset) with a plain list: keep its latest instances only.
            tracked = _LatestInstances(tracked or (), maxlen=MODEL_HISTORY)
            cls.instances_tracked = tracked
        tracked.append(instance)
        return instance

    BaseModel.__new__ = tracked_new  # type: ignore[method-assign]


# ---------------------------------------------------------------------------------------- sent and deleted
def _bound_sent_and_deleted() -> None:
    from moto.ses.models import SESBackend
    from moto.sns.models import PlatformEndpoint, SNSBackend
    from moto.sqs.models import Queue

    def trim_ses(backend: Any) -> None:
        del backend.sent_messages[:-MODEL_HISTORY]

    def trim_sns(backend: Any) -> None:
        _trim_mapping(backend.sms_messages)
        _trim_mapping(backend.sms_message_objects)

    def trim_endpoint(endpoint: Any) -> None:
        _trim_mapping(endpoint.messages)

    def trim_queue(queue: Any) -> None:
        # Receipt handles of deleted messages let a repeated delete succeed; only recent repeats happen.
        if len(queue.deleted_messages) > 10 * MODEL_HISTORY:
            queue.deleted_messages.clear()

    for name in ("send_email", "send_templated_email", "send_bulk_templated_email", "send_raw_email"):
        _trim_after(SESBackend, name, trim_ses)
    for name in ("publish", "publish_batch"):
        _trim_after(SNSBackend, name, trim_sns)
    _trim_after(PlatformEndpoint, "publish", trim_endpoint)
    _trim_after(Queue, "delete_message", trim_queue)


def _trim_after(cls: type, name: str, trim: Callable[[Any], None]) -> None:
    original = getattr(cls, name, None)
    if original is None:
        return

    @wraps(original)
    def call_then_trim(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(self, *args, **kwargs)
        finally:
            trim(self)

    setattr(cls, name, call_then_trim)


def _trim_mapping(mapping: MutableMapping[Any, Any]) -> None:
    """Drop the oldest entries (dicts keep insertion order) beyond MODEL_HISTORY."""
    excess = len(mapping) - MODEL_HISTORY
    if excess <= 0:
        return
    if isinstance(mapping, OrderedDict):
        for _ in range(excess):
            mapping.popitem(last=False)
        return
    for key in list(mapping)[:excess]:
        del mapping[key]
