"""Helpers of the export consumers' tests: an export request for a seeded person, and its part as stored."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3

from infra.local.provision import Stack
from schemas.events import ExportedLink, PersonalDataExportRequested
from tests.integration.community import Community


def export_request(
    world: Community, who: str, *, links: tuple[ExportedLink, ...] = (), tenant_id: str | None = None
) -> PersonalDataExportRequested:
    """``who``'s export request (by default in their own firm; ``tenant_id`` forges another firm's)."""
    return PersonalDataExportRequested(
        tenant_id=tenant_id or world.tenant_id,
        event_id=uuid.uuid4().hex,
        export_id=uuid.uuid4().hex[:26].upper(),
        resident_id=world.residents[who],
        user_id=world.people[who].user_id,
        links=links,
    )


def stored_part(stack: Stack, asked: PersonalDataExportRequested, feature: str) -> dict[str, Any] | None:
    """The feature's part of the export as the bucket holds it (None if not written)."""
    key = f"exports/{asked.tenant_id}/{asked.export_id}/{feature}.json"
    s3 = boto3.client("s3")
    try:
        body = s3.get_object(Bucket=stack.ref("ExportBucket"), Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    part: dict[str, Any] = json.loads(body)
    return part


def every_export_key(stack: Stack) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=stack.ref("ExportBucket"))
    return sorted(str(o["Key"]) for o in listed.get("Contents", []))
