"""Scheduled jobs drain what is due instead of taking a fixed number per run (issue 18: no throughput walls).

A job reads its sharded due index page by page, round-robin over the shards (so one busy shard cannot starve
the others), and handles items until none is left or the invocation is short of time; what it did not reach
stays due, and the next firing (a minute or an hour later) carries on where the index says. A fixed cap per
run (200 tickets, 400 messages, 1,600 devices a minute) would instead turn a burst, e.g. every held message
of a city at 07:00, into a backlog that grows while the cap is the limit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

# Stop taking new items this long before the function's timeout: one item's work (a few conditional writes
# and a publish, well under a second) plus the run's own metrics and logs fit in it.
RESERVE_MS = 5_000

Page = tuple[list[T], Mapping[str, Any] | None]


class TimeLeft(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


def out_of_time(context: TimeLeft | None, reserve_ms: int = RESERVE_MS) -> Callable[[], bool]:
    """``True`` once the invocation has less than ``reserve_ms`` left (never without a context: tests)."""

    def short() -> bool:
        return context is not None and context.get_remaining_time_in_millis() < reserve_ms

    return short


def shard_pages(fetch: Callable[[int, Mapping[str, Any] | None], Page[T]], shards: int) -> Iterator[T]:
    """Every item of every shard: ``fetch(shard, start_key)`` gives one page and the key to go on from
    (None at the end). Pages are taken lazily, round-robin, so a consumer that stops early reads no
    further."""
    cursors: dict[int, Mapping[str, Any] | None] = dict.fromkeys(range(shards))
    while cursors:
        for shard in list(cursors):
            items, last = fetch(shard, cursors[shard])
            yield from items
            if last:
                cursors[shard] = last
            else:
                del cursors[shard]
