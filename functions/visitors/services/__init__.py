"""Visitors use cases, one module each: passes (issuing, seeing and revoking passes, settings), gate (scans
with atomic entry counting, offline uploads, the visit log), blocklist. Pure rules live beside the package:
rules.py (the gate's verdicts, the single-use entry limit), tokens.py (signed pass tokens), qr.py."""
