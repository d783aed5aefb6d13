"""The IoT Core control plane for device provisioning: thing, certificate, per-site policy, endpoint.

The private key and certificate PEM are returned to the caller once and never stored; only the certificate
id is kept on the device (to revoke it on deactivation).
"""

from __future__ import annotations

import hashlib
import json
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
    ) -> None:
        self._prefix = policy_prefix
        self._region = region
        self._account_id = account_id
        self._partition = partition
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = aws.client("iot")
        return self._client

    def policy_name(self, tenant_id: str, site_id: str) -> str:
        """One policy per site: the document names tenant and site; the thing comes from the connection."""
        name = f"{self._prefix}-{tenant_id}-{site_id}"
        if len(name) <= _MAX_POLICY_NAME:
            return name
        return f"{self._prefix}-{hashlib.sha256(f'{tenant_id}/{site_id}'.encode()).hexdigest()[:40]}"

    def provision(self, tenant_id: str, site_id: str, thing_name: str) -> Credentials:
        attributes = {TENANT_ATTRIBUTE: tenant_id, SITE_ATTRIBUTE: site_id}
        try:
            self.client.create_thing(thingName=thing_name, attributePayload={"attributes": attributes})
        except ClientError as err:
            if error_code(err) != "ResourceAlreadyExistsException":
                raise
            existing = self.client.describe_thing(thingName=thing_name).get("attributes", {})
            if existing != attributes:
                raise Conflict("a thing with this name belongs to another tenant or site") from err
        certificate = self.client.create_keys_and_certificate(setAsActive=True)
        policy_name = self.policy_name(tenant_id, site_id)
        document = thing_policy_document(
            self._region, self._account_id, tenant_id, site_id, partition=self._partition
        )
        try:
            self.client.create_policy(policyName=policy_name, policyDocument=json.dumps(document))
        except ClientError as err:
            if error_code(err) != "ResourceAlreadyExistsException":
                raise
        self.client.attach_policy(policyName=policy_name, target=certificate["certificateArn"])
        self.client.attach_thing_principal(thingName=thing_name, principal=certificate["certificateArn"])
        endpoint = self.client.describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"]
        return Credentials(
            thing_name=thing_name,
            certificate_id=certificate["certificateId"],
            certificate_arn=certificate["certificateArn"],
            certificate_pem=certificate["certificatePem"],
            private_key=certificate["keyPair"]["PrivateKey"],
            endpoint=endpoint,
            policy_name=policy_name,
        )

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
