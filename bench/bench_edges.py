"""Edges family benchmark: accuracy on procedural boxes and time on a ~1M-face mesh.

Run: .venv/bin/python bench/bench_edges.py   (prints figures; not a unit test)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from procedural_edges import rounded_box  # noqa: E402

from miniscan.analysis import Analysis  # noqa: E402
from miniscan.checks import edges  # noqa: E402
from miniscan.conditions import resolve  # noqa: E402
from miniscan.model import from_arrays  # noqa: E402


def main() -> None:
    cond = resolve("display")
    print("accuracy: measured / true radius (median over 12 chains)")
    for kind in ("grid", "radial"):
        for r in (0.05, 0.2, 0.5, 1.0):
            row = []
            for hr in (1 / 8, 1 / 2):
                v, f = rounded_box(r, r * hr, kind=kind)
                m = from_arrays(v, f)
                res = edges.run(m, cond, Analysis(m))
                rad = [c["radius_mm"] for c in res.metrics["chains"]]
                row.append(f"h=r*{hr:.3f}: {np.median(rad) / r:.3f} ({len(f):,} faces)")
            print(f"  {kind:6s} r={r:<4} " + "  ".join(row))
    v, f = rounded_box(0.5, 0.0148, a=2.0)
    m = from_arrays(v, f)
    a = Analysis(m)
    t0 = time.perf_counter()
    _ = a.face_normals, a.face_areas, a.face_centroids
    t1 = time.perf_counter()
    res = edges.run(m, cond, a)
    t2 = time.perf_counter()
    print(f"speed: {len(f):,} faces: shared face geometry {t1 - t0:.2f} s, "
          f"edges family {t2 - t1:.2f} s, {res.metrics['chains_total']} chains")


if __name__ == "__main__":
    main()
