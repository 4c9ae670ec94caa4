"""Benchmark the picture set: time per picture kind on a ~1M-face mesh (and smaller ones).

    .venv/bin/python bench/bench_render.py [--faces 1000000] [--size 1600] [--checks]

Prints wall and CPU seconds. The checks are timed separately (--checks runs every registered
family first so the family layers have artifacts to draw); without it only the health check
runs and the family layers fall back to their findings. Not a unit test: the machine is
shared, so read the CPU column when the wall clock is noisy.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))


def bumpy_figure(faces: int):
    """A stretched icosphere with ripples, subdivided to about `faces` faces, 28 mm tall."""
    import trimesh

    sub = max(1, int(round(np.log(faces / 20) / np.log(4))))
    m = trimesh.creation.icosphere(subdivisions=sub, radius=1.0)
    v = m.vertices.copy()
    n = v / np.linalg.norm(v, axis=1, keepdims=True)
    v = n * (1.0 + 0.02 * np.sin(40 * n[:, 0]) * np.sin(40 * n[:, 1]))[:, None]
    v *= [6.0, 5.0, 14.0]
    from miniscan.model import from_arrays

    return from_arrays(v, m.faces, name=f"bumpy_{len(m.faces)}.stl")


def timed(label, fn, rows):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    rows.append((label, time.perf_counter() - t0, time.process_time() - c0))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--faces", type=int, default=1_000_000)
    ap.add_argument("--size", type=int, default=1600)
    ap.add_argument("--checks", action="store_true", help="run every registered family first")
    ap.add_argument("--file", help="a mesh file instead of the generated figure")
    args = ap.parse_args()

    from miniscan.analysis import Analysis
    from miniscan.conditions import resolve
    from miniscan.render import gl
    from miniscan.render.sheets import make_pictures
    from miniscan.runner import RunOptions, run_checks

    rows: list = []
    timed("GL probe (subprocess)", gl.require, rows)
    if args.file:
        from miniscan.loading import load

        model = timed("load", lambda: load(args.file), rows)
    else:
        model = timed("generate mesh", lambda: bumpy_figure(args.faces), rows)
    cond = resolve("tabletop")
    a = Analysis(model)
    fams = None if args.checks else ("health",)
    checks, _ = timed("checks (" + ("all families" if args.checks else "health") + ")",
                      lambda: run_checks(model, cond, RunOptions(families=fams), a), rows)
    nfind = sum(len(c.findings) for c in checks)

    t0, c0 = time.perf_counter(), time.process_time()
    pics = make_pictures(model, cond, checks, a, size=args.size)
    rows.append(("full picture set", time.perf_counter() - t0, time.process_time() - c0))
    for only in (["overview"], ["health"], ["seen"]):
        timed(f"  {only[0]} alone", lambda: make_pictures(model, cond, checks, a, size=args.size,
                                                          only=only), rows)
    from miniscan.render.scene import render_mesh

    v, f, fmap = timed("  clustering for display", lambda: render_mesh(model), rows)
    t0 = time.perf_counter()
    sizes = [len(p.encoded()) for p in pics]
    rows.append(("  PNG encoding", time.perf_counter() - t0, 0.0))

    print(f"mesh: {model.n_faces:,} faces ({len(f):,} drawn), {nfind} findings, size {args.size} px, "
          f"{len(pics)} pictures, {sum(sizes) / 1e6:.1f} MB encoded")
    print(f"pictures: {', '.join(p.key for p in pics)}")
    print(f"{'step':38s} {'wall s':>8s} {'cpu s':>8s}")
    for label, w, c in rows:
        print(f"{label:38s} {w:8.2f} {c:8.2f}")
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
