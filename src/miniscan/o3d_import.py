"""open3d without its plotting front end.

`import open3d` also imports `open3d.visualization.draw_plotly`, which imports plotly and dash
(a web framework): 0.6-0.9 s of CPU and ~60 MB in every process that checks a file, for three
functions miniscan never calls (a worker of a batch pays it once; a single large file pays it
inside its wall time). `prepare()` registers a stand-in for that one module before open3d is
first imported. The stand-in's functions import the real module on their first call, so a
caller who wants open3d's plotly drawing still gets it. Nothing else of open3d changes.
"""

from __future__ import annotations

import importlib
import sys
import types

_NAME = "open3d.visualization.draw_plotly"
_FUNCTIONS = ("get_plotly_fig", "draw_plotly", "draw_plotly_server")  # what open3d imports


def _real() -> types.ModuleType:
    """The real module, imported now in place of the stand-in."""
    mod = sys.modules.get(_NAME)
    if mod is not None and not getattr(mod, "_miniscan_stand_in", False):
        return mod
    sys.modules.pop(_NAME, None)
    try:
        return importlib.import_module(_NAME)
    except Exception:
        if mod is not None:
            sys.modules[_NAME] = mod
        raise


def _forward(name: str):
    def call(*args, **kwargs):
        return getattr(_real(), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    return call


def _module_getattr(attr: str):
    if attr.startswith("__"):
        raise AttributeError(attr)
    return getattr(_real(), attr)


def prepare() -> None:
    """Install the stand-in unless open3d (or the module itself) is already imported."""
    if "open3d" in sys.modules or _NAME in sys.modules:
        return
    stand_in = types.ModuleType(_NAME, "stand-in: the real module loads on first use")
    stand_in._miniscan_stand_in = True
    for name in _FUNCTIONS:
        setattr(stand_in, name, _forward(name))
    stand_in.__getattr__ = _module_getattr
    sys.modules[_NAME] = stand_in
