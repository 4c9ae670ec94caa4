"""Accuracy figures for the silhouette check (MS4xx), and ray casting against VTK. Prints only.

    .venv/bin/python bench/bench_silhouette.py            # accuracy on procedural figures
    .venv/bin/python bench/bench_silhouette.py --vtk      # + pixel agreement with VTK renders
    .venv/bin/python bench/bench_silhouette.py --random 40

1. Procedural figures with known answers: spear width and gap width recovered (true 0.3 mm)
   at several distances; the 'survives' threshold is 0.573 x glance.
2. Random spears (width 0.15-0.7 mm, random 3D pose, 32 sections): the error of the measured
   width in working pixels, and how often the interval holds the truth.
3. --vtk: the reference silhouettes cast with rays (raster.py) against the VTK renders the
   check used before (2 x 2 samples per pixel without anti-aliasing, same grid and views), on
   the sample meshes and the corpus: pixels whose reference (coverage >= 1/2) differs.
Speed by size is in bench_specular.py (both rendered families).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import trimesh

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from miniscan import model as mmodel  # noqa: E402
from miniscan import raster  # noqa: E402
from miniscan.analysis import Analysis  # noqa: E402
from miniscan.analysis import silhouettes as sil  # noqa: E402
from miniscan.checks import silhouette as check  # noqa: E402
from miniscan.conditions import resolve  # noqa: E402
from test_silhouette import gap_figure, spear_figure  # noqa: E402


def as_model(tm):
    return mmodel.from_arrays(np.asarray(tm.vertices), np.asarray(tm.faces))


def accuracy():
    print("== accuracy: procedural figures (true width 0.3 mm) ==")
    print(f"{'figure':8} {'D mm':>6} {'survive mm':>10} {'verdict':>12} {'width mm':>9} "
          f"{'interval mm':>15} {'holds from':>10} {'hero':>18} {'score':>6}")
    for name, make, kind in (("spear", spear_figure, "protrusion_width_mm"),
                             ("gap", gap_figure, "gap_width_mm")):
        m = as_model(make())
        for d in (150, 300, 500, 1000):
            c = resolve("tabletop", distance=d)
            r = check.run(m, c, Analysis(m))
            ms = [x for x in r.measurements if x.kind == kind]
            holds = [f.holds_mm[0] for f in r.findings if f.holds_mm]
            if ms:
                x = ms[0]
                print(f"{name:8} {d:6.0f} {sil.BAR_SURVIVES * c.glance_mm:10.3f} {x.verdict:>12} "
                      f"{x.value:9.3f} {f'[{x.lo:.3f}, {x.hi:.3f}]':>15} "
                      f"{(f'{holds[0]:.0f}' if holds else '-'):>10} {r.metrics['hero_view']:>18} "
                      f"{r.metrics['hero_score']:6.1f}")
            else:
                print(f"{name:8} {d:6.0f} {sil.BAR_SURVIVES * c.glance_mm:10.3f} {'kept':>12} "
                      f"{'':9} {'':15} {'':10} {r.metrics['hero_view']:>18} "
                      f"{r.metrics['hero_score']:6.1f}")


def random_spears(n: int, seed: int = 0):
    print(f"\n== {n} random spears (width 0.15-0.7 mm, random pose, 500 mm) ==")
    rng = np.random.default_rng(seed)
    errs, held, verdicts = [], 0, {}
    for _ in range(n):
        w = rng.uniform(0.15, 0.7)
        body = trimesh.creation.capsule(height=16, radius=4, count=[16, 16])
        body.apply_translation((0, 0, 12))
        sp = trimesh.creation.cylinder(radius=w / 2, height=14, sections=32)
        sp.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, (0, 1, 0)))
        sp.apply_translation((10, 0, 16))
        tm = trimesh.util.concatenate([body, sp])
        rot = trimesh.transformations.random_rotation_matrix(rng.random(3))
        tm.apply_transform(rot)
        m = as_model(tm)
        r = check.run(m, resolve("tabletop", distance=500), Analysis(m))
        tip = rot[:3, :3] @ np.array([13.0, 0, 16])
        ms = [x for x in r.measurements if x.kind == "protrusion_width_mm"]
        if not ms:
            verdicts["not a candidate"] = verdicts.get("not a candidate", 0) + 1
            continue
        x = min(ms, key=lambda x: np.linalg.norm(np.asarray(x.centroid_mm) - tip))
        errs.append((x.value - w) / r.metrics["pixel_mm"])
        held += x.lo <= w <= x.hi
        verdicts[x.verdict] = verdicts.get(x.verdict, 0) + 1
    e = np.abs(errs)
    print(f"measured {len(e)}: |error| median {np.median(e):.3f} px, p90 "
          f"{np.percentile(e, 90):.3f} px, max {e.max():.3f} px, mean error {np.mean(errs):+.3f} px; "
          f"interval holds the truth {held}/{len(e)}; verdicts {verdicts}")


def vtk_coverage(vertices, faces, views, grid):
    """The former VTK silhouettes: flat white on black, 2 x 2 window pixels a pixel, no AA."""
    import pyvista as pv

    from miniscan.render import gl

    ss = 2
    pl = gl.plotter(grid.n * ss, grid.n * ss)
    pl.disable_anti_aliasing()
    try:
        pd = pv.PolyData.from_regular_faces(np.asarray(vertices, np.float64),
                                            np.asarray(faces, np.int64))
        pl.add_mesh(pd, color="white", lighting=False, show_scalar_bar=False)
        pl.set_background("black")
        pl.enable_parallel_projection()
        cam, far = pl.camera, 4.0 * grid.radius_mm + 1.0
        out = np.zeros((len(views), grid.n, grid.n), np.float32)
        for k, v in enumerate(views):
            d = np.asarray(v.direction)
            cam.focal_point = tuple(grid.center)
            cam.position = tuple(grid.center + 2.0 * grid.radius_mm * d + d)
            cam.up = v.up
            cam.parallel_scale = grid.n * grid.pixel_mm / 2.0
            pl.render()
            cam.clipping_range = (1e-3 * far, far)
            hit = pl.screenshot(return_img=True)[..., 0] > 127
            out[k] = hit.reshape(grid.n, ss, grid.n, ss).mean(axis=(1, 3))
        return out
    finally:
        pl.close()


def vtk_agreement():
    from miniscan.loading import load

    print("\n== reference silhouettes: rays vs VTK (tabletop, 17 views, same grid) ==")
    files = sorted(p for p in (ROOT / "sample_meshes").iterdir()
                   if p.suffix in (".stl", ".ply", ".glb", ".obj"))
    cdir = ROOT.parent / "shared" / "corpus"
    if cdir.is_dir():
        files += sorted(p for p in cdir.iterdir() if p.suffix.lower() != ".md")
    tot_diff = tot_ref = 0
    c = resolve("tabletop")
    for p in files:
        try:
            m = load(str(p), None, scale_n=c.scale_n)
        except Exception as e:  # noqa: BLE001
            print(f"{p.name[:40]:40} load error: {e}")
            continue
        grid = sil.make_grid(m.vertices, c.resolvable_mm)
        views = sil.view_set(c.front)
        t = time.perf_counter()
        rays = sil.render_silhouettes(raster.Raster(m.vertices, m.faces), views, grid)
        t_rays = time.perf_counter() - t
        t = time.perf_counter()
        old = vtk_coverage(m.vertices, m.faces, views, grid)
        t_vtk = time.perf_counter() - t
        diff, ref = int(((old >= 0.5) ^ (rays >= 0.5)).sum()), int((old >= 0.5).sum())
        tot_diff, tot_ref = tot_diff + diff, tot_ref + ref
        print(f"{p.name[:40]:40} {grid.n:4} px  {diff:5} of {ref:9,} pixels differ "
              f"({100 * diff / max(ref, 1):.3f} %)  rays {t_rays:.2f} s, VTK {t_vtk:.2f} s")
    print(f"all: {tot_diff} of {tot_ref:,} reference pixels differ "
          f"({100 * tot_diff / max(tot_ref, 1):.4f} %)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--vtk", action="store_true")
    ap.add_argument("--random", type=int, default=20)
    args = ap.parse_args()
    accuracy()
    if args.random:
        random_spears(args.random)
    if args.vtk:
        vtk_agreement()
