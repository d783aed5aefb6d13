"""An SQS probe that reports partial batch failures: bodies containing "fail" fail every time."""

from __future__ import annotations

import os
from typing import Any

from probe.store import remember


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failures = []
    for record in event["Records"]:
        body = record["body"]
        attempt = record["attributes"]["ApproximateReceiveCount"]
        remember(
            "sqs", record["messageId"], {"body": body, "attempt": attempt, "batch": len(event["Records"])}
        )
        if "fail" in body:
            failures.append({"itemIdentifier": record["messageId"]})
    remember(
        "sqs-env", "env", {"ONLY_QUEUE": os.environ.get("ONLY_QUEUE"), "ONLY_API": os.environ.get("ONLY_API")}
    )
    return {"batchItemFailures": failures}
