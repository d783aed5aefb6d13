"""An erased resident's notifications go: devices first, then the records (pure service, fakes)."""

from __future__ import annotations

from notifications.services.erasure import PersonErasure

from schemas.events import ResidentErased


class Items:
    def __init__(self, arns: list[str], count: int) -> None:
        self.arns = arns
        self.count = count
        self.calls: list[str] = []

    def push_endpoint_arns(self, tenant_id: str, user_id: str) -> list[str]:
        self.calls.append(f"arns:{tenant_id}:{user_id}")
        return list(self.arns)

    def delete_all(self, tenant_id: str, user_id: str) -> int:
        self.calls.append(f"delete:{tenant_id}:{user_id}")
        deleted, self.count, self.arns = self.count, 0, []
        return deleted


class Endpoints:
    def __init__(self, items: Items) -> None:
        self.items = items
        self.removed: list[str] = []

    def unregister(self, endpoint_arn: str) -> None:
        self.items.calls.append(f"unregister:{endpoint_arn}")
        self.removed.append(endpoint_arn)


def erased(user_id: str | None = "u-1") -> ResidentErased:
    return ResidentErased(tenant_id="T1", resident_id="R1", user_id=user_id)


def test_devices_are_unregistered_before_the_records_are_deleted():
    items = Items(["arn:1", "arn:2"], count=5)
    endpoints = Endpoints(items)

    deleted = PersonErasure(items, endpoints).forget(erased())

    assert deleted == 5
    assert items.calls == ["arns:T1:u-1", "unregister:arn:1", "unregister:arn:2", "delete:T1:u-1"]


def test_a_redelivered_erasure_finds_nothing_left():
    items = Items(["arn:1"], count=3)
    erasure = PersonErasure(items, Endpoints(items))

    erasure.forget(erased())

    assert erasure.forget(erased()) == 0


def test_a_resident_who_never_signed_in_has_nothing_to_erase():
    items = Items(["arn:1"], count=3)

    assert PersonErasure(items, Endpoints(items)).forget(erased(None)) == 0
    assert items.calls == []
