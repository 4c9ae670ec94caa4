"""The check registry: one module per family, each with `run(model, conditions, analysis)`.

To add a family, write `checks/<family>.py` exposing FAMILY and run(), and list it here.
Modules are imported only when a run needs them, so the CLI starts instantly.
"""

from __future__ import annotations

import importlib
from typing import Callable

# family -> module; order is the order of the report
REGISTRY: dict[str, str] = {
    "health": "miniscan.checks.health",
    "texture": "miniscan.checks.texture",
    "edges": "miniscan.checks.edges",
    "specular": "miniscan.checks.specular",
    "silhouette": "miniscan.checks.silhouette",
    "scale": "miniscan.checks.scale",
    "lines": "miniscan.checks.lines",
    "colour": "miniscan.checks.colour",
    "translucency": "miniscan.checks.translucency",
}


def runner(family: str) -> Callable:
    return importlib.import_module(REGISTRY[family]).run


def families() -> tuple[str, ...]:
    return tuple(REGISTRY)
