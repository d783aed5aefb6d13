"""X-Ray tracing paid for only by the invocations that are traced.

Powertools' ``Tracer()`` imports the X-Ray SDK and patches every library it knows at cold start (about a
fifth of a handler's import). The functions run with ``Tracing: PassThrough``: an invocation is traced only
when its caller sampled it (API Gateway's sampling rule), so most invocations never record a segment. This
``Tracer`` has the one method the handlers use, ``capture_lambda_handler``, and builds Powertools' Tracer on
the first sampled invocation; an unsampled one runs the handler as it is. X-Ray patches botocore's client
class, so clients built before the first sampled invocation are traced too.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from courtyard.settings import trace_sampled

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer as PowertoolsTracer

H = TypeVar("H", bound=Callable[..., Any])


class Tracer:
    """Powertools' Tracer, built when an invocation is first sampled."""

    def __init__(self) -> None:
        self._tracer: PowertoolsTracer | None = None

    def capture_lambda_handler(self, *, capture_response: bool = False) -> Callable[[H], H]:
        def decorate(handler: H) -> H:
            traced: Callable[..., Any] | None = None

            @functools.wraps(handler)
            def run(event: Any, context: Any) -> Any:
                nonlocal traced
                if not trace_sampled():
                    return handler(event, context)
                if traced is None:
                    traced = self.real().capture_lambda_handler(handler, capture_response=capture_response)
                return traced(event, context)

            return run  # type: ignore[return-value]

        return decorate

    def real(self) -> PowertoolsTracer:
        if self._tracer is None:
            from aws_lambda_powertools import Tracer as PowertoolsTracer

            self._tracer = PowertoolsTracer()
        return self._tracer
