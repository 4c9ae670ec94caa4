"""Headless OpenGL: pick EGL before VTK loads, and probe it in a subprocess first.

VTK's OSMesa fallback segfaults when libOSMesa is missing, and a broken EGL can abort the
process; so the first use of the renderer runs a tiny render in a child process and turns
any failure into a clear GLUnavailable error instead of a crash.
"""

from __future__ import annotations

import os
import subprocess
import sys
from functools import lru_cache

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

INSTALL_HINT = ("install Mesa's EGL/GL libraries: sudo apt-get install libegl1 libegl-mesa0 "
                "libgl1-mesa-dri libgles2 (scripts/setup.sh does this)")

_PROBE = r"""
import os
os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
import pyvista as pv
p = pv.Plotter(off_screen=True, window_size=(16, 16))
p.add_mesh(pv.Sphere())
img = p.screenshot(return_img=True)
p.close()
assert img is not None and img.shape[0] == 16
print("ok")
"""


class GLUnavailable(RuntimeError):
    """No working off-screen OpenGL; the message says what is missing and how to install it."""


@lru_cache(maxsize=1)
def probe() -> str | None:
    """None when off-screen rendering works, else the reason (cached per process)."""
    if os.environ.get("MINISCAN_NO_GL"):
        return "rendering disabled by MINISCAN_NO_GL"
    env = dict(os.environ)
    try:
        r = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                           timeout=120, env=env)
    except subprocess.TimeoutExpired:
        return f"the OpenGL probe hung for 120 s; {INSTALL_HINT}"
    if r.returncode == 0 and "ok" in r.stdout:
        return None
    tail = (r.stderr.strip().splitlines() or [f"exit code {r.returncode}"])[-1][:200]
    if r.returncode < 0:
        tail = f"renderer crashed with signal {-r.returncode}"
    elif "ModuleNotFoundError" in tail:
        return f"pyvista/vtk not installed ({tail}); run scripts/setup.sh"
    return f"off-screen OpenGL (EGL) does not work here: {tail}; {INSTALL_HINT}"


def require() -> None:
    """Raise GLUnavailable unless off-screen rendering works."""
    reason = probe()
    if reason:
        raise GLUnavailable(reason)


def plotter(width: int, height: int, **kw):
    """An off-screen pyvista Plotter after the GL probe passed."""
    require()
    import pyvista as pv

    return pv.Plotter(off_screen=True, window_size=(int(width), int(height)), **kw)
