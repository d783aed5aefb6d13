"""Merging an export's parts into one document and its ZIP (pure: no AWS, unit-tested).

Rules: a part counts only if its envelope names this tenant, this export and the feature of its file (a
part written for another export or firm is never merged, it stays pending); the document lists the parts in
``FEATURES`` order; the ZIP holds the same JSON bytes plus a short note in Chinese, with fixed timestamps so
merging twice gives the same bytes.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from typing import Any

from courtyard.personal_export import FEATURES, MERGED_JSON, dumps

README_NAME = "说明.txt"
README_TEXT = (
    "这是您在本物业服务平台上的个人数据副本（JSON 格式，export.json）。\n"
    "内容：个人资料与房屋关系、报修、账单与缴费、访客通行证、消息与通知设置。\n"
    "他人的姓名和电话不包含在内，或已按平台规则打码。下载链接 5 分钟内有效，文件 7 天后自动删除。\n"
    "This is a copy of your personal data (export.json).\n"
)
_FIXED_TIME = (2026, 1, 1, 0, 0, 0)


def valid_part(raw: bytes | None, tenant_id: str, export_id: str, feature: str) -> dict[str, Any] | None:
    """The part's document if it is one of this export's, else None (missing, unreadable or foreign)."""
    if raw is None:
        return None
    try:
        document = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(document, dict) or not isinstance(document.get("data"), dict):
        return None
    if (document.get("tenant_id"), document.get("export_id"), document.get("feature")) != (
        tenant_id,
        export_id,
        feature,
    ):
        return None
    return document


def merged_document(
    tenant_id: str, export_id: str, requested_at: str, parts: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """The one document the person downloads: every feature's data under its name, in a fixed order."""
    missing = [f for f in FEATURES if f not in parts]
    if missing:
        raise ValueError(f"parts missing: {', '.join(missing)}")
    return {
        "export_id": export_id,
        "tenant_id": tenant_id,
        "requested_at": requested_at,
        "written_at": {f: parts[f].get("written_at") for f in FEATURES},
        **{f: parts[f]["data"] for f in FEATURES},
    }


def zipped(document_bytes: bytes) -> bytes:
    """A ZIP of the document (export.json) and a note; the same bytes in give the same bytes out."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, body in ((MERGED_JSON, document_bytes), (README_NAME, README_TEXT.encode())):
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.flag_bits |= 0x800  # the names are UTF-8
            archive.writestr(info, body)
    return buffer.getvalue()


def document_bytes(document: Mapping[str, Any]) -> bytes:
    return dumps(document)
