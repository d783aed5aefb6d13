"""The directory's key scheme and a read-only view of it for every feature.

Features never import the directory feature; they read tenants, units, people and staff through this
module (DESIGN.md). The directory feature writes the same keys, so the scheme lives here, once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from courtyard import aws

# The key scheme lives in its own module; features import it from here as before.
from courtyard.directory_keys import Keys as Keys
from courtyard.directory_views import (
    ContactView as ContactView,
)
from courtyard.directory_views import (
    ProxyView as ProxyView,
)
from courtyard.directory_views import (
    ResidentUnitView as ResidentUnitView,
)
from courtyard.directory_views import (
    ResidentView as ResidentView,
)
from courtyard.directory_views import (
    StaffView as StaffView,
)
from courtyard.directory_views import (
    StaffZoneView as StaffZoneView,
)

# The views the reader returns live in their own module; features import them from here as before.
from courtyard.directory_views import (
    TenantView as TenantView,
)
from courtyard.directory_views import (
    UnitMemberView as UnitMemberView,
)
from courtyard.directory_views import (
    UnitView as UnitView,
)
from courtyard.directory_views import (
    UserLink as UserLink,
)
from courtyard.duty import DutyCalendar, RosterLine, calendar_of, roster_lines
from courtyard.standing import AccountStanding, standing_of

_deserializer = TypeDeserializer()


class DirectoryReader:
    """Read-only access to the directory table, with a short cache for the per-request tenant check."""

    TENANT_TTL_SECONDS = 60.0
    # A deactivated or demoted staff account loses access within this time (issue 17).
    STANDING_TTL_SECONDS = 60.0

    def __init__(
        self, table_name: str, client: Any | None = None, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._table = table_name
        self._client = client
        self._monotonic = monotonic
        self._tenants: dict[str, tuple[float, TenantView | None]] = {}
        self._standings: dict[tuple[str, str], tuple[float, AccountStanding | None]] = {}
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = aws.client("dynamodb")
        return self._client

    def tenant(self, tenant_id: str) -> TenantView | None:
        """The tenant record, cached for a minute: a suspension takes effect within that time."""
        now = self._monotonic()
        with self._lock:
            cached = self._tenants.get(tenant_id)
        if cached is not None and 0 <= now - cached[0] < self.TENANT_TTL_SECONDS:
            return cached[1]
        item = self._get(Keys.tenant(tenant_id))
        view = (
            TenantView(
                tenant_id=tenant_id,
                name=str(item.get("name", "")),
                status=str(item.get("status", "active")),
                timezone=str(item.get("timezone", "Asia/Shanghai")),
                currency=str(item.get("currency", "CNY")),
                locale=str(item.get("locale", "zh-CN")),
            )
            if item
            else None
        )
        with self._lock:
            self._tenants[tenant_id] = (now, view)
        return view

    def standing(self, tenant_id: str, user_id: str) -> AccountStanding | None:
        """The account's standing, cached for a minute; None when the directory has no record of the user.

        See courtyard.standing: staff stand as their record says, residents hold the resident role only.
        """
        now = self._monotonic()
        key = (tenant_id, user_id)
        with self._lock:
            cached = self._standings.get(key)
        if cached is not None and 0 <= now - cached[0] < self.STANDING_TTL_SECONDS:
            return cached[1]
        standing = standing_of(
            self._get, Keys.user(tenant_id, user_id), lambda staff_id: Keys.staff(tenant_id, staff_id)
        )
        with self._lock:
            self._standings[key] = (now, standing)
        return standing

    def unit(self, tenant_id: str, unit_id: str) -> UnitView | None:
        item = self._get(Keys.unit(tenant_id, unit_id))
        return _unit_view(tenant_id, item) if item else None

    def site_units(self, tenant_id: str, site_id: str) -> list[UnitView]:
        """Every unit of a site in room order (gsi1; a site has hundreds to a few thousand units)."""
        items = self._query_all(
            {
                "TableName": self._table,
                "IndexName": "gsi1",
                "KeyConditionExpression": "gsi1pk = :pk",
                "ExpressionAttributeValues": {":pk": {"S": Keys.site_units_index(tenant_id, site_id)}},
            }
        )
        return [_unit_view(tenant_id, item) for item in items if str(item.get("sk")) == "UNIT"]

    def unit_members(self, tenant_id: str, unit_id: str) -> list[UnitMemberView]:
        """The residents linked to a unit (erased people left out), primary contact first."""
        items = self._query_all(
            {
                "TableName": self._table,
                "KeyConditionExpression": "pk = :pk AND begins_with(sk, :res)",
                "ExpressionAttributeValues": {
                    ":pk": {"S": Keys.unit_partition(tenant_id, unit_id)},
                    ":res": {"S": "RES#"},
                },
            }
        )
        members = [
            UnitMemberView(
                unit_id=unit_id,
                resident_id=str(item["resident_id"]),
                relation=str(item.get("relation", "family")),
                primary=bool(item.get("primary", False)),
            )
            for item in items
            if not item.get("erased_at")
        ]
        return sorted(members, key=lambda member: (not member.primary, member.resident_id))

    def site_resident_links(self, tenant_id: str, site_id: str) -> list[ResidentUnitView]:
        """Every resident-unit link of a site (gsi1 of the resident side), as (unit, site, primary)."""
        items = self._query_all(
            {
                "TableName": self._table,
                "IndexName": "gsi1",
                "KeyConditionExpression": "gsi1pk = :pk",
                "ExpressionAttributeValues": {":pk": {"S": Keys.site_residents_index(tenant_id, site_id)}},
            }
        )
        return [
            ResidentUnitView(
                unit_id=str(item["unit_id"]),
                site_id=site_id,
                primary=bool(item.get("primary", False)),
                resident_id=str(item["resident_id"]),
            )
            for item in items
            if not item.get("erased_at")
        ]

    def user(self, tenant_id: str, user_id: str) -> UserLink | None:
        item = self._get(Keys.user(tenant_id, user_id))
        if not item:
            return None
        return UserLink(kind=str(item["kind"]), person_id=str(item["person_id"]))

    def unit_ids_of_resident(self, tenant_id: str, resident_id: str) -> list[str]:
        """The units a resident is linked to (any relation)."""
        response = self.client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :unit)",
            ExpressionAttributeValues={
                ":pk": {"S": Keys.resident_partition(tenant_id, resident_id)},
                ":unit": {"S": "UNIT#"},
            },
            ProjectionExpression="sk",
        )
        return [str(item["sk"]["S"]).removeprefix("UNIT#") for item in response.get("Items", [])]

    def staff_members(self, tenant_id: str) -> list[StaffView]:
        """Every staff member of the tenant (the gsi1 staff list; a firm has tens, not thousands)."""
        items = self._query_all(
            {
                "TableName": self._table,
                "IndexName": "gsi1",
                "KeyConditionExpression": "gsi1pk = :pk",
                "ExpressionAttributeValues": {":pk": {"S": Keys.staff_index(tenant_id)}},
            }
        )
        return [_staff_view(item) for item in items]

    def site_exists(self, tenant_id: str, site_id: str) -> bool:
        return self._get(Keys.site(tenant_id, site_id)) is not None

    def site_names(self, tenant_id: str) -> dict[str, str]:
        """The firm's communities: site id -> name (one partition; a firm has one to twenty)."""
        items = self._query_all(
            {
                "TableName": self._table,
                "KeyConditionExpression": "pk = :pk AND begins_with(sk, :site)",
                "ExpressionAttributeValues": {":pk": {"S": Keys.sites(tenant_id)}, ":site": {"S": "SITE#"}},
            }
        )
        return {str(i["sk"]).removeprefix("SITE#"): str(i.get("name", "")) for i in items}

    def staff_member(self, tenant_id: str, staff_id: str) -> StaffView | None:
        item = self._get(Keys.staff(tenant_id, staff_id))
        return _staff_view(item) if item else None

    def resident(self, tenant_id: str, resident_id: str) -> ResidentView | None:
        item = self._get(Keys.resident(tenant_id, resident_id))
        if not item:
            return None
        user_id = item.get("user_id")
        return ResidentView(
            resident_id=resident_id,
            user_id=str(user_id) if user_id else None,
            erased=bool(item.get("erased_at")),
        )

    def resident_links(self, tenant_id: str, resident_id: str, sk: str = "UNIT#") -> list[ResidentUnitView]:
        """The resident's unit links (the ``UNIT#`` items of their partition; ``PAST#``: the ended ones),
        primary first."""
        items = self._query_all(
            {
                "TableName": self._table,
                "KeyConditionExpression": "pk = :pk AND begins_with(sk, :unit)",
                "ExpressionAttributeValues": {
                    ":pk": {"S": Keys.resident_partition(tenant_id, resident_id)},
                    ":unit": {"S": sk},
                },
            }
        )
        links = [
            ResidentUnitView(
                unit_id=str(item.get("unit_id") or str(item["sk"]).removeprefix("UNIT#")),
                site_id=str(item.get("site_id", "")),
                primary=bool(item.get("primary", False)),
            )
            for item in items
        ]
        return sorted(links, key=lambda link: (not link.primary, link.unit_id))

    def every_unit_link(self, tenant_id: str, resident_id: str) -> list[ResidentUnitView]:
        """Current and ended unit links, one per unit: what an erasure must reach in every feature."""
        ended, current = (self.resident_links(tenant_id, resident_id, p) for p in ("PAST#", "UNIT#"))
        return sorted({link.unit_id: link for link in [*ended, *current]}.values(), key=lambda x: x.unit_id)

    def proxy_links(self, tenant_id: str, resident_id: str) -> list[ResidentUnitView]:
        """The units a resident acts for as an active family proxy (``primary`` is always False)."""
        items = self._query_all(
            {
                "TableName": self._table,
                "KeyConditionExpression": "pk = :pk AND begins_with(sk, :proxy)",
                "ExpressionAttributeValues": {
                    ":pk": {"S": Keys.resident_partition(tenant_id, resident_id)},
                    ":proxy": {"S": "PROXY#"},
                },
            }
        )
        return [
            ResidentUnitView(
                unit_id=str(item["unit_id"]), site_id=str(item.get("site_id", "")), primary=False
            )
            for item in items
        ]

    def unit_proxies(self, tenant_id: str, unit_id: str) -> list[ProxyView]:
        """A unit's active family proxies."""
        items = self._query_all(
            {
                "TableName": self._table,
                "KeyConditionExpression": "pk = :pk AND begins_with(sk, :proxy)",
                "ExpressionAttributeValues": {
                    ":pk": {"S": Keys.unit_partition(tenant_id, unit_id)},
                    ":proxy": {"S": "PROXY#"},
                },
            }
        )
        return [_proxy_view(item) for item in items if item.get("status") == "active"]

    def site_proxies(self, tenant_id: str, site_id: str) -> list[ProxyView]:
        """Every active family proxy of a site's units (gsi1; only active links are in the index)."""
        items = self._query_all(
            {
                "TableName": self._table,
                "IndexName": "gsi1",
                "KeyConditionExpression": "gsi1pk = :pk",
                "ExpressionAttributeValues": {":pk": {"S": Keys.site_proxies_index(tenant_id, site_id)}},
            }
        )
        return [_proxy_view(item) for item in items if item.get("status") == "active"]

    def contact(self, tenant_id: str, kind: str, person_id: str) -> ContactView | None:
        """A resident's or staff member's contact data (None if unknown, erased or inactive staff)."""
        if kind == "resident":
            item = self._get(Keys.resident(tenant_id, person_id))
        elif kind == "staff":
            item = self._get(Keys.staff(tenant_id, person_id))
        else:
            raise ValueError(f"unknown person kind {kind!r}")
        if not item or item.get("erased_at") or not item.get("active", True):
            return None
        return ContactView(
            kind=kind,
            person_id=person_id,
            name=str(item.get("name", "")),
            user_id=str(item["user_id"]) if item.get("user_id") else None,
            email=str(item["email"]) if item.get("email") else None,
            phone_enc=str(item["phone_enc"]) if item.get("phone_enc") else None,
            locale=str(item["locale"]) if item.get("locale") else None,
        )

    def unit_in_care(self, tenant_id: str, unit_id: str) -> bool:
        """Whether someone living in the unit is on the care list (关爱名单): its emergencies are critical."""
        members = self.unit_members(tenant_id, unit_id)
        profiles = [self._get(Keys.resident(tenant_id, m.resident_id)) for m in members]
        return any(profile and profile.get("care") for profile in profiles)

    def duty_calendar(self, tenant_id: str) -> DutyCalendar:
        """The firm's duty calendar (defaults when the firm has entered none), in the firm's time zone."""
        firm = self.tenant(tenant_id)
        timezone = firm.timezone if firm else "Asia/Shanghai"
        item = self._get(Keys.duty_calendar(tenant_id))
        return calendar_of(item or {}, timezone)

    def duty_roster(self, tenant_id: str, site_id: str) -> tuple[RosterLine, ...]:
        item = self._get(Keys.duty_roster(tenant_id, site_id))
        return roster_lines(item or {})

    def _query_all(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            response = self.client.query(**params)
            items.extend(
                {k: _deserializer.deserialize(v) for k, v in item.items()}
                for item in response.get("Items", [])
            )
            last = response.get("LastEvaluatedKey")
            if not last:
                return items
            params = {**params, "ExclusiveStartKey": last}

    def _get(self, key: dict[str, str]) -> dict[str, Any] | None:
        response = self.client.get_item(
            TableName=self._table,
            Key={name: {"S": value} for name, value in key.items()},
            ConsistentRead=False,
        )
        item = response.get("Item")
        return {k: _deserializer.deserialize(v) for k, v in item.items()} if item else None


def _unit_view(tenant_id: str, item: dict[str, Any]) -> UnitView:
    return UnitView(
        tenant_id=tenant_id,
        unit_id=str(item["unit_id"]),
        site_id=str(item["site_id"]),
        building_id=str(item.get("building_id", "")),
        room_key=str(item.get("room_key", "")),
        kind=str(item.get("kind", "residential")),
        label=str(item.get("label", item.get("room_key", ""))),
        area_centi_m2=int(item.get("area_centi_m2", 0)),
        occupancy=str(item.get("occupancy", "vacant")),
    )


def _proxy_view(item: dict[str, Any]) -> ProxyView:
    user_id = item.get("proxy_user_id")
    return ProxyView(
        unit_id=str(item["unit_id"]),
        site_id=str(item.get("site_id", "")),
        proxy_id=str(item["proxy_id"]),
        resident_id=str(item["proxy_resident_id"]),
        user_id=str(user_id) if user_id else None,
    )


def _staff_view(item: dict[str, Any]) -> StaffView:
    user_id = item.get("user_id")
    return StaffView(
        staff_id=str(item["staff_id"]),
        user_id=str(user_id) if user_id else None,
        name=str(item.get("name", "")),
        roles=frozenset(str(role) for role in item.get("roles", ())),
        skills=frozenset(str(skill) for skill in item.get("skills", ())),
        zones=tuple(
            StaffZoneView(
                site_id=str(zone.get("site_id", "")),
                building_ids=tuple(str(b) for b in zone.get("building_ids", ())),
            )
            for zone in item.get("zones", ())
        ),
        on_duty=bool(item.get("on_duty", False)),
        active=bool(item.get("active", True)),
    )
