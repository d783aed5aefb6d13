"""The log scanner every directory test runs must catch what it is there to catch, and only that."""

import pytest

from tests.integration.api import PERSONAL_NUMBER


@pytest.mark.parametrize(
    "line",
    [
        '{"message": "calling 13812345678"}',
        "phone=+86 15900001111 failed",
        '{"id": "11010519491231002X"}',
        "id 330106199001011234,",
    ],
)
def test_phone_and_id_numbers_are_caught(line: str):
    assert PERSONAL_NUMBER.search(line)


@pytest.mark.parametrize(
    "line",
    [
        '{"timestamp": 1763769600123}',
        '{"tenant_id": "01M809GM6Z3ZHYFH45NXF3Z5HA"}',
        '{"masked": "138****5678"}',
        '{"request_id": "8c78e48d-ad7a-41bb-8d02-c5b4ca657cfe"}',
    ],
)
def test_ids_timestamps_and_masked_values_pass(line: str):
    assert not PERSONAL_NUMBER.search(line)
