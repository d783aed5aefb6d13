"""What the tickets table holds about a reporter, anonymised when their data is erased (``ResidentErased``).

A reporter's tickets are found on gsi2 (``REPORTER#{user_id}``). Of each, the person's own words and marks
go: the description and the rating comment they typed, their comments' bodies, their notes on the timeline,
the file names of the photos they uploaded; their user id becomes ``erased`` wherever it stood (reporter,
filer, timeline actor, comment author, photo uploader). The ticket's shape, times, status history, category,
place and rating stay for the firm's statistics. The ticket item goes last (its version moves, so an action
saved from an older read fails its check instead of writing the words back): until it is done, the ticket
is still on the reporter's index and a redelivered event finishes the work; afterwards nothing is found.
"""

from __future__ import annotations

from typing import Any

from courtyard.table import Table, deserialize, serialize
from tickets import keys

ERASED_USER = "erased"
ERASED_TEXT = "已注销"


class ReporterScrubber:
    def __init__(self, table: Table) -> None:
        self._table = table

    def reported_ticket_ids(self, tenant_id: str, user_id: str) -> list[str]:
        """The tickets ``user_id`` reported (gsi2), every page."""
        params: dict[str, Any] = {
            "TableName": self._table.name,
            "IndexName": "gsi2",
            "KeyConditionExpression": "gsi2pk = :pk",
            "ExpressionAttributeValues": serialize({":pk": keys.reporter_index(tenant_id, user_id)}),
            "ProjectionExpression": "ticket_id",
        }
        found: list[str] = []
        while True:
            response = self._table.client.query(**params)
            found += [str(deserialize(item)["ticket_id"]) for item in response.get("Items", [])]
            if not response.get("LastEvaluatedKey"):
                return found
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def scrub_ticket(self, tenant_id: str, ticket_id: str, user_id: str) -> None:
        """Anonymise one reported ticket: its history first, the ticket item (and its index entry) last."""
        partition = keys.ticket_partition(tenant_id, ticket_id)
        for item in self._table.query_all(partition=partition, consistent=True):
            sk = str(item["sk"])
            key = {"pk": partition, "sk": sk}
            if sk.startswith("TL#") and item.get("actor") == user_id:
                self._set(key, "SET actor = :erased REMOVE #note", {":erased": ERASED_USER}, "#note", "note")
            elif sk.startswith("COMMENT#") and item.get("author_user_id") == user_id:
                self._set(
                    key,
                    "SET author_user_id = :erased, #body = :text",
                    {":erased": ERASED_USER, ":text": ERASED_TEXT},
                    "#body",
                    "body",
                )
            elif sk.startswith("PHOTO#") and item.get("uploaded_by") == user_id:
                self._set(
                    key,
                    "SET uploaded_by = :erased REMOVE #file",
                    {":erased": ERASED_USER},
                    "#file",
                    "filename",
                )
        ticket = self._table.get(keys.ticket(tenant_id, ticket_id), consistent=True)
        if ticket is None or ticket.get("reporter_user_id") != user_id:
            return
        sets = [
            "reporter_user_id = :erased",
            "gsi2pk = :anonymous",
            "#description = :text",
        ]
        values: dict[str, Any] = {
            ":erased": ERASED_USER,
            ":anonymous": keys.reporter_index(tenant_id, ERASED_USER),
            ":text": ERASED_TEXT,
            ":user": user_id,
            ":one": 1,
        }
        if ticket.get("filed_by_user_id") == user_id:
            sets.append("filed_by_user_id = :erased")
        self._table.update(
            keys.ticket(tenant_id, ticket_id),
            "SET " + ", ".join(sets) + " REMOVE reporter_resident_id, rating_comment ADD version :one",
            values,
            names={"#description": "description"},
            condition="reporter_user_id = :user",
            conflict="the ticket was changed meanwhile",
        )

    def _set(
        self, key: dict[str, str], expression: str, values: dict[str, Any], alias: str, name: str
    ) -> None:
        self._table.update(
            key, expression, values, names={alias: name}, condition="attribute_exists(pk)", conflict="gone"
        )
