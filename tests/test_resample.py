"""The resampled surface: shape kept within L/2, normals kept, a no-op when already coarse,
deterministic, and a face map every original face can follow."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from miniscan.analysis import Analysis
from miniscan.analysis.resample import (PLACE_MAX_CELLS, Resampled, resample,
                                        viewing_length_mm)
from miniscan.conditions import resolve
from miniscan.model import from_arrays
from procedural_edges import rounded_box, sphere, torus


def _rotation(seed: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    return q * np.sign(np.diag(r))


def _analysis(v, f, seed=0) -> Analysis:
    return Analysis(from_arrays(np.asarray(v) @ _rotation(seed).T, f))


def _distances(points: np.ndarray, v: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Exact point-to-surface distances (open3d's closest-point query)."""
    import open3d as o3d

    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(o3d.core.Tensor(v.astype(np.float32)), o3d.core.Tensor(f.astype(np.uint32)))
    return scene.compute_distance(o3d.core.Tensor(points.astype(np.float32))).numpy()


def _hausdorff(a: Analysis, r: Resampled, samples: int = 40_000) -> float:
    """Symmetric Hausdorff distance, from dense surface samples and the vertices both ways."""
    m = a.model
    p_fine = np.concatenate([a.sample_surface(samples)[0], m.vertices])
    p_coarse = np.concatenate([r.analysis.sample_surface(samples)[0], r.vertices])
    return float(max(_distances(p_fine, r.vertices, r.faces).max(),
                     _distances(p_coarse, m.vertices, m.faces).max()))


# shape, its smallest radius of curvature (mm): the size below which the clustering cannot hold
# the shape, so L is kept under it
SHAPES = {
    "sphere": (lambda: sphere(10.0, 6), 10.0),
    "torus": (lambda: torus(10.0, 3.0, 320, 96), 3.0),
    "rounded box, grid": (lambda: rounded_box(2.0, 0.1, a=5.0), 2.0),
    "rounded box, irregular": (lambda: rounded_box(2.0, 0.15, a=5.0, kind="radial"), 2.0),
}


@pytest.mark.parametrize("name", SHAPES)
@pytest.mark.parametrize("cells_per_radius", [3.0, 8.0])
def test_shape_kept_within_half_the_length(name, cells_per_radius):
    make, radius = SHAPES[name]
    a = _analysis(*make(), seed=len(name))
    length = radius / cells_per_radius
    assert np.median(a.edge_lengths) < length  # the case under test: something to remove
    r = a.resampled(length)
    assert not r.identity and r.n_faces < a.model.n_faces
    assert _hausdorff(a, r) <= length / 2


@pytest.mark.parametrize("name", SHAPES)
def test_normals_follow_the_surface(name):
    """Each original face's stand-in faces the same way, within the angle a chord of the
    resampled mesh can make with a surface of that curvature (its faces span at most two
    cells, so their circumradius is under 2 sqrt(3) L)."""
    make, radius = SHAPES[name]
    a = _analysis(*make(), seed=3)
    length = radius / 6.0
    r = a.resampled(length)
    ok = r.face_map >= 0
    cos = np.einsum("ij,ij->i", a.face_normals[ok], r.analysis.face_normals[r.face_map[ok]])
    dev = np.arccos(np.clip(cos, -1, 1))
    w = a.face_areas[ok]
    bound = np.arcsin(min(1.0, 2 * np.sqrt(3) * length / radius))
    assert np.average(dev, weights=w) <= bound
    # a face turned over would say the surface points inwards there
    assert w[dev > np.pi / 2].sum() == 0


def test_sharp_corners_stay_where_they_are():
    """Each cell's vertex fits the planes around it, so a hard box keeps its corners."""
    v, f = rounded_box(0.0, 0.1, a=4.0)
    a = Analysis(from_arrays(v, f))
    r = a.resampled(0.5)
    corners = np.array(np.meshgrid([-4, 4], [-4, 4], [-4, 4])).reshape(3, -1).T
    d = np.linalg.norm(r.vertices[None] - corners[:, None], axis=2).min(axis=1)
    assert d.max() <= 0.5 / 2


def test_no_op_when_already_coarser_than_length():
    v, f = sphere(10.0, 3)  # edges about 1.2 mm
    a = Analysis(from_arrays(v, f))
    length = 0.5 * float(np.median(a.edge_lengths))
    r = a.resampled(length)
    assert r.identity
    assert r.vertices is a.model.vertices and r.faces is a.model.faces
    np.testing.assert_array_equal(r.face_map, np.arange(len(f)))
    assert r.analysis is a


def test_deterministic_and_cached():
    v, f = torus(10.0, 3.0, 200, 60)
    a1, a2 = _analysis(v, f, 7), _analysis(v, f, 7)
    r1, r2 = a1.resampled(0.6), a2.resampled(0.6)
    for x, y in ((r1.vertices, r2.vertices), (r1.faces, r2.faces), (r1.face_map, r2.face_map)):
        assert x.tobytes() == y.tobytes()
    assert a1.resampled(0.6) is r1 and a1.resampled(0.7) is not r1


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), cells=st.floats(2.5, 12.0), scale=st.floats(0.2, 5.0))
def test_face_map_points_to_a_nearby_face(seed, cells, scale):
    """Every face's stand-in lies within reach: the faces share a cell, so their centroids
    are no farther apart than both faces' extents plus the cell vertex's allowed offset."""
    v, f = torus(10.0 * scale, 3.0 * scale, 120, 40)
    a = _analysis(v, f, seed)
    length = 3.0 * scale / cells
    r = a.resampled(length)
    assert r.face_map.min() >= -1 and r.face_map.max() < r.n_faces
    ok = r.face_map >= 0
    assert ok.all()  # a torus has no piece smaller than a cell
    fine = a.model.vertices[a.model.faces]
    coarse = r.vertices[r.faces][r.face_map]
    reach = (np.linalg.norm(fine - fine.mean(1, keepdims=True), axis=2).max(1)
             + np.linalg.norm(coarse - coarse.mean(1, keepdims=True), axis=2).max(1)
             + (np.sqrt(3) + PLACE_MAX_CELLS) * length)
    gap = np.linalg.norm(fine.mean(1) - coarse.mean(1), axis=1)
    assert np.all(gap <= reach)


def test_pieces_smaller_than_a_cell_vanish_and_say_so():
    big_v, big_f = sphere(10.0, 5)
    dot_v, dot_f = sphere(0.05, 1)
    # the grid starts at the bounding box's low corner: put the dot in the middle of a cell
    v = np.concatenate([big_v, dot_v + big_v.min(axis=0) + [30.5, 10.5, 10.5]])
    f = np.concatenate([big_f, dot_f + len(big_v)])
    a = Analysis(from_arrays(v, f))
    r = a.resampled(1.0)
    assert np.all(r.face_map[len(big_f):] == -1)
    assert np.all(r.face_map[:len(big_f)] >= 0)
    painted = r.to_original(np.arange(r.n_faces, dtype=float))
    assert np.isnan(painted[len(big_f):]).all()
    np.testing.assert_array_equal(painted[:len(big_f)], r.face_map[:len(big_f)])


def test_length_from_viewing_conditions():
    tabletop = resolve("tabletop")
    assert viewing_length_mm(tabletop) == pytest.approx(0.5 * tabletop.resolvable_mm)
    # a camera that resolves 0.02 mm still cannot see what the resin printer never made
    macro = resolve("macro-photo")
    assert viewing_length_mm(macro, 0.5) == pytest.approx(
        max(0.5 * macro.resolvable_mm, macro.printer.xy_mm))
    assert viewing_length_mm(macro, 0.5) >= macro.printer.xy_mm


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_rejects_a_length_that_is_no_length(bad):
    v, f = sphere(1.0, 2)
    with pytest.raises(ValueError):
        resample(Analysis(from_arrays(v, f)), bad)
