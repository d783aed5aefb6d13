"""A resident's copy of everything Courtyard holds about them (``/me/exports``, issue 17)."""
