"""A person's erasure in notifications (``ResidentErased``, issue 17): their push endpoints are removed from
SNS, then their inbox, preferences and endpoint records are deleted. Redelivery finds nothing left."""

from __future__ import annotations

from typing import Protocol

from schemas.events import ResidentErased


class Items(Protocol):
    def push_endpoint_arns(self, tenant_id: str, user_id: str) -> list[str]: ...
    def delete_all(self, tenant_id: str, user_id: str) -> int: ...


class Endpoints(Protocol):
    def unregister(self, endpoint_arn: str) -> None: ...


class PersonErasure:
    def __init__(self, items: Items, endpoints: Endpoints) -> None:
        self._items = items
        self._endpoints = endpoints

    def forget(self, erased: ResidentErased) -> int:
        """Everything notifications holds about the erased resident's login; the items deleted."""
        if not erased.user_id:
            return 0  # never signed in: no inbox, preferences or device
        # The devices first: a failure leaves the records that name them, so a retry can finish the job.
        for arn in self._items.push_endpoint_arns(erased.tenant_id, erased.user_id):
            self._endpoints.unregister(arn)
        return self._items.delete_all(erased.tenant_id, erased.user_id)
