"""Receipt PDFs in S3: put one, and a short-lived presigned link to download it.

Nothing here decides anything (who may download, when a receipt is made): ``payments.services.receipts``.
Presigning is local signing, not an AWS call.
"""

from __future__ import annotations

from typing import Any

from botocore.config import Config

from courtyard import aws

# Presigned links are signed with SigV4 whatever the region's default (SigV2 is deprecated).
_SIGV4 = aws.CLIENT_CONFIG.merge(Config(signature_version="s3v4"))


class ReceiptStorage:
    def __init__(self, bucket: str, s3: Any | None = None) -> None:
        self._bucket = bucket
        self._s3 = s3

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            self._s3 = aws.session().client("s3", config=_SIGV4)
        return self._s3

    def put(self, key: str, pdf: bytes, title: str) -> None:
        self.s3.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=pdf,
            ContentType="application/pdf",
            # The title is ASCII (the receipt number): S3 metadata takes no other characters.
            Metadata={"receipt": title},
        )

    def download_url(self, key: str, filename: str, expires_in: int) -> str:
        """A presigned GET that the browser saves as ``filename`` (ASCII: the receipt number)."""
        url: str = self.s3.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self._bucket,
                "Key": key,
                "ResponseContentType": "application/pdf",
                "ResponseContentDisposition": f'attachment; filename="{filename}"',
            },
            ExpiresIn=expires_in,
        )
        return url
