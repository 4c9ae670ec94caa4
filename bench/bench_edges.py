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
    print("accuracy with the real profiles: measured / true radius, min-max over the chains "
          "(chains found of 12)")
    for prof in ("display", "tabletop"):
        cond = resolve(prof)
        print(f" {prof}: R_detect = {edges.detect_radius_mm(cond, ['body']):.3g} mm")
        for kind in ("grid", "radial"):
            for r in (0.05, 0.2, 0.5, 1.0):
                row = []
                for hr in (1 / 8, 1 / 2):
                    if kind == "radial" and hr < 0.5 and r > 0.05:
                        continue  # the same mesh scaled (radial h=r/8 is 1.3M faces)
                    v, f = rounded_box(r, r * hr, kind=kind)
                    m = from_arrays(v, f)
                    res = edges.run(m, cond, Analysis(m))
                    rad = np.array([c["radius_mm"] or np.nan for c in res.metrics["chains"]])
                    if len(rad):
                        row.append(f"h=r*{hr:.3f}: {np.nanmin(rad) / r:.3f}-{np.nanmax(rad) / r:.3f}"
                                   f" ({len(rad)}) ({len(f):,} faces)")
                    else:
                        row.append(f"h=r*{hr:.3f}: none (0) ({len(f):,} faces)")
                print(f"  {kind:6s} r={r:<4} " + "  ".join(row))
    samples = Path(__file__).resolve().parents[1] / "sample_meshes"
    if samples.is_dir():
        from miniscan.loading import load

        print("sample meshes at tabletop: chains, findings by code, chain lengths (mm)")
        for p in sorted(samples.iterdir()):
            if p.suffix.lower() not in (".stl", ".ply", ".obj", ".glb"):
                continue
            m = load(str(p), None)
            t0 = time.perf_counter()
            res = edges.run(m, resolve("tabletop"), Analysis(m))
            dt = time.perf_counter() - t0
            by = {}
            for x in res.findings:
                by[x.code] = by.get(x.code, 0) + 1
            lens = sorted((round(c["length_mm"], 1) for c in res.metrics["chains"]), reverse=True)
            print(f"  {p.name:20s} {len(m.faces):7,} faces {dt:5.2f} s: "
                  f"{res.metrics['chains_total']} chains {dict(sorted(by.items()))} {lens[:8]}")
    cond = resolve("display")
    v, f = rounded_box(0.5, 0.0148, a=2.0)
    m = from_arrays(v, f)
    a = Analysis(m)
    t0 = time.perf_counter()
    import scipy.sparse.csgraph  # noqa: F401  (one-time import, shared by several families)
    import scipy.spatial  # noqa: F401
    t1 = time.perf_counter()
    _ = a.face_normals, a.face_areas, a.face_centroids
    t2 = time.perf_counter()
    _ = a._edge_keys  # integer edge topology, shared with the health family
    t3 = time.perf_counter()
    res = edges.run(m, cond, a)
    t4 = time.perf_counter()
    print(f"speed: {len(f):,} faces: scipy import {t1 - t0:.2f} s, shared face geometry "
          f"{t2 - t1:.2f} s, shared edge topology {t3 - t2:.2f} s, edges family {t4 - t3:.2f} s "
          f"(with edge topology {t4 - t2:.2f} s), {res.metrics['chains_total']} chains, "
          f"turn {np.median([c['turn_deg'] for c in res.metrics['chains']]):.1f} deg, "
          f"radius {np.median([c['radius_mm'] for c in res.metrics['chains']]):.4f} mm (true 0.5)")


if __name__ == "__main__":
    main()
