"""Visitor passes: signed QR passes, gate checks online and offline, entry limits, revocation, visit log."""
