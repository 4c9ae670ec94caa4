"""Benchmark the texture family: time and peak memory at 250k, 1M and 2M faces.

Run: .venv/bin/python bench/bench_texture.py [--sizes 250000,1000000,2000000]
Each size runs in a fresh subprocess so peak RSS is per size. Prints one line per size and the
log-log slope of time against faces (1.0 = linear; n log n over this range is ~1.05-1.1).
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
import numpy as np, trimesh
from miniscan.analysis import Analysis
from miniscan.checks import texture
from miniscan.conditions import resolve
from miniscan.model import from_arrays
target = int(sys.argv[1])
import math
# an icosphere has 20 * 4^s faces: take the nearest, then (for 2M) one midpoint split of part
sub = int(math.floor(math.log(target / 20.0, 4)))
m = trimesh.creation.icosphere(subdivisions=sub, radius=5.0)
v = np.asarray(m.vertices); f = np.asarray(m.faces)
if len(f) < 0.95 * target:  # e.g. 2M from 1.3M: split the topmost faces (each split adds 3)
    c = v[f].mean(axis=1)
    sel = np.argsort(-c[:, 2], kind="stable")[: (target - len(f)) // 3]
    v, f = trimesh.remesh.subdivide(v, f, face_index=sel)
    v = v / np.linalg.norm(v, axis=1, keepdims=True) * 5.0
n = v / np.linalg.norm(v, axis=1, keepdims=True)
sarc = 5.0 * np.arccos(np.clip(n[:, 2], -1, 1))
v = v + n * (0.02 * np.cos(2 * np.pi * sarc / 0.5))[:, None]
model = from_arrays(v, f)
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
res = texture.run(model, resolve("tabletop"), Analysis(model))
dt = time.perf_counter() - t
print(json.dumps({"faces": len(f), "seconds": dt,
                  "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
                  "rss_before_gb": rss0 / 1e6,
                  "dominant_wavelength_mm": res.metrics["dominant_wavelength_mm"],
                  "findings": len(res.findings)}))
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="250000,1000000,2000000")
    args = ap.parse_args()
    rows = []
    for target in (int(x) for x in args.sizes.split(",")):
        out = subprocess.run([sys.executable, "-c", CHILD, str(target)], capture_output=True,
                             text=True, check=True).stdout.strip().splitlines()[-1]
        r = json.loads(out)
        rows.append(r)
        print(f"faces {r['faces']:>9,}  time {r['seconds']:6.2f} s  peak RSS {r['peak_rss_gb']:.2f} GB "
              f"(mesh alone {r['rss_before_gb']:.2f} GB)  dominant {r['dominant_wavelength_mm']:.3f} mm "
              f"(true 0.5)  findings {r['findings']}")
    if len(rows) >= 2:
        a, b = rows[0], rows[-1]
        slope = math.log(b["seconds"] / a["seconds"]) / math.log(b["faces"] / a["faces"])
        print(f"log-log slope time/faces {a['faces']:,} -> {b['faces']:,}: {slope:.2f}")


if __name__ == "__main__":
    main()
