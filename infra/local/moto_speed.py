"""Takes a per-request cost out of the local cloud's moto server without changing any answer it gives.

moto's server finds the backend of every request by asking ``moto.backends.list_of_moto_modules()``, which
lists moto's package folder and stats each of its some 200 entries, on every request: about 0.2 to 0.4 ms of
CPU per AWS call (a ReceiveMessage costs about 5 ms in all, client and server). The folder does not change
while the process runs, so its listing is read once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from functools import cache

_installed = False
_install_lock = threading.Lock()


def install() -> None:
    """Patch moto (once per process)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        from moto import backends

        original = backends.list_of_moto_modules
        listed = cache(lambda: tuple(original()))

        def list_of_moto_modules() -> Iterable[str]:
            return listed()

        backends.list_of_moto_modules = list_of_moto_modules
        _installed = True
