"""Edges family benchmark: accuracy on the shape grammar and time on sculpt-like meshes.

Run: PYTHONPATH=src .venv/bin/python bench/bench_edges.py [faces ...]
(prints figures; not a unit test). Default sizes: 250k, 2M, 8M faces.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import procedural_edges as P  # noqa: E402

from miniscan.analysis import Analysis  # noqa: E402
from miniscan.analysis.creases import find_creases  # noqa: E402
from miniscan.checks import edges  # noqa: E402
from miniscan.conditions import resolve  # noqa: E402
from miniscan.model import from_arrays  # noqa: E402


def accuracy() -> None:
    print("disc 0.3 mm rim fillet: measured radius [interval] by sections x chords")
    for sections in (64, 256, 1024):
        row = []
        for seg in (2, 4, 8, 16):
            v, f, t = P.disc(fillet=0.3, segments=seg, sections=sections)
            cr = find_creases(Analysis(from_arrays(v, f)), 1.43, 30.0, 0.145)
            c = v[f].mean(axis=1)
            best = [i for i in range(cr.count)
                    if abs(np.median(c[cr.face_chain == i][:, 2]) - 2.9) < 0.3]
            row.append("-" if not best else f"{cr.radius_mm[best[0]]:.3f}"
                       f"[{cr.radius_lo_mm[best[0]]:.2f},{cr.radius_hi_mm[best[0]]:.2f}]")
        print(f"  {sections:5d}: " + "  ".join(row))


def speed(sizes) -> None:
    import trimesh

    for target in sizes:
        sub = int(round(np.log(target / 20) / np.log(4)))
        s = trimesh.creation.icosphere(subdivisions=sub, radius=12.0)
        v = np.asarray(s.vertices)
        u = v / 12.0
        v = v * (1 + 0.03 * np.sin(7 * u[:, 0]) * np.cos(5 * u[:, 1]))[:, None]
        m = from_arrays(v, np.asarray(s.faces))
        a = Analysis(m)
        t0 = time.perf_counter()
        _ = a.face_normals, a._edge_keys
        t1 = time.perf_counter()
        res = edges.run(m, resolve("tabletop"), a)
        t2 = time.perf_counter()
        print(f"{m.n_faces:,} faces: shared geometry {t1 - t0:.2f} s, edges family "
              f"{t2 - t1:.2f} s, {res.metrics['chains_total']} chains", flush=True)


if __name__ == "__main__":
    accuracy()
    speed([int(x) for x in sys.argv[1:]] or [250_000, 2_000_000, 8_000_000])
