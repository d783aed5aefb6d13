"""What a resident does for a unit binds to their link to it at that moment (issue 17).

Filing a ticket and issuing a pass read the caller's unit links from the container's minute-long cache
(``courtyard.directory_cache``, issue 18), so a link the desk ended a few seconds ago may still be there.
The directory ends a link by deleting both of its items in one transaction (``directory/residency``); the
write that acts for the unit therefore carries, inside its own TransactWriteItems, a ``ConditionCheck``
that the resident's side of the link still exists. No call is added, and a link ended a moment ago
refuses the whole write: nothing of it is stored. Features never import the directory: they get the
condition item here, built from the kernel's key scheme.

A refused check answers 403 ``residency_ended`` and drops the caller's cached links, so their next request
reads the directory afresh (and meets a unit that is not theirs). The check goes last in the transaction:
DynamoDB lists the cancellation reasons in request order, so the last one tells it apart from the write's
own conditions (a taken Idempotency-Key, an existing item).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from botocore.exceptions import ClientError

from courtyard.directory_keys import Keys
from courtyard.dynamo import cancellation_reasons
from courtyard.errors import Forbidden

LIVE = "attribute_exists(pk)"


@dataclass(frozen=True, slots=True)
class LiveLink:
    """The resident's link a write acts through: their own unit link, or a family proxy's (``proxy``)."""

    tenant_id: str
    resident_id: str
    unit_id: str
    proxy: bool = False

    def key(self) -> dict[str, str]:
        """The resident's side of the link (``RES#{id}`` partition): the item an ending deletes."""
        if self.proxy:
            return Keys.resident_proxy(self.tenant_id, self.resident_id, self.unit_id)
        return Keys.resident_unit(self.tenant_id, self.resident_id, self.unit_id)


class ResidencyEnded(Forbidden):
    code = "residency_ended"


class LinkCache(Protocol):
    def forget_links(self, tenant_id: str, resident_id: str) -> None: ...


class LiveLinks:
    """Builds the condition a write carries, and reads a refused transaction for it."""

    def __init__(self, directory_table: str, cache: LinkCache | None = None) -> None:
        self._table = directory_table
        self._cache = cache

    def check(self, link: LiveLink) -> dict[str, Any]:
        """The ``ConditionCheck`` action: put it last in the write's transaction."""
        return {
            "ConditionCheck": {
                "TableName": self._table,
                "Key": {name: {"S": value} for name, value in link.key().items()},
                "ConditionExpression": LIVE,
            }
        }

    def refusal(self, link: LiveLink, error: BaseException) -> ResidencyEnded | None:
        """``ResidencyEnded`` when ``error`` (a Conflict from the write) is its transaction refused by the
        link's check, the last action; the caller's cached links are forgotten then. None otherwise."""
        cause = error if isinstance(error, ClientError) else error.__cause__
        if not isinstance(cause, ClientError):
            return None
        reasons = cancellation_reasons(cause)
        if not reasons or reasons[-1] != "ConditionalCheckFailed":
            return None
        if self._cache is not None:
            self._cache.forget_links(link.tenant_id, link.resident_id)
        return ResidencyEnded("this account is no longer linked to the unit")
