"""The material table (data/materials.toml): real-world texture, edge and thickness ranges."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def table() -> dict[str, dict]:
    with resources.files("miniscan.data").joinpath("materials.toml").open("rb") as fh:
        return tomllib.load(fh)


PROPERTIES = ("texture_mm", "edge_radius_mm", "thickness_mm")


def get(material: str, extra: dict | None = None) -> dict:
    """A material's properties; `extra` (from config: {name: {property: [lo, hi]}}) adds new
    materials or overrides single properties of packaged ones."""
    t = table()
    base = dict(t.get(material, t["generic"]))
    if extra and material in extra:
        base.update(extra[material])
    return base


def names(extra: dict | None = None) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*table(), *(extra or {})]))
