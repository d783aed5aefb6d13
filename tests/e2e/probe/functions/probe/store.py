"""Where probes write what they saw, so tests can read it back through the AWS endpoint."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import boto3

_table = os.environ.get("PROBE_TABLE", "")
_client = boto3.client("dynamodb")


def remember(kind: str, key: str, payload: Any) -> None:
    _client.put_item(
        TableName=_table,
        Item={
            "pk": {"S": kind},
            "sk": {"S": f"{time.time():.6f}#{key}"},
            "payload": {"S": json.dumps(payload, default=str)},
        },
    )
