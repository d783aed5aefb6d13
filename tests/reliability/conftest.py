"""Fixtures of the reliability suite (the fault-injection fixtures live in faults_support.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reliability.world import World, running_world


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    """The seeded two-tenant world on in-process moto: tenant A's objects of every kind, B's attackers."""
    with running_world() as built:
        yield built
