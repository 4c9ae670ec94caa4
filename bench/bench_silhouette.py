"""Benchmark and accuracy figures for the silhouette check (MS4xx). Prints, asserts nothing.

    .venv/bin/python bench/bench_silhouette.py [--corpus]

1. Accuracy on procedural figures with known answers: spear width and gap width recovered
   (true 0.3 mm) at several distances, the 'survives' threshold 0.573 x glance.
2. Speed on a ~1M-face mesh: GL probe, plotter, 17 renders, 17 squint analyses, total;
   with and without the vertex-clustering decimation, and how much the decimation changes
   the result (scores, findings) - it should not.
3. With --corpus: every mesh of ../shared/corpus as a user would see it (tabletop).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import trimesh

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from miniscan import model as mmodel  # noqa: E402
from miniscan.analysis import Analysis  # noqa: E402
from miniscan.analysis import silhouettes as sil  # noqa: E402
from miniscan.checks import silhouette as check  # noqa: E402
from miniscan.conditions import resolve  # noqa: E402
from miniscan.render import gl  # noqa: E402
from test_silhouette import gap_figure, spear_figure  # noqa: E402


def as_model(tm):
    return mmodel.from_arrays(np.asarray(tm.vertices), np.asarray(tm.faces))


def accuracy():
    print("== accuracy: procedural figures (true width 0.3 mm) ==")
    print(f"{'figure':8} {'D mm':>6} {'glance mm':>9} {'survive mm':>10} {'code':>6} "
          f"{'width mm':>9} {'err %':>6} {'where (x, y, z) mm':>24} {'hero':>18} {'score':>6}")
    for name, make, code in (("spear", spear_figure, "MS401"), ("gap", gap_figure, "MS402")):
        m = as_model(make())
        for d in (150, 300, 500, 1000):
            c = resolve("tabletop", distance=d)
            r = check.run(m, c, Analysis(m))
            fs = [f for f in r.findings if f.code == code]
            if fs:
                f = fs[0]
                w_mm = 2 * d * np.tan(np.radians(f.measured / 60) / 2)
                where = "(" + ", ".join(f"{x:.2f}" for x in f.location.centroid_mm) + ")"
                print(f"{name:8} {d:6.0f} {c.glance_mm:9.3f} {0.5729 * c.glance_mm:10.3f} {code:>6} "
                      f"{w_mm:9.3f} {100 * (w_mm / 0.3 - 1):6.1f} {where:>24} "
                      f"{r.metrics['hero_view']:>18} {r.metrics['hero_score']:6.1f}")
            else:
                print(f"{name:8} {d:6.0f} {c.glance_mm:9.3f} {0.5729 * c.glance_mm:10.3f} {'-':>6} "
                      f"{'kept':>9} {'':6} {'':>24} {r.metrics['hero_view']:>18} "
                      f"{r.metrics['hero_score']:6.1f}")


def big_mesh(min_faces=1_000_000):
    tm = spear_figure()
    v, f = np.asarray(tm.vertices), np.asarray(tm.faces)
    while len(f) < min_faces:
        v, f = trimesh.remesh.subdivide(v, f)
    return v, f


def probe():
    t = time.perf_counter()
    reason = gl.probe()
    print(f"GL probe (once per process, subprocess): {time.perf_counter() - t:.2f} s "
          f"{'OK' if reason is None else reason}\n")


def speed():
    print("\n== speed: ~1M faces, 17 views, fine + glance (tabletop, 500 mm) ==")
    v, f = big_mesh()
    m = mmodel.from_arrays(v, f)
    c = resolve("tabletop", distance=500)
    grid = sil.make_grid(m.vertices, c.resolvable_mm)
    views = sil.view_set(c.front)
    print(f"mesh: {len(f):,} faces; grid {grid.n} px (rendered {grid.n * sil.RENDER_SS} px), "
          f"pixel {grid.pixel_mm:.4f} mm, resolvable {c.resolvable_mm:.4f} mm")
    covs = {}
    for label, limit in (("decimated", sil.DECIMATE_FACES), ("full mesh", 10 ** 12)):
        t0 = time.perf_counter()
        dv, df = sil.decimated(m.vertices, m.faces, grid.pixel_mm, max_faces=limit)
        t1 = time.perf_counter()
        covs[label] = sil.render_silhouettes(dv, df, views, grid)
        t2 = time.perf_counter()
        print(f"  {label:10}: {len(df):>9,} faces, decimate {t1 - t0:5.2f} s, "
              f"plotter + 17 renders {t2 - t1:5.2f} s")
    t0 = time.perf_counter()
    eye, glance = c.resolvable_mm / grid.pixel_mm, c.glance_mm / grid.pixel_mm
    res = {k: [sil.analyse_view(vw, cv[i], eye, glance) for i, vw in enumerate(views)]
           for k, cv in covs.items()}
    t1 = time.perf_counter()
    print(f"  17 squint analyses x2: {t1 - t0:.2f} s ({(t1 - t0) / 34 * 1000:.0f} ms per view)")
    a, b = res["decimated"], res["full mesh"]
    ds = [abs(x.numbers["score"] - y.numbers["score"]) for x, y in zip(a, b)]
    xor = [int((ca >= 0.5).sum() != (cb >= 0.5).sum()) for ca, cb in
           zip(covs["decimated"], covs["full mesh"])]
    px = [int(((ca >= 0.5) ^ (cb >= 0.5)).sum()) for ca, cb in
          zip(covs["decimated"], covs["full mesh"])]
    tot = [int((cb >= 0.5).sum()) for cb in covs["full mesh"]]
    print(f"  decimation effect: max |score diff| {max(ds):.3f}, silhouette pixels that differ "
          f"{sum(px)} of {sum(tot)} ({100 * sum(px) / sum(tot):.3f} %), views differing {sum(xor)}")
    print(f"  lost parts per view (decimated / full): "
          f"{sum(r.numbers['lost_parts'] for r in a)} / {sum(r.numbers['lost_parts'] for r in b)}")

    # end to end through the check (fresh Analysis: includes the decimation, raycasting BVH)
    t0 = time.perf_counter()
    a = Analysis(m)
    r = check.run(m, c, a)
    t1 = time.perf_counter()
    print(f"  check.run end to end (after the probe): {t1 - t0:.2f} s; findings "
          f"{[f.code for f in r.findings][:6]}...; render faces {r.metrics['render_faces']:,}")


def corpus():
    from miniscan.loading import load

    cdir = ROOT.parent / "shared" / "corpus"
    print("\n== corpus (tabletop 1:56, 500 mm) ==")
    print(f"{'file':52} {'faces':>8} {'s':>6} {'hero':>18} {'score':>6} {'worst':>18} {'score':>6} "
          f"{'401':>4} {'402':>4} {'403':>4} {'404':>4}")
    for p in sorted(cdir.iterdir()):
        if p.suffix.lower() == ".md":
            continue
        c = resolve("tabletop")
        try:
            m = load(str(p), None, scale_n=c.scale_n)
        except Exception as e:  # noqa: BLE001 - a benchmark reports and moves on
            print(f"{p.name:52} load error: {e}")
            continue
        t0 = time.perf_counter()
        r = check.run(m, c, Analysis(m))
        dt = time.perf_counter() - t0
        n = {k: sum(f.code == k for f in r.findings) for k in ("MS401", "MS402", "MS403", "MS404")}
        mt = r.metrics
        print(f"{p.name[:52]:52} {m.n_faces:8,} {dt:6.2f} {mt.get('hero_view', '-'):>18} "
              f"{mt.get('hero_score', 0):6.1f} {mt.get('worst_view', '-'):>18} "
              f"{mt.get('worst_score', 0):6.1f} {n['MS401']:4} {n['MS402']:4} {n['MS403']:4} "
              f"{n['MS404']:4}")


if __name__ == "__main__":
    probe()
    accuracy()
    speed()
    if "--corpus" in sys.argv:
        corpus()
