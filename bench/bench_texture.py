"""Benchmark the texture family: time and peak memory at 250k, 2M and 8M faces; and regenerate
the power table the detail spectrum reads (analysis/detail/table.py POWER_TABLE).

Run: .venv/bin/python bench/bench_texture.py [--sizes 250000,2000000,8000000]
     .venv/bin/python bench/bench_texture.py --power-table [--confs 64] [--jobs 2]
Each size runs in a fresh subprocess so peak RSS is per size. Prints one line per size (wall and
CPU seconds of the family, the shared per-face geometry apart, peak RSS) and the log-log slope
of time against faces (1.0 = linear). The mesh is a subdivided icosphere of radius 5 mm with
ring ripples 0.5 mm long and 0.02 mm high (a sculpt-like surface with known texture).
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
print(json.dumps({"faces": len(f), "seconds": dt, "cpu_seconds": dc, "shared_seconds": shared,
                  "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
                  "rss_before_gb": rss0 / 1e6,
                  "dominant_wavelength_mm": res.metrics["dominant_wavelength_mm"],
                  "findings": [x.code for x in res.findings]}))
"""


SPREAD_CONFS = 150  # configurations per jitter for MODEL_ERROR (a spread of noisy means
#                    reads their noise too: at 32 it came out 0.21 for the nested levels, not ~0.11)
SMOOTH_FROM = 5  # levels from here on are averaged with their neighbours (smooth_levels): the
#                  sliver lattice's points are alike only once the voxels exceed its long cells


def _simulate(job):
    from miniscan.analysis import detail

    confs, seed, tilt, jitter, aspect, levels = job
    return detail.simulate_power(confs, seed, tilt, jitter=jitter, aspect=aspect, levels=levels)


def smooth_levels(T):
    """From SMOOTH_FROM on the gain changes by a few % a level: each level's log gain is
    averaged with its neighbours' from SMOOTH_FROM on (the ends with their one), which divides
    the Monte-Carlo noise (~10 % at 64 configurations) by ~1.7 and shifts a steady drift by
    less than its noise."""
    import numpy as np

    lg = np.log(T)
    out = lg.copy()
    L = T.shape[2]
    for k in range(SMOOTH_FROM, L):
        out[:, :, k] = lg[:, :, max(k - 1, SMOOTH_FROM):min(k + 2, L)].mean(axis=2)
    return np.exp(out)


def sliver_resolved(T):
    """The sliver lattice's levels whose windows span fewer rows of vertices than the table's
    regime (sigma_k < ROWS_SIM x its rows, 5.77 short edges: levels 0-4) take the equilateral
    lattice's rows: a window through one or two rows overshoots by a factor that depends on the
    wave's direction to them by orders of magnitude (70-780 on average at sigma / lam 0.3-2), an
    average no region reads; whether a region reads such a scale at all is decided from its own
    numbers (`resolved_scales`, checks/texture/measure.py `_readable`)."""
    import math

    from miniscan.analysis import detail
    from miniscan.analysis.detail import table

    area, _, alt = table._altitudes(table._sim_faces(detail.SIM_JITTER, 20261130, 40,
                                                     detail.SLIVER_ASPECT))
    rows = float((area * alt).sum() / area.sum())
    first = math.ceil(2.0 * math.log2(detail.ROWS_SIM * rows) - 1e-9)
    T = T.copy()
    T[1, :, :first] = T[0, :, :first]
    return T


def write_table(T):
    """Write the smoothed table into data/texture_power.json (4 significant digits)."""
    from pathlib import Path

    import numpy as np

    path = Path(__file__).resolve().parents[1] / "src" / "miniscan" / "data" / "texture_power.json"
    doc = json.loads(path.read_text())
    doc["about"] = ("Power gain of each fitting scale of analysis/detail/: [lattice][tilt][level]"
                    "[sigma / lam] (lattice: equilateral, sliver; level: 0 raw vertices, k the k-th "
                    "nested thinning); regenerate with bench/bench_texture.py --power-table (see "
                    "POWER_TABLE in analysis/detail/table.py).")
    doc["rows"] = np.vectorize(lambda x: float(f"{x:.4g}"))(T).tolist()  # 4 significant digits
    path.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    return path


def power_table(confs: int, jobs: int = 1, raw: str | None = None) -> None:
    """Write data/texture_power.json's rows ([lattice][tilt][level][sigma / lam]: lattices
    equilateral and sliver, fixed seeds) and print the MODEL_ERROR literal (paste into
    analysis/detail/table.py)."""
    import time
    from multiprocessing import Pool
    from pathlib import Path

    import numpy as np

    from miniscan.analysis import detail

    t0 = time.perf_counter()
    lattices = (None, detail.SLIVER_ASPECT)
    table = [(confs, 20261122 + 100 * l + t, tilt, detail.SIM_JITTER, aspect, detail.SIM_LEVELS)
             for l, aspect in enumerate(lattices) for t, tilt in enumerate(detail.TILTS_DEG)]
    # the model error from the spread between jitters, over the raw scale and four thinnings
    # (the later levels' points are alike: they share the pooled value)
    spread = [(SPREAD_CONFS, 7 + int(j * 100), 30.0, j, None, 5) for j in (0.0, 0.15, 0.3)]
    with Pool(jobs) as pool:
        out = pool.map(_simulate, table + spread, chunksize=1)
    T = np.stack(out[:len(table)]).reshape(len(lattices), len(detail.TILTS_DEG),
                                           detail.SIM_LEVELS, -1)
    J = np.stack(out[len(table):])  # (jitters, 5, S)
    if raw:
        np.save(raw, T)
    T = sliver_resolved(smooth_levels(T))
    sel = (detail.S_GRID >= 0.2) & (detail.S_GRID <= 2.0)
    rel = np.abs(J / J.mean(0)[None] - 1).max(0)
    err = [float(np.percentile(rel[r, sel], 90)) for r in (0, 1)]
    err += [float(np.percentile(rel[2:, sel], 90))] * (detail.SIM_LEVELS - 2)
    path = write_table(T)
    print(f"wrote {path.name}: {T.shape} in {time.perf_counter() - t0:.0f} s ({jobs} processes)")
    print("MODEL_ERROR = np.array(" + json.dumps([round(e, 3) for e in err]) + ")")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="250000,2000000,8000000")
    ap.add_argument("--power-table", action="store_true")
    ap.add_argument("--confs", type=int, default=64)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--raw", help="also save the unsmoothed table (.npy) here")
    args = ap.parse_args()
    if args.power_table:
        power_table(args.confs, args.jobs, args.raw)
        return
    rows = []
    for target in (int(x) for x in args.sizes.split(",")):
        out = subprocess.run([sys.executable, "-c", CHILD, str(target)], capture_output=True,
                             text=True, check=True).stdout.strip().splitlines()[-1]
        r = json.loads(out)
        rows.append(r)
        print(f"faces {r['faces']:>9,}  texture {r['seconds']:6.2f} s wall, {r['cpu_seconds']:6.2f} s "
              f"CPU  (shared geometry {r['shared_seconds']:.2f} s)  peak RSS {r['peak_rss_gb']:.2f} GB "
              f"(mesh alone {r['rss_before_gb']:.2f} GB)  dominant {r['dominant_wavelength_mm']:.3f} mm "
              f"(true 0.5)  findings {r['findings']}", flush=True)
    if len(rows) >= 2:
        a, b = rows[0], rows[-1]
        slope = math.log(b["seconds"] / a["seconds"]) / math.log(b["faces"] / a["faces"])
        print(f"log-log slope time/faces {a['faces']:,} -> {b['faces']:,}: {slope:.2f}")


if __name__ == "__main__":
    main()
