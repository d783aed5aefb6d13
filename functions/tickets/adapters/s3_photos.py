"""Ticket photos' bytes in S3: the presigned upload form, the stored object's facts, presigned view links.

Nothing here decides anything: the rules (types, sizes, who may upload) are in ``tickets.services.photos``.
Presigning is local signing, not an AWS call, so building links keeps a ticket read at its one DynamoDB call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError

from courtyard import aws

_MISSING = {"NoSuchKey", "404", "NotFound", "NoSuchVersion"}
# Presigned links and forms are signed with SigV4 whatever the region's default (SigV2 is deprecated).
_SIGV4 = aws.CLIENT_CONFIG.merge(Config(signature_version="s3v4"))


@dataclass(frozen=True, slots=True)
class UploadForm:
    url: str
    fields: dict[str, str]


@dataclass(frozen=True, slots=True)
class StoredObject:
    size: int
    content_type: str | None
    version_id: str | None


class PhotoStorage:
    def __init__(self, bucket: str, s3: Any | None = None) -> None:
        self._bucket = bucket
        self._s3 = s3

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            # Built from the kernel's session, so AWS call budgets count it; one per cold start (wiring).
            self._s3 = aws.session().client("s3", config=_SIGV4)
        return self._s3

    def upload_form(self, key: str, content_type: str, max_bytes: int, expires_in: int) -> UploadForm:
        """A presigned POST for exactly ``key``, of exactly this Content-Type, 1 byte to ``max_bytes``."""
        form: dict[str, Any] = self.s3.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
            ExpiresIn=expires_in,
        )
        return UploadForm(url=str(form["url"]), fields={str(k): str(v) for k, v in form["fields"].items()})

    def stored(self, key: str) -> StoredObject | None:
        """The object's size, Content-Type and version as S3 holds them (HeadObject); None if absent."""
        try:
            head = self.s3.head_object(Bucket=self._bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise
        version = head.get("VersionId")
        return StoredObject(
            size=int(head.get("ContentLength", 0)),
            content_type=head.get("ContentType"),
            version_id=str(version) if version and version != "null" else None,
        )

    def view_url(self, key: str, expires_in: int, version_id: str | None = None) -> str:
        """A presigned GET of the object (of that version when given); no AWS call."""
        params: dict[str, str] = {"Bucket": self._bucket, "Key": key}
        if version_id is not None:
            params["VersionId"] = version_id
        url: str = self.s3.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)
        return url
