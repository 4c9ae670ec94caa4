"""Benchmark and accuracy figures for the thickness kernel and the scale family.

Prints: accuracy on plates and hollow spheres of known wall (value and interval), then the
scale family's wall-clock time at 250k / 2M / 8M faces on a displaced UV sphere (sliver
triangles at the poles, isotropic ones at the equator), split into the shared analysis the
runner computes once for every family (areas, normals, topology, the ray-casting BVH) and the
family's own work (samples, rays, intervals, support probe, regions), beside trimesh's load and
merge of the same mesh as a binary STL, in the same run.

    .venv/bin/python bench/bench_thickness.py            # accuracy + 250k and 2M
    .venv/bin/python bench/bench_thickness.py --big      # also 8M faces (~3 GB)
"""

from __future__ import annotations

import os
import resource
import sys
import time

import numpy as np
import trimesh

from miniscan.analysis import Analysis
from miniscan.analysis.thickness import sample_count, thickness
from miniscan.checks import scale
from miniscan.conditions import resolve
from miniscan.model import from_arrays


def _hollow(r, wall, sub):
    o = trimesh.creation.icosphere(sub, radius=r)
    i = trimesh.creation.icosphere(sub, radius=r - wall)
    i.invert()
    m = trimesh.util.concatenate([o, i])
    return from_arrays(m.vertices, m.faces)


def accuracy():
    print("accuracy (median of sure samples, and the median interval, vs the known wall)")
    print(f"{'shape':<24}{'known mm':>10}{'measured':>12}{'interval':>22}{'error %':>10}")
    cases = [(f"plate 20x20", t, from_arrays(*_box(20, 20, t))) for t in (0.2, 0.5, 1.0, 3.0)]
    cases += [("hollow sphere r=10", w, _hollow(10.0, w, 4)) for w in (0.3, 1.0, 2.5)]
    for name, t, m in cases:
        th = thickness(Analysis(m))
        med = float(np.nanmedian(th.thickness_mm))
        lo, hi = float(np.nanmedian(th.lo_mm)), float(np.nanmedian(th.hi_mm))
        print(f"{name:<24}{t:>10.3g}{med:>12.5g}{f'{lo:.4g}-{hi:.4g}':>22}"
              f"{100 * (med / t - 1):>10.2f}")


def _box(x, y, z):
    b = trimesh.creation.box((x, y, z))
    return b.vertices, b.faces


def sphere(faces: int):
    """A UV sphere of about `faces` faces, r = 15 mm, displaced by a smooth ripple."""
    n = int(round(np.sqrt(faces / 4.0)))
    s = trimesh.creation.uv_sphere(radius=15.0, count=[n, n])
    v = s.vertices
    d = 1.0 + 0.02 * np.sin(5 * v[:, 0] / 15) * np.cos(4 * v[:, 1] / 15)
    return from_arrays(v * d[:, None], s.faces)


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def timed(model):
    import open3d as o3d

    a = Analysis(model)
    t0 = time.perf_counter()
    _ = a.watertight, a.face_normals, a.face_centroids, a.body_labels, a.face_areas
    _ = a.mean_edge_mm  # the runner's mesh summary asks for it on every file
    a.raycasting_scene.cast_rays(o3d.core.Tensor(np.array([[0, 0, 0, 0, 0, 1]], np.float32)))
    t1 = time.perf_counter()
    res = scale.run(model, resolve("tabletop"), a)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, res


def baseline(model) -> float:
    """trimesh's load and merge of the same mesh as a binary STL, in the same run: what
    reading the file costs, the yardstick the family's time is quoted against."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sphere.stl"
        trimesh.Trimesh(model.vertices, model.faces, process=False).export(path)
        t0 = time.perf_counter()
        trimesh.load(path, process=False).merge_vertices()
        return time.perf_counter() - t0


def speed(sizes):
    print(f"\nspeed (seconds; {os.cpu_count()} cores shared, load average "
          f"{os.getloadavg()[0]:.1f}; 'shared' = analysis every family uses, BVH included; "
          f"'trimesh' = trimesh's load + merge of the mesh as a binary STL)")
    print(f"{'faces':>12}{'samples':>9}{'trimesh':>9}{'shared':>9}{'scale':>9}{'peak GB':>9}")
    for f in sizes:
        m = sphere(f)
        base = baseline(m)
        shared, own, res = timed(m)
        print(f"{m.n_faces:>12,}{sample_count(m.n_faces):>9,}{base:>9.2f}{shared:>9.2f}"
              f"{own:>9.2f}{_peak_gb():>9.2f}  {[x.code for x in res.findings]}")
        del m, res


if __name__ == "__main__":
    accuracy()
    speed((250_000, 2_000_000) + ((8_000_000,) if "--big" in sys.argv else ()))
