"""Demo and test data: two property firms, each with a signed-up user of every role.

Users are created in Cognito the way a platform admin would (admin-created, permanent password, tenant
attribute, role group); their directory records go through the directory's own repository.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from courtyard.crypto import FieldCipher
from courtyard.ids import new_id
from courtyard.tenancy import Role
from directory.models import PersonKind, Profile, Tenant
from directory.repository import DirectoryRepository
from infra.local.provision import Stack

DEMO_PASSWORD = "Courtyard-demo-2026"  # noqa: S105 - a documented demo credential for the local cloud only

DEMO_FIRMS = (
    ("greenfield", "绿城物业 Greenfield Property"),
    ("harbour", "港湾物业 Harbour Homes"),
)

_NAMES = {
    Role.PLATFORM_ADMIN: "平台运营 Platform Ops",
    Role.MANAGER: "王经理 Manager Wang",
    Role.SERVICE_DESK: "李客服 Desk Li",
    Role.TECHNICIAN: "张师傅 Technician Zhang",
    Role.FINANCE: "赵会计 Finance Zhao",
    Role.GUARD: "刘保安 Guard Liu",
    Role.RESIDENT: "陈业主 Resident Chen",
}


@dataclass(frozen=True)
class DemoUser:
    username: str
    tenant_id: str
    firm: str
    role: str
    name: str
    email: str
    phone: str
    user_id: str = ""


@dataclass(frozen=True)
class DemoData:
    tenants: dict[str, str]  # firm slug -> tenant id
    users: list[DemoUser]

    def user(self, firm: str, role: Role | str) -> DemoUser:
        return next(u for u in self.users if u.firm == firm and u.role == str(role))

    def to_json(self) -> dict[str, Any]:
        return {"tenants": self.tenants, "users": [asdict(u) for u in self.users]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DemoData:
        return cls(tenants=dict(data["tenants"]), users=[DemoUser(**u) for u in data["users"]])


def seed_demo(
    *, cognito: Any, dynamodb: Any, kms: Any, user_pool_id: str, directory_table: str, pii_key_id: str
) -> DemoData:
    repo = DirectoryRepository(directory_table, FieldCipher(pii_key_id, client=kms), client=dynamodb)
    tenants: dict[str, str] = {}
    users: list[DemoUser] = []
    for index, (firm, firm_name) in enumerate(DEMO_FIRMS):
        tenant_id = new_id()
        tenants[firm] = tenant_id
        repo.put_tenant(Tenant(tenant_id=tenant_id, name=firm_name))
        for number, role in enumerate(Role):
            user = DemoUser(
                username=f"{firm}-{role.value.replace('_', '-')}",
                tenant_id=tenant_id,
                firm=firm,
                role=role.value,
                name=_NAMES[role],
                email=f"{role.value}@{firm}.example.com",
                phone=f"1380{index}{number:02d}{4321 + number:04d}"[:11],
            )
            user_id = _create_cognito_user(cognito, user_pool_id, user)
            user = DemoUser(**{**asdict(user), "user_id": user_id})
            users.append(user)
            kind = PersonKind.RESIDENT if role is Role.RESIDENT else PersonKind.STAFF
            repo.put_profile(
                Profile(
                    tenant_id=tenant_id,
                    user_id=user_id,
                    name=user.name,
                    kind=kind,
                    email=user.email,
                    phone=user.phone,
                )
            )
    return DemoData(tenants=tenants, users=users)


def seed_stack(stack: Stack, client: Callable[..., Any]) -> DemoData:
    """Seed the demo firms into a provisioned stack; ``client(service)`` gives a boto3 client for it."""
    return seed_demo(
        cognito=client("cognito-idp"),
        dynamodb=client("dynamodb"),
        kms=client("kms"),
        user_pool_id=stack.ref("UserPool"),
        directory_table=stack.ref("DirectoryTable"),
        pii_key_id=stack.ref("PiiKey"),
    )


def _create_cognito_user(cognito: Any, user_pool_id: str, user: DemoUser) -> str:
    response = cognito.admin_create_user(
        UserPoolId=user_pool_id,
        Username=user.username,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": user.email},
            {"Name": "email_verified", "Value": "true"},
            {"Name": "name", "Value": user.name},
            {"Name": "custom:tenant_id", "Value": user.tenant_id},
        ],
    )
    cognito.admin_set_user_password(
        UserPoolId=user_pool_id, Username=user.username, Password=DEMO_PASSWORD, Permanent=True
    )
    cognito.admin_add_user_to_group(UserPoolId=user_pool_id, Username=user.username, GroupName=user.role)
    attributes = {a["Name"]: a["Value"] for a in response["User"]["Attributes"]}
    return str(attributes["sub"])


def sign_in(
    cognito: Any, user_pool_id: str, client_id: str, username: str, password: str = DEMO_PASSWORD
) -> str:
    """An ID token for ``username`` through Cognito's admin password flow."""
    response = cognito.admin_initiate_auth(
        UserPoolId=user_pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    return str(response["AuthenticationResult"]["IdToken"])
