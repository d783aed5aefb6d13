"""What the pay sandbox's provider personas share: their answer shape and the notification sender, which
retries a non-2xx answer a few times as real providers do."""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

RETRY_DELAY_S = 0.2
MAX_ATTEMPTS = 4


@dataclass(frozen=True)
class PersonaReply:
    status: int
    headers: dict[str, str]
    body: str | bytes


def post_once(url: str, body: str, headers: dict[str, str], content_type: str) -> int:
    request = urllib.request.Request(
        url, data=body.encode(), headers={**headers, "Content-Type": content_type}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (OSError, http.client.HTTPException):
        return 0


def post_with_retries(
    url: str,
    signed: Callable[[], tuple[str, dict[str, str], str]],
    count: int = 1,
    concurrent: bool = False,
) -> list[int]:
    """POST a notification ``count`` times (at once with ``concurrent``), each signed afresh by ``signed``
    (body, headers, content type); the final status of each. No URL: nothing sent (the tests deliver)."""
    if not url:
        return []

    def send() -> int:
        status = 0
        for attempt in range(1, MAX_ATTEMPTS + 1):
            body, headers, content_type = signed()
            status = post_once(url, body, headers, content_type)
            if 200 <= status < 300:
                break
            time.sleep(RETRY_DELAY_S * attempt)
        return status

    if concurrent and count > 1:
        with ThreadPoolExecutor(max_workers=count) as pool:
            return list(pool.map(lambda _: send(), range(count)))
    return [send() for _ in range(count)]
