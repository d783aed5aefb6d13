"""A feature's collaborators, built once per cold start: one helper instead of a wiring copy per feature.

A feature declares what it needs in its ``wiring.py``::

    wiring = Wiring(settings, source="courtyard.visitors")
    table = wiring.factory(lambda: wiring.table(wiring.config.visitors_table))
    service = wiring.factory(lambda: PassService(repository(), wiring.reader(), wiring.clock, ...))

Each factory builds its collaborator on first use and keeps it until ``reset()``. Tests set one clock for
every feature (``use_clock``) or swap one collaborator (``wiring.override``), and ``reset_all()`` returns
every feature's wiring to its cold state, so no clock or cache leaks from one test module into the next.

The kernel collaborators every feature shares (audit, events, directory reader, cipher, blind index,
tables, outbox) are built here once; their modules are imported when first asked for, so a function only
pays the import cost of what it uses.
"""

from __future__ import annotations

import secrets
import time
import weakref
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from courtyard.clock import Clock, SystemClock
from courtyard.settings import FunctionSettings

if TYPE_CHECKING:
    from courtyard.audit import AuditWriter
    from courtyard.blind_index import BlindIndex
    from courtyard.crypto import FieldCipher
    from courtyard.directory import DirectoryReader
    from courtyard.directory_cache import RecentDirectory
    from courtyard.events import EventPublisher
    from courtyard.live_link import LiveLinks
    from courtyard.outbox import Outbox
    from courtyard.personal_export import PartWriter
    from courtyard.table import Table

S = TypeVar("S", bound=FunctionSettings)
T = TypeVar("T")

_EVERY_WIRING: weakref.WeakSet[Wiring[Any]] = weakref.WeakSet()
# The one clock override (tests, replays): every feature's collaborators see the same time.
_clock_override: list[Clock] = []


class Wiring(Generic[S]):
    """The collaborators of one feature's functions, cached per process (one Lambda sandbox)."""

    def __init__(self, settings: Callable[[], S], source: str) -> None:
        self._settings = settings
        self.source = source
        self._overrides: dict[Hashable, Any] = {}
        self._built: dict[Hashable, Any] = {}
        _EVERY_WIRING.add(self)

    # ------------------------------------------------------------------ configuration and time

    @property
    def config(self) -> S:
        return self._settings()

    @property
    def clock(self) -> Clock:
        return self._cached("clock", lambda: _clock_override[0] if _clock_override else SystemClock())

    # ------------------------------------------------------------------ the feature's own collaborators

    def factory(self, build: Callable[[], T]) -> Callable[[], T]:
        """A cached accessor: ``build`` runs on first use after a reset; an override wins over it."""

        def get() -> T:
            if get in self._overrides:
                return cast("T", self._overrides[get])
            return self._cached(get, build)

        get.__doc__ = build.__doc__
        return get

    def override(self, factory: Callable[[], T], value: T | None) -> None:
        """Tests put a fake in place of one collaborator (None removes it); the rest are rebuilt around it."""
        if value is None:
            self._overrides.pop(factory, None)
        else:
            self._overrides[factory] = value
        self.reset()

    def reset(self) -> None:
        """Forget every built collaborator and the settings (tests switch environments between cases)."""
        self._built.clear()
        cache_clear = getattr(self._settings, "cache_clear", None)
        if cache_clear is not None:
            cache_clear()

    def _cached(self, key: Hashable, build: Callable[[], T]) -> T:
        if key not in self._built:
            self._built[key] = build()
        return cast("T", self._built[key])

    # ------------------------------------------------------------------ the kernel's shared collaborators

    def audit(self) -> AuditWriter:
        from courtyard.audit import AuditWriter

        cfg = self.config
        return self._cached(
            "audit", lambda: AuditWriter(cfg.audit_table, cfg.audit_retention_days, self.clock)
        )

    def events(self) -> EventPublisher:
        from courtyard.events import EventPublisher

        return self._cached("events", lambda: EventPublisher(self.config.event_bus_name, self.source))

    def export_part(self, feature: str) -> PartWriter:
        """Writes this feature's part of a person's export (courtyard.personal_export)."""
        from courtyard.personal_export import ExportBucket, PartWriter

        return self._cached(
            ("export_part", feature), lambda: PartWriter(ExportBucket(self.config.export_bucket), feature)
        )

    def reader(self) -> DirectoryReader:
        """The process's one directory reader (the resolver's tenant and standing checks share it)."""
        from courtyard.directory_cache import shared_reader

        return shared_reader(self.config.directory_table)

    def recent(self) -> RecentDirectory:
        """The reader with a request path's repeated reads kept for a minute (courtyard.directory_cache)."""
        from courtyard.directory_cache import RecentDirectory

        return self._cached("recent", lambda: RecentDirectory(self.reader()))

    def live_links(self) -> LiveLinks:
        """The condition a resident's write carries on their live unit link (courtyard.live_link); a refusal
        drops the links ``recent()`` keeps for them."""
        from courtyard.live_link import LiveLinks

        return self._cached("live_links", lambda: LiveLinks(self.config.directory_table, self.recent()))

    def cipher(self) -> FieldCipher:
        from courtyard.crypto import FieldCipher

        return self._cached("cipher", lambda: FieldCipher(self.config.pii_key_id, clock=self.clock))

    def blind_index(self) -> BlindIndex:
        from courtyard.blind_index import load_blind_index

        return self._cached("blind_index", lambda: load_blind_index(self.config.blind_index_parameter))

    def table(self, name: str, *, cursors: bool = True) -> Table:
        """The table ``name``. With ``cursors`` its list cursors are signed with the deployment's secret;
        without, a per-process key spares a worker that writes no cursors the secret (and its IAM grant)."""
        from courtyard.cursor import CursorCodec, load_cursor_secret
        from courtyard.table import Table

        def build() -> Table:
            key = load_cursor_secret(self.config.cursor_key_parameter) if cursors else secrets.token_bytes(32)
            return Table(name, CursorCodec(key))

        return self._cached(("table", name, cursors), build)

    def outbox(self, table: Table) -> Outbox:
        """The transactional outbox stored in ``table``, sending through this feature's publisher."""
        from courtyard.outbox import Outbox

        return self._cached(("outbox", id(table)), lambda: Outbox(table, self.clock, self.events()))


def clock_override() -> Clock | None:
    """The clock tests set with ``use_clock`` (None in production): caches outside a wiring follow it too."""
    return _clock_override[0] if _clock_override else None


def cache_seconds() -> float:
    """The time of per-container caches: monotonic in production, the tests' clock when they drive one."""
    clock = clock_override()
    return clock.now().timestamp() if clock is not None else time.monotonic()


def use_clock(clock: Clock | None) -> None:
    """Tests inject a FixedClock for every feature; None returns to the wall clock. All is rebuilt with it."""
    _clock_override.clear()
    if clock is not None:
        _clock_override.append(clock)
    for wiring in list(_EVERY_WIRING):
        wiring.reset()


def reset_all() -> None:
    """Every feature's wiring back to its cold state: the wall clock, no fake, nothing built, and the
    process's directory reader forgotten with its caches."""
    from courtyard.directory_cache import shared_reader

    _clock_override.clear()
    shared_reader.cache_clear()
    for wiring in list(_EVERY_WIRING):
        wiring._overrides.clear()
        wiring.reset()
