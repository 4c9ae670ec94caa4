"""stars.star_sums: the crease-limited sums round each corner's vertex, against a brute force
over every (corner, incident face) pair, on meshes whose vertices carry a few faces, many
copies of one face, or hundreds of orientations; and in memory that does not grow with the
square of a vertex's degree."""

from __future__ import annotations

import math
import time
import tracemalloc

import numpy as np
import trimesh
from hypothesis import HealthCheck, given, settings, strategies as st

from miniscan import stars
from miniscan.raster import corner_normals


def brute(faces, fn, w, subset, cos_min, strict):
    """Every (corner, incident face) pair, one vertex at a time (small meshes only)."""
    out = np.zeros((len(subset), 3, 3))
    for i, f in enumerate(subset):
        for k, v in enumerate(faces[f]):
            inc = np.flatnonzero((faces == v).any(axis=1))
            c = fn[inc] @ fn[f]
            ok = c > cos_min if strict else c >= cos_min
            out[i, k] = (w[inc][ok, None] * fn[inc][ok]).sum(axis=0)
    return out


def _mesh(kind, seed, copies):
    rng = np.random.default_rng(seed)
    m = {"sphere": lambda: trimesh.creation.icosphere(1),
         "box": trimesh.creation.box,
         "cone": lambda: trimesh.creation.cone(1.0, 1.5, sections=40),
         "cylinder": lambda: trimesh.creation.cylinder(1.0, 2.0, sections=30)}[kind]()
    v = m.vertices + rng.normal(0.0, 0.01, m.vertices.shape)
    f = np.tile(m.faces, (copies, 1))
    t = trimesh.Trimesh(v, f, process=False)
    return f, np.asarray(t.face_normals), np.asarray(t.area_faces)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(["sphere", "box", "cone", "cylinder"]), seed=st.integers(0, 99),
       copies=st.sampled_from([1, 2, 5]), crease=st.floats(5.0, 90.0), strict=st.booleans(),
       share=st.floats(0.1, 1.0))
def test_star_sums_agree_with_every_pair(kind, seed, copies, crease, strict, share):
    """Copies of 5 put 20-200 faces round a vertex: pooled by orientation (POOL_FROM 16)."""
    f, fn, w = _mesh(kind, seed, copies)
    rng = np.random.default_rng(seed)
    subset = np.sort(rng.choice(len(f), max(1, int(share * len(f))), replace=False))
    c = math.cos(math.radians(crease))
    got = stars.star_sums(f, fn, w, subset, c, strict)
    np.testing.assert_allclose(got, brute(f, fn, w, subset, c, strict), atol=1e-9, rtol=1e-9)


def test_an_apex_past_star_max_keeps_its_faces_own_normal():
    """A sharp cone of STAR_MAX + 200 sections: its apex's faces turn further apart than the
    crease angle, so no smooth normal is summed there (the corner reads its face's own), while
    every other corner is the exact sum."""
    n = stars.STAR_MAX + 200
    m = trimesh.creation.cone(1.0, 3.0, sections=n)
    f, fn, w = np.asarray(m.faces), np.asarray(m.face_normals), np.asarray(m.area_faces)
    apex = int(np.argmax(m.vertices[:, 2]))
    cn = corner_normals(f, fn, w, 30.0)
    at_apex = f == apex
    np.testing.assert_allclose(cn[at_apex], np.repeat(fn[:, None], 3, 1)[at_apex], atol=1e-12)
    sub = np.flatnonzero(~at_apex.any(axis=1))[:50]
    ref = brute(f, fn, w, sub, math.cos(math.radians(30.0)), False)
    ref /= np.linalg.norm(ref, axis=2, keepdims=True)
    np.testing.assert_allclose(cn[sub], ref, atol=1e-9)


def test_a_flat_pole_past_star_max_sums_its_whole_star():
    """A cone of 1500 sections 0.02 high on radius 1: every face round the apex lies within
    2.3 degrees of the axis, so every pair passes a 30 degree test: the exact sum is the
    whole star's, which is what is taken past STAR_MAX."""
    m = trimesh.creation.cone(1.0, 0.02, sections=1500)
    f, fn, w = np.asarray(m.faces), np.asarray(m.face_normals), np.asarray(m.area_faces)
    apex = int(np.argmax(m.vertices[:, 2]))
    sub = np.flatnonzero((f == apex).any(axis=1))[:40]
    c = math.cos(math.radians(30.0))
    np.testing.assert_allclose(stars.star_sums(f, fn, w, sub, c, False),
                               brute(f, fn, w, sub, c, False), atol=1e-12)


def test_a_shell_written_two_thousand_times_costs_what_one_does():
    """A box's 12 faces written 2 000 times: 12 000 faces round each corner, 10^9 pairs for a
    pairwise sum (tens of GB); pooled by orientation it is the one box's normals, in a few MB."""
    m = trimesh.creation.box()
    f = np.tile(m.faces, (2000, 1))
    fn, w = np.tile(m.face_normals, (2000, 1)), np.tile(m.area_faces, 2000)
    tracemalloc.start()
    t0 = time.perf_counter()
    cn = corner_normals(f, fn, w, 30.0)
    took = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    np.testing.assert_allclose(cn, np.repeat(fn[:, None], 3, 1), atol=1e-12)
    assert peak < 64e6 and took < 10.0, (peak, took)
