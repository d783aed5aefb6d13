"""The identity function's resolver and observability objects."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

from courtyard.api import build_resolver
from courtyard.tracing import Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = build_resolver(service_name="identity", logger=logger)
