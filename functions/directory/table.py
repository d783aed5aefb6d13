"""The directory table: the kernel's table adapter under the name this feature's repositories use."""

from __future__ import annotations

from courtyard.table import MAX_PAGE, ItemPage, deserialize, serialize
from courtyard.table import Table as DirectoryTable

__all__ = ["MAX_PAGE", "DirectoryTable", "ItemPage", "deserialize", "serialize"]
