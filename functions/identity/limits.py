"""Brute-force limits: how many tries a phone number, a source IP and one SMS code get.

Counters live in fixed windows (the window's start is part of the key), so a burst at most doubles a limit
at a window's edge; that is the price of one conditional update per check.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limit:
    name: str
    most: int
    window_seconds: int

    def window(self, epoch: int) -> int:
        return epoch - epoch % self.window_seconds


# A number gets at most 5 codes an hour (SMS costs money and annoys the owner of the number).
CODES_PER_NUMBER = Limit("code-number", 5, 3600)
# One source IP asks for at most 20 codes an hour, whatever numbers it tries.
CODES_PER_IP = Limit("code-ip", 20, 3600)
# Password tries: 10 failures per number per 15 minutes, 50 per IP.
FAILURES_PER_NUMBER = Limit("fail-number", 10, 900)
FAILURES_PER_IP = Limit("fail-ip", 50, 900)
# One code survives at most 5 wrong guesses (1 in 200,000 for a six-digit code), then a new one is needed.
CODE_ATTEMPTS = 5
CODE_TTL_SECONDS = 300
