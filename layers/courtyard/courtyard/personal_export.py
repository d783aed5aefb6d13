"""A person's data export (PIPL art. 45, issue 17): where each feature's part lies and how it is written.

The directory asks (``POST /me/exports``) and publishes ``PersonalDataExportRequested``; every feature's
people consumer writes its part to the private export bucket under ``exports/{tenant}/{export_id}/{feature}
.json``; the directory merges the parts once all are there (``export.json`` and ``export.zip`` beside them)
and hands out presigned GET links. The key scheme and the part's envelope live here so the five writers and
the one reader cannot disagree. Writing a part is a PutObject of the same key: a redelivered message
rewrites the same object, nothing is doubled.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from courtyard import aws
from courtyard.clock import to_iso

# Every feature that holds personal data about a resident, in the merged document's order.
FEATURES: tuple[str, ...] = ("directory", "tickets", "payments", "visitors", "notifications")
MERGED_JSON = "export.json"
MERGED_ZIP = "export.zip"
PART_VERSION = 1
_SAFE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def export_prefix(tenant_id: str, export_id: str) -> str:
    """The folder of one export; refuses ids that could climb out of it (they come from events and paths)."""
    if not (_SAFE.match(tenant_id) and _SAFE.match(export_id)):
        raise ValueError("tenant and export ids are letters, digits, '-' and '_' only")
    return f"exports/{tenant_id}/{export_id}/"


def part_key(tenant_id: str, export_id: str, feature: str) -> str:
    if feature not in FEATURES:
        raise ValueError(f"unknown export part {feature!r}")
    return f"{export_prefix(tenant_id, export_id)}{feature}.json"


def part_document(
    feature: str, tenant_id: str, export_id: str, written_at: datetime, data: Mapping[str, Any]
) -> dict[str, Any]:
    """The envelope of one part: which export, which feature, when, and the feature's own data."""
    return {
        "version": PART_VERSION,
        "feature": feature,
        "tenant_id": tenant_id,
        "export_id": export_id,
        "written_at": to_iso(written_at),
        "data": dict(data),
    }


class PartShelf(Protocol):
    """Where parts are written (the export bucket; tests use an in-memory shelf)."""

    def put(self, key: str, body: bytes, content_type: str) -> None: ...


@dataclass(frozen=True, slots=True)
class PartWriter:
    """Writes one feature's part of an export (every feature's people consumer has one)."""

    shelf: PartShelf
    feature: str

    def write(self, tenant_id: str, export_id: str, written_at: datetime, data: Mapping[str, Any]) -> str:
        key = part_key(tenant_id, export_id, self.feature)
        document = part_document(self.feature, tenant_id, export_id, written_at, data)
        self.shelf.put(key, dumps(document), "application/json")
        return key


def dumps(document: Mapping[str, Any]) -> bytes:
    """JSON as the person reads it: UTF-8 Chinese as is, stable key order."""
    return json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1, default=str).encode()


class ExportBucket:
    """The export bucket in S3 (private, encrypted, TLS only, objects expire: template.yaml)."""

    def __init__(self, bucket: str, s3: Any | None = None) -> None:
        self._bucket = bucket
        self._s3 = s3

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            from botocore.config import Config

            # Presigned links are SigV4 whatever the region's default.
            self._s3 = aws.session().client(
                "s3", config=aws.CLIENT_CONFIG.merge(Config(signature_version="s3v4"))
            )
        return self._s3

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self.s3.put_object(
            Bucket=self._bucket, Key=key, Body=body, ContentType=content_type, ServerSideEncryption="AES256"
        )

    def get(self, key: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            answer = self.s3.get_object(Bucket=self._bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404", "NotFound"}:
                return None
            raise
        body: bytes = answer["Body"].read()
        return body

    def names(self, prefix: str) -> set[str]:
        """The file names under ``prefix`` (one export holds at most a handful: one page)."""
        answer = self.s3.list_objects_v2(Bucket=self._bucket, Prefix=prefix, MaxKeys=100)
        return {str(o["Key"]).removeprefix(prefix) for o in answer.get("Contents", [])}

    def link(self, key: str, filename: str, expires_in: int) -> str:
        """A presigned GET that downloads as ``filename``; no AWS call."""
        url: str = self.s3.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self._bucket,
                "Key": key,
                "ResponseContentDisposition": f'attachment; filename="{filename}"',
            },
            ExpiresIn=expires_in,
        )
        return url
