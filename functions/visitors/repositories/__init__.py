"""The visitors table beyond passes and visits (those are ``visitors/repository.py``): firms' signing keys,
revocation lists, and what an erasure scrubs."""
