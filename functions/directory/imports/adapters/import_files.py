"""Where import files live (S3, uploaded by presigned POST) and how jobs reach the worker (SQS)."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from courtyard import aws
from courtyard.errors import Unprocessable

UPLOAD_EXPIRES_SECONDS = 900


class ImportStorage:
    def __init__(self, bucket: str, queue_url: str, s3: Any | None = None, sqs: Any | None = None) -> None:
        self._bucket = bucket
        self._queue_url = queue_url
        self._s3 = s3
        self._sqs = sqs

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            self._s3 = aws.client("s3")
        return self._s3

    @property
    def sqs(self) -> Any:
        if self._sqs is None:
            self._sqs = aws.client("sqs")
        return self._sqs

    def upload_form(self, key: str, content_type: str, max_bytes: int) -> dict[str, Any]:
        """A presigned POST that accepts exactly one file of this type and at most ``max_bytes``."""
        form: dict[str, Any] = self.s3.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
            ExpiresIn=UPLOAD_EXPIRES_SECONDS,
        )
        return form

    def read(self, key: str, max_bytes: int) -> bytes:
        try:
            response = self.s3.get_object(Bucket=self._bucket, Key=key)
        except ClientError as error:
            if error.response["Error"]["Code"] in {"NoSuchKey", "404"}:
                raise Unprocessable("the file has not been uploaded yet") from error
            raise
        if int(response.get("ContentLength", 0)) > max_bytes:
            raise Unprocessable("the file is larger than the import limit")
        body: bytes = response["Body"].read()
        return body

    def exists(self, key: str) -> bool:
        try:
            self.s3.head_object(Bucket=self._bucket, Key=key)
        except ClientError as error:
            if error.response["Error"]["Code"] in {"NoSuchKey", "404", "NotFound"}:
                return False
            raise
        return True

    def write_report(self, key: str, report: list[dict[str, Any]]) -> None:
        self.s3.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=json.dumps(report, ensure_ascii=False).encode(),
            ContentType="application/json",
        )

    def enqueue(self, action: str, tenant_id: str, import_id: str) -> None:
        self.sqs.send_message(
            QueueUrl=self._queue_url,
            MessageBody=json.dumps({"action": action, "tenant_id": tenant_id, "import_id": import_id}),
        )
