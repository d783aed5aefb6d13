"""What the local cloud "sent": the emails, SMS and mobile pushes moto captured instead of delivering, and the
voice calls the telephony persona (``voice_persona.py``) placed.

moto keeps them as model instances (SES ``Message``, SNS ``SMS``, SNS ``PlatformEndpoint.messages``) and its
server publishes every instance at ``GET /moto-api/data.json``; this module reads that document. In-process
moto (tests, benchmarks) gives the same document through ``model_data_document()``.
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from courtyard.crypto import mask_phone


@dataclass(frozen=True)
class Email:
    message_id: str
    source: str
    to: list[str]
    subject: str
    body: str


@dataclass(frozen=True)
class Sms:
    message_id: str
    phone_number: str
    message: str


@dataclass(frozen=True)
class Push:
    message_id: str
    endpoint_arn: str
    title: str
    body: str
    raw: str


@dataclass(frozen=True)
class Call:
    call_id: str
    called_number: str
    tts_code: str
    params: dict[str, str]


@dataclass(frozen=True)
class Outbox:
    emails: list[Email] = field(default_factory=list)
    sms: list[Sms] = field(default_factory=list)
    pushes: list[Push] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)

    def lines(self) -> list[str]:
        """A human-readable listing, one line per captured message."""
        out = [f"emails ({len(self.emails)})"]
        out += [f"  {', '.join(e.to):<36} {e.subject}" for e in self.emails]
        out.append(f"sms ({len(self.sms)})")
        # Numbers are masked even here: this listing ends up in terminals and CI logs.
        out += [f"  {mask_phone(s.phone_number):<16} {s.message}" for s in self.sms]
        out.append(f"pushes ({len(self.pushes)})")
        out += [f"  {p.endpoint_arn.rsplit('/', 1)[-1][:12]:<16} {p.title}: {p.body}" for p in self.pushes]
        out.append(f"voice calls ({len(self.calls)})")
        out += [
            f"  {mask_phone(c.called_number):<16} [{c.tts_code}] {c.params.get('who', '')}"
            f"{c.params.get('place', '')}{c.params.get('what', '')}，确认请按1"
            for c in self.calls
        ]
        return out


def outbox_from_model_data(data: dict[str, Any]) -> Outbox:
    """Parse moto's model data document (``/moto-api/data.json``)."""
    ses = data.get("ses", {})
    emails = [
        Email(
            message_id=str(m.get("id", "")),
            source=str(m.get("source", "")),
            to=[str(a) for a in (m.get("destinations") or {}).get("ToAddresses", [])],
            subject=str(m.get("subject", "")),
            body=str(m.get("body", "")),
        )
        for m in ses.get("Message", [])
    ]
    sns = data.get("sns", {})
    sms = [
        Sms(str(m.get("message_id", "")), str(m.get("phone_number", "")), str(m.get("message", "")))
        for m in sns.get("SMS", [])
    ]
    pushes: list[Push] = []
    for endpoint in sns.get("PlatformEndpoint", []):
        for message_id, raw in (endpoint.get("messages") or {}).items():
            title, body = _push_text(str(raw))
            pushes.append(Push(str(message_id), str(endpoint.get("arn", "")), title, body, str(raw)))
    return Outbox(emails, sms, pushes)


def read_outbox(aws_endpoint: str, timeout_s: float = 30.0, voice_url: str = "") -> Outbox:
    """The outbox of a running moto server (and the voice persona's calls, given its address)."""
    with urllib.request.urlopen(f"{aws_endpoint}/moto-api/data.json", timeout=timeout_s) as response:
        box = outbox_from_model_data(json.loads(response.read()))
    if not voice_url:
        return box
    with urllib.request.urlopen(f"{voice_url}/calls", timeout=timeout_s) as response:
        calls = calls_from_persona(json.loads(response.read()))
    return Outbox(box.emails, box.sms, box.pushes, calls)


def calls_from_persona(document: dict[str, Any]) -> list[Call]:
    """The voice persona's ``GET /calls`` document."""
    return [
        Call(
            str(c.get("call_id", "")),
            str(c.get("called_number", "")),
            str(c.get("tts_code", "")),
            {str(k): str(v) for k, v in dict(c.get("params") or {}).items()},
        )
        for c in document.get("calls", [])
    ]


def model_data_document() -> dict[str, Any]:
    """The same document from in-process moto (``mock_aws``)."""
    from moto.moto_api._internal.responses import MotoAPIResponse

    _, _, text = MotoAPIResponse().model_data(None, "", {})
    document: dict[str, Any] = json.loads(text)
    return document


def _push_text(raw: str) -> tuple[str, str]:
    """Title and body of a push published with MessageStructure=json (the FCM payload), else the raw text."""
    try:
        message = json.loads(raw)
        fcm = json.loads(message["GCM"])
        notification = fcm.get("notification", {})
        return str(notification.get("title", "")), str(notification.get("body", ""))
    except (ValueError, KeyError, TypeError):
        return "", raw
