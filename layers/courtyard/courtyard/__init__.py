"""Courtyard's shared kernel: tenancy, errors, the API resolver, settings and AWS adapters."""
