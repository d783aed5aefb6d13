import pytest

from courtyard.errors import Forbidden, Invalid, Unauthorized
from courtyard.tenancy import Role, TenantContext


def test_context_comes_from_verified_claims():
    ctx = TenantContext.from_claims(
        {"sub": "u1", "custom:tenant_id": "t1", "cognito:groups": "manager,finance"}
    )
    assert (ctx.tenant_id, ctx.user_id) == ("t1", "u1")
    assert ctx.roles == {Role.MANAGER, Role.FINANCE}


@pytest.mark.parametrize(
    "groups",
    ["manager,guard", "[manager, guard]", "[manager guard]", '["manager","guard"]', ["manager", "guard"]],
)
def test_every_shape_of_groups_claim_is_read(groups):
    ctx = TenantContext.from_claims({"sub": "u", "custom:tenant_id": "t", "cognito:groups": groups})
    assert ctx.roles == {Role.MANAGER, Role.GUARD}


def test_unknown_groups_grant_nothing():
    ctx = TenantContext.from_claims({"sub": "u", "custom:tenant_id": "t", "cognito:groups": "superuser,root"})
    assert ctx.roles == frozenset()


@pytest.mark.parametrize(
    "claims", [None, {}, {"sub": "u"}, {"custom:tenant_id": "t"}, {"sub": "u", "custom:tenant_id": "  "}]
)
def test_missing_tenant_or_subject_is_unauthorized(claims):
    with pytest.raises(Unauthorized):
        TenantContext.from_claims(claims)


def test_require_accepts_any_listed_role_and_refuses_others():
    ctx = TenantContext("t", "u", frozenset({Role.TECHNICIAN}))
    ctx.require(Role.MANAGER, Role.TECHNICIAN)
    with pytest.raises(Forbidden):
        ctx.require(Role.MANAGER, Role.FINANCE)


def test_staff_and_resident_flags():
    assert TenantContext("t", "u", frozenset({Role.GUARD})).is_staff
    resident = TenantContext("t", "u", frozenset({Role.RESIDENT}))
    assert resident.is_resident
    assert not resident.is_staff


def test_context_is_frozen():
    ctx = TenantContext("t", "u", frozenset())
    with pytest.raises(AttributeError):
        ctx.tenant_id = "other"  # type: ignore[misc]


@pytest.mark.parametrize("resident_id", ["d^ek-57#0", "T#other#RES", "", "x" * 65])
def test_assisted_mode_refuses_what_is_not_a_resident_id(resident_id):
    desk = TenantContext("t1", "u1", frozenset({Role.SERVICE_DESK}))
    with pytest.raises(Invalid):
        desk.acting_for(resident_id)


def test_assisted_mode_accepts_a_resident_id():
    desk = TenantContext("t1", "u1", frozenset({Role.SERVICE_DESK}))
    assert desk.acting_for("01JRESIDENT0000000000000AB").on_behalf_of == "01JRESIDENT0000000000000AB"
