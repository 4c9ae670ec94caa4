"""The vertex-noise reading of the crease kernel (analysis/creases/noise.py): the sigma of
Gaussian vertex noise read from how faces fold, on meshes of every triangulation; 0 on clean
ones; and a chain picked out of a noisy body's folds is told from them only when its turn stands
above them."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from hypothesis import assume, given, settings, strategies as st

from miniscan.analysis import Analysis
from miniscan.analysis.creases.noise import MIN_SAMPLE, face_noise_mm, fold_compliance
from miniscan.model import from_arrays


def _plate(n_x: int, n_y: int, style: str, rng) -> tuple[np.ndarray, np.ndarray]:
    """A 10 x 10 mm plate: a grid, staggered slivers (rows shifted half a cell) or a grid whose
    vertices are jittered in plane (irregular)."""
    x, y = np.meshgrid(np.linspace(0, 10, n_x + 1), np.linspace(0, 10, n_y + 1), indexing="ij")
    if style == "sliver":
        x = x + (np.arange(n_y + 1)[None, :] % 2) * 5.0 / n_x
    v = np.column_stack([x.ravel(), y.ravel(), np.zeros(x.size)])
    if style == "irregular":
        v[:, :2] += rng.uniform(-0.3, 0.3, (len(v), 2)) * 10.0 / max(n_x, n_y)
    i = (np.arange(n_x)[:, None] * (n_y + 1) + np.arange(n_y)[None, :]).ravel()
    a, b, c, d = i, i + n_y + 1, i + n_y + 2, i + 1
    return v, np.concatenate([np.stack([a, b, c], 1), np.stack([a, c, d], 1)])


def _sigma(v, f) -> np.ndarray:
    return face_noise_mm(Analysis(from_arrays(v, f)))


SLIVER_LINEAR_REL = 0.02  # noise up to this share of the median edge reads within 15 % on
# slivers (100 seeds at 2 %: mean -4.4 %, at worst -13.2 %); beyond it their folds saturate
# (docstring below). The truth grammar draws 2 %


@settings(max_examples=24, deadline=None, derandomize=True)
@given(style=st.sampled_from(["grid", "sliver", "irregular"]), rel=st.floats(0.005, 0.05),
       seed=st.integers(0, 10 ** 6))
def test_gaussian_vertex_noise_is_read_within_15_percent(style, rel, seed):
    """Noise N(0, sigma) along the normal, sigma = rel x the median edge (0.5-5 %: the truth
    grammar draws 2 %), on grids, slivers 0.06 mm wide and 1.25 mm long and irregular plates:
    the body's sigma reads within 15 %. On grids and irregular plates it reads +0.4 to +1.1 %
    at the mean over 40 seeds at any of 0.6-5 %, sd 3 %, at worst +7.7 %. On slivers it reads
    +0.0 % at 0.6 % (sd 3.4 %). The median edge is the slivers' long one, so from about 2 %
    on the noise is a large share of their width (a third at 2 %, 0.7 at 3.5 %); their folds
    saturate and it reads low, more so as the noise grows (stop 66, 100 seeds: mean -4.4 % at
    2 %, -6.8 % at 2.5 %; 40 seeds: -9.7 % at 3 % (2 beyond 15 %), -12.6 % at 3.5 % (7),
    -21 % at 5 % (40)). So on slivers the claim holds up to SLIVER_LINEAR_REL, and the low
    reading beyond is a known limitation
    (`test_sliver_noise_near_five_percent_reads_within_15_percent`). (Until stop 66 the folds'
    compliance took each face's foot at the edge's middle: slivers read 7 % high at 0.6 %,
    which hid the first 7 % of the saturation.)"""
    assume(style != "sliver" or rel <= SLIVER_LINEAR_REL)
    got, sigma = _noisy_plate_reading(style, rel, seed)
    assert abs(got / sigma - 1.0) <= 0.15, (got, sigma)


def _noisy_plate_reading(style, rel, seed):
    """(the body's sigma as read, the sigma drawn) of a plate under N(0, rel x its median edge)
    vertex noise along its normal."""
    rng = np.random.default_rng(seed)
    n_x, n_y = (40, 40) if style != "sliver" else (8, 160)
    v, f = _plate(n_x, n_y, style, rng)
    sigma = rel * np.median(np.linalg.norm(v[f[:, [1, 2, 0]]] - v[f], axis=2))
    v[:, 2] = rng.normal(0.0, sigma, len(v))
    got = _sigma(v, f)
    assert np.allclose(got, got[0])
    return got[0], sigma


@settings(max_examples=30, deadline=None, derandomize=True)
@given(ta=st.floats(-1.5, 2.5), tb=st.floats(-1.5, 2.5), ha=st.floats(0.02, 3.0),
       hb=st.floats(0.02, 3.0), seed=st.integers(0, 10 ** 6))
def test_a_folds_compliance_is_its_sigma_under_unit_vertex_noise(ta, tb, ha, hb, seed):
    """Two flat faces on a unit edge, their apexes' feet anywhere along it or beyond (obtuse
    faces, slivers whose foot is at an end), heights 0.02-3: under small vertex noise along
    the normal the folds' standard deviation over 4000 draws is fold_compliance x sigma (the
    sample's own sd scatters by 1 / sqrt(2 n), 1.1 %)."""
    v = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [ta, ha, 0.0], [tb, -hb, 0.0]])
    f = np.array([[0, 1, 2], [1, 0, 3]])
    k = fold_compliance(v, f, np.array([[0, 1]]), np.array([[0, 1]]))[0]
    sigma = 1e-6 * min(ha, hb)
    rng = np.random.default_rng(seed)
    dz = rng.normal(0.0, sigma, (4000, 4))
    p = np.broadcast_to(v, (4000, 4, 3)).copy()
    p[..., 2] += dz
    na = np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])
    nb = np.cross(p[:, 0] - p[:, 1], p[:, 3] - p[:, 1])
    na /= np.linalg.norm(na, axis=1, keepdims=True)
    nb /= np.linalg.norm(nb, axis=1, keepdims=True)
    fold = np.arccos(np.clip(np.einsum("ij,ij->i", na, nb), -1.0, 1.0))
    # (a fold is unsigned; its sd about 0 is the root mean square)
    assert np.sqrt(np.mean(fold ** 2)) == pytest.approx(k * sigma, rel=0.05)


@pytest.mark.xfail(strict=True, reason="known limitation (stop 65): on slivers the folds saturate "
                   "from about 2 % of the median edge on; at 4.7 % (seed 146) the body's sigma "
                   "reads 0.0334 mm for 0.0440 (24 % low)")
def test_sliver_noise_near_five_percent_reads_within_15_percent():
    """The property test's counterexample before its sliver domain was bounded, kept as an
    example of its own: the day the saturation is read through, it passes and the bound goes."""
    got, sigma = _noisy_plate_reading("sliver", 0.046875, 146)
    assert abs(got / sigma - 1.0) <= 0.15, (got, sigma)


@settings(max_examples=20, deadline=None, derandomize=True)
@given(shape=st.sampled_from(["box", "icosahedron", "cylinder", "annulus", "sphere", "grid",
                              "capsule"]),
       scale=st.floats(0.1, 100.0), seed=st.integers(0, 10 ** 6))
def test_a_clean_mesh_reads_no_noise(shape, scale, seed):
    """Clean models at any size and orientation read 0: their faces fold one way (a sphere's,
    a cylinder's facets) or not at all (flats, coplanar diagonals)."""
    rng = np.random.default_rng(seed)
    m = {"box": lambda: trimesh.creation.box((3, 4, 5)),
         "icosahedron": trimesh.creation.icosahedron,
         "cylinder": lambda: trimesh.creation.cylinder(1, 3, sections=8),
         "annulus": lambda: trimesh.creation.annulus(1, 2, 1),
         "sphere": lambda: trimesh.creation.icosphere(4),
         "grid": lambda: trimesh.Trimesh(*_plate(30, 30, "irregular", rng)),
         "capsule": lambda: trimesh.creation.capsule(2.0, 1.0)}[shape]()
    from scipy.spatial.transform import Rotation
    rot = Rotation.random(random_state=seed).as_matrix()
    v = np.asarray(m.vertices, float) @ rot.T * scale
    assert np.all(_sigma(v, np.asarray(m.faces)) == 0.0)


def test_a_small_body_reads_no_noise():
    """A 12-triangle box with half its faces wound inside out: 12 of its creases read as
    concave, the rarer sign, and their median was read as 99 mm of noise (the corpus's
    odd_multibody.stl). Under MIN_SAMPLE folds a body reads 0."""
    m = trimesh.creation.box((80, 80, 80))
    f = np.asarray(m.faces).copy()
    f[::2] = f[::2, ::-1]
    assert 3 * len(f) // 2 < MIN_SAMPLE
    assert np.all(_sigma(np.asarray(m.vertices, float), f) == 0.0)


@pytest.mark.parametrize("seed", [1, 2])
def test_float32_rounding_of_a_clean_body_is_no_noise(seed):
    """A clean subdivided box, turned and moved 30 mm off the origin, stored as float32 (as
    STL, glTF and most PLY keep it): the folds rounding leaves between coplanar faces read a
    sigma of ~2e-7 mm, which is their rounding, and the body reads 0 (showcase_mini.glb's body
    read 1.1e-7 mm, and a rule asking sigma > 0 took it for a noisy scan)."""
    from miniscan.analysis.creases.noise import _body_noise

    m = trimesh.creation.box((20, 20, 4))
    v, f = trimesh.remesh.subdivide_to_size(m.vertices, m.faces, 1.0)
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    v = (np.asarray(v) @ q.T + [30.0, -20.0, 10.0]).astype(np.float32).astype(np.float64)
    a = Analysis(from_arrays(v, np.asarray(f)))
    assert _body_noise(a).max() > 0  # the rounding is there to be read
    assert face_noise_mm(a).max() == 0.0
