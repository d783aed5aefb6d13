"""Invoice titles, pure: taxpayer numbers of 15, 18 (unified social credit code, check character) or 20
characters; a company title needs one, a person's takes none."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from payments.invoice_models import InvoiceRequestCreate
from payments.invoice_titles import USCC_CHARS, tax_number_problem, uscc_check
from pydantic import ValidationError

# Real codes as printed on business licences (Fuzhou example of GB 32100, Tencent Shenzhen, Xiaomi Beijing).
REAL_CODES = ["91350100M000100Y43", "9144030071526726XG", "91110108551385082Q"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_unified_social_credit_codes_pass(code: str):
    assert tax_number_problem(code) is None


@pytest.mark.parametrize("code", REAL_CODES)
def test_a_wrong_check_character_is_refused(code: str):
    wrong = code[:17] + next(c for c in "0123456789" if c != code[17])
    assert "check character" in (tax_number_problem(wrong) or "")


@pytest.mark.parametrize(
    "number", ["91350100M000100I43", "91350100M000100O43", "91350100m000100Y43", "9135010-M000100Y43"]
)
def test_an_18_character_number_outside_the_codes_alphabet_is_refused(number: str):
    assert tax_number_problem(number) is not None


@pytest.mark.parametrize("number", ["110108551385082", "11010819800101123401", "4403007152672AB"])
def test_older_15_and_20_character_tax_numbers_pass(number: str):
    assert tax_number_problem(number) is None


@pytest.mark.parametrize(
    "number", ["1234567890123", "1234567890123456", "123456789012345678901", "12345 67890123"]
)
def test_other_lengths_are_refused(number: str):
    assert tax_number_problem(number) is not None


@given(st.text(alphabet=USCC_CHARS, min_size=17, max_size=17))
def test_every_17_characters_get_exactly_one_check_character(first17: str):
    good = [c for c in USCC_CHARS if tax_number_problem(first17 + c) is None]
    assert good == [uscc_check(first17)]


def test_a_company_title_needs_a_valid_tax_number_and_it_is_upper_cased():
    made = InvoiceRequestCreate(title_type="company", title="阳光科技", tax_number="9144030071526726xg")
    assert made.tax_number == "9144030071526726XG"
    with pytest.raises(ValidationError, match="needs its tax number"):
        InvoiceRequestCreate(title_type="company", title="阳光科技有限公司")
    with pytest.raises(ValidationError, match="check character"):
        InvoiceRequestCreate(title_type="company", title="阳光科技有限公司", tax_number="9144030071526726X0")


def test_a_personal_title_takes_no_tax_number():
    assert InvoiceRequestCreate(title_type="personal", title="陈小明").tax_number is None
    with pytest.raises(ValidationError, match="no tax number"):
        InvoiceRequestCreate(title_type="personal", title="陈小明", tax_number="91350100M000100Y43")
