"""The directory table's key scheme, shared by the directory feature (which writes it) and the kernel's
read-only view (``courtyard.directory``), so it lives once."""

from __future__ import annotations

from courtyard.dynamo import tenant_key


class Keys:
    """Partition and sort keys of the directory table. Every partition key is tenant-prefixed."""

    @staticmethod
    def tenant(tenant_id: str) -> dict[str, str]:
        return {"pk": tenant_key(tenant_id, "TENANT"), "sk": "TENANT"}

    @staticmethod
    def sites(tenant_id: str) -> str:
        return tenant_key(tenant_id, "SITES")

    @staticmethod
    def site(tenant_id: str, site_id: str) -> dict[str, str]:
        return {"pk": tenant_key(tenant_id, "SITES"), "sk": f"SITE#{site_id}"}

    @staticmethod
    def site_children(tenant_id: str, site_id: str) -> str:
        """Partition of a site's buildings (``BLDG#``) and room-number claims (``ROOM#``)."""
        return tenant_key(tenant_id, "SITE", site_id)

    @staticmethod
    def building(tenant_id: str, site_id: str, building_id: str) -> dict[str, str]:
        return {"pk": tenant_key(tenant_id, "SITE", site_id), "sk": f"BLDG#{building_id}"}

    @staticmethod
    def room_claim(tenant_id: str, site_id: str, room_key: str) -> dict[str, str]:
        """One item per (site, canonical room): a room number exists once, and imports stay idempotent."""
        return {"pk": tenant_key(tenant_id, "SITE", site_id), "sk": f"ROOM#{room_key}"}

    @staticmethod
    def unit(tenant_id: str, unit_id: str) -> dict[str, str]:
        return {"pk": tenant_key(tenant_id, "UNIT", unit_id), "sk": "UNIT"}

    @staticmethod
    def site_units_index(tenant_id: str, site_id: str) -> str:
        """gsi1pk of a site's units; gsi1sk is a padded room key, so lists come back in natural room order."""
        return tenant_key(tenant_id, "SITE", site_id, "UNITS")

    @staticmethod
    def site_residents_index(tenant_id: str, site_id: str) -> str:
        """gsi1pk of a site's resident links (the ``UNIT#`` side); gsi1sk is ``{room_key}#{resident_id}``."""
        return tenant_key(tenant_id, "SITE", site_id, "RESIDENTS")

    @staticmethod
    def unit_partition(tenant_id: str, unit_id: str) -> str:
        return tenant_key(tenant_id, "UNIT", unit_id)

    @staticmethod
    def unit_member(tenant_id: str, unit_id: str, resident_id: str) -> dict[str, str]:
        """A resident's link seen from the unit (``pk`` = the unit): who lives here."""
        return {"pk": tenant_key(tenant_id, "UNIT", unit_id), "sk": f"RES#{resident_id}"}

    @staticmethod
    def resident(tenant_id: str, resident_id: str) -> dict[str, str]:
        return {"pk": tenant_key(tenant_id, "RES", resident_id), "sk": "PROFILE"}

    @staticmethod
    def resident_partition(tenant_id: str, resident_id: str) -> str:
        return tenant_key(tenant_id, "RES", resident_id)

    @staticmethod
    def resident_unit(tenant_id: str, resident_id: str, unit_id: str) -> dict[str, str]:
        """The same link seen from the resident (``pk`` = the resident): where they live."""
        return {"pk": tenant_key(tenant_id, "RES", resident_id), "sk": f"UNIT#{unit_id}"}

    @staticmethod
    def residents_index(tenant_id: str) -> str:
        """gsi1pk of every resident of the tenant."""
        return tenant_key(tenant_id, "RESIDENTS")

    @staticmethod
    def phone_claim(tenant_id: str, phone_digest: str) -> dict[str, str]:
        """Blind index: a keyed digest of a phone number -> the resident who owns it (dedupe, lookup)."""
        return {"pk": tenant_key(tenant_id, "PHONE", phone_digest), "sk": "PHONE"}

    @staticmethod
    def staff(tenant_id: str, staff_id: str) -> dict[str, str]:
        return {"pk": tenant_key(tenant_id, "STAFF", staff_id), "sk": "PROFILE"}

    @staticmethod
    def staff_index(tenant_id: str) -> str:
        """gsi1pk of every staff member of the tenant."""
        return tenant_key(tenant_id, "STAFFLIST")

    @staticmethod
    def user(tenant_id: str, user_id: str) -> dict[str, str]:
        """A Cognito user (``sub``) -> the person record (resident or staff) it signs in as."""
        return {"pk": tenant_key(tenant_id, "USER", user_id), "sk": "USER"}

    @staticmethod
    def invite(tenant_id: str, secret_digest: str) -> dict[str, str]:
        return {"pk": tenant_key(tenant_id, "INVITE", secret_digest), "sk": "INVITE"}

    @staticmethod
    def unit_proxy(tenant_id: str, unit_id: str, proxy_id: str) -> dict[str, str]:
        """A family proxy link seen from the unit (子女代办): who may act for its household, and its state."""
        return {"pk": tenant_key(tenant_id, "UNIT", unit_id), "sk": f"PROXY#{proxy_id}"}

    @staticmethod
    def resident_proxy(tenant_id: str, resident_id: str, unit_id: str) -> dict[str, str]:
        """An active proxy link seen from the proxy (``pk`` = their resident record): a unit they act for."""
        return {"pk": tenant_key(tenant_id, "RES", resident_id), "sk": f"PROXY#{unit_id}"}

    @staticmethod
    def site_proxies_index(tenant_id: str, site_id: str) -> str:
        """gsi1pk of a site's active proxy links (the unit side): a fire alarm reaches them in one query."""
        return tenant_key(tenant_id, "SITE", site_id, "PROXIES")

    @staticmethod
    def proxy_code(tenant_id: str, secret_digest: str) -> dict[str, str]:
        return {"pk": tenant_key(tenant_id, "PROXYCODE", secret_digest), "sk": "PROXYCODE"}

    @staticmethod
    def duty_calendar(tenant_id: str) -> dict[str, str]:
        """The firm's duty calendar: holidays, make-up workdays, shift changes, the ladder's step time."""
        return {"pk": tenant_key(tenant_id, "DUTY"), "sk": "CALENDAR"}

    @staticmethod
    def duty_roster(tenant_id: str, site_id: str) -> dict[str, str]:
        """A community's roster: one item holding its lines (tens of staff, replaced whole)."""
        return {"pk": tenant_key(tenant_id, "DUTY", site_id), "sk": "ROSTER"}

    @staticmethod
    def import_job(tenant_id: str, import_id: str) -> dict[str, str]:
        return {"pk": tenant_key(tenant_id, "IMPORT", import_id), "sk": "IMPORT"}
