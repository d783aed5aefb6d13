"""Pure rules of people and invitations: phone numbers, ID numbers, invitation codes, who sees full values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from courtyard.tenancy import Role, TenantContext
from directory.access import sees_full_id_number, sees_full_phone, shown_id_number, shown_phone
from directory.invites.models import (
    CROCKFORD,
    canonical_secret,
    format_code,
    new_secret,
    parse_code,
    secret_digest,
)
from directory.people.models import (
    ResidentCreate,
    ResidentUpdate,
    id_number_check_character,
    normalise_email,
    normalise_mobile,
    normalise_name,
    validate_id_number,
)

# ---------------------------------------------------------------- phone numbers


@pytest.mark.parametrize(
    "typed",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "+8613812345678",
        "0086 13812345678",
        "8613812345678",
        "(+86) 138-1234-5678",
        "１３８１２３４５６７８",
        " 13812345678 ",
    ],
)
def test_mobile_numbers_in_every_common_spelling_normalise_to_11_digits(typed):
    assert normalise_mobile(typed) == "13812345678"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "1381234567",
        "138123456789",
        "12812345678",
        "23812345678",
        "138.1234.5678",
        "tel:13812345678",
        "+1 138 1234 5678",
        "861381234567",
        "\u0661\u0663\u0668\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668",
    ],
)
def test_anything_else_is_not_a_mobile_number(typed):
    with pytest.raises(ValueError, match="not a mainland China mobile number") as error:
        normalise_mobile(typed)
    assert typed.strip() == "" or typed not in str(error.value)


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_normalising_is_idempotent_and_survives_decoration(number):
    assert normalise_mobile(number) == number
    assert normalise_mobile(f"+86 {number[:3]}-{number[3:7]}-{number[7:]}") == number


# ---------------------------------------------------------------- ID numbers


@given(
    st.from_regex(
        r"[0-9]{6}(19[0-9]{2}|20[01][0-9])(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}", fullmatch=True
    )
)
def test_an_id_number_with_its_check_character_is_accepted_and_any_other_refused(first17):
    valid = first17 + id_number_check_character(first17)
    assert validate_id_number(valid) == valid
    assert validate_id_number(valid.lower()) == valid
    for wrong in "0123456789X":
        if wrong != valid[-1]:
            with pytest.raises(ValueError, match="check character"):
                validate_id_number(first17 + wrong)


def test_known_id_numbers():
    assert validate_id_number("11010519491231002x") == "11010519491231002X"
    assert validate_id_number("440524198001010013") == "440524198001010013"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("1101051949123100", "17 digits"),
        ("11010519491231002XX", "17 digits"),
        ("11010519491331002X", "birth date"),
        ("11010518000101002X", "birth date"),
        ("110105194902300020", "birth date"),
        ("A1010519491231002X", "17 digits"),
    ],
)
def test_malformed_id_numbers_say_why_without_repeating_the_value(value, reason):
    with pytest.raises(ValueError, match=reason) as error:
        validate_id_number(value)
    assert value not in str(error.value)


# ---------------------------------------------------------------- other fields


def test_emails_keep_the_local_part_and_lower_the_domain():
    assert normalise_email(" Chen.Li@Example.COM ") == "Chen.Li@example.com"
    for bad in ("chen", "chen@", "@example.com", "chen@example", "a b@example.com"):
        with pytest.raises(ValueError, match="not an email address"):
            normalise_email(bad)


def test_names_collapse_spaces_and_refuse_control_characters():
    assert normalise_name("  陈   业主 ") == "陈 业主"
    with pytest.raises(ValueError, match="control characters"):
        normalise_name("陈\x00业主")
    with pytest.raises(ValueError, match="a name is required"):
        normalise_name("   ")


def test_a_resident_lists_each_unit_once():
    with pytest.raises(ValidationError):
        ResidentCreate(
            name="A",
            phone="13812345678",
            units=[{"unit_id": "U1", "relation": "owner"}, {"unit_id": "U1", "relation": "family"}],
        )


def test_a_change_must_change_something_and_cannot_remove_name_or_phone():
    with pytest.raises(ValidationError):
        ResidentUpdate()
    with pytest.raises(ValidationError):
        ResidentUpdate(name=None)
    with pytest.raises(ValidationError):
        ResidentUpdate(phone=None)
    assert ResidentUpdate(email=None).model_fields_set == {"email"}


# ---------------------------------------------------------------- invitation codes


def test_a_new_secret_is_ten_crockford_characters_grouped_4_4_2():
    secret = new_secret()
    groups = secret.split("-")
    assert [len(g) for g in groups] == [4, 4, 2]
    assert all(c in CROCKFORD for c in "".join(groups))
    assert len({new_secret() for _ in range(200)}) == 200


def test_a_code_is_the_tenant_and_the_grouped_secret_and_parses_back():
    code = format_code("01HTENANT", "K7QX93PDWQ")
    assert code == "01HTENANT.K7QX-93PD-WQ"
    assert parse_code(code) == ("01HTENANT", "K7QX93PDWQ")


def test_a_code_is_read_forgivingly_as_people_type_it():
    assert parse_code(" 01HTENANT.k7qx 93pd wq ") == ("01HTENANT", "K7QX93PDWQ")
    assert canonical_secret("O1IL-0000-00") == "0111000000"


@pytest.mark.parametrize(
    "code",
    [
        "",
        "K7QX-93PD-WQ",
        ".K7QX-93PD-WQ",
        "T.K7QX-93PD-W",
        "T.K7QX-93PD-WQQ",
        "T.K7QX-93PD-WU",
        "T#1.K7QX-93PD-WQ",
        "T/../x.K7QX-93PD-WQ",
    ],
)
def test_malformed_codes_are_refused(code):
    with pytest.raises(ValueError, match="not an invitation"):
        parse_code(code)


def test_the_digest_binds_the_secret_to_its_tenant_and_ignores_spelling():
    assert secret_digest("A", "K7QX-93PD-WQ") == secret_digest("A", "k7qx93pdwq")
    assert secret_digest("A", "K7QX-93PD-WQ") != secret_digest("B", "K7QX-93PD-WQ")
    assert "K7QX93PDWQ" not in secret_digest("A", "K7QX-93PD-WQ")


# ---------------------------------------------------------------- masking decisions


def ctx(*roles: Role, user_id: str = "me") -> TenantContext:
    return TenantContext(tenant_id="t", user_id=user_id, roles=frozenset(roles))


@pytest.mark.parametrize(
    ("role", "phone", "id_number"),
    [
        (Role.MANAGER, True, True),
        (Role.SERVICE_DESK, True, False),
        (Role.TECHNICIAN, False, False),
        (Role.FINANCE, False, False),
        (Role.GUARD, False, False),
        (Role.RESIDENT, False, False),
        (Role.PLATFORM_ADMIN, False, False),
    ],
)
def test_who_sees_full_values_of_someone_else(role, phone, id_number):
    assert sees_full_phone(ctx(role), "someone-else") is phone
    assert sees_full_id_number(ctx(role), "someone-else") is id_number


def test_the_data_subject_always_sees_their_own_values():
    assert sees_full_phone(ctx(Role.RESIDENT, user_id="u1"), "u1")
    assert sees_full_id_number(ctx(Role.RESIDENT, user_id="u1"), "u1")
    assert not sees_full_phone(ctx(Role.RESIDENT, user_id="u1"), None)


def test_masks_keep_only_what_identifies_a_record_at_a_glance():
    assert shown_phone("13812345678", False) == "138****5678"
    assert shown_phone("13812345678", True) == "13812345678"
    assert shown_id_number("11010519491231002X", False) == "110***********002X"
    assert shown_phone(None, False) is None
