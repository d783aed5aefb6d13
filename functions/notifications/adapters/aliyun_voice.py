"""Voice calls through Alibaba Cloud's voice service (阿里云语音服务 VMS): ``SingleCallByTts`` places a
text-to-speech call from an approved template (``TtsCode``) with its parameters (``TtsParam``).

The request is an RPC call signed as the provider documents (signature version 1.0): the parameters, sorted
by name and percent-encoded (RFC 3986: ``~`` kept, space ``%20``), joined into the canonical query; the
string to sign is ``GET&%2F&`` + the percent-encoded canonical query; the signature is base64 HMAC-SHA1 of
it with ``AccessKeySecret + "&"``. The endpoint is a setting: Aliyun's in the cloud, the local cloud's voice
persona (``infra/local/voice_persona.py``, which checks the same signature and keeps the call) locally.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from notifications.adapters.voice_account import VoiceAccount
from notifications.domain import SendFailed, VoiceCall

API_VERSION = "2017-05-25"
ACTION = "SingleCallByTts"
# Aliyun answers Code "OK" on success; these codes mean retrying cannot help (bad number, template, account).
_PERMANENT = frozenset(
    {
        "isv.MOBILE_NUMBER_ILLEGAL",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.INVALID_PARAMETERS",
        "isv.ACCOUNT_NOT_EXISTS",
        "isv.TTS_TEMPLATE_ILLEGAL",
        "isv.DISPLAY_NUMBER_ILLEGAL",
        "isv.BLACK_KEY_CONTROL_LIMIT",
        "InvalidAccessKeyId.NotFound",
        "SignatureDoesNotMatch",
    }
)


def percent_encode(value: str) -> str:
    """RFC 3986 percent-encoding as Aliyun's RPC signature wants it (``~`` kept, space as ``%20``)."""
    return urllib.parse.quote(value, safe="~")


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(params[k])}" for k in sorted(params))
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"


def signature(secret: str, method: str, params: Mapping[str, str]) -> str:
    digest = hmac.new(f"{secret}&".encode(), string_to_sign(method, params).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


Opener = Callable[[str, float], bytes]


def _open(url: str, timeout: float) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (the endpoint is a setting)
        body: bytes = response.read()
        return body


class AliyunVoiceCaller:
    """``call(phone, VoiceCall)`` -> the provider's call id (``CallId``); ``SendFailed`` when it refuses."""

    def __init__(
        self,
        endpoint: str,
        account: Callable[[], VoiceAccount],
        tts_code: str,
        *,
        opener: Opener = _open,
        timeout_s: float = 5.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._endpoint = endpoint.rstrip("/") + "/" if endpoint else ""
        # Read on the first call, not at cold start: most deliveries never call anyone.
        self._account = account
        self._tts_code = tts_code
        self._open = opener
        self._timeout = timeout_s
        self._now = now

    def signed_params(self, phone: str, call: VoiceCall, nonce: str) -> dict[str, str]:
        account = self._account()
        params = {
            "AccessKeyId": account.access_key_id,
            "Action": ACTION,
            "Format": "JSON",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce,
            "SignatureVersion": "1.0",
            "Timestamp": self._now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": API_VERSION,
            "CalledNumber": phone,
            "TtsCode": self._tts_code,
            "TtsParam": json.dumps(call.params, ensure_ascii=False, sort_keys=True),
            "PlayTimes": str(call.play_times),
            "OutId": call.out_id,
        }
        if account.show_number:
            params["CalledShowNumber"] = account.show_number
        params["Signature"] = signature(account.access_key_secret, "GET", params)
        return params

    def call(self, phone: str, call: VoiceCall) -> str:
        account = self._account()
        if not self._endpoint or not account.access_key_id or not account.access_key_secret:
            raise SendFailed("voice_not_configured", permanent=True)
        # Aliyun takes mainland numbers without the country code.
        national = phone[3:] if phone.startswith("+86") else phone.lstrip("+")
        params = self.signed_params(national, call, uuid.uuid4().hex)
        url = f"{self._endpoint}?{urllib.parse.urlencode(params, quote_via=urllib.parse.quote)}"
        try:
            answer = json.loads(self._open(url, self._timeout))
        except urllib.error.HTTPError as error:
            answer = _error_body(error)
            if answer is None:
                raise SendFailed(f"voice_http_{error.code}", permanent=400 <= error.code < 500) from None
        except (urllib.error.URLError, TimeoutError, OSError, ValueError):
            raise SendFailed("voice_unreachable", permanent=False) from None
        code = str(answer.get("Code", ""))
        if code != "OK":
            raise SendFailed(f"voice_{code or 'refused'}", permanent=code in _PERMANENT)
        return str(answer.get("CallId", ""))


def _error_body(error: urllib.error.HTTPError) -> dict[str, object] | None:
    try:
        document = json.loads(error.read())
    except (ValueError, OSError):
        return None
    return document if isinstance(document, dict) else None
