"""Benchmark the texture family: time and peak memory at 250k, 2M and 8M faces; and regenerate
the power table the detail spectrum reads (analysis/detail/table.py POWER_TABLE).

Run: .venv/bin/python bench/bench_texture.py [--sizes 250000,2000000,8000000]
     .venv/bin/python bench/bench_texture.py --power-table [--confs 300]
     .venv/bin/python bench/bench_texture.py --steep-table
Each size runs in a fresh subprocess so peak RSS is per size. Prints one line per size (the
baseline -- trimesh's load + merge of the same mesh from a binary STL, measured in the same
run --, wall and CPU seconds of the family, the shared per-face geometry apart, peak RSS) and
the log-log slope of time against faces (1.0 = linear). The mesh is a subdivided icosphere of
radius 5 mm with ring ripples 0.5 mm long and 0.02 mm high (a sculpt-like surface with known
texture).
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys

CHILD = r"""
import json, math, resource, sys, time
import numpy as np, trimesh
from miniscan.analysis import Analysis
from miniscan.checks import texture
from miniscan.conditions import resolve
from miniscan.model import from_arrays
target = int(sys.argv[1])
# an icosphere has 20 * 4^s faces: take the nearest below, then split the topmost faces
sub = int(math.floor(math.log(target / 20.0, 4)))
m = trimesh.creation.icosphere(subdivisions=sub, radius=5.0)
v = np.asarray(m.vertices); f = np.asarray(m.faces)
if len(f) < 0.95 * target:  # each split adds 3 faces
    c = v[f].mean(axis=1)
    sel = np.argsort(-c[:, 2], kind="stable")[: (target - len(f)) // 3]
    v, f = trimesh.remesh.subdivide(v, f, face_index=sel)
    v = v / np.linalg.norm(v, axis=1, keepdims=True) * 5.0
n = v / np.linalg.norm(v, axis=1, keepdims=True)
sarc = 5.0 * np.arccos(np.clip(n[:, 2], -1, 1))
v = v + n * (0.02 * np.cos(2 * np.pi * sarc / 0.5))[:, None]
model = from_arrays(v, f)
an = Analysis(model)
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
an.face_areas, an.face_normals, an.n_bodies, an.kdtree  # shared (mesh info, edges family)
shared = time.perf_counter() - t
t, c = time.perf_counter(), time.process_time()
res = texture.run(model, resolve("tabletop"), an)
dt, dc = time.perf_counter() - t, time.process_time() - c
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
# the baseline, after the peak (its copies are not ours): trimesh's load + merge of the same
# mesh from a binary STL, the cost of merely reading the file
import os, tempfile
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "bench.stl")
    trimesh.Trimesh(v, f, process=False).export(path)
    t0 = time.perf_counter()
    trimesh.load(path, process=False).merge_vertices()
    base = time.perf_counter() - t0
print(json.dumps({"faces": len(f), "seconds": dt, "cpu_seconds": dc, "shared_seconds": shared,
                  "peak_rss_gb": peak, "trimesh_seconds": base,
                  "rss_before_gb": rss0 / 1e6,
                  "dominant_wavelength_mm": res.metrics["dominant_wavelength_mm"],
                  "findings": [x.code for x in res.findings]}))
"""


def power_table(confs: int) -> None:
    """Print the POWER_TABLE and MODEL_ERROR literals (paste into analysis/detail/table.py)."""
    import numpy as np

    from miniscan.analysis import detail

    T = np.stack([detail.simulate_power(confs, 20261122 + t, tilt)
                  for t, tilt in enumerate(detail.TILTS_DEG)])
    J = np.stack([detail.simulate_power(confs // 2, 7 + int(j * 100), 30.0, jitter=j)
                  for j in (0.0, 0.15, 0.3)])
    sel = (detail.S_GRID >= 0.2) & (detail.S_GRID <= 2.0)
    rel = np.abs(J / J.mean(0)[None] - 1).max(0)
    err = [float(np.percentile(rel[r, sel], 90)) for r in (0, 1)]
    err += [float(np.percentile(rel[2:, sel], 90))] * (detail.SIM_LEVELS - 2)
    print('rows for src/miniscan/data/texture_power.json ("rows"): '
          + json.dumps(np.round(T, 6).tolist()))
    print("MODEL_ERROR = np.array(" + json.dumps([round(e, 3) for e in err]) + ")")


def steep_table(tilts=None) -> None:
    """Print the steep relief's loss table (src/miniscan/data/texture_steep.json): per tilt
    (default the power table's five; the tree's table: --steep-tilts 0), slope and sigma / lam,
    the loss and its spread over the simulated sheets."""
    import numpy as np

    from miniscan.analysis import detail

    s_grid = np.round(0.2 * np.sqrt(2.0) ** np.arange(-1, 8), 4)  # 0.14-2.26, the ladder's steps
    slopes = detail.STEEP_SLOPES
    loss, spread = [], []
    tilts = detail.TILTS_DEG if tilts is None else tilts
    for t in tilts:
        lo, sp = detail.simulate_steep(slopes, s_grid, tilt_deg=t)
        loss.append(np.round(lo, 3).tolist())
        spread.append(np.round(sp, 3).tolist())
    print(json.dumps({"slopes": slopes.tolist(), "s": s_grid.tolist(),
                      "tilts": list(tilts), "loss": loss, "spread": spread}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="250000,2000000,8000000")
    ap.add_argument("--power-table", action="store_true")
    ap.add_argument("--confs", type=int, default=300)
    ap.add_argument("--steep-table", action="store_true")
    ap.add_argument("--steep-tilts", default=None,
                    help="comma-separated tilts (degrees) of the steep table; default all five")
    args = ap.parse_args()
    if args.steep_table:
        steep_table(None if args.steep_tilts is None
                    else [float(t) for t in args.steep_tilts.split(",")])
        return
    if args.power_table:
        power_table(args.confs)
        return
    rows = []
    for target in (int(x) for x in args.sizes.split(",")):
        out = subprocess.run([sys.executable, "-c", CHILD, str(target)], capture_output=True,
                             text=True, check=True).stdout.strip().splitlines()[-1]
        r = json.loads(out)
        rows.append(r)
        print(f"faces {r['faces']:>9,}  trimesh load+merge {r['trimesh_seconds']:5.2f} s  "
              f"texture {r['seconds']:6.2f} s wall, {r['cpu_seconds']:6.2f} s "
              f"CPU  (shared geometry {r['shared_seconds']:.2f} s)  "
              f"peak RSS {r['peak_rss_gb']:.2f} GB (mesh alone {r['rss_before_gb']:.2f} GB)  "
              f"dominant {r['dominant_wavelength_mm']:.3f} mm "
              f"(true 0.5)  findings {r['findings']}", flush=True)
    if len(rows) >= 2:
        a, b = rows[0], rows[-1]
        slope = math.log(b["seconds"] / a["seconds"]) / math.log(b["faces"] / a["faces"])
        print(f"log-log slope time/faces {a['faces']:,} -> {b['faces']:,}: {slope:.2f}")


if __name__ == "__main__":
    main()
