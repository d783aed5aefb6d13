"""Which failures of an AWS dependency are transient, so the API can answer 503 + Retry-After instead of 500.

A throttled, timed-out or briefly unavailable dependency is not a bug: botocore has already retried it
(standard mode, see courtyard.aws), and the client should try again a little later. Anything else is a 500.
The check walks the exception chain because repositories and libraries often wrap the botocore error
(``raise SomethingFailed(...) from err``).
"""

from __future__ import annotations

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from courtyard.dynamo import cancellation_reasons, error_code
from courtyard.events import PublishFailed
from courtyard.outbox import MessagesNotSent

RETRY_AFTER_SECONDS = 1

# Error codes AWS services use for "slow down" or "try again": botocore's own standard-mode list
# (botocore.retries.standard) plus the service-specific spellings of DynamoDB, SQS, SNS, SES, KMS, S3.
RETRYABLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
        "TransactionConflictException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalServerError",
        "InternalServerException",
        "InternalFailure",
        "InternalError",
        "ServiceException",
        "KMSInternalException",
        "KeyUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
        "IDPCommunicationError",
        "AWS.SimpleQueueService.ServiceUnavailable",
        "AWS.SimpleQueueService.InternalError",
    }
)
# Per-item reasons of a cancelled DynamoDB transaction that mean "try again", not "your condition failed".
RETRYABLE_CANCELLATION_REASONS = frozenset(
    {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "InternalServerError"}
)
_TRANSPORT_ERRORS = (ConnectTimeoutError, ReadTimeoutError, EndpointConnectionError, ConnectionClosedError)
_HTTP_UNAVAILABLE = frozenset({500, 502, 503, 504})


def is_transient(error: BaseException) -> bool:
    """True if ``error`` itself is a transient AWS failure (throttling, timeout, 5xx)."""
    if isinstance(error, _TRANSPORT_ERRORS):
        return True
    if isinstance(error, MessagesNotSent) and error.sender_fault:
        return False  # SQS refused the message itself (too large, malformed): a bug, not a blip
    if isinstance(error, PublishFailed | MessagesNotSent):
        # PutEvents answered, but some entries were still refused after the publisher's retries
        # (EventBridge's per-entry ThrottlingException / InternalFailure), or SQS refused batch entries:
        # the bus or queue is the problem.
        return True
    if isinstance(error, ClientError):
        code = error_code(error)
        if code in RETRYABLE_CODES:
            return True
        if code == "TransactionCanceledException":
            reasons = set(cancellation_reasons(error)) - {"None"}
            return bool(reasons) and reasons <= RETRYABLE_CANCELLATION_REASONS
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return status in _HTTP_UNAVAILABLE
    return False


def transient_cause(error: BaseException) -> BaseException | None:
    """The first transient AWS failure in ``error``'s chain (``__cause__`` / ``__context__``), if any."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if is_transient(current):
            return current
        current = current.__cause__ or current.__context__
    return None
