"""The kernel's wiring: collaborators built once, one clock override, one reset, fakes swapped in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache

from courtyard.clock import FixedClock, SystemClock
from courtyard.settings import FunctionSettings
from courtyard.wiring import Wiring, reset_all, use_clock

GLOBALS = {
    "EVENT_BUS_NAME": "courtyard-dev",
    "AUDIT_TABLE": "audit",
    "IDEMPOTENCY_TABLE": "idempotency",
    "PII_KEY_ID": "key-1",
    "CURSOR_KEY_PARAMETER": "arn:aws:secretsmanager:us-east-1:123456789012:secret:cursor",
    "DIRECTORY_TABLE": "directory",
    "BLIND_INDEX_PARAMETER": "arn:aws:secretsmanager:us-east-1:123456789012:secret:index",
}


class Repo:
    def __init__(self, table: str) -> None:
        self.table = table


class Service:
    def __init__(self, repo: Repo, clock: object) -> None:
        self.repo = repo
        self.clock = clock


def feature(monkeypatch) -> tuple[Wiring[FunctionSettings], Callable[[], Repo], Callable[[], Service]]:
    for name, value in GLOBALS.items():
        monkeypatch.setenv(name, value)

    @lru_cache(maxsize=1)
    def settings() -> FunctionSettings:
        return FunctionSettings.from_environment()

    wiring = Wiring(settings, source="courtyard.test")
    repo = wiring.factory(lambda: Repo(wiring.config.directory_table))
    service = wiring.factory(lambda: Service(repo(), wiring.clock))
    return wiring, repo, service


def test_a_collaborator_is_built_once_until_reset(monkeypatch) -> None:
    wiring, _repo, service = feature(monkeypatch)

    first = service()
    assert service() is first
    wiring.reset()
    assert service() is not first


def test_the_clock_override_reaches_every_collaborator_and_can_be_removed(monkeypatch) -> None:
    wiring, _repo, service = feature(monkeypatch)
    fixed = FixedClock(datetime(2026, 12, 7, 8, 0, tzinfo=UTC))

    use_clock(fixed)
    assert service().clock is fixed
    assert wiring.audit()._clock is fixed
    use_clock(None)
    assert isinstance(service().clock, SystemClock)


def test_a_fake_replaces_one_collaborator_and_the_rest_are_built_around_it(monkeypatch) -> None:
    wiring, repo, service = feature(monkeypatch)
    fake = Repo("in-memory")

    wiring.override(repo, fake)
    assert service().repo is fake
    wiring.override(repo, None)
    assert service().repo.table == "directory"


def test_settings_are_read_again_after_a_reset(monkeypatch) -> None:
    wiring, repo, _service = feature(monkeypatch)
    assert repo().table == "directory"

    monkeypatch.setenv("DIRECTORY_TABLE", "directory-2")
    assert repo().table == "directory"
    wiring.reset()
    assert repo().table == "directory-2"


def test_reset_all_returns_every_feature_to_its_cold_state(monkeypatch) -> None:
    wiring, repo, service = feature(monkeypatch)
    fixed = FixedClock()
    use_clock(fixed)
    wiring.override(repo, Repo("fake"))
    built = service()

    reset_all()

    assert service() is not built
    assert isinstance(service().clock, SystemClock)
    assert service().repo.table == "directory"


def test_shared_kernel_collaborators_are_built_once(monkeypatch) -> None:
    wiring, _repo, _service = feature(monkeypatch)

    assert wiring.events() is wiring.events()
    assert wiring.reader() is wiring.reader()
    assert wiring.events().source == "courtyard.test"
