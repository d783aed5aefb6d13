"""The per-thing AWS IoT policy: a certificate connects only as its own thing and publishes only as itself.

``iot/thing-policy.json`` (mains-powered devices) and ``iot/battery-policy.json`` (battery devices, which
wake to send: ``iot.kinds``) are this module's output for placeholder values; regenerate them with
``python -m iot.policy > iot/thing-policy.json`` and ``python -m iot.policy --battery >
iot/battery-policy.json`` (a unit test fails when they differ).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Final

from iot.topics import BASIC_INGEST_PREFIX, PREFIX, rule_names, validate_id

POLICY_VERSION: Final = "2012-10-17"
THING_NAME: Final = "${iot:Connection.Thing.ThingName}"
"""Resolves to the registry thing the connecting certificate is attached to (the client id must equal it)."""

# The thing attributes provisioning must set: Connect requires them to name the policy's tenant and site.
TENANT_ATTRIBUTE: Final = "tenant_id"
SITE_ATTRIBUTE: Final = "site_id"

TEMPLATE_PATH: Final = Path(__file__).with_name("thing-policy.json")
BATTERY_TEMPLATE_PATH: Final = Path(__file__).with_name("battery-policy.json")
PLACEHOLDERS: Final[dict[str, str]] = {
    "partition": "PARTITION",
    "region": "REGION",
    "account_id": "ACCOUNT_ID",
    "tenant_id": "TENANT_ID",
    "site_id": "SITE_ID",
    "stage": "STAGE",
}
"""The values the template file is rendered with; a deploy step substitutes the real ones textually."""

# In a policy, `*` and `?` are wildcards and `$` starts a policy variable (`${...}`, `$(*)`), so a value
# containing one would widen the grant instead of naming a resource.
_POLICY_SPECIAL = frozenset("*?$")


def _arn_part(value: str, what: str) -> str:
    if not value or any(ch in _POLICY_SPECIAL or ch in ":/" or ch.isspace() for ch in value):
        raise ValueError(f"{what} must be non-empty without ':', '/', '*', '?', '$' or whitespace")
    return value


def _policy_id(value: str, what: str) -> str:
    validate_id(value, what)
    if any(ch in _POLICY_SPECIAL for ch in value):
        raise ValueError(f"{what} must not contain '*', '?' or '$' (IoT policy wildcards and variables)")
    return value


def thing_policy_document(
    region: str,
    account_id: str,
    tenant_id: str,
    site_id: str,
    *,
    stage: str,
    battery: bool = False,
    partition: str = "aws",
) -> dict[str, Any]:
    """Return the IoT policy for the devices of one site and power class; attach it to their certificates.

    The certificate may:
    - ``iot:Connect`` only with client id = the thing it is attached to, and only if that thing's
      ``tenant_id``/``site_id`` attributes name this tenant and site (so a certificate wrongly given another
      site's policy cannot connect at all);
    - ``iot:Publish`` only to its own ``courtyard/{tenant_id}/{site_id}/{thing}/telemetry`` and
      ``.../events`` through Basic Ingest to the stage's two rules
      (``$aws/rules/courtyard_telemetry_{stage}/courtyard/...``), which is all a device needs (issue 18:
      nothing subscribes to device topics, so the broker's own telemetry and events topics, and their
      messaging charge, are not granted);
    - a mains-powered device (``battery=False``): ``iot:Subscribe`` to, and ``iot:Receive`` from, only its own
      ``.../{thing}/commands``. A battery device (``iot.kinds``) sleeps between short sessions with a clean
      start, so nothing could reach it there: it gets neither.

    Publish and Receive name ``topic/`` ARNs, Subscribe a ``topicfilter/`` ARN, Connect a ``client/`` ARN.
    No wildcard appears, so the thing cannot read or write any other device's topics. ``partition`` is
    ``aws-cn`` in the China regions.
    """
    arn = (
        f"arn:{_arn_part(partition, 'partition')}:iot:{_arn_part(region, 'region')}"
        f":{_arn_part(account_id, 'account_id')}"
    )
    own = f"{PREFIX}/{_policy_id(tenant_id, 'tenant_id')}/{_policy_id(site_id, 'site_id')}/{THING_NAME}"
    telemetry_rule, events_rule = rule_names(stage)
    statements: list[dict[str, Any]] = [
        {
            "Effect": "Allow",
            "Action": "iot:Connect",
            "Resource": f"{arn}:client/{THING_NAME}",
            # Only Connect carries the conditions: every other action happens on a connection that
            # passed them, and THING_NAME in their resources resolves only for an attached thing.
            "Condition": {
                "Bool": {"iot:Connection.Thing.IsAttached": "true"},
                "StringEquals": {
                    f"iot:Connection.Thing.Attributes[{TENANT_ATTRIBUTE}]": tenant_id,
                    f"iot:Connection.Thing.Attributes[{SITE_ATTRIBUTE}]": site_id,
                },
            },
        },
        {
            "Effect": "Allow",
            "Action": "iot:Publish",
            "Resource": [
                f"{arn}:topic/{BASIC_INGEST_PREFIX}{telemetry_rule}/{own}/telemetry",
                f"{arn}:topic/{BASIC_INGEST_PREFIX}{events_rule}/{own}/events",
            ],
        },
    ]
    if not battery:
        statements += [
            {
                "Effect": "Allow",
                "Action": "iot:Subscribe",
                "Resource": f"{arn}:topicfilter/{own}/commands",
            },
            {
                "Effect": "Allow",
                "Action": "iot:Receive",
                "Resource": f"{arn}:topic/{own}/commands",
            },
        ]
    return {"Version": POLICY_VERSION, "Statement": statements}


def thing_policy_template(*, battery: bool = False) -> str:
    """The text of ``iot/thing-policy.json`` (``battery-policy.json``): the policy for PLACEHOLDERS."""
    return json.dumps(thing_policy_document(**PLACEHOLDERS, battery=battery), indent=2) + "\n"


if __name__ == "__main__":
    print(thing_policy_template(battery="--battery" in sys.argv[1:]), end="")
