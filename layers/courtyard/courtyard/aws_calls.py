"""Count AWS API calls, so tests and benchmarks can hold code to a call budget ("GET /me: at most 2 calls").

How calls are seen: botocore emits ``before-call.<service>.<Operation>`` once per API call (not per HTTP
retry) on the client's own event emitter. A client copies its session's emitter when it is created, so a
handler must be on the session *before* the client exists. Therefore:

- ``courtyard.aws`` installs one permanent dispatcher on its session before creating any client; every
  client it hands out, cached or not, reports to the counters active at the time of the call.
- ``count_aws_calls()`` also installs the dispatcher on boto3's default session, so clients created with
  ``boto3.client(...)`` *after* the first counter was opened are counted too.

Limitation: clients created before that moment from boto3's default session, and clients from other sessions
(e.g. ones a library builds for itself), are invisible unless passed to ``AwsCallCounter.watch(client)``.
Hand such libraries a ``courtyard.aws`` client instead (Powertools accepts ``boto3_client=``).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3

_HANDLER_ID = "courtyard-aws-call-counter"

_lock = threading.Lock()
_active: tuple[AwsCallCounter, ...] = ()


def install_dispatcher(events: Any) -> None:
    """Put the call dispatcher on a botocore event emitter (a session's or a client's); idempotent."""
    events.register("before-call", _dispatch, unique_id=_HANDLER_ID)


def _dispatch(event_name: str, model: Any = None, **_: Any) -> None:
    counters = _active  # a tuple swapped under the lock: reading it needs no lock
    if not counters:
        return
    service, operation = _call_name(event_name, model)
    for counter in counters:
        counter.add(service, operation)


def _call_name(event_name: str, model: Any) -> tuple[str, str]:
    # The operation model names the service as clients are created ("secretsmanager"), whereas the event name
    # uses the hyphenated service id ("secrets-manager"); prefer the former so budgets read like the code.
    if model is not None:
        return str(model.service_model.service_name), str(model.name)
    _, service, operation = [*event_name.split(".", 2), "", ""][:3]
    return service, operation


class AwsCallCounter:
    """Thread-safe tally of (service, operation) API calls while active."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[tuple[str, str]] = []

    # -- recording
    def add(self, service: str, operation: str) -> None:
        with self._lock:
            self._calls.append((service, operation))

    def start(self) -> AwsCallCounter:
        global _active
        install_dispatcher(boto3._get_default_session().events)
        with _lock:
            if self not in _active:
                _active = (*_active, self)
        return self

    def stop(self) -> None:
        global _active
        with _lock:
            _active = tuple(c for c in _active if c is not self)

    def watch(self, client: Any) -> Any:
        """Also count a client that did not come from ``courtyard.aws``; returns the client."""
        install_dispatcher(client.meta.events)
        return client

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()

    def __enter__(self) -> AwsCallCounter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- reading
    @property
    def total(self) -> int:
        with self._lock:
            return len(self._calls)

    @property
    def calls(self) -> list[tuple[str, str]]:
        """Every call in order, e.g. ``[("dynamodb", "GetItem"), ("events", "PutEvents")]``."""
        with self._lock:
            return list(self._calls)

    def by_operation(self) -> dict[tuple[str, str], int]:
        """``{("dynamodb", "GetItem"): 2, ...}``."""
        with self._lock:
            return dict(Counter(self._calls))

    def count(self, service: str, operation: str | None = None) -> int:
        """Calls to one service, or to one of its operations."""
        with self._lock:
            return sum(1 for s, o in self._calls if s == service and operation in (None, o))

    def __repr__(self) -> str:
        return f"AwsCallCounter(total={self.total}, by_operation={self.by_operation()})"


@contextmanager
def count_aws_calls() -> Iterator[AwsCallCounter]:
    """``with count_aws_calls() as calls: ...`` then ``assert calls.total <= 2``."""
    counter = AwsCallCounter()
    counter.start()
    try:
        yield counter
    finally:
        counter.stop()
