"""The deployment's secrets as SSM Parameter Store SecureString parameters, created and rotated.

Why not Secrets Manager: six secrets cost 2.40 USD a month per deployment (0.40 each) whatever its size, more
than the whole cost target of a small community; a standard-tier parameter has no monthly charge and a
``GetParameter`` costs nothing at standard throughput. No secret here needs what Secrets Manager adds
(managed rotation Lambdas, cross-region replicas): the random keys rotate by a command below, the providers'
keys are written by the operator.

Why a deploy step: CloudFormation cannot create a SecureString parameter (``AWS::SSM::Parameter`` takes String
and StringList only), and a custom resource would add a Lambda whose cfn-response failures hang a stack for an
hour. So the template declares each parameter in its ``Metadata`` (``Courtyard::SecureParameters``: name,
description, how its first value is generated, as ``GenerateSecretString`` did) and this module creates the
missing ones: ``make deploy`` runs ``python -m infra.secure_parameters <stack>`` after ``sam deploy``, and the
local cloud's provisioner runs ``ensure`` after the stack's resources. An existing parameter is never
overwritten, so re-running is safe and operator-written keys survive.

Encryption: under the stack's ``PiiKey`` (the customer managed key field encryption needs anyway), not the
account's ``aws/ssm`` key, whose key policy lets every principal of the account decrypt. Each function's role
gets ``ssm:GetParameter`` on its own parameters and ``kms:Decrypt`` on PiiKey only under the encryption
context Parameter Store sends (``PARAMETER_ARN`` = that parameter): a function reads exactly the secrets the
template grants it.
"""

from __future__ import annotations

import argparse
import json
import secrets
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from courtyard.secure_parameters import read_secure_json

METADATA_KEY = "Courtyard::SecureParameters"
IDENTITY_SIGNING = "identity-signing-keys"


class SecureParameterError(Exception):
    pass


@dataclass(frozen=True)
class SecureParameter:
    """One declared parameter: ``key`` is its last path segment, ``generate`` a GenerateSecretString spec."""

    key: str
    description: str
    generate: Mapping[str, Any]


def parameter_name(stage: str, key: str) -> str:
    """The parameter's name; the template's ``!Sub /courtyard/${Stage}/<key>`` spells the same."""
    return f"/courtyard/{stage}/{key}"


def declared(metadata: Mapping[str, Any]) -> tuple[str, list[SecureParameter]]:
    """The key resource's logical id and the parameters of a template's ``Metadata``."""
    section = metadata.get(METADATA_KEY)
    if not isinstance(section, Mapping):
        return "", []
    found = [
        SecureParameter(str(key), str(spec.get("Description", "")), dict(spec.get("Generate") or {}))
        for key, spec in (section.get("Parameters") or {}).items()
    ]
    return str(section.get("KmsKey", "")), found


def declared_name(template_body: Mapping[str, Any], stage: str, key: str) -> str:
    """The parameter ``key``'s name when the template declares it, else ""."""
    _, parameters = declared(template_body.get("Metadata") or {})
    return parameter_name(stage, key) if any(p.key == key for p in parameters) else ""


def read_json(ssm: Any, name: str) -> dict[str, Any]:
    """A JSON parameter's document, decrypted (operators' and the local cloud's side), read as the
    functions read it."""
    return read_secure_json(name, ssm)


def _put(ssm: Any, name: str, value: str, key_id: str, *, overwrite: bool, description: str = "") -> None:
    """Write one standard-tier SecureString under ``key_id``."""
    ssm.put_parameter(
        Name=name,
        **({"Description": description[:1024]} if description else {}),
        Value=value,
        Type="SecureString",
        KeyId=key_id,
        Tier="Standard",
        Overwrite=overwrite,
    )


def write_json(ssm: Any, name: str, document: Mapping[str, Any]) -> None:
    """Replace a JSON parameter's document, as an operator writes a provider's keys; its key is kept."""
    found = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"][0]
    _put(ssm, name, json.dumps(dict(document)), str(found.get("KeyId", "alias/aws/ssm")), overwrite=True)


def _flag(value: Any, default: bool = False) -> bool:
    if value is None:
        return default
    return str(value).lower() == "true" if not isinstance(value, bool) else value


def generate_value(spec: Mapping[str, Any]) -> str:
    """GenerateSecretString as Secrets Manager does it: length, character classes, optional JSON template."""
    length = int(spec.get("PasswordLength", 32))
    classes: list[str] = []
    if not _flag(spec.get("ExcludeLowercase")):
        classes.append(string.ascii_lowercase)
    if not _flag(spec.get("ExcludeUppercase")):
        classes.append(string.ascii_uppercase)
    if not _flag(spec.get("ExcludeNumbers")):
        classes.append(string.digits)
    if not _flag(spec.get("ExcludePunctuation")):
        classes.append(string.punctuation)
    if _flag(spec.get("IncludeSpace")):
        classes.append(" ")
    excluded = set(str(spec.get("ExcludeCharacters", "")))
    classes = [c for c in ("".join(ch for ch in cls if ch not in excluded) for cls in classes) if c]
    if not classes:
        raise SecureParameterError("GenerateSecretString excludes every character")
    alphabet = "".join(classes)
    chars = [secrets.choice(alphabet) for _ in range(length)]
    if _flag(spec.get("RequireEachIncludedType"), default=True) and length >= len(classes):
        # Put one character of each class at distinct random positions.
        positions = secrets.SystemRandom().sample(range(length), len(classes))
        for position, cls in zip(positions, classes, strict=True):
            chars[position] = secrets.choice(cls)
    password = "".join(chars)
    template_text = spec.get("SecretStringTemplate")
    key = spec.get("GenerateStringKey")
    if template_text is not None and key is not None:
        document = json.loads(str(template_text))
        document[str(key)] = password
        return json.dumps(document)
    return password


def ensure(ssm: Any, stage: str, key_id: str, parameters: Sequence[SecureParameter]) -> list[str]:
    """Create each missing parameter with a generated value; the names created (existing ones are kept)."""
    created: list[str] = []
    for parameter in parameters:
        name = parameter_name(stage, parameter.key)
        try:
            value = generate_value(parameter.generate)
            _put(ssm, name, value, key_id, overwrite=False, description=parameter.description)
        except ssm.exceptions.ParameterAlreadyExists:
            continue
        created.append(name)
    return created


def rotate_identity_signing(ssm: Any, stage: str, key_id: str) -> None:
    """Rotate the access tokens' signing seeds: current becomes previous (still verifies, published in the
    JWKS), a new current signs. A warm container keeps the pair it read: a container started after the
    rotation signs with the new key, which one started before does not verify until it is replaced, so
    rotate in a quiet hour or deploy right after (new containers everywhere), and rotate again only once the
    previous key's tokens (15 minutes) have ended."""
    name = parameter_name(stage, IDENTITY_SIGNING)
    value = read_json(ssm, name)
    seed = generate_value({"PasswordLength": 64, "ExcludePunctuation": True})
    document = {"current": seed, "previous": str(value.get("current") or "")}
    _put(ssm, name, json.dumps(document), key_id, overwrite=True)


def _stack_facts(session: Any, stack_name: str, template: Mapping[str, Any]) -> tuple[str, str]:
    """The deployed stack's stage and the ARN of the key its parameters are encrypted under."""
    cloudformation = session.client("cloudformation")
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    values = {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])}
    key_lid, _ = declared(template.get("Metadata") or {})
    key_id = cloudformation.describe_stack_resource(StackName=stack_name, LogicalResourceId=key_lid)[
        "StackResourceDetail"
    ]["PhysicalResourceId"]
    return str(values.get("Stage", "dev")), str(key_id)


def main(argv: Sequence[str] | None = None) -> int:
    import boto3

    from infra.local.template import load_template

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("stack", help="the deployed stack's name")
    parser.add_argument("--template", default="template.yaml")
    parser.add_argument(
        "--rotate-identity-signing", action="store_true", help="rotate the token signing seeds"
    )
    args = parser.parse_args(argv)
    template = load_template(args.template)
    session = boto3.Session()
    stage, key_id = _stack_facts(session, args.stack, template.body)
    ssm = session.client("ssm")
    if args.rotate_identity_signing:
        rotate_identity_signing(ssm, stage, key_id)
        print(f"rotated {parameter_name(stage, IDENTITY_SIGNING)}")
        return 0
    _, parameters = declared(template.body.get("Metadata") or {})
    for name in ensure(ssm, stage, key_id, parameters):
        print(f"created {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
