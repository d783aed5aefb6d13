"""The base of every Courtyard pydantic model (requests, responses, domain events, settings).

``defer_build``: a model builds its validator and serializer on first use, not at class creation. A function
imports dozens of request, response and event models but a cold start uses a few; building them all at
import cost a quarter of each handler's import. Declared here, once, and inherited, instead of mutating
pydantic's ``BaseModel`` for every library loaded after the kernel. A model may still set its own config;
pydantic merges it with this one.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    model_config = ConfigDict(defer_build=True)
