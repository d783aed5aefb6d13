"""What an operator sets up once per account and stage where CloudFormation has no resource type, done by
the local cloud after provisioning: the SES sender identity and the app's SNS platform applications.

Both are read off the functions' template environments (``EMAIL_FROM``, ``PUSH_*_APPLICATION_ARN``), so the
local cloud sets up exactly what the deployed functions expect to find.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from botocore.exceptions import ClientError

_PLATFORM_APPLICATION = re.compile(r"^arn:[^:]+:sns:[^:]*:[^:]*:app/(?P<platform>[A-Z_]+)/(?P<name>[^/]+)$")


def operator_setup(environments: Iterable[Mapping[str, str]], client: Any) -> list[str]:
    """Verify every sender address and create every platform application the environments name; returns
    what was set up. Idempotent: what exists already is left as it is."""
    senders: set[str] = set()
    applications: set[tuple[str, str]] = set()
    for environment in environments:
        if environment.get("EMAIL_FROM"):
            senders.add(environment["EMAIL_FROM"])
        for name, value in environment.items():
            match = _PLATFORM_APPLICATION.match(value) if name.startswith("PUSH_") else None
            if match:
                applications.add((match["platform"], match["name"]))
    done: list[str] = []
    if senders:
        ses = client("ses")
        for sender in sorted(senders):
            ses.verify_email_identity(EmailAddress=sender)
            done.append(f"ses identity {sender}")
    if applications:
        sns = client("sns")
        existing = {
            a["PlatformApplicationArn"]
            for a in sns.list_platform_applications().get("PlatformApplications", [])
        }
        for platform, name in sorted(applications):
            if any(arn.endswith(f"app/{platform}/{name}") for arn in existing):
                continue
            try:
                sns.create_platform_application(Name=name, Platform=platform, Attributes={})
            except ClientError:  # created meanwhile by another run against the same cloud
                continue
            done.append(f"sns platform application {platform}/{name}")
    return done
