"""The visitors' part of a person's export (``PersonalDataExportRequested``, issue 17): the passes they
issued and each pass's scans at the gates. The rule (``pass_record``, ``scan_record``, pure): the visitor
appears as the host typed their name and as the masks every screen shows (a visitor's phone and plate are
someone else's data: masked, never decrypted here); a pass's token is a credential, not data, and stays
out; a scan names no guard. A redelivered message rewrites the same part."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from courtyard.personal_export import PartWriter
from schemas.events import PersonalDataExportRequested

PASS_FIELDS = (
    "pass_id",
    "kind",
    "status",
    "site_id",
    "unit_id",
    "unit_label",
    "visitor_name",
    "phone_masked",
    "plate_masked",
    "note",
    "valid_from",
    "valid_until",
    "entries_allowed",
    "entries_used",
    "created_at",
)
SCAN_FIELDS = ("scanned_at", "gate_id", "direction", "verdict", "reason", "entry_number", "offline")


class PassRecords(Protocol):
    def hosted_passes(self, tenant_id: str, user_id: str) -> list[dict[str, Any]]: ...
    def pass_scans(self, tenant_id: str, pass_id: str) -> list[dict[str, Any]]: ...


def pass_record(item: Mapping[str, Any]) -> dict[str, Any]:
    return {f: item.get(f) for f in PASS_FIELDS if f in item}


def scan_record(item: Mapping[str, Any]) -> dict[str, Any]:
    return {f: item.get(f) for f in SCAN_FIELDS if f in item}


class VisitorsExport:
    def __init__(self, records: PassRecords, part: PartWriter) -> None:
        self._records = records
        self._part = part

    def write(self, asked: PersonalDataExportRequested, now: datetime) -> int:
        """Write the visitors' part; how many passes it holds (none without a login: passes have a host)."""
        t = asked.tenant_id
        passes = []
        for item in self._records.hosted_passes(t, asked.user_id) if asked.user_id else []:
            if item.get("host_user_id") != asked.user_id:
                continue
            record = pass_record(item)
            record["scans"] = [scan_record(s) for s in self._records.pass_scans(t, str(item["pass_id"]))]
            passes.append(record)
        passes.sort(key=lambda p: str(p.get("created_at") or ""))
        self._part.write(t, asked.export_id, now, {"passes": passes})
        return len(passes)
