"""Demo and test data: a platform operator and two property firms with a community and a user of every role.

Accounts are created in Cognito the way onboarding does (admin-created, permanent password, tenant attribute,
role group); directory records go through the directory's own repositories, so they have exactly the shapes
the API writes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from courtyard.blind_index import BlindIndex
from courtyard.clock import SystemClock, to_iso
from courtyard.crypto import FieldCipher
from courtyard.cursor import CursorCodec
from courtyard.directory import DirectoryReader
from courtyard.ids import new_id
from courtyard.table import Table
from courtyard.tenancy import Role
from directory.imports.rooms import parse_room
from directory.people.models import (
    LinkSource,
    PersonKind,
    Relation,
    Resident,
    ResidentLink,
    UnitSlot,
    UserLinkRecord,
)
from directory.people.repository import PeopleRepository
from directory.places.models import Building, BuildingKind, Occupancy, Site, Unit, UnitKind
from directory.places.repository import PlacesRepository
from directory.places.service import unit_label, unit_sort_key
from directory.staff.models import Staff
from directory.staff.repository import StaffRepository
from directory.staff.rules import Skill, Zone
from directory.tenants.models import Tenant, TenantStatus
from directory.tenants.repository import TenantRepository
from infra.local.provision import Stack

DEMO_PASSWORD = "Courtyard-demo-2026"  # noqa: S105 - a documented demo credential for the local cloud only
PLATFORM = "platform"
DEMO_FIRMS = (
    ("greenfield", "绿城物业 Greenfield Property", "绿城花园 Greenfield Garden"),
    ("harbour", "港湾物业 Harbour Homes", "港湾公寓 Harbour Court"),
)
FIRM_ROLES = (Role.MANAGER, Role.SERVICE_DESK, Role.TECHNICIAN, Role.FINANCE, Role.GUARD, Role.RESIDENT)

_NAMES = {
    Role.PLATFORM_ADMIN: "平台运营 Platform Ops",
    Role.MANAGER: "王经理 Manager Wang",
    Role.SERVICE_DESK: "李客服 Desk Li",
    Role.TECHNICIAN: "张师傅 Technician Zhang",
    Role.FINANCE: "赵会计 Finance Zhao",
    Role.GUARD: "刘保安 Guard Liu",
    Role.RESIDENT: "陈业主 Resident Chen",
}
_SKILLS = {Role.TECHNICIAN: (Skill.PLUMBING, Skill.ELECTRICAL, Skill.GENERAL), Role.GUARD: (Skill.SECURITY,)}


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
    person_id: str = ""


@dataclass(frozen=True)
class DemoData:
    tenants: dict[str, str]  # firm slug (and "platform") -> tenant id
    users: list[DemoUser]
    sites: dict[str, str] = field(default_factory=dict)  # firm -> site id
    units: dict[str, list[str]] = field(
        default_factory=dict
    )  # firm -> unit ids (the resident lives in the first)
    buildings: dict[str, str] = field(default_factory=dict)  # firm -> the community's building id

    def user(self, firm: str, role: Role | str) -> DemoUser:
        return next(u for u in self.users if u.firm == firm and u.role == str(role))

    def firm_users(self, firm: str) -> list[DemoUser]:
        return [u for u in self.users if u.firm == firm]

    def to_json(self) -> dict[str, Any]:
        return {
            "tenants": self.tenants,
            "users": [asdict(u) for u in self.users],
            "sites": self.sites,
            "units": self.units,
            "buildings": self.buildings,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DemoData:
        return cls(
            tenants=dict(data["tenants"]),
            users=[DemoUser(**u) for u in data["users"]],
            sites=dict(data.get("sites", {})),
            units={k: list(v) for k, v in data.get("units", {}).items()},
            buildings=dict(data.get("buildings", {})),
        )


@dataclass(frozen=True)
class _Repos:
    tenants: TenantRepository
    places: PlacesRepository
    staff: StaffRepository
    people: PeopleRepository


def seed_stack(stack: Stack, client: Callable[..., Any]) -> DemoData:
    """Seed the demo into a provisioned stack; ``client(service)`` gives a boto3 client for that stack."""
    return seed_demo(_repos(stack, client), client("cognito-idp"), stack.ref("UserPool"))


def add_residents(stack: Stack, client: Callable[..., Any], demo: DemoData, firm: str, count: int) -> int:
    """Give ``firm``'s community ``count`` more app users living in its units (bench/cost.py's notice
    audience); their phone numbers are distinct and fictitious. Returns how many were added."""
    repos = _repos(stack, client)
    cognito, pool = client("cognito-idp"), stack.ref("UserPool")
    tenant_id, site_id = demo.tenants[firm], demo.sites[firm]
    now = to_iso(SystemClock().now())
    for n in range(count):
        slot = n % len(demo.units[firm])
        user = DemoUser(
            username=f"{firm}-neighbour-{n:04d}",
            tenant_id=tenant_id,
            firm=firm,
            role=Role.RESIDENT.value,
            name=f"邻居 {n}",
            email=f"neighbour-{n}@{firm}.example.com",
            phone=f"1370000{n:04d}",
        )
        user_id = _create_cognito_user(cognito, pool, user)
        _resident(
            repos.people,
            tenant_id,
            new_id(),
            user,
            user_id,
            demo.units[firm][slot],
            site_id,
            now,
            _ROOMS[slot],
            Relation.FAMILY,
        )
    return count


@dataclass(frozen=True)
class Household:
    """A building of one's own in a firm's community: one unit, its owner and the owner's app account."""

    building_id: str
    unit_id: str
    owner: DemoUser


def add_household(
    stack: Stack, client: Callable[..., Any], demo: DemoData, firm: str, code: str
) -> Household:
    """Give ``firm``'s community a building of its own (``code``: digits, unique in the community) with one
    unit and one owner who has an app account: for a test that counts who a building's notice reaches whatever
    other tests added to the demo's building (residents, family proxies, imported households)."""
    repos = _repos(stack, client)
    tenant_id, site_id = demo.tenants[firm], demo.sites[firm]
    now = to_iso(SystemClock().now())
    building_id = new_id()
    name = f"{code}栋"
    repos.places.create_building(
        Building(
            tenant_id,
            site_id,
            building_id,
            name,
            code,
            floors=1,
            entrances=1,
            kind=BuildingKind.RESIDENTIAL,
            created_at=now,
        )
    )
    room = parse_room(f"{code}-1-101")
    unit = Unit(
        tenant_id=tenant_id,
        unit_id=new_id(),
        site_id=site_id,
        building_id=building_id,
        building_code=room.building,
        entrance=room.entrance,
        floor=room.floor,
        room=room.room,
        room_key=room.key,
        label=unit_label(name, room),
        area_centi_m2=9000,
        kind=UnitKind.RESIDENTIAL,
        occupancy=Occupancy.SELF_OCCUPIED,
        created_at=now,
        updated_at=now,
    )
    repos.places.create_unit(unit, unit_sort_key(room))
    owner = _unit_person(
        stack, client, repos, demo, firm, unit.unit_id, code, ("household", "业主", "1360000"), Relation.OWNER
    )
    return Household(building_id, unit.unit_id, owner)


def add_member(
    stack: Stack, client: Callable[..., Any], demo: DemoData, firm: str, household: Household, code: str
) -> DemoUser:
    """One more person of ``household``'s unit (family, with an app account): a household of two, for a test
    of who of a household hears of its bills (``code``: the household's own)."""
    repos = _repos(stack, client)
    return _unit_person(
        stack,
        client,
        repos,
        demo,
        firm,
        household.unit_id,
        code,
        ("member", "家人", "1350000"),
        Relation.FAMILY,
    )


def _unit_person(
    stack: Stack,
    client: Callable[..., Any],
    repos: _Repos,
    demo: DemoData,
    firm: str,
    unit_id: str,
    code: str,
    naming: tuple[str, str, str],
    relation: Relation,
) -> DemoUser:
    """A resident of the household's unit ``{code}-1-101`` with an app account; ``naming``: the username's
    word, the name's suffix and the phone's prefix, so a household's people never collide."""
    word, title, prefix = naming
    tenant_id, site_id = demo.tenants[firm], demo.sites[firm]
    person = DemoUser(
        username=f"{firm}-{word}-{code}",
        tenant_id=tenant_id,
        firm=firm,
        role=Role.RESIDENT.value,
        name=f"{code}栋{title}",
        email=f"{word}-{code}@{firm}.example.com",
        phone=f"{prefix}{int(code) % 10_000:04d}",
    )
    user_id = _create_cognito_user(client("cognito-idp"), stack.ref("UserPool"), person)
    resident_id = new_id()
    now = to_iso(SystemClock().now())
    _resident(
        repos.people,
        tenant_id,
        resident_id,
        person,
        user_id,
        unit_id,
        site_id,
        now,
        f"{code}-1-101",
        relation,
    )
    return DemoUser(**{**asdict(person), "user_id": user_id, "person_id": resident_id})


def _repos(stack: Stack, client: Callable[..., Any]) -> _Repos:
    ssm = client("ssm")
    table = Table(
        stack.ref("DirectoryTable"),
        CursorCodec(_secret(ssm, stack.secure_parameter("cursor-key"))),
        client=client("dynamodb"),
    )
    cipher = FieldCipher(stack.ref("PiiKey"), client=client("kms"))
    index = BlindIndex(_secret(ssm, stack.secure_parameter("blind-index-key")))
    return _Repos(
        tenants=TenantRepository(table),
        places=PlacesRepository(table, DirectoryReader(table.name, client=client("dynamodb")), SystemClock()),
        staff=StaffRepository(table, cipher, index),
        people=PeopleRepository(table, cipher, index),
    )


def seed_demo(repos: _Repos, cognito: Any, user_pool_id: str) -> DemoData:
    now = to_iso(SystemClock().now())
    tenants: dict[str, str] = {}
    users: list[DemoUser] = []
    sites: dict[str, str] = {}
    units: dict[str, list[str]] = {}
    buildings: dict[str, str] = {}

    platform = new_id()
    tenants[PLATFORM] = platform
    repos.tenants.start(_tenant(platform, "Courtyard 平台运营 Platform", now))
    admin = _user(PLATFORM, platform, Role.PLATFORM_ADMIN, 0, 0)
    user_id = _create_cognito_user(cognito, user_pool_id, admin)
    users.append(DemoUser(**{**asdict(admin), "user_id": user_id}))

    for index, (firm, firm_name, site_name) in enumerate(DEMO_FIRMS, start=1):
        tenant_id = new_id()
        tenants[firm] = tenant_id
        repos.tenants.start(_tenant(tenant_id, firm_name, now))
        site_id, building_id, unit_ids = _community(repos.places, tenant_id, site_name, now)
        sites[firm], units[firm], buildings[firm] = site_id, unit_ids, building_id
        for number, role in enumerate(FIRM_ROLES, start=1):
            user = _user(firm, tenant_id, role, index, number)
            user_id = _create_cognito_user(cognito, user_pool_id, user)
            person_id = new_id()
            if role is Role.RESIDENT:
                _resident(repos.people, tenant_id, person_id, user, user_id, unit_ids[0], site_id, now)
            else:
                repos.staff.add(
                    Staff(
                        tenant_id=tenant_id,
                        staff_id=person_id,
                        name=user.name,
                        email=user.email,
                        username=user.username,
                        user_id=user_id,
                        roles=(role,),
                        zones=(Zone(site_id, ()),),
                        skills=_SKILLS.get(role, ()),
                        phone=user.phone,
                        on_duty=role in {Role.TECHNICIAN, Role.GUARD, Role.SERVICE_DESK},
                        created_at=now,
                        created_by="seed",
                        updated_at=now,
                    )
                )
            users.append(DemoUser(**{**asdict(user), "user_id": user_id, "person_id": person_id}))
    return DemoData(tenants=tenants, users=users, sites=sites, units=units, buildings=buildings)


def _tenant(tenant_id: str, name: str, now: str) -> Tenant:
    return Tenant(
        tenant_id=tenant_id,
        name=name,
        status=TenantStatus.ACTIVE,
        currency="CNY",
        locale="zh-CN",
        timezone="Asia/Shanghai",
        households=5000,
        devices=500,
        created_at=now,
        created_by="seed",
        updated_at=now,
        manager_staff_id="",
        manager_username="",
        creation_event_id=new_id(),
    )


_ROOMS: Final = ("1-1-101", "1-1-102", "1-2-1801")
# The rooms of each demo community's units, in the order of DemoData.units (building 1栋, entrance, room).
DEMO_ROOMS: Final = _ROOMS


def _community(places: PlacesRepository, tenant_id: str, name: str, now: str) -> tuple[str, str, list[str]]:
    site_id, building_id = new_id(), new_id()
    places.put_site(
        Site(tenant_id, site_id, name, "1 Garden Road", "Hangzhou", None, "Asia/Shanghai", 1200, now)
    )
    places.create_building(
        Building(
            tenant_id,
            site_id,
            building_id,
            "1栋",
            "1",
            floors=18,
            entrances=2,
            kind=BuildingKind.RESIDENTIAL,
            created_at=now,
        )
    )
    unit_ids = []
    for room_text, area in zip(_ROOMS, (8950, 12000, 14325), strict=True):
        room = parse_room(room_text)
        unit = Unit(
            tenant_id=tenant_id,
            unit_id=new_id(),
            site_id=site_id,
            building_id=building_id,
            building_code=room.building,
            entrance=room.entrance,
            floor=room.floor,
            room=room.room,
            room_key=room.key,
            label=unit_label("1栋", room),
            area_centi_m2=area,
            kind=UnitKind.RESIDENTIAL,
            occupancy=Occupancy.SELF_OCCUPIED,
            created_at=now,
            updated_at=now,
        )
        places.create_unit(unit, unit_sort_key(room))
        unit_ids.append(unit.unit_id)
    return site_id, building_id, unit_ids


def _resident(
    people: PeopleRepository,
    tenant_id: str,
    resident_id: str,
    user: DemoUser,
    user_id: str,
    unit_id: str,
    site_id: str,
    now: str,
    room: str = _ROOMS[0],
    relation: Relation = Relation.OWNER,
) -> None:
    tx = people.tx()
    people.add_new_resident(
        tx,
        tenant_id,
        Resident(resident_id, user.name, user.phone, None, user.email, user_id, user.username, now, now),
    )
    people.add_link(
        tx,
        tenant_id,
        ResidentLink(
            resident_id, unit_id, site_id, room, relation, relation is Relation.OWNER, now, LinkSource.STAFF
        ),
        UnitSlot(unit_id, site_id, room, None),
    )
    people.add_user_link(
        tx, tenant_id, UserLinkRecord(user_id, PersonKind.RESIDENT, resident_id, user.username), now
    )
    people.run(tx, tenant_id, user.phone)


def _user(firm: str, tenant_id: str, role: Role, index: int, number: int) -> DemoUser:
    return DemoUser(
        username=f"{firm}-{role.value.replace('_', '-')}",
        tenant_id=tenant_id,
        firm=firm,
        role=role.value,
        name=_NAMES[role],
        email=f"{role.value}@{firm}.example.com",
        phone=f"1390{index}{number:02d}{4321 + number:04d}"[:11],
    )


def _secret(ssm: Any, name: str) -> bytes:
    return str(ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]).encode()


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
