"""The template's SQS event source mappings on the local cloud: one poller per enabled ``SQS`` event, and
their stop.

Each poller long-polls for ``LONG_POLL_S`` seconds, SQS's longest. moto answers a long poll as soon as a
message arrives (its queue wakes the waiting receive; a delayed or returning message is seen within a second,
moto re-checking the queue every second of the poll), so a message is delivered as quickly as with a
one-second poll, but an idle queue costs a twentieth of the requests: with about fifteen queues a one-second
poll kept the moto server busy with some fifteen empty receives a second, about 5 ms of CPU each (client and
server) on the machine the stories and the end-to-end tests share. The poll was 5 s while the stop waited
for the longest poll in flight. The pollers share one SQS client whose connection pool holds a
connection for every poller, so a long poll in flight never makes another poller open a new connection (and
moto's server a new thread) for each receive. The stop does not wait out a long poll in flight.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import boto3
from botocore.config import Config

from infra.local.provision import Stack
from infra.local.sqs_poller import SqsPoller
from infra.local.template import FunctionSpec, SqsEvent

# SQS long polling: at most 20 s; the stop does not wait for a poll in flight (see stop_pollers).
LONG_POLL_S = 20
# Connections kept besides one per poller (a poller's delete beside another's receive).
_SPARE_CONNECTIONS = 4

Invoke = Callable[[str, dict[str, Any]], Any]


def start_pollers(
    session: boto3.session.Session,
    endpoint: str,
    stack: Stack,
    functions: Iterable[FunctionSpec],
    invoke: Invoke,
    region: str,
) -> list[SqsPoller]:
    """Start a poller for every enabled SQS event of ``functions``; returns them, running."""
    mappings = [(f, e) for f in functions for e in f.events_of(SqsEvent) if e.enabled]
    config = Config(max_pool_connections=len(mappings) + _SPARE_CONNECTIONS)
    sqs = session.client("sqs", endpoint_url=endpoint, config=config)
    pollers: list[SqsPoller] = []
    for function, event in mappings:
        queue_arn = stack.resolver.resolve_str(event.queue)
        queue_url = sqs.get_queue_url(QueueName=queue_arn.rsplit(":", 1)[-1])["QueueUrl"]
        poller = SqsPoller(
            sqs=sqs,
            queue_url=queue_url,
            queue_arn=queue_arn,
            invoke=_bound(invoke, function.logical_id),
            batch_size=event.batch_size,
            report_batch_item_failures=event.report_batch_item_failures,
            max_batching_window_s=event.maximum_batching_window,
            region=region,
            wait_time_s=LONG_POLL_S,
        )
        poller.start()
        pollers.append(poller)
    return pollers


# How long the stop waits for the pollers together. A poller with a long poll in flight notices the stop when
# its poll returns (at most LONG_POLL_S later, on a daemon thread): it then invokes nothing (the workers are
# stopped first and a stopped pool starts none) and deletes nothing, so waiting for it only added up to
# LONG_POLL_S + 1 seconds to every stop (each end of a test session, `make up`'s Ctrl-C, each stop test).
STOP_JOIN_S = 1.0


def stop_pollers(pollers: list[SqsPoller], asked_at: float) -> None:
    """Join pollers already told to stop (``request_stop`` at ``time.monotonic()`` ``asked_at``) against one
    deadline shared by all: the idle ones end at once, one in a long poll ends on its own when it returns."""
    deadline = asked_at + STOP_JOIN_S
    for poller in pollers:
        poller.stop(timeout_s=max(0.1, deadline - time.monotonic()), warn=False)


def _bound(invoke: Invoke, function_id: str) -> Callable[[dict[str, Any]], Any]:
    def call(event: dict[str, Any]) -> Any:
        return invoke(function_id, event)

    call.__name__ = f"invoke_{function_id}"
    return call
