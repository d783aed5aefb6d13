"""Courtyard's shared kernel: tenancy, errors, the API resolver, settings and AWS adapters.

Importing the kernel makes every pydantic model defined after it build its validator on first use rather
than at class creation (``defer_build``). A function imports dozens of request, response and event models
but a cold start uses a few: building them all at import cost a quarter of each handler's import. Every
feature module imports the kernel before it defines a model, so all of Courtyard's models are deferred;
the config is the default of pydantic's ``BaseModel``, which a model can still override.
"""

import gc

from pydantic import BaseModel

BaseModel.model_config["defer_build"] = True
# What is loaded by now (boto3, pydantic, Powertools) lives as long as the sandbox: out of the collector's
# sight, the full collections that the rest of the cold start's imports trigger no longer walk it.
gc.freeze()
