"""Who a phone number belongs to: the rule that keeps two people from sharing one resident record.

A phone number finds at most one resident of a firm (the directory's phone claim), and one person may live
in or own several units under that number. Two *different* names under one number are two people (a
mother and daughter sharing a family phone, or a typing mistake in the sheet): an import or an invitation
must not silently turn the second into the first, or she signs in and sees the other family's flat and
bills. Names are compared as people write them, not byte for byte.
"""

from __future__ import annotations

import unicodedata

# The interpunct in names such as 阿卜杜·热合曼 is typed many ways; all of them are the same mark.
_INTERPUNCTS = str.maketrans(dict.fromkeys("•・･．.‧∙⋅", "·"))


def name_key(name: str) -> str:
    """The form two spellings of one name share: full-width folded (NFKC), no spaces, one interpunct,
    case-folded: ``"张 三"`` and ``"张三"``; ``"LI Lei"`` and ``"li lei"``; ``"阿卜杜•热合曼"`` and
    ``"阿卜杜·热合曼"``."""
    text = unicodedata.normalize("NFKC", name).translate(_INTERPUNCTS)
    return "".join(text.split()).casefold()


def same_person_name(first: str, second: str) -> bool:
    """Whether two names stated for one phone number are one person's (a blank name proves nothing)."""
    a, b = name_key(first), name_key(second)
    return bool(a) and a == b
