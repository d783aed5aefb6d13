"""The module-size gate of `make lint` reports what it should."""

from infra.module_size import LIMIT, breaches


def test_a_module_over_the_limit_is_a_breach() -> None:
    found = breaches({"functions/tickets/big.py": LIMIT + 1}, exceptions=frozenset())

    assert found == [f"functions/tickets/big.py: {LIMIT + 1} lines (limit {LIMIT})"]


def test_a_listed_module_over_the_limit_passes() -> None:
    assert (
        breaches({"functions/tickets/big.py": LIMIT + 1}, exceptions=frozenset({"functions/tickets/big.py"}))
        == []
    )


def test_a_listed_module_back_under_the_limit_must_leave_the_list() -> None:
    found = breaches({"functions/tickets/big.py": LIMIT}, exceptions=frozenset({"functions/tickets/big.py"}))

    assert found == [
        f"functions/tickets/big.py: listed as an exception but has {LIMIT} lines: take it off the list"
    ]
