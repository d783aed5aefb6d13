"""The local cloud's SQS pollers: a long poll of LONG_POLL_S each, and a stop that joins all of them against
one short deadline rather than one wait each, and never waits out a long poll in flight."""

from __future__ import annotations

import time
from typing import Any

from infra.local.sqs_mappings import LONG_POLL_S, STOP_JOIN_S, stop_pollers


class _Poller:
    def __init__(self) -> None:
        self.timeouts: list[float] = []

    def stop(self, timeout_s: float = 30.0, *, warn: bool = True) -> None:
        self.timeouts.append(timeout_s)


def test_the_pollers_long_poll_more_than_a_second_and_within_sqs_limit():
    assert 1 < LONG_POLL_S <= 20


def test_the_stop_shares_one_deadline_of_a_long_poll_among_all_pollers():
    pollers: list[Any] = [_Poller() for _ in range(15)]
    asked = time.monotonic() - LONG_POLL_S  # asked one long poll ago: about a second is left for all
    stop_pollers(pollers, asked)
    waits = [p.timeouts[0] for p in pollers]
    assert all(0.1 <= w <= 1.0 for w in waits)
    assert sum(waits) < 15


def test_the_stop_does_not_wait_out_a_long_poll_in_flight():
    pollers: list[Any] = [_Poller() for _ in range(15)]
    stop_pollers(pollers, time.monotonic())  # asked just now: a long poll in flight has LONG_POLL_S to go
    waits = [p.timeouts[0] for p in pollers]
    assert STOP_JOIN_S < LONG_POLL_S
    assert all(w <= STOP_JOIN_S for w in waits)
