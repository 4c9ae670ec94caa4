"""The shared Analysis: the per-face geometry and edge topology every family reads, computed
without the (m, 3, 3) and (3m, 2) temporaries, must equal the plain formulas exactly."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from miniscan.analysis import Analysis
from miniscan.model import from_arrays
from procedural_edges import sphere, torus


def _soup(seed: int, n_faces: int, flip: float, dup: float) -> tuple[np.ndarray, np.ndarray]:
    """A torus with some faces turned over, some repeated (non-manifold edges), some with a
    repeated vertex (degenerate), randomly rotated and reordered."""
    rng = np.random.default_rng(seed)
    v, f = torus(5.0, 1.5, 24, 12)
    f = f[rng.permutation(len(f))][:n_faces].copy()
    turn = rng.random(len(f)) < flip
    f[turn] = f[turn][:, ::-1]
    extra = f[rng.random(len(f)) < dup]
    f = np.concatenate([f, extra[:, [0, 2, 1]]])
    if len(f) > 3:
        f[rng.integers(len(f)), 1] = f[rng.integers(len(f)), 0]
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    return v @ q.T * rng.uniform(0.1, 10.0), f


soups = st.builds(_soup, st.integers(0, 10_000), st.integers(4, 576), st.floats(0, 0.3),
                  st.floats(0, 0.1))


@settings(max_examples=40, deadline=None)
@given(soups)
def test_face_geometry_equals_the_plain_formulas(mesh):
    v, f = mesh
    a = Analysis(from_arrays(v, f))
    t = v[f]
    cross = np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])
    ln = np.linalg.norm(cross, axis=1)
    n = np.where(ln[:, None] > 0, cross / np.where(ln > 0, ln, 1)[:, None], 0.0)
    assert a.face_areas.tobytes() == (0.5 * ln).tobytes()
    assert a.face_normals.tobytes() == n.tobytes()
    assert a.face_centroids.tobytes() == t.mean(axis=1).tobytes()
    assert a._cross.tobytes() == cross.tobytes()
    np.testing.assert_array_equal(a.triangles, t)


@settings(max_examples=40, deadline=None)
@given(soups)
def test_edge_topology_equals_the_sorted_rows(mesh):
    v, f = mesh
    a = Analysis(from_arrays(v, f))
    e = np.sort(np.stack([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]], axis=1).reshape(-1, 2), axis=1)
    rows, inverse, counts = np.unique(e, axis=0, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(a.edges_unique, rows)
    np.testing.assert_array_equal(a.edge_face_count, counts)
    np.testing.assert_array_equal(a.face_edges, inverse.reshape(-1, 3))


@settings(max_examples=40, deadline=None)
@given(soups)
def test_edge_faces_are_the_two_faces_of_each_two_face_edge(mesh):
    v, f = mesh
    a = Analysis(from_arrays(v, f))
    ids, pairs = a.edge_faces
    np.testing.assert_array_equal(ids, np.flatnonzero(a.edge_face_count == 2))
    fe = a.face_edges.ravel()
    order = np.argsort(fe, kind="stable")  # faces of each edge, by increasing face id
    start = np.searchsorted(fe[order], ids)
    np.testing.assert_array_equal(pairs, np.stack([order[start] // 3, order[start + 1] // 3], 1))
    assert np.all(pairs[:, 0] <= pairs[:, 1])


@settings(max_examples=60, deadline=None)
@given(soups)
def test_winding_consistency_as_directed_edges_say(mesh):
    """Two faces on one edge agree when they run along it in opposite directions: the same
    directed edge twice means they disagree."""
    v, f = mesh
    a = Analysis(from_arrays(v, f))
    d = np.stack([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]], axis=1).reshape(-1, 2)
    two = a.edge_face_count[a.face_edges.ravel()] == 2
    _, c = np.unique(d[two], axis=0, return_counts=True)
    assert a.winding_consistent == bool(np.all(c == 1))


def test_closed_shapes_are_consistent_and_a_turned_face_is_caught():
    v, f = sphere(3.0, 3)
    assert Analysis(from_arrays(v, f)).winding_consistent
    for k in np.random.default_rng(0).choice(len(f), 30, replace=False):
        g = f.copy()
        g[k] = g[k, ::-1]  # one face turned over, whichever way its vertex ids run
        a = Analysis(from_arrays(v, g))
        assert not a.winding_consistent and not a.watertight


def test_needle_faces_leave_a_closed_surface_closed():
    """Faces that repeat a vertex ([a, a, b]: zero area, no surface) on a closed, consistently
    wound sphere: their two copies of edge ab made it 'non-manifold' and their edge aa 'open'
    (MS901 on a watertight file). They carry no topology; the sphere stays watertight."""
    v, f = sphere(3.0, 3)
    rng = np.random.default_rng(1)
    pick = rng.choice(len(f), 20, replace=False)
    needles = np.stack([f[pick, 0], f[pick, 0], f[pick, 1]], axis=1)
    a = Analysis(from_arrays(v, np.vstack([f, needles])))
    assert a.boundary_edges == 0 and a.nonmanifold_edges == 0
    assert a.winding_consistent and a.watertight
    assert int(a.degenerate.sum()) == 20  # still reported as degenerate faces (MS902)
    b = Analysis(from_arrays(v, np.vstack([f[1:], needles])))  # a real hole is still one
    assert b.boundary_edges == 3 and not b.watertight


def test_vertex_normals_are_area_weighted_face_normals():
    v, f = torus(5.0, 1.5, 40, 16)
    rng = np.random.default_rng(3)
    v = v + rng.normal(scale=0.05, size=v.shape)
    a = Analysis(from_arrays(v, f))
    ref = np.zeros_like(v)
    np.add.at(ref, f.ravel(), np.repeat(a.face_normals * a.face_areas[:, None], 3, axis=0))
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)
    np.testing.assert_allclose(a.vertex_normals, ref, atol=1e-12)


def test_centroid_tree_finds_the_nearest_face_centroid():
    v, f = sphere(2.0, 3)
    a = Analysis(from_arrays(v, f))
    q = np.random.default_rng(5).normal(size=(200, 3))
    _, idx = a.centroid_tree.query(q)
    brute = np.argmin(np.linalg.norm(q[:, None] - a.face_centroids[None], axis=2), axis=1)
    np.testing.assert_array_equal(idx, brute)
    assert a.centroid_tree is a.centroid_tree  # one shared index


def test_surface_samples_lie_on_their_faces():
    v, f = torus(5.0, 1.5, 40, 16)
    a = Analysis(from_arrays(v, f))
    pts, fid = a.sample_surface(5000, salt=2)
    t = v[f[fid]]
    # barycentric coordinates of each point in its own face: all in [0, 1], summing to 1
    m = np.stack([t[:, 1] - t[:, 0], t[:, 2] - t[:, 0]], axis=2)  # (k, 3, 2)
    mt = np.transpose(m, (0, 2, 1))
    uv = np.linalg.solve(mt @ m, (mt @ (pts - t[:, 0])[:, :, None]))[:, :, 0]
    assert np.all(uv >= -1e-9) and np.all(uv.sum(axis=1) <= 1 + 1e-9)
    d = np.abs(np.einsum("ij,ij->i", pts - t[:, 0], a.face_normals[fid]))
    assert d.max() <= 1e-9 * a.bbox_diag_mm
    same = a.sample_surface(5000, salt=2)
    assert same[0] is pts  # cached: one sampling per (count, salt)


@pytest.mark.parametrize("flip", [False, True])
def test_resampled_is_cached_per_length(flip):
    v, f = sphere(5.0, 5)
    a = Analysis(from_arrays(v, f[:, ::-1] if flip else f))
    assert a.resampled(1.0) is a.resampled(1.0)
    assert a.resampled(1.0) is not a.resampled(2.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-2**40, 2**40), max_size=300), st.booleans())
def test_unique_inverse_is_numpys_unique(values, runs):
    from miniscan.analysis import unique_inverse

    keys = np.sort(np.array(values, np.int64)) if runs else np.array(values, np.int64)
    want = np.unique(keys, return_inverse=True, return_counts=True)
    got = unique_inverse(keys)
    for w, g in zip(want, got):
        np.testing.assert_array_equal(g, w)


def test_vertex_bodies_and_face_bodies():
    """Two spheres and a stray vertex: components numbered by their lowest vertex id for
    vertices, by first appearance in face order for faces."""
    v1, f1 = sphere(1.0, 2)
    v2, f2 = sphere(1.0, 1)
    v = np.concatenate([v2 + 5.0, [[9.0, 9.0, 9.0]], v1])
    f = np.concatenate([f1 + len(v2) + 1, f2])
    a = Analysis(from_arrays(v, f))
    vb = a.vertex_bodies
    assert np.all(vb[:len(v2)] == 0) and vb[len(v2)] == 1 and np.all(vb[len(v2) + 1:] == 2)
    assert np.all(a.body_labels[:len(f1)] == 0) and np.all(a.body_labels[len(f1):] == 1)
    assert a.n_bodies == 2
