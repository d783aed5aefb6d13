"""An API probe: validation, path parameters, its own environment and an unexpected failure."""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel, Field

from courtyard.api import build_resolver

app = build_resolver("probe", tenant_lookup=None)


class Echo(BaseModel):
    message: str = Field(min_length=1, max_length=20)
    times: int = Field(ge=1, le=3)


@app.post("/echo")
def echo(body: Echo) -> dict[str, Any]:
    return {"echo": [body.message] * body.times}


@app.get("/env")
def environment() -> dict[str, str | None]:
    names = ("ONLY_API", "ONLY_QUEUE", "SHARED_SETTING", "AWS_LAMBDA_FUNCTION_NAME", "PROBE_TABLE")
    return {name: os.environ.get(name) for name in names}


@app.get("/items/<item_id>")
def item(item_id: str) -> dict[str, Any]:
    event = app.current_event
    return {
        "item_id": item_id,
        "resource": event.resource,
        "path": event.path,
        "query": event.query_string_parameters,
        "method": event.http_method,
    }


@app.get("/boom")
def boom() -> None:
    raise RuntimeError("probe exploded at /var/task/probe/api.py")


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
