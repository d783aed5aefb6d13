"""The telephony provider's call reports (呼叫结果回执) and their signature: the voice channel's callback.

The provider pushes one JSON array of reports per request to ``POST /voice/callbacks``, each naming the call
(``call_id``, the provider's id that ``SingleCallByTts`` answered, and our ``out_id``), how it ended
(``status_code``) and the keys the callee pressed (``dtmf``). The request is signed with the callback secret
shared with the provider account, in the house's webhook scheme (the payments sandbox's and Stripe's):
header ``X-Voice-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>``, refused when
older (or newer) than 300 s. Pure: no AWS here.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from pydantic import ConfigDict, Field, ValidationError

from courtyard.models import Model

SIGNATURE_HEADER = "X-Voice-Signature"
TOLERANCE_SECONDS = 300
ACK_KEY = "1"  # 按1确认


class CallReport(Model):
    """One call's report, in the provider's field names."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    call_id: str = Field(min_length=1, max_length=128)
    out_id: str = Field(default="", max_length=64)
    status_code: str = Field(default="", max_length=32)
    dtmf: str = Field(default="", max_length=32)

    @property
    def acknowledged(self) -> bool:
        """The callee pressed 1 (some providers report every key pressed: the first one counts)."""
        return self.dtmf.strip()[:1] == ACK_KEY


def sign(secret: str, body: str, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, body: str, header: str | None, now: float) -> bool:
    """Whether the header signs ``body`` with ``secret`` within the tolerance (several ``v1`` allowed)."""
    if not header or not secret:
        return False
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures or abs(now - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = sign(secret, body, timestamp).rsplit("v1=", 1)[1]
    return any(hmac.compare_digest(expected, s) for s in signatures)


def parse_reports(body: str) -> list[CallReport]:
    """The reports of one request (a single report object is taken as a list of one); ValueError if none."""
    try:
        document = json.loads(body)
        items = document if isinstance(document, list) else [document]
        return [CallReport.model_validate(item) for item in items[:100]]
    except (ValueError, ValidationError, TypeError) as error:
        raise ValueError("not a list of call reports") from error
