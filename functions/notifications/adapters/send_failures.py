"""AWS errors of the channels become ``SendFailed``: permanent (no retry can fix it) or worth a retry."""

from __future__ import annotations

from botocore.exceptions import ClientError

from notifications.domain import SendFailed

# Errors no retry can fix: the address, the device or the message itself is refused.
_PERMANENT = frozenset(
    {
        "MessageRejected",
        "MailFromDomainNotVerifiedException",
        "InvalidParameter",
        "InvalidParameterValue",
        "EndpointDisabled",
        "NotFound",
        "InvalidClientTokenId",
        "OptedOut",
    }
)


def failure(channel: str, error: Exception) -> SendFailed:
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", "Unknown"))
        return SendFailed(f"{channel}_{code}", permanent=code in _PERMANENT)
    return SendFailed(f"{channel}_{type(error).__name__}", permanent=False)
