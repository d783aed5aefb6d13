"""Bulk import of units and residents: parse uploaded files, normalise rooms, validate into a plan."""
