"""The IoT Core control plane for device provisioning: thing, certificate, per-site policy, endpoint.

The private key and certificate PEM are returned to the caller once and never stored; only the certificate
id is kept on the device (to revoke it on deactivation). Provisioning never leaves a certificate behind
that no device record will point to: a failed step removes what the call created, and a resumed
provisioning (the same thing name, after an earlier attempt whose clean-up failed too) first removes the
certificates still attached to the thing. Their private keys were never shown to anyone, so removing them
takes nothing from a client. The one leftover a resume cannot find is a certificate whose attachment to the
thing failed and whose clean-up failed as well: it stays unattached, its key known to nobody.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from courtyard import aws
from courtyard.dynamo import error_code
from courtyard.errors import Conflict
from iot.policy import SITE_ATTRIBUTE, TENANT_ATTRIBUTE, thing_policy_document

_MAX_POLICY_NAME = 128


@dataclass(frozen=True)
class Credentials:
    thing_name: str
    certificate_id: str
    certificate_arn: str
    certificate_pem: str
    private_key: str
    endpoint: str
    policy_name: str


class ThingRegistry:
    def __init__(
        self,
        policy_prefix: str,
        region: str,
        account_id: str,
        partition: str = "aws",
        client: Any | None = None,
        stage: str = "dev",
    ) -> None:
        self._prefix = policy_prefix
        self._region = region
        self._account_id = account_id
        self._partition = partition
        self._client = client
        self._stage = stage  # the policy allows publishing through Basic Ingest to the stage's rules only

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = aws.client("iot")
        return self._client

    def policy_name(self, tenant_id: str, site_id: str, *, battery: bool = False) -> str:
        """One policy per site and power class (``mains``, ``battery``: ``iot.kinds``): the document names
        tenant and site; the thing comes from the connection. The class suffix also keeps these apart from a
        site's earlier policy (which still granted the broker's topics): a certificate issued before keeps
        its policy until the device is provisioned again."""
        power = "battery" if battery else "mains"
        name = f"{self._prefix}-{tenant_id}-{site_id}-{power}"
        if len(name) <= _MAX_POLICY_NAME:
            return name
        digest = hashlib.sha256(f"{tenant_id}/{site_id}".encode()).hexdigest()[:40]
        return f"{self._prefix}-{digest}-{power}"

    def provision(
        self, tenant_id: str, site_id: str, thing_name: str, *, battery: bool = False, resume: bool = False
    ) -> Credentials:
        """The thing (kept if it exists with the same tenant and site), a new active certificate with the
        site's policy for the device's power class, attached to the thing. On any failure what this call
        created is removed before the error propagates. ``resume``: an earlier attempt for this thing may have
        failed half-way; the certificates it left on the thing are removed first, so the thing ends with
        exactly one."""
        attributes = {TENANT_ATTRIBUTE: tenant_id, SITE_ATTRIBUTE: site_id}
        # A read first: when it fails there is nothing to clean up.
        endpoint = self.client.describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"]
        try:
            self.client.create_thing(thingName=thing_name, attributePayload={"attributes": attributes})
        except ClientError as err:
            if error_code(err) != "ResourceAlreadyExistsException":
                raise
            existing = self.client.describe_thing(thingName=thing_name).get("attributes", {})
            if existing != attributes:
                raise Conflict("a thing with this name belongs to another tenant or site") from err
        try:
            if resume:
                for principal in self.client.list_thing_principals(thingName=thing_name)["principals"]:
                    self._remove_certificate(thing_name, principal)
            certificate = self.client.create_keys_and_certificate(setAsActive=True)
        except Exception:
            self.unprovision(thing_name, None)
            raise
        try:
            policy_name = self.policy_name(tenant_id, site_id, battery=battery)
            document = thing_policy_document(
                self._region,
                self._account_id,
                tenant_id,
                site_id,
                partition=self._partition,
                stage=self._stage,
                battery=battery,
            )
            try:
                self.client.create_policy(policyName=policy_name, policyDocument=json.dumps(document))
            except ClientError as err:
                if error_code(err) != "ResourceAlreadyExistsException":
                    raise
            # The thing first: from then on a resumed provisioning finds the certificate even if this one
            # fails and its clean-up fails too.
            self.client.attach_thing_principal(thingName=thing_name, principal=certificate["certificateArn"])
            self.client.attach_policy(policyName=policy_name, target=certificate["certificateArn"])
        except Exception:
            self.unprovision(thing_name, certificate["certificateArn"])
            raise
        return Credentials(
            thing_name=thing_name,
            certificate_id=certificate["certificateId"],
            certificate_arn=certificate["certificateArn"],
            certificate_pem=certificate["certificatePem"],
            private_key=certificate["keyPair"]["PrivateKey"],
            endpoint=endpoint,
            policy_name=policy_name,
        )

    def unprovision(self, thing_name: str, certificate_arn: str | None) -> None:
        """Best effort, never raises: deactivate, detach and delete the certificate, then delete the thing.

        For a provisioning whose device was not stored. Each step is tried even when an earlier one failed
        (a step can fail only because its subject is already gone); whatever still fails is removed by
        the next provisioning of the same thing (``resume``), or stays inactive at worst.
        """
        if certificate_arn is not None:
            self._remove_certificate(thing_name, certificate_arn, quietly=True)
        with contextlib.suppress(Exception):
            self.client.delete_thing(thingName=thing_name)

    def _remove_certificate(self, thing_name: str, certificate_arn: str, *, quietly: bool = False) -> None:
        certificate_id = certificate_arn.rsplit("/", 1)[-1]
        steps: list[Callable[[], Any]] = [
            # Inactive first: whatever fails later, the certificate can no longer connect.
            lambda: self.client.update_certificate(certificateId=certificate_id, newStatus="INACTIVE"),
            lambda: [
                self.client.detach_policy(policyName=policy["policyName"], target=certificate_arn)
                for policy in self.client.list_attached_policies(target=certificate_arn)["policies"]
            ],
            lambda: self.client.detach_thing_principal(thingName=thing_name, principal=certificate_arn),
            lambda: self.client.delete_certificate(certificateId=certificate_id),
        ]
        for step in steps:
            if quietly:
                with contextlib.suppress(Exception):
                    step()
            else:
                step()

    def revoke(self, certificate_id: str) -> None:
        """Revoke the device's certificate: IoT Core refuses its connections from now on."""
        self.client.update_certificate(certificateId=certificate_id, newStatus="REVOKED")

    def certificate_status(self, certificate_id: str) -> str:
        return str(
            self.client.describe_certificate(certificateId=certificate_id)["certificateDescription"]["status"]
        )

    def thing_attributes(self, thing_name: str) -> dict[str, str]:
        return dict(self.client.describe_thing(thingName=thing_name).get("attributes", {}))

    def policy_document(self, policy_name: str) -> dict[str, Any]:
        return dict(json.loads(self.client.get_policy(policyName=policy_name)["policyDocument"]))
