"""Benchmark the specular family: geometric MS301 kernel on ~1M faces, 24-frame light orbit.

Run: .venv/bin/python bench/bench_specular.py [--faces-sub 8]
Prints figures; not a unit test. The mesh is a 28 mm tall 'mini' (a lumpy ellipsoid with
fine noise on one side) seen at 500 mm (tabletop, r = 0.145 mm), finish satin.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import trimesh

from miniscan.analysis import Analysis
from miniscan.analysis import normal_variation
from miniscan.checks import specular
from miniscan.conditions import resolve
from miniscan.model import from_arrays
from miniscan.render import gl, orbit


def mini(sub: int) -> "Model":
    m = trimesh.creation.icosphere(subdivisions=sub, radius=1.0)
    v = m.vertices.copy()
    rng = np.random.default_rng(7)
    # base form: an ellipsoid 12 x 10 x 28 mm with two broad lumps
    v *= [6.0, 5.0, 14.0]
    v += 0.8 * np.exp(-np.sum((v - [0, -5, 5]) ** 2, axis=1) / 8.0)[:, None] * m.vertex_normals
    # fine noise (~0.05 mm) on the +x half: scan noise
    noise = rng.standard_normal(len(v)) * 0.02 * (v[:, 0] > 0)
    v += noise[:, None] * m.vertex_normals
    return from_arrays(v, m.faces)


class Clock:
    """Wall and CPU seconds (the machine is shared: CPU time is the comparable figure)."""

    def __enter__(self):
        self.w, self.c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.w, time.process_time() - self.c

    def __str__(self):
        return f"{self.wall:.2f} s wall, {self.cpu:.2f} s CPU"


def corpus_run(path, profile):
    """A whole specular run on a real mesh, split into shared costs and the family's own."""
    from miniscan.loading import load

    with Clock() as t:
        m = load(path, "mm")
    print(f"\n{os.path.basename(path)}: {m.n_faces:,} faces, loaded in {t}")
    c = resolve(profile)
    a = Analysis(m)
    with Clock() as t:
        reason = gl.probe()
        import pyvista.plotting  # noqa: F401  (shared with every rendering family)
    print(f"GL probe + pyvista import (shared, once per process): {t}")
    with Clock() as t:
        nv = normal_variation.for_analysis(a, c.resolvable_mm)
    print(f"MS301 kernel at {profile} (r = {c.resolvable_mm:.3f} mm): {t}, "
          f"{len(nv.areas):,} patch nodes, band {nv.band_mm[0]:.3f}-{nv.band_mm[1]:.3f} mm"
          f"{' (coarsened)' if nv.coarsened else ''}")
    with Clock() as t:
        res = specular.run(m, c, a)
    o = res.metrics["orbit"]
    print(f"rest of the family (orbit render + measures): {t}; "
          + (f"{o['image_px'][0]}x{o['image_px'][1]} px, fragments/cm2 "
             f"{o['fragments_per_cm2']:.0f}, flicker {o['flicker']:.2f}" if not reason else reason))
    print("findings:", [f.code for f in res.findings])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sub", type=int, default=8, help="icosphere subdivisions (8 = 1.3M faces)")
    ap.add_argument("--corpus", default="/work/shared/corpus/mini_rpgscad_wyrmling.stl",
                    help="a real mesh for a whole run at --profile (skipped when absent)")
    ap.add_argument("--profile", default="display")
    args = ap.parse_args()
    print("load average:", " ".join(f"{x:.1f}" for x in os.getloadavg()))
    c = resolve("tabletop", finish="satin")
    t = time.perf_counter()
    m = mini(args.sub)
    print(f"mesh: {m.n_faces:,} faces, extents {np.round(m.extents, 2)} mm, built in "
          f"{time.perf_counter() - t:.2f} s")
    a = Analysis(m)
    t = time.perf_counter()
    a.face_areas, a.face_normals, a.face_centroids  # noqa: B018  (shared, any family)
    print(f"face areas + normals + centroids: {time.perf_counter() - t:.2f} s")
    with Clock() as t:
        nv = normal_variation.for_analysis(a, c.resolvable_mm)
    print(f"normal variation (MS301 kernel): {t}, "
          f"{len(nv.areas):,} patch nodes, band {nv.band_mm[0]:.3f}-{nv.band_mm[1]:.3f} mm")
    reason = gl.probe()
    if reason:
        print("orbit not run:", reason)
    else:
        import pyvista.plotting  # noqa: F401  (one-time import, not the orbit's cost)
        with Clock() as t:
            o = orbit.light_orbit(m.vertices, m.faces, np.full(m.n_faces, c.lobe_rad),
                                  c.resolvable_mm, c.distance_mm, c.front)
        print(f"light orbit, {len(o.frames)} frames of {o.frames[0].shape[1]}x"
              f"{o.frames[0].shape[0]} px at {o.pixel_mm:.3f} mm/px: {t}")
    with Clock() as t:
        res = specular.run(m, c, a)  # kernel cached: this is the rest of the family
    print(f"specular.run after the kernel: {t}")
    mt = res.metrics
    print(f"noisy share {mt['noisy_area_share']:.3f}, per finish "
          f"{ {k: round(v, 3) for k, v in mt['per_finish_noisy_share'].items()} }, "
          f"regions {mt['regions']}")
    if mt["orbit"]["status"] == "ok":
        print(f"fragments/cm2 {mt['fragments_per_cm2']:.0f} (limit "
              f"{mt['orbit']['fragments_per_cm2_limit']:.0f}), flicker {mt['flicker']:.2f}")
    print("findings:", [f.code for f in res.findings])
    if args.corpus and os.path.exists(args.corpus):
        corpus_run(args.corpus, args.profile)


if __name__ == "__main__":
    main()
