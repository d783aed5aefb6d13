"""moto's response serialiser, with the keys it tries for each member worked out once instead of per value.

For every member of every structure in a response (each attribute of each DynamoDB item: ``S``, ``N``,
``M``... ten members an attribute value), moto's ``XFormedAttributePicker`` builds six alias providers and
asks each which keys to try on the Python object; that was about a fifth of an integration test's CPU
(cProfile of ``directory/test_places.py``: 13.8 of 74.8 s in ``moto.core.serialize``). The keys depend only
on the member's name, its shape and the shape's parent, and the object's class (its name and its class-level
``Meta.serialization_aliases``), so they are kept per (class, name, shape, parent): the same keys are tried
in the same order, so every answer is the one moto gave. An object with a ``Meta`` of its own (not its
class's) is worked out each time, as before.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from moto.core import serialize

_installed = False
# moto's own method, for the test that compares answers (test_moto_serialize.py).
ORIGINAL = serialize.XFormedAttributePicker.get_possible_keys


def install() -> None:
    """Patch moto's default picker (once per process)."""
    global _installed
    if _installed:
        return
    picker = serialize.XFormedAttributePicker
    original = ORIGINAL
    kept: dict[tuple[Any, ...], tuple[Any, Any, tuple[str, ...]]] = {}

    def get_possible_keys(self: Any, context: Any) -> Generator[str]:
        obj, shape = context.obj, context.shape
        if self.alias_providers is not serialize.DEFAULT_ALIAS_PROVIDERS or "Meta" in getattr(
            obj, "__dict__", ()
        ):
            yield from original(self, context)
            return
        parent = getattr(shape, "parent", None)
        key = (type(obj), context.key, id(shape), id(parent))
        entry = kept.get(key)
        # The shapes are held by the entry, so their ids cannot be reused while it lives; checked anyway.
        if entry is None or entry[0] is not shape or entry[1] is not parent:
            entry = (shape, parent, tuple(original(self, context)))
            kept[key] = entry
        yield from entry[2]

    picker.get_possible_keys = get_possible_keys  # type: ignore[method-assign]
    _installed = True
