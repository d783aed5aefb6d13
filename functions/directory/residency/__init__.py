"""Residency: a resident link to a unit has a start and an end (move-out, sale, end of a lease)."""
