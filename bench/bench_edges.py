"""Edges family benchmark: accuracy on the shape grammar and time on sculpt-like meshes.

Run: PYTHONPATH=src .venv/bin/python bench/bench_edges.py [faces ...]
(prints figures; not a unit test). Default sizes: 250k, 2M, 8M faces of a creased torus.

     PYTHONPATH=src .venv/bin/python bench/bench_edges.py --noisy [sigma_mm ...]
a scanned ball: a 28 mm sphere of 327,680 faces under Gaussian vertex noise along the normals
(default 0.002 and 0.005 mm), the edges family's slow case (docs/edges.md), timed beside
trimesh's load and merge of the same mesh as a binary STL, in the same run.
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


def creased_torus(n_faces: int):
    """A torus grid (2 nu nv faces, no poles) whose tube radius is displaced by |sin| of the
    angle around the ring: a V-crease every 30 degrees around it (12 crease chains, each
    turning 40-60 degrees), on a smooth rippled tube: sculpt-like, with edges to measure."""
    nv = max(16, int(round(np.sqrt(n_faces / 8))))
    nu = max(32, int(round(n_faces / (2 * nv))))
    u = np.linspace(0, 2 * np.pi, nu, endpoint=False)
    w = np.linspace(0, 2 * np.pi, nv, endpoint=False)
    U, W = np.meshgrid(u, w, indexing="ij")
    r = 3.0 * (1 + 0.3 * np.abs(np.sin(6 * U)) + 0.02 * np.sin(5 * W) * np.cos(3 * U))
    x = (12.0 + r * np.cos(W)) * np.cos(U)
    y = (12.0 + r * np.cos(W)) * np.sin(U)
    z = r * np.sin(W)
    v = np.stack([x, y, z], -1).reshape(-1, 3)
    i, j = np.meshgrid(np.arange(nu), np.arange(nv), indexing="ij")
    a = i * nv + j
    b = ((i + 1) % nu) * nv + j
    c = ((i + 1) % nu) * nv + (j + 1) % nv
    d = i * nv + (j + 1) % nv
    f = np.concatenate([np.stack([a, b, c], -1).reshape(-1, 3),
                        np.stack([a, c, d], -1).reshape(-1, 3)])
    return v, f


def speed(sizes) -> None:
    for target in sizes:
        v, f = creased_torus(target)
        m = from_arrays(v, f)
        a = Analysis(m)
        t0 = time.perf_counter()
        # shared analysis every run computes before the families (the runner reports the
        # number of bodies of every model; the edges family reads the body labels too)
        _ = a.face_normals, a._edge_keys, a.body_labels
        t1 = time.perf_counter()
        res = edges.run(m, resolve("tabletop"), a)
        t2 = time.perf_counter()
        print(f"{m.n_faces:,} faces: shared geometry {t1 - t0:.2f} s, edges family "
              f"{t2 - t1:.2f} s, {res.metrics['chains_total']} chains", flush=True)


def noisy_ball(sigma_mm: float, seed: int = 0):
    """A 28 mm icosphere (7 subdivisions, 327,680 faces, edges ~0.13 mm) whose vertices move
    along their normals by Gaussian noise of sigma_mm: a scan of a ball."""
    import trimesh

    m = trimesh.creation.icosphere(subdivisions=7, radius=14.0)
    v = np.asarray(m.vertices)
    v = v + np.random.default_rng(seed).normal(0.0, sigma_mm, len(v))[:, None] * v / 14.0
    return v, np.asarray(m.faces)


def noisy(sigmas) -> None:
    import tempfile

    import trimesh

    for sigma in sigmas:
        v, f = noisy_ball(sigma)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "ball.stl"
            trimesh.Trimesh(v, f, process=False).export(path)
            t0 = time.perf_counter()
            tm = trimesh.load(path, process=False)
            tm.merge_vertices()
            base = time.perf_counter() - t0
        m = from_arrays(v, f)
        a = Analysis(m)
        t1 = time.perf_counter()
        res = edges.run(m, resolve("tabletop"), a)
        t2 = time.perf_counter()
        print(f"noisy ball, sigma {sigma:g} mm, {m.n_faces:,} faces: trimesh load + merge "
              f"{base:.2f} s | edges family {t2 - t1:.2f} s ({(t2 - t1) / base:.0f}x), "
              f"{res.metrics['chains_total']} chains", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] in (["-h"], ["--help"]):
        print(__doc__)
    elif sys.argv[1:2] == ["--noisy"]:
        noisy([float(x) for x in sys.argv[2:]] or [0.002, 0.005])
    else:
        accuracy()
        speed([int(x) for x in sys.argv[1:]] or [250_000, 2_000_000, 8_000_000])
