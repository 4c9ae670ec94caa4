"""Benchmark the specular family: geometric MS301 kernel on ~1M faces, 24-frame light orbit.

Run: .venv/bin/python bench/bench_specular.py [--faces-sub 8]
Prints figures; not a unit test. The mesh is a 28 mm tall 'mini' (a lumpy ellipsoid with
fine noise on one side) seen at 500 mm (tabletop, r = 0.145 mm), finish satin.
"""

from __future__ import annotations

import argparse
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sub", type=int, default=8, help="icosphere subdivisions (8 = 1.3M faces)")
    args = ap.parse_args()
    c = resolve("tabletop", finish="satin")
    t = time.perf_counter()
    m = mini(args.sub)
    print(f"mesh: {m.n_faces:,} faces, extents {np.round(m.extents, 2)} mm, built in "
          f"{time.perf_counter() - t:.2f} s")
    a = Analysis(m)
    t = time.perf_counter()
    a.face_areas, a.face_normals  # noqa: B018  (shared kernels, computed by any family)
    print(f"face areas + normals: {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    nv = normal_variation.for_analysis(a, c.resolvable_mm)
    print(f"normal variation (MS301 kernel): {time.perf_counter() - t:.2f} s, "
          f"{len(nv.areas):,} nodes, band {nv.band_mm[0]:.3f}-{nv.band_mm[1]:.3f} mm")
    reason = gl.probe()
    if reason:
        print("orbit not run:", reason)
    else:
        t = time.perf_counter()
        o = orbit.light_orbit(m.vertices, m.faces, np.full(m.n_faces, c.lobe_rad),
                              c.resolvable_mm, c.distance_mm, c.front)
        print(f"light orbit, {len(o.frames)} frames of {o.frames[0].shape[1]}x"
              f"{o.frames[0].shape[0]} px at {o.pixel_mm:.3f} mm/px: "
              f"{time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    res = specular.run(m, c, a)  # kernel cached: this is the rest of the family
    print(f"specular.run after the kernel: {time.perf_counter() - t:.2f} s")
    mt = res.metrics
    print(f"noisy share {mt['noisy_area_share']:.3f}, per finish "
          f"{ {k: round(v, 3) for k, v in mt['per_finish_noisy_share'].items()} }, "
          f"regions {mt['regions']}")
    if mt["orbit"]["status"] == "ok":
        print(f"fragments/cm2 {mt['fragments_per_cm2']:.0f} (limit "
              f"{mt['orbit']['fragments_per_cm2_limit']:.0f}), flicker {mt['flicker']:.2f}")
    print("findings:", [f.code for f in res.findings])


if __name__ == "__main__":
    main()
