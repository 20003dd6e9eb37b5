"""The Younium tenant's legal entities: the default one, and those of `SandboxConfig.younium_legal_entities`.

A group of companies has one Younium tenant with a legal entity per company: one API client and one token
for all of them, and a `legal-entity` header (an entity's name, case-insensitive, or its id) on every data
request saying which company's books it reads. Each entity here has a dataset of its own, of the
configured sizes, seeded apart so that its records (and their ids) differ from every other entity's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping

from ..kernel.config import SandboxConfig
from .tenant import YouniumTenant


def entity_seed(seed: int, position: int) -> int:
    """The seed of the entity at `position` (1: the first beyond the default one): a pure function of the
    sandbox's seed and the position, so equal configurations give equal entities. Every id a dataset makes
    is a digest keyed by its seed, so another seed means other ids."""
    raw = hashlib.blake2b(f"{seed}:{position}".encode(), digest_size=8, person=b"legal-entity").digest()
    return int.from_bytes(raw, "little") >> 1  # a non-negative int64, as the seed option takes


def build_entities(config: SandboxConfig, clock: Callable[[], float]) -> dict[str, YouniumTenant]:
    """Every legal entity by name, the default one first, all of them sharing the default one's tokens."""
    default = YouniumTenant(config, clock)
    entities = {default.name: default}
    seeds = {config.seed}
    for position, name in enumerate(config.younium_legal_entities, start=1):
        seed = entity_seed(config.seed, position)
        while seed in seeds:  # as good as never; but two entities with one seed would be one dataset twice
            seed += 1
        seeds.add(seed)
        entities[name] = YouniumTenant(config, clock, name=name, seed=seed, tokens=default.tokens)
    return entities


def find_entity(entities: Mapping[str, YouniumTenant], reference: str) -> YouniumTenant | None:
    """The entity `reference` names, by name (case-insensitive) or by legal entity id, as the header does."""
    wanted = reference.strip().lower()
    for tenant in entities.values():
        if wanted in (tenant.name.lower(), tenant.dataset.legal_entity_id.lower()):
            return tenant
    return None
