"""One phone number, one person: when two names given for one number are the same person's."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from directory.people.identity import name_key, same_person_name


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("张三", "张三"),
        ("张三", "张 三"),
        ("张三", "  张三 "),
        ("ＬＩ Lei", "li lei"),
        ("Li Lei", "LiLei"),
        ("阿卜杜·热合曼", "阿卜杜•热合曼"),
        ("阿卜杜·热合曼", "阿卜杜.热合曼"),
    ],
)
def test_spellings_of_one_name_are_one_person(first: str, second: str) -> None:
    assert same_person_name(first, second)


@pytest.mark.parametrize(
    ("first", "second"),
    [("张三", "李四"), ("张三", "张三丰"), ("王芳", "汪芳"), ("张三", ""), ("", ""), (" ", "")],
)
def test_different_or_blank_names_are_not_one_person(first: str, second: str) -> None:
    assert not same_person_name(first, second)


@given(st.text(min_size=1, max_size=20))
def test_the_rule_is_symmetric_and_a_name_is_its_own(name: str) -> None:
    assert same_person_name(name, name) == bool(name_key(name))
    assert same_person_name(name, " " + name) == same_person_name(" " + name, name)
