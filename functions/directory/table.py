"""The directory table: the kernel's table adapter under the name this feature's repositories use.

One index, gsi1 (ALL; issue 18: each index earns its writes): the lists a key cannot reach, each item kind
with its own ``gsi1pk`` family: a site's units in room order (``DirectoryReader``, the places pages), a
site's residents, the tenant's residents and staff by name, a unit's invitations, a site's proxies (one
query reaches every proxy when a fire alarm goes out). The pages render people and units from the index, so
the copy is full; items without a list (tenants, claims, phones, care and duty records) carry no gsi1 key
and copy nothing.
"""

from __future__ import annotations

from courtyard.table import MAX_PAGE, ItemPage, deserialize, serialize
from courtyard.table import Table as DirectoryTable

__all__ = ["MAX_PAGE", "DirectoryTable", "ItemPage", "deserialize", "serialize"]
