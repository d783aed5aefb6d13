"""One-off backfill: give every WeChat link of the identity table its account-side copy.

Links made before the account-side copy existed (``WECHAT#{digest}``/``LINK`` only) cannot be found from the
account, so erasing the person (``IdentityRepository.forget_account``, which reads the account's own
partition) left them behind. This writes ``ACCOUNT#{id}``/``WECHAT#{digest}`` for each such link, as
``link_wechat`` does today. Idempotent: a copy that exists is left as it is (conditional put), so running it
again, or on a table that needs nothing, writes nothing. A Scan, paged, run once per stage by an operator:
``python -m infra.backfill_wechat_links <IdentityTable name>`` (AWS credentials of the stage); never on a
request path.
"""

from __future__ import annotations

import sys
from typing import Any

import boto3
from botocore.exceptions import ClientError


def backfill(table_name: str, client: Any | None = None) -> int:
    """How many account-side copies were written."""
    dynamodb = client if client is not None else boto3.client("dynamodb")
    written = 0
    pages = dynamodb.get_paginator("scan").paginate(
        TableName=table_name,
        FilterExpression="begins_with(pk, :wechat) AND sk = :link",
        ExpressionAttributeValues={":wechat": {"S": "WECHAT#"}, ":link": {"S": "LINK"}},
        ProjectionExpression="pk, account_id, linked_at",
    )
    for page in pages:
        for link in page.get("Items", []):
            if "account_id" not in link:
                continue
            digest = link["pk"]["S"].removeprefix("WECHAT#")
            copy = {
                "pk": {"S": f"ACCOUNT#{link['account_id']['S']}"},
                "sk": {"S": f"WECHAT#{digest}"},
                "linked_at": link.get("linked_at", {"N": "0"}),
            }
            try:
                dynamodb.put_item(
                    TableName=table_name, Item=copy, ConditionExpression="attribute_not_exists(pk)"
                )
            except ClientError as err:
                if err.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise
                continue
            written += 1
    return written


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m infra.backfill_wechat_links <IdentityTable name>", file=sys.stderr)
        return 2
    print(f"account-side copies written: {backfill(argv[1])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
