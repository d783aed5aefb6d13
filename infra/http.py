"""A tiny HTTP client for the demo and the end-to-end tests, as the mobile app would call the API."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text) if self.text else None


def request(
    method: str,
    url: str,
    *,
    token: str | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout_s: float = 30.0,
) -> HttpResponse:
    all_headers = {"Accept": "application/json", **(headers or {})}
    data: bytes | None = None
    if body is not None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        all_headers.setdefault("Content-Type", "application/json")
    if token is not None:
        all_headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, headers=all_headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as response:
            return HttpResponse(response.status, dict(response.headers), response.read().decode())
    except urllib.error.HTTPError as error:
        return HttpResponse(error.code, dict(error.headers), error.read().decode())


def post_form(
    url: str, fields: dict[str, str], filename: str, data: bytes, timeout_s: float = 60.0
) -> HttpResponse:
    """A multipart/form-data POST of an S3 presigned form plus one file, as a browser or the app sends it."""
    boundary = f"----courtyard{uuid.uuid4().hex}"
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: {fields.get('Content-Type', 'application/octet-stream')}\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    req = urllib.request.Request(
        url,
        data=b"".join(parts),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as response:
            return HttpResponse(response.status, dict(response.headers), response.read().decode())
    except urllib.error.HTTPError as error:
        return HttpResponse(error.code, dict(error.headers), error.read().decode())
