"""The directory functions' collaborators, built once per cold start by the kernel's wiring.

One service per sub-package (tenants, places, people, staff, invites, imports); each builder imports its
sub-package when first asked for, so the import worker never loads the routes' services.
Tests: ``courtyard.wiring.use_clock(FixedClock(...))``, ``wiring.override(identity, fake)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from courtyard.cursor import CursorCodec, load_cursor_secret
from courtyard.wiring import Wiring
from directory.adapters.cognito_identity import IdentityRepository
from directory.settings import DirectorySettings, settings
from directory.table import DirectoryTable

if TYPE_CHECKING:
    from courtyard.personal_export import ExportBucket
    from directory.care.service import CareService
    from directory.duty.service import DutyService
    from directory.exports.service import ExportService
    from directory.imports.service import ImportService
    from directory.invites.service import InviteService
    from directory.people.repository import PeopleRepository
    from directory.people.service import PeopleService
    from directory.phones.follows import PhoneFollows
    from directory.phones.prover import PhoneProver, Texter
    from directory.phones.refusals import PhoneRefusals
    from directory.phones.service import PhoneChangeService
    from directory.places.service import PlacesService
    from directory.proxies.service import ProxyService
    from directory.residency.service import ResidencyService
    from directory.staff.repository import StaffRepository
    from directory.staff.service import StaffService
    from directory.tenants.service import TenantService

wiring = Wiring(settings, source="courtyard.directory")


def config() -> DirectorySettings:
    return wiring.config


table = wiring.factory(
    lambda: DirectoryTable(
        config().directory_table, CursorCodec(load_cursor_secret(config().cursor_key_parameter))
    )
)
identity = wiring.factory(lambda: IdentityRepository(config().user_pool_id))
# The SMS of codes that prove a phone number (tests override it with a recorder).
texter = wiring.factory(lambda: _texter())


def _texter() -> Texter:
    from directory.adapters.sms_codes import SnsCodeTexter

    return SnsCodeTexter(config().sms_sender_id)


def _people_repository() -> PeopleRepository:
    from directory.people.repository import PeopleRepository

    return PeopleRepository(table(), wiring.cipher(), wiring.blind_index())


def _phone_change() -> PhoneChangeService:
    from directory.phones.service import PhoneChangeService

    people = _people_repository()
    return PhoneChangeService(
        people,
        prover(),
        wiring.audit(),
        wiring.clock,
        events=wiring.events(),
        follows=_phone_follows(people),
    )


def _phone_follows(people: PeopleRepository) -> PhoneFollows:
    from directory.phones.follows import PhoneFollows

    return PhoneFollows(table(), wiring.cipher(), people)


def _phone_refusals() -> PhoneRefusals:
    from directory.phones.refusals import PhoneRefusals

    people = _people_repository()
    return PhoneRefusals(people, _phone_follows(people), wiring.audit(), wiring.clock)


def _prover() -> PhoneProver:
    from directory.phones.prover import PhoneProver
    from directory.phones.repository import PhoneProofs

    return PhoneProver(PhoneProofs(table(), wiring.cipher()), texter(), wiring.clock)


def _staff_repository() -> StaffRepository:
    from directory.staff.repository import StaffRepository

    return StaffRepository(table(), wiring.cipher(), wiring.blind_index())


def _tenants() -> TenantService:
    from directory.tenants.repository import TenantRepository
    from directory.tenants.service import TenantService

    return TenantService(
        tenants=TenantRepository(table()),
        staff=_staff_repository(),
        accounts=identity(),
        audit=wiring.audit(),
        events=wiring.events(),
        clock=wiring.clock,
    )


def _places() -> PlacesService:
    from directory.places.repository import PlacesRepository
    from directory.places.service import PlacesService

    repo = PlacesRepository(table(), wiring.reader(), wiring.clock)
    return PlacesService(repo=repo, audit=wiring.audit(), events=wiring.events(), clock=wiring.clock)


def _people() -> PeopleService:
    from directory.people.service import PeopleService

    return PeopleService(
        repo=_people_repository(),
        reader=wiring.reader(),
        audit=wiring.audit(),
        events=wiring.events(),
        clock=wiring.clock,
        identity=identity(),
    )


def _residency() -> ResidencyService:
    from directory.residency.repository import ResidencyRepository
    from directory.residency.service import ResidencyService

    people = _people_repository()
    return ResidencyService(
        people=people,
        residences=ResidencyRepository(table(), people),
        audit=wiring.audit(),
        events=wiring.events(),
        clock=wiring.clock,
    )


def _staff() -> StaffService:
    from directory.staff.service import StaffService

    return StaffService(
        repo=_staff_repository(),
        accounts=identity(),
        audit=wiring.audit(),
        events=wiring.events(),
        clock=wiring.clock,
    )


def _invites() -> InviteService:
    from directory.invites.repository import InviteRepository
    from directory.invites.service import InviteService

    return InviteService(
        invites=InviteRepository(table(), wiring.cipher()),
        people=_people_repository(),
        reader=wiring.reader(),
        audit=wiring.audit(),
        events=wiring.events(),
        clock=wiring.clock,
        identity=identity(),
        max_hours=config().invite_max_hours,
        prover=prover(),
    )


def _proxies() -> ProxyService:
    from directory.proxies.repository import ProxyRepository
    from directory.proxies.service import ProxyService

    return ProxyService(
        ProxyRepository(table()),
        _people_repository(),
        wiring.reader(),
        wiring.audit(),
        wiring.clock,
        identity(),
    )


def _imports() -> ImportService:
    """The import service for both halves: the API (create, validate, commit) and the worker."""
    from directory.imports.adapters.import_files import ImportStorage
    from directory.imports.repositories.jobs import ImportJobRepository
    from directory.imports.repositories.plan_writer import ImportWriter, SiteDirectory
    from directory.imports.service import ImportService

    return ImportService(
        jobs=ImportJobRepository(table()),
        storage=ImportStorage(config().import_bucket, config().import_queue_url),
        sites=SiteDirectory(table()),
        writer=ImportWriter(table(), wiring.cipher(), wiring.blind_index(), wiring.clock),
        audit=wiring.audit(),
        events=wiring.events(),
        clock=wiring.clock,
        people=_people_repository(),
    )


def _duty() -> DutyService:
    from directory.duty.repository import DutyRepository
    from directory.duty.service import DutyService

    return DutyService(DutyRepository(table()), wiring.reader(), wiring.audit(), wiring.clock)


def _care() -> CareService:
    from directory.care.repository import CareRepository
    from directory.care.service import CareService

    reader = wiring.reader()

    def timezone_of(tenant_id: str) -> str:
        firm = reader.tenant(tenant_id)
        return firm.timezone if firm else "Asia/Shanghai"

    return CareService(CareRepository(table()), wiring.audit(), wiring.clock, timezone_of)


def _exports() -> ExportService:
    from directory.exports.directory_part import DirectoryPartReader
    from directory.exports.repository import ExportJobs
    from directory.exports.service import ExportService
    from directory.residency.repository import ResidencyRepository

    jobs = ExportJobs(table())
    part = DirectoryPartReader(
        _people(), ResidencyRepository(table(), _people_repository()), wiring.reader(), jobs
    )
    return ExportService(jobs, export_files(), part, wiring.audit(), wiring.events(), wiring.clock)


# The export bucket (tests override it with an in-memory one where S3 is not the point).
export_files = wiring.factory(lambda: _export_bucket())


def _export_bucket() -> ExportBucket:
    from courtyard.personal_export import ExportBucket

    return ExportBucket(config().export_bucket)


tenants = wiring.factory(_tenants)
places = wiring.factory(_places)
people = wiring.factory(_people)
prover = wiring.factory(_prover)
phone_change = wiring.factory(_phone_change)
phone_refusals = wiring.factory(_phone_refusals)
residency = wiring.factory(_residency)
staff = wiring.factory(_staff)
invites = wiring.factory(_invites)
imports = wiring.factory(_imports)
duty = wiring.factory(_duty)
care = wiring.factory(_care)
proxies = wiring.factory(_proxies)
exports = wiring.factory(_exports)
