"""The material table (data/materials.toml): real-world texture, edge and thickness ranges."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def table() -> dict[str, dict]:
    with resources.files("miniscan.data").joinpath("materials.toml").open("rb") as fh:
        return tomllib.load(fh)


def get(material: str) -> dict:
    t = table()
    return t.get(material, t["generic"])
