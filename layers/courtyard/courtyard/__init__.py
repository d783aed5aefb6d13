"""Courtyard's shared kernel: tenancy, errors, the API resolver, settings and AWS adapters.

Every model inherits ``courtyard.models.Model`` (built on first use, ``defer_build``). Importing the kernel
freezes what is loaded by then (boto3, pydantic, Powertools) out of the garbage collector's sight.
"""

import gc

import pydantic.main  # noqa: F401  (loaded before the freeze below, as boto3 and Powertools are)

# What is loaded by now (boto3, pydantic, Powertools) lives as long as the sandbox: out of the collector's
# sight, the full collections that the rest of the cold start's imports trigger no longer walk it.
gc.freeze()
