"""Calls per request (issue 18): count the AWS API calls of a warm container's request.

A Lambda container serves many requests; what a request costs is what it calls once the container is warm
(its clients built, its per-container caches filled). ``warm_calls`` runs a request once to warm the
container, then runs it again counting every botocore API call (``courtyard.aws_calls``: a ``before-call``
hook on the session every client comes from), and answers the second run's result and its calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from courtyard.aws_calls import AwsCallCounter, count_aws_calls

T = TypeVar("T")


def warm_calls(request: Callable[[], T]) -> tuple[T, AwsCallCounter]:
    """``request()`` once to warm the container, then again counted: ``(its result, its calls)``."""
    request()
    with count_aws_calls() as calls:
        result = request()
    return result, calls


def within(calls: AwsCallCounter, budget: int) -> bool:
    """Whether the counted calls fit the budget (the assertion's message lists them: ``calls.calls``)."""
    return calls.total <= budget
