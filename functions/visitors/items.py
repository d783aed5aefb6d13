"""The visitors table's items and back: passes, visit-log lines and blocklist entries (the repository's
mapping, kept apart from its reads and writes)."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from courtyard.clock import epoch, parse_iso, to_iso
from visitors import keys
from visitors.models import (
    BlockEntry,
    BlockKind,
    Direction,
    EntryRecord,
    PassKind,
    PassStatus,
    Reason,
    Recurrence,
    Verdict,
    VisitorPass,
)


def pass_item(p: VisitorPass, retention: timedelta) -> dict[str, Any]:
    created = to_iso(p.created_at)
    item: dict[str, Any] = {
        **keys.visitor_pass(p.tenant_id, p.pass_id),
        "entity": "pass",
        "tenant_id": p.tenant_id,
        "pass_id": p.pass_id,
        "site_id": p.site_id,
        "unit_id": p.unit_id,
        "unit_label": p.unit_label,
        "host_user_id": p.host_user_id,
        "issued_by": p.issued_by,
        "kind": p.kind.value,
        "visitor_name": p.visitor_name,
        "visitor_phone_enc": p.visitor_phone_enc,
        "visitor_plate_enc": p.visitor_plate_enc,
        "phone_digest": p.phone_digest,
        "plate_digest": p.plate_digest,
        "phone_masked": p.phone_masked,
        "plate_masked": p.plate_masked,
        "gates": list(p.gates) or None,
        "valid_from": to_iso(p.valid_from),
        "valid_until": to_iso(p.valid_until),
        "entries_allowed": p.entries_allowed,
        "entries_used": p.entries_used,
        "status": p.status.value,
        "note": p.note,
        "token": p.token,
        "kid": p.kid,
        "created_at": created,
        "gsi1pk": keys.host_index(p.tenant_id, p.host_user_id),
        "gsi1sk": f"{created}#{p.pass_id}",
        "gsi2pk": keys.site_passes_index(p.tenant_id, p.site_id),
        "gsi2sk": f"{created}#{p.pass_id}",
        "ttl": epoch(p.valid_until + retention),
    }
    if p.recurrence is not None:
        item["recurrence"] = {
            "days": list(p.recurrence.days),
            "start": p.recurrence.start.strftime("%H:%M"),
            "end": p.recurrence.end.strftime("%H:%M"),
        }
    if p.plate_digest:
        item["gsi3pk"] = keys.plate_index(p.tenant_id, p.site_id, p.plate_digest)
        item["gsi3sk"] = f"{to_iso(p.valid_until)}#{p.pass_id}"
    return item


def pass_from_item(tenant_id: str, item: dict[str, Any]) -> VisitorPass:
    recurrence = item.get("recurrence")
    return VisitorPass(
        tenant_id=tenant_id,
        pass_id=str(item["pass_id"]),
        site_id=str(item["site_id"]),
        unit_id=_opt(item.get("unit_id")),
        unit_label=_opt(item.get("unit_label")),
        host_user_id=str(item["host_user_id"]),
        issued_by=str(item["issued_by"]),
        kind=PassKind(str(item["kind"])),
        visitor_name=str(item["visitor_name"]),
        valid_from=parse_iso(str(item["valid_from"])),
        valid_until=parse_iso(str(item["valid_until"])),
        entries_allowed=int(item["entries_allowed"]),
        entries_used=int(item.get("entries_used", 0)),
        status=PassStatus(str(item["status"])),
        created_at=parse_iso(str(item["created_at"])),
        token=str(item["token"]),
        kid=str(item["kid"]),
        gates=tuple(str(g) for g in item.get("gates") or ()),
        recurrence=Recurrence(
            days=[int(d) for d in recurrence["days"]],
            start=time.fromisoformat(str(recurrence["start"])),
            end=time.fromisoformat(str(recurrence["end"])),
        )
        if recurrence
        else None,
        note=_opt(item.get("note")),
        visitor_phone_enc=_opt(item.get("visitor_phone_enc")),
        visitor_plate_enc=_opt(item.get("visitor_plate_enc")),
        phone_digest=_opt(item.get("phone_digest")),
        plate_digest=_opt(item.get("plate_digest")),
        phone_masked=_opt(item.get("phone_masked")),
        plate_masked=_opt(item.get("plate_masked")),
        revoked_at=parse_iso(str(item["revoked_at"])) if item.get("revoked_at") else None,
        revoked_by=_opt(item.get("revoked_by")),
        overuse=int(item.get("overuse", 0)),
    )


def entry_item(e: EntryRecord, day: str, retention: timedelta) -> dict[str, Any]:
    sort = f"{to_iso(e.scanned_at)}#{e.scan_id}"
    item: dict[str, Any] = {
        "pk": keys.visits(e.tenant_id, e.site_id, day),
        "sk": sort,
        "entity": "visit",
        "scan_id": e.scan_id,
        "site_id": e.site_id,
        "scanned_at": to_iso(e.scanned_at),
        "gate_id": e.gate_id,
        "direction": e.direction.value,
        "verdict": e.verdict.value,
        "reason": e.reason.value if e.reason else None,
        "by": e.by,
        "pass_id": e.pass_id,
        "visitor_name": e.visitor_name,
        "unit_id": e.unit_id,
        "unit_label": e.unit_label,
        "entry_number": e.entry_number,
        "plate_masked": e.plate_masked,
        "offline": e.offline,
        "overuse": e.overuse,
        "flags": list(e.flags) or None,
        "ttl": epoch(e.scanned_at + retention),
    }
    if e.pass_id:
        item["gsi1pk"] = keys.pass_log_index(e.tenant_id, e.pass_id)
        item["gsi1sk"] = sort
    return item


def entry_from_item(tenant_id: str, item: dict[str, Any]) -> EntryRecord:
    return EntryRecord(
        tenant_id=tenant_id,
        site_id=str(item["site_id"]),
        scan_id=str(item["scan_id"]),
        scanned_at=parse_iso(str(item["scanned_at"])),
        gate_id=str(item["gate_id"]),
        direction=Direction(str(item["direction"])),
        verdict=Verdict(str(item["verdict"])),
        reason=Reason(str(item["reason"])) if item.get("reason") else None,
        by=str(item.get("by", "")),
        pass_id=_opt(item.get("pass_id")),
        visitor_name=_opt(item.get("visitor_name")),
        unit_id=_opt(item.get("unit_id")),
        unit_label=_opt(item.get("unit_label")),
        entry_number=int(item["entry_number"]) if item.get("entry_number") is not None else None,
        plate_masked=_opt(item.get("plate_masked")),
        offline=bool(item.get("offline", False)),
        overuse=bool(item.get("overuse", False)),
        flags=tuple(str(f) for f in item.get("flags") or ()),
    )


def block_from_item(tenant_id: str, item: dict[str, Any]) -> BlockEntry:
    return BlockEntry(
        tenant_id=tenant_id,
        site_id=str(item["site_id"]),
        entry_id=str(item["entry_id"]),
        kind=BlockKind(str(item["kind"])),
        digest=str(item["digest"]),
        value_enc=str(item["value_enc"]),
        value_masked=str(item.get("value_masked", "")),
        reason=_opt(item.get("reason")),
        created_by=str(item.get("created_by", "")),
        created_at=parse_iso(str(item["created_at"])),
    )


def _opt(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)
