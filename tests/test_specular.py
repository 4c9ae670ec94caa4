"""Specular noise (MS301-MS303) on procedural meshes with known answers.

The plate is a height field standing upright (its normal faces the -y front): the half with
x below the middle is flat, the other half carries smoothed random relief of correlation
length ~0.1 mm, i.e. inside the eye's band at 300-500 mm and far below it at 3 m.
The light orbit is ray-cast (analysis/orbit.py), so every test runs it; no GL is involved.
"""

from __future__ import annotations

import functools
import math
from dataclasses import replace

import numpy as np
import pytest
import trimesh
from hypothesis import example, given, settings, strategies as st
from scipy.ndimage import gaussian_filter

from miniscan.analysis import Analysis
from miniscan.analysis import normal_variation as nvmod
from miniscan.checks import specular
from miniscan.conditions import resolve
from miniscan.evidence import FAIL, PASS, UNDETERMINED
from miniscan.model import from_arrays

NX, NY, E = 160, 80, 0.05  # 8 x 4 mm plate, 0.05 mm grid
HALF_X = (NX - 1) * E / 2


def plate(amp: float, seed: int = 1):
    x, y = np.arange(NX) * E, np.arange(NY) * E
    X, Y = np.meshgrid(x, y, indexing="ij")
    z = gaussian_filter(np.random.default_rng(seed).standard_normal((NX, NY)), 1.0, mode="wrap")
    z = z / z.std() * amp
    z[X < HALF_X] = 0.0
    idx = np.arange(NX * NY).reshape(NX, NY)
    a, b, c, d = (idx[:-1, :-1].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel(),
                  idx[:-1, 1:].ravel())
    f = np.vstack([np.column_stack([a, b, c]), np.column_stack([a, c, d])])
    v = np.column_stack([X.ravel(), -z.ravel(), Y.ravel()])  # upright, normal towards -y
    return from_arrays(v, f[:, ::-1])


def sphere(radius=8.0, sub=6):
    m = trimesh.creation.icosphere(subdivisions=sub, radius=radius)
    return from_arrays(m.vertices, m.faces)


def run(model, **kw):
    return specular.run(model, resolve("tabletop", **kw), Analysis(model))


def codes(res):
    return sorted(f.code for f in res.findings)


def ms301(res):
    return [f for f in res.findings if f.code == "MS301"]


@pytest.fixture(scope="module")
def noisy():
    return plate(0.025)


@pytest.fixture(scope="module")
def faint():
    return plate(0.017)


# --- MS301 geometry -------------------------------------------------------------------

def test_noisy_half_flags_under_satin_only_there(noisy):
    res = run(noisy, finish="satin")
    f301 = [f for f in res.findings if f.code == "MS301"]
    assert len(f301) == 1, res.findings  # one region, not one finding per face
    f = f301[0]
    assert f.location.centroid_mm[0] > HALF_X + 0.5
    assert f.measured > f.threshold == pytest.approx(np.degrees(0.15))
    assert f.unit == "deg"
    faces_x = Analysis(noisy).face_centroids[list(f.location.faces), 0]
    assert (faces_x > HALF_X).all()
    share = res.metrics["noisy_area_share"]
    assert 0.35 < share < 0.6  # about the noisy half, a little spill across the seam
    pf = res.metrics["per_finish_noisy_share"]
    assert pf["metal"] >= pf["gloss"] >= pf["satin"] >= pf["matte"]
    assert res.metrics["orbit"]["status"] == "ok"
    assert res.status == "ok"


def test_a_bodys_measurement_lists_the_surface_it_was_read_over(noisy):
    """A failing body's measurement lists a face per cell it was read over, not only its
    centre and hottest faces: the ground-truth suite matches a case's places against the
    clean host's bodies by them (a scan's failing body spans 100 mm, specular:c84012)."""
    res = run(noisy, finish="satin")
    bodies = [m for m in res.measurements if m.code == "MS301" and m.verdict == FAIL]
    assert len(bodies) == 1
    fx = Analysis(noisy).face_centroids[list(bodies[0].faces)]
    assert (fx[:, 0] > HALF_X - 0.5).all()  # on the noisy half (a little spill at the seam)
    # ... and over all of it: both ends of the noisy half, top to bottom
    assert fx[:, 0].min() < HALF_X + 0.5 and fx[:, 0].max() > (NX - 1) * E - 0.5
    assert np.ptp(fx[:, 2]) > (NY - 1) * E - 1.0
    f = ms301(res)[0]
    assert set(f.location.faces) <= set(bodies[0].faces)


def _plate_truth(amp: float, seed: int = 1) -> float:
    """The band-pass angle of plate(amp)'s relief over its noisy half less 4r at the edges
    (tabletop's r), from the height field itself, as _band_angle does."""
    r = resolve("tabletop").resolvable_mm
    x, y = np.arange(NX) * E, np.arange(NY) * E
    X, Y = np.meshgrid(x, y, indexing="ij")
    z = gaussian_filter(np.random.default_rng(seed).standard_normal((NX, NY)), 1.0, mode="wrap")
    z = z / z.std() * amp
    z[X < HALF_X] = 0.0
    gx, gy = np.gradient(z, E)

    def blurred(*w):
        sd = np.sqrt(sum((u / 2.3548) ** 2 for u in w)) / E
        v = np.stack([gaussian_filter(-gx, sd), gaussian_filter(-gy, sd), np.ones_like(gx)], -1)
        return v / np.linalg.norm(v, axis=-1, keepdims=True)

    ang = np.arccos(np.clip((blurred(r) * blurred(r, 4 * r)).sum(-1), -1, 1))
    inner = (X > HALF_X + 4 * r) & (X < X.max() - 4 * r) & (Y > 4 * r) & (Y < Y.max() - 4 * r)
    return float(np.sqrt((ang[inner] ** 2).mean()))


def test_small_amplitude_is_read_at_its_level(faint):
    """The faint relief's band-pass angle is 0.77 of satin's limit (most of its variation is
    finer than r): no finding under matte, and under satin its region's interval holds that
    angle and is not a fail. Read over its nodes above the limit (its hot spots), the region
    read 1.46x the angle and was left open (before wave 10 this test asked for exactly that)."""
    assert codes(run(faint, finish="matte")) == []
    truth = _plate_truth(0.017)
    meas = [m for m in run(faint, finish="satin").measurements if m.code == "MS301"]
    assert meas and all(m.lo <= truth <= m.hi and m.verdict != FAIL for m in meas), (truth, meas)


def test_flat_and_box_are_quiet_even_under_metal():
    assert codes(run(plate(0.0), finish="metal")) == []
    box = trimesh.creation.box((6.0, 4.0, 3.0)).subdivide().subdivide()
    res = run(from_arrays(box.vertices, box.faces), finish="metal")
    assert codes(res) == []  # 90-degree creases are edges (MS2xx), not noise
    assert res.metrics["noisy_area_share"] == 0.0


def test_subresolution_noise_far_away_does_not_sparkle(noisy):
    far = run(noisy, finish="gloss", distance="3m")
    near = run(noisy, finish="gloss", distance="300mm")
    assert "MS301" not in codes(far)
    assert "MS301" in codes(near)
    assert far.metrics["noisy_area_share"] < near.metrics["noisy_area_share"]


@settings(max_examples=6, deadline=None)
@given(st.floats(400.0, 1200.0), st.floats(1.1, 3.0))
def test_monotone_in_distance(noisy, d, k):
    # d up to 1.2 m: beyond, the 4 x 4 mm noisy half holds fewer than ~60 patch nodes and the
    # footprint's residual of the (sub-resolution) noise, ~2-3 deg, is sampling noise
    a = run(noisy, finish="gloss", distance=d).metrics
    b = run(noisy, finish="gloss", distance=d * k).metrics
    # the flagged area spills up to one patch node (2r) across the border of the noisy half,
    # and 2r grows with distance: allow that much (~3% of this plate), V itself is monotone
    assert b["noisy_area_share"] <= a["noisy_area_share"] + 0.03
    # p90 over ~100 patch nodes carries ~10% sampling noise between nearby distances
    assert b["variation_deg"]["p90"] <= a["variation_deg"]["p90"] * 1.1 + 0.1


def _summary(res):
    return codes(res), res.metrics["noisy_area_share"], res.metrics["regions"]


def test_dimensional_invariance(noisy):
    c = resolve("tabletop", finish="satin")
    base = specular.run(noisy, c, Analysis(noisy))
    for k in (0.5, 4.0):
        m = noisy.transformed(scale=k)
        res = specular.run(m, c.scaled(k), Analysis(m))
        assert codes(res) == codes(base)
        assert res.metrics["noisy_area_share"] == pytest.approx(
            base.metrics["noisy_area_share"], abs=0.01)
        (f,), (g,) = ms301(res), ms301(base)
        assert f.measured == pytest.approx(g.measured, rel=0.02)
        assert np.allclose(np.array(f.location.centroid_mm) / k, g.location.centroid_mm,
                           atol=0.05)


@settings(max_examples=3, deadline=None)
@given(st.integers(0, 10_000))
@example(7588)  # MS302 passes upright and is undetermined turned this way (a fair outcome)
def test_rigid_motion_invariance(noisy, seed):
    rot = trimesh.transformations.random_rotation_matrix(np.random.default_rng(seed).random(3))
    rot[:3, 3] = np.random.default_rng(seed + 1).uniform(-50, 50, 3)
    base = run(noisy, finish="gloss")  # well above the limit: the share is the noisy half
    moved = run(noisy.transformed(rot), finish="gloss")
    # the problems found are the same; a verdict near its threshold may turn undetermined
    # (MS300 says so) but never from fail to pass or back: rotation moves the facets' sampling
    assert [c for c in codes(moved) if c != "MS300"] == [c for c in codes(base) if c != "MS300"]
    for code, v in base.metrics["verdicts"].items():
        w = moved.metrics["verdicts"][code]
        assert not (v["fail"] and not w["fail"] and w["pass"]), code
        assert not (w["fail"] and not v["fail"] and v["pass"]), code
    assert moved.metrics["noisy_area_share"] == pytest.approx(
        base.metrics["noisy_area_share"], abs=0.06)
    (f,), (g,) = ms301(moved), ms301(base)
    assert f.measured == pytest.approx(g.measured, rel=0.2)  # box footprints: see docs
    back = (np.array(f.location.centroid_mm) - rot[:3, 3]) @ rot[:3, :3]
    assert np.allclose(back, g.location.centroid_mm, atol=0.3)


def test_deterministic(noisy):
    a = run(noisy, finish="satin").to_dict()
    b = run(noisy, finish="satin").to_dict()
    assert a == b


# --- MS303 finish map -------------------------------------------------------------------

def _two_parts(body_amp: float):
    body = plate(body_amp)
    eye = trimesh.creation.icosphere(subdivisions=3, radius=0.6)
    v = np.vstack([body.vertices, eye.vertices + [2.0, -1.0, 2.0]])
    f = np.vstack([body.faces, eye.faces + len(body.vertices)])
    m = from_arrays(v, f)
    return replace(m, part_names=("body", "eyes"), part_starts=(0, len(body.faces)))


def test_gloss_spread_needs_a_map_and_flags_glossy_body():
    m = _two_parts(0.0)
    assert run(m, finish="gloss").metrics["gloss_spread"]["status"] == "not-run"
    spread = run(m, finish="gloss", part_finish="eyes=gloss")
    gs = spread.metrics["gloss_spread"]
    assert gs["focal_parts"] == ["eyes"]
    assert "MS303" in codes(spread) and gs["outside_focal_share"] == pytest.approx(32.0 / (32.0 + 4 * np.pi * 0.36), abs=0.02)
    focused = run(m, finish="matte", part_finish="eyes=gloss")
    assert "MS303" not in codes(focused)
    assert focused.metrics["gloss_spread"]["outside_focal_share"] == 0.0
    # a matte body that glitters still spreads strong highlights off the focal parts
    glitter = run(_two_parts(0.04), finish="satin", part_finish="eyes=gloss")
    assert "MS303" in codes(glitter)


# --- MS302: really rendered -------------------------------------------------------------

def test_smooth_glossy_sphere_passes_both():
    res = run(sphere(), finish="gloss")
    assert codes(res) == []
    o = res.metrics["orbit"]
    assert o["status"] == "ok" and o["frames"] == 24
    assert o["blobs_per_frame_mean"] == pytest.approx(1.0)  # one glint that glides
    assert o["fragments_per_cm2"] < o["fragments_per_cm2_limit"] / 3
    assert o["flicker"] < o["flicker_limit"] / 2  # the highlight glides, it does not jump
    strip = res.layers.orbit
    frames, masks = strip.frames, strip.masks
    assert len(frames) == len(masks) == 24 and strip.coverage.shape == frames[0].shape
    assert frames[0].dtype == np.uint8 and frames[0].ndim == 2
    assert o["pixel_mm"] == pytest.approx(resolve("tabletop").resolvable_mm)
    # about 2 atan(8 / 500) / 1' = 110 pixels across for the 16 mm sphere, plus margins
    assert 110 <= frames[0].shape[1] <= 130
    assert sum(m.sum() for m in masks) > 0


def test_noisy_plate_fragments_and_frames_move(noisy):
    res = run(noisy, finish="satin")
    assert "MS302" in codes(res) and "MS301" in codes(res)
    o = res.metrics["orbit"]
    assert o["fragments_per_cm2"] > o["fragments_per_cm2_limit"]
    assert o["blobs_per_frame_mean"] > 5
    assert o["flicker"] > o["flicker_limit"]  # glints switch on and off between steps
    frames = res.layers.orbit.frames
    assert not np.array_equal(frames[0], frames[6])  # the lamp really moves
    ys, xs = np.nonzero(np.mean(np.stack(res.layers.orbit.masks), axis=0))
    # glints sit on the noisy half (right of the image for the -y front)
    assert np.mean(xs > frames[0].shape[1] / 2) > 0.9
    flat = run(plate(0.0), finish="satin")
    assert codes(flat) == []


def test_matte_noisy_plate_does_not_sparkle(noisy):
    """A matte lobe (0.6 rad) is wider than the relief's tilts: the sheen only dims and
    brightens in large patches, so neither the geometry nor the render call it sparkle."""
    res = run(noisy, finish="matte")
    # no sparkle verdict; one small steep region (band variation 0.31 rad, interval
    # 0.14-0.48 against matte's 0.3) may stay open: MS300, not MS301
    assert "MS301" not in codes(res) and set(codes(res)) <= {"MS300"}
    o = res.metrics["orbit"]
    assert o["fragments_per_cm2"] < o["fragments_per_cm2_limit"] / 3
    assert o["flicker"] < o["flicker_limit"]
    assert not o["fragmented"] and not o["flickers"]
    # the same relief under gloss does sparkle: the render is not simply blind to it (its
    # glints are small and jump; under the narrow lobe there are only one or two a frame)
    glossy = run(noisy, finish="gloss").metrics["orbit"]
    assert glossy["flickers"] and glossy["fragments_per_cm2"] > glossy["fragments_per_cm2_limit"]


# --- intervals, facets, known amplitudes ---------------------------------------------------

def test_faceted_sphere_is_undetermined_not_sparkle():
    """Flat facets of 4 mm (an icosphere of 320 faces, 16 mm across) under gloss: the facet
    edges vary the normal, but that is the export's doing: MS300 says 'export finer', no
    MS301. The same sphere exported finely passes."""
    coarse = run(sphere(8.0, 2), finish="gloss")
    assert "MS301" not in codes(coarse) and "MS300" in codes(coarse)
    (info,) = [f for f in coarse.findings if f.code == "MS300"]
    assert "export" in info.message and coarse.metrics["faceted_share"] > 0.9
    fine = run(sphere(8.0, 6), finish="gloss")
    assert codes(fine) == [] and fine.metrics["faceted_share"] == 0.0


def bumps(amp: float, wavelength: float = 0.5, n: int = 200, e: float = 0.03):
    """A 6 x 6 mm upright plate carrying an egg-crate relief of known amplitude and period."""
    x = np.arange(n) * e
    X, Y = np.meshgrid(x, x, indexing="ij")
    z = amp * np.sin(2 * np.pi * X / wavelength) * np.sin(2 * np.pi * Y / wavelength)
    idx = np.arange(n * n).reshape(n, n)
    a, b, c, d = (idx[:-1, :-1].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel(),
                  idx[:-1, 1:].ravel())
    f = np.vstack([np.column_stack([a, b, c]), np.column_stack([a, c, d])])
    return from_arrays(np.column_stack([X.ravel(), -z.ravel(), Y.ravel()]), f[:, ::-1])


def test_variation_scales_with_the_relief_amplitude():
    """V is linear in a relief's slope: doubling the amplitude doubles it (within 10 %), and
    the verdict under gloss goes from pass (tiny relief) to fail (4x the slope limit)."""
    r = resolve("tabletop", finish="gloss").resolvable_mm
    lam = 3.0 * r  # inside the eye's band r ... 4r
    limit = 0.05  # gloss: phi / 2 = 0.05 rad of normal tilt
    small = run(bumps(0.2 * limit * lam / (2 * np.pi), lam), finish="gloss")
    big = run(bumps(4.0 * limit * lam / (2 * np.pi), lam), finish="gloss")
    double = run(bumps(8.0 * limit * lam / (2 * np.pi), lam), finish="gloss")
    p90 = lambda res: res.metrics["variation_deg"]["p90"]  # noqa: E731
    assert p90(double) == pytest.approx(2 * p90(big), rel=0.1)
    assert "MS301" not in codes(small) and "MS300" not in codes(small)
    assert "MS301" in codes(big)
    for m in big.measurements:
        if m.kind == "normal_variation_rad" and m.verdict == FAIL:
            assert m.lo > limit


@settings(max_examples=4, deadline=None)
@given(st.floats(0.0, 0.04), st.sampled_from(["satin", "gloss"]), st.integers(0, 1000))
def test_no_finding_straddles_its_threshold(amp, finish, seed):
    """The evidence rule on random relief: every MS3xx finding's whole range lies past its
    threshold (Finding refuses anything else), and every judged region is counted."""
    res = run(plate(amp, seed), finish=finish)
    for f in res.findings:
        if f.measured_range is not None and f.threshold is not None:
            lo, hi = f.measured_range
            assert lo > f.threshold
    judged = sum(sum(v.values()) for k, v in res.metrics["verdicts"].items() if k == "MS301")
    assert judged == len([m for m in res.measurements if m.kind == "normal_variation_rad"])


def test_layers_carry_measured_values():
    res = run(plate(0.025), finish="satin")
    lay = res.layers
    assert isinstance(lay, specular.SpecularLayers)
    names = [x.name for x in lay.face_layers()]
    assert names == ["specular-variation", "specular-ratio"]
    var = lay.face_layers()[0]
    assert var.unit == "deg" and np.nanmax(var.values) > np.degrees(0.15)
    assert np.allclose(lay.face_limit_deg, np.degrees(0.15))
    m302 = [m for m in res.measurements if m.kind == "flicker_share"]
    assert len(m302) == 1 and m302[0].lo <= m302[0].value <= m302[0].hi


def test_dense_mesh_is_measured_on_its_raster():
    """Over 250k faces finer than r/2 the kernel runs on the clustered raster: same verdict as
    the same surface exported coarser, and every model face still gets its value."""
    dense, coarse = sphere(8.0, 7), sphere(8.0, 6)  # 328k and 82k faces
    d, c = run(dense, finish="gloss"), run(coarse, finish="gloss")
    assert d.metrics["orbit"]["raster"]["cell_mm"] > 0 and codes(d) == codes(c) == []
    fv = d.layers.face_variation_deg
    assert fv.shape == (dense.n_faces,) and np.isfinite(fv).mean() > 0.99


def _wave_plate(lam: float, slope: float, r: float, seed: int, style: str):
    """A plate carrying one plane wave of wavelength lam and RMS slope `slope` (small, so
    slope = normal tilt), edges lam / 10, randomly turned; 'irregular' jitters the grid's
    vertices in the plane by up to 0.3 of an edge. Returns (vertices, faces, rotation, L)."""
    rng = np.random.default_rng(seed)
    L = max(12 * lam, 24 * r)
    h = lam / 10
    n = int(L / h) + 1
    x = np.linspace(-L / 2, L / 2, n)
    X, Y = np.meshgrid(x, x, indexing="ij")
    if style == "irregular":
        X = X + rng.uniform(-0.3, 0.3, X.shape) * h
        Y = Y + rng.uniform(-0.3, 0.3, Y.shape) * h
    ang, ph = rng.uniform(0, np.pi), rng.uniform(0, 2 * np.pi)
    k = 2 * np.pi / lam
    amp = slope * np.sqrt(2.0) / k
    Z = amp * np.sin(k * (np.cos(ang) * X + np.sin(ang) * Y) + ph)
    idx = np.arange(n * n).reshape(n, n)
    a, b, c, d = (idx[:-1, :-1].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel(),
                  idx[:-1, 1:].ravel())
    f = np.vstack([np.column_stack([a, b, c]), np.column_stack([a, c, d])])
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    v = np.column_stack([X.ravel(), Y.ravel(), Z.ravel()]) @ q.T
    return v, f, q, L


@pytest.mark.parametrize("lam_r,seed,style", [(2.5, 0, "regular"), (4.0, 1, "irregular"),
                                              (6.0, 2, "regular"), (8.0, 3, "irregular")])
def test_band_transfer_matches_the_definition(lam_r, seed, style):
    """One small wave of wavelength 2.5-8 r, any pose, two triangulations: V is the RMS tilt
    of the normal blurred by the eye (Gaussian FWHM r) minus the patch normal (Gaussian FWHM
    4r), within 10 %. For a sinusoid of RMS slope s that is
    s * G(r) * (1 - G(4r)), G(w) = exp(-2 (pi sigma_w / lam)^2), sigma_w = w / 2.3548
    (docs/accuracy.md). Before the fit was centred on each fine node and reached 2 patch voxels,
    a wave of 8 r read 24 % low and one of 6 r 18 % low."""
    from miniscan.analysis import normal_variation as nvm

    r, slope = 0.15, 0.05
    lam = lam_r * r
    v, f, q, L = _wave_plate(lam, slope, r, seed, style)
    e1, e2 = v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]]
    cr = np.cross(e1, e2)
    area = 0.5 * np.linalg.norm(cr, axis=1)
    nv = nvm.compute(v, f, area, cr / (2 * area[:, None]), r)
    local = nv.positions @ q  # back in the plate's frame
    margin = max(lam, 4 * r)
    inner = (np.abs(local[:, :2]) < L / 2 - margin).all(axis=1)
    V = np.sqrt(np.average(nv.variation_rad[inner] ** 2, weights=nv.areas[inner]))

    def G(w):
        return np.exp(-2.0 * (np.pi * w / 2.3548 / lam) ** 2)

    assert V == pytest.approx(slope * G(r) * (1 - G(4 * r)), rel=0.10)


@pytest.mark.parametrize("lam_r,r,seed,style", [(8.0, 0.07, 11, "irregular"),
                                                (10.0, 0.3, 12, "regular"),
                                                (13.0, 0.11, 13, "irregular")])
def test_long_waves_read_the_patch_of_the_eyes_normal(lam_r, r, seed, style):
    """The patch normal is the eye's normal averaged over 4r (the footprint's blur and the
    patch's, variances adding: docs/accuracy.md), so one wave of 8-13 r, on a mesh fine enough
    (edges lam / 24, the mesh itself holding the wave within 1 %) that the kernel alone is
    judged, reads s * G(r) * (1 - G(4r)) within 3 %, any pose, three sizes of r. A patch
    normal of the raw normals over 4r alone gives G(r) - G(4r): 0.95 of it at 10 r, 0.94 at
    13 r (before wave 10b the long waves read 4-6 % low)."""
    slope = 0.04
    lam = lam_r * r
    rng = np.random.default_rng(seed)
    L, h = 8 * lam, lam / 24
    x = np.arange(-L / 2, L / 2 + h / 2, h)
    X, Y = np.meshgrid(x, x, indexing="ij")
    if style == "irregular":
        X = X + rng.uniform(-0.3, 0.3, X.shape) * h
        Y = Y + rng.uniform(-0.3, 0.3, Y.shape) * h
    ang, ph, k = rng.uniform(0, np.pi), rng.uniform(0, 2 * np.pi), 2 * np.pi / lam

    def height(X, Y):
        return slope * np.sqrt(2.0) / k * np.sin(k * (np.cos(ang) * X + np.sin(ang) * Y) + ph)

    v, f, q = _grid_mesh(X, Y, height, rng)
    V = _inner_variation(v, f, q, r, L / 2 - lam)

    def G(w):
        return np.exp(-2.0 * (np.pi * w / 2.3548 / lam) ** 2)

    assert V == pytest.approx(slope * G(r) * (1 - G(4 * r)), rel=0.03)


def _band_angle(height, L, lam, r, sig):
    """(GX, GY, angle) on the truth's own grid (lam / 40) over an L-wide plate: the angle
    between the normal averaged by the eye (FWHM r) and averaged over the patch (FWHM 4r),
    from the height field itself (the area-weighted normal is (-grad h, 1) dx dy, so a blur
    of it is exact)."""
    g = lam / 40  # the truth's own grid
    s = np.arange(-L / 2, L / 2, g)
    GX, GY = np.meshgrid(s, s, indexing="ij")
    gx, gy = np.gradient(height(GX, GY), g)

    def blurred(*w):
        sd = np.sqrt(sum(sig(x) ** 2 for x in w)) / g
        v = np.stack([gaussian_filter(-gx, sd), gaussian_filter(-gy, sd), np.ones_like(gx)], -1)
        return v / np.linalg.norm(v, axis=-1, keepdims=True)

    return GX, GY, np.arccos(np.clip((blurred(r) * blurred(r, 4 * r)).sum(-1), -1, 1))


def _inner_variation(v, f, q, r, half):
    """The kernel's RMS normal variation (area-weighted) over the nodes within `half` of a plate's
    centre in its own frame q (away from its rim)."""
    from miniscan.analysis import normal_variation as nvm

    e1, e2 = v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]]
    cr = np.cross(e1, e2)
    area = 0.5 * np.linalg.norm(cr, axis=1)
    nv = nvm.compute(v, f, area, cr / (2 * area[:, None]), r)
    local = nv.positions @ q
    inner = (np.abs(local[:, :2]) < half).all(axis=1)
    return np.sqrt(np.average(nv.variation_rad[inner] ** 2, weights=nv.areas[inner]))


def _grid_mesh(X, Y, height, rng):
    """The (X, Y) vertex grid lifted to height(X, Y), two triangles a cell, turned by a random
    rotation: (vertices, faces, rotation)."""
    nx, ny = X.shape
    idx = np.arange(nx * ny).reshape(nx, ny)
    a_, b_, c_, d_ = (idx[:-1, :-1].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel(),
                      idx[:-1, 1:].ravel())
    f = np.vstack([np.column_stack([a_, b_, c_]), np.column_stack([a_, c_, d_])])
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    v = np.column_stack([X.ravel(), Y.ravel(), height(X, Y).ravel()]) @ q.T
    return v, f, q


def _steep_plate(lam: float, slope: float, r: float, seed: int, style: str, waves: int = 10):
    """Band noise (`waves` plane waves within 15 % of lam, band slope `slope` RMS) on a plate
    12 lam wide, randomly turned; 'regular' (edges lam / 10), 'irregular' (jittered by 0.3 of
    an edge) or 'sliver' (cells three times longer one way, the long side lam / 8). Returns
    (vertices, faces, rotation, L, margin, truth): truth is the RMS angle between the normal
    averaged by the eye (FWHM r) and that normal averaged over the patch (FWHM 4r), computed
    on the height field itself (the area-weighted normal is (-grad h, 1) dx dy, so a blur of
    it is exact) over the plate less a margin."""
    rng = np.random.default_rng(seed)
    L, h = 12 * lam, lam / 10
    hx, hy = (lam / 8, lam / 24) if style == "sliver" else (h, h)
    x, y = np.arange(-L / 2, L / 2 + hx / 2, hx), np.arange(-L / 2, L / 2 + hy / 2, hy)
    X, Y = np.meshgrid(x, y, indexing="ij")
    if style == "irregular":
        X = X + rng.uniform(-0.3, 0.3, X.shape) * h
        Y = Y + rng.uniform(-0.3, 0.3, Y.shape) * h
    lams = lam * rng.uniform(0.85, 1.15, waves)
    ang, ph = rng.uniform(0, np.pi, waves), rng.uniform(0, 2 * np.pi, waves)
    k = 2 * np.pi / lams
    sig = lambda w: w / 2.3548  # noqa: E731
    T = np.exp(-2 * (np.pi * sig(r) / lams) ** 2) * (1 - np.exp(-2 * (np.pi * sig(4 * r) / lams) ** 2))
    b = slope / np.sqrt(((k * T) ** 2).sum() / 2)

    def height(X, Y):
        return sum(b * np.sin(k[i] * (np.cos(ang[i]) * X + np.sin(ang[i]) * Y) + ph[i])
                   for i in range(waves))

    GX, GY, d = _band_angle(height, L, lam, r, sig)
    margin = max(lam, 4 * r)
    m = int(margin / (lam / 40))
    d = d[m:-m, m:-m]
    v, f, q = _grid_mesh(X, Y, height, rng)
    return v, f, q, L, margin, float(np.sqrt((d ** 2).mean()))


_STEEP_LIMIT = pytest.mark.xfail(strict=True, reason=(
    "docs/specular.md limit (g): relief of 8 r on slivers reads 0.77 of the normals' angle "
    "(before rough neighbours were kept to 90°: 0.68)"))


@pytest.mark.parametrize("lam_r,slope,seed,style", [
    (4.0, 0.5, 5, "regular"), (6.5, 0.6, 6, "irregular"),
    pytest.param(8.0, 0.6, 7, "sliver", marks=_STEEP_LIMIT), (2.5, 0.6, 8, "irregular")])
def test_steep_relief_reads_its_normal_angles(lam_r, slope, seed, style):
    """Steep band noise (band slope 0.5-0.6 rad RMS, full slopes to ~1 rad: a rough stucco),
    any pose, three triangulations, another size of r: V is within 15 % of the RMS angle
    between the normal the eye averages and that normal averaged over the patch (the suite's
    truth, bench/truth/expect.band_angle). In steep relief the patch normals of neighbours 2-4
    r apart differ by 60-90°: leaving those beyond 60° out made the fit follow the relief (6.5
    r read 0.75 of the angle, so steep noise was left open under matte); a rough neighbour is
    now part of the relief up to 90° (6.5 r: 0.88, 4 r 1.03, 2.5 r 0.98)."""
    r = 0.23
    v, f, q, L, margin, truth = _steep_plate(lam_r * r, slope, r, seed, style)
    V = _inner_variation(v, f, q, r, L / 2 - margin)
    assert V == pytest.approx(truth, rel=0.15)


def _noise_patch(lam: float, slope: float, r: float, seed: int, style: str, per_wave: float):
    """A flat plate carrying a patch of band noise 5 lam wide (10 plane waves within 15 % of
    lam, band slope `slope` RMS), tapered over one lam, edges lam / per_wave: 'irregular'
    (grid jittered by 0.3 of an edge) or 'sliver' (cells three times longer one way, the long
    side at most lam / 4: the relief stays represented); randomly turned. Returns (vertices,
    faces, truth): the RMS angle between the normal averaged by the eye (FWHM r) and by the
    patch (FWHM 4r) over the patch core, from the height field itself (as _steep_plate)."""
    rng = np.random.default_rng(seed)
    core = 1.5 * lam  # half the core: the patch is 5 lam, tapered over one lam each side
    L = 5 * lam + 8 * r + 2 * lam
    h = lam / per_wave
    hx, hy = (min(3 * h, lam / 4), min(3 * h, lam / 4) / 3) if style == "sliver" else (h, h)
    x, y = np.arange(-L / 2, L / 2 + hx / 2, hx), np.arange(-L / 2, L / 2 + hy / 2, hy)
    X, Y = np.meshgrid(x, y, indexing="ij")
    if style == "irregular":
        X = X + rng.uniform(-0.3, 0.3, X.shape) * h
        Y = Y + rng.uniform(-0.3, 0.3, Y.shape) * h
    lams = lam * rng.uniform(0.85, 1.15, 10)
    ang, ph = rng.uniform(0, np.pi, 10), rng.uniform(0, 2 * np.pi, 10)
    k = 2 * np.pi / lams
    sig = lambda w: w / 2.3548  # noqa: E731
    T = np.exp(-2 * (np.pi * sig(r) / lams) ** 2) * (1 - np.exp(-2 * (np.pi * sig(4 * r) / lams) ** 2))
    b = slope / np.sqrt(((k * T) ** 2).sum() / 2)

    def win(u):
        t = np.clip((np.abs(u) - core) / lam, 0.0, 1.0)
        return np.cos(0.5 * np.pi * t) ** 2

    def height(X, Y):
        return win(X) * win(Y) * sum(b * np.sin(k[i] * (np.cos(ang[i]) * X + np.sin(ang[i]) * Y)
                                                + ph[i]) for i in range(10))

    GX, GY, d = _band_angle(height, L, lam, r, sig)
    inside = (np.abs(GX) <= core) & (np.abs(GY) <= core)
    v, f, _ = _grid_mesh(X, Y, height, rng)
    return v, f, float(np.sqrt((d[inside] ** 2).mean()))


@pytest.mark.parametrize("finish,per_wave,style", [
    (fi, pw, st_) for st_ in ("irregular", "sliver") for pw in (6, 8, 11)
    for fi in ("satin", "gloss")])
def test_noise_on_faces_near_the_eye_size_is_found(style, per_wave, finish):
    """Band noise 1.35-1.6x the satin / gloss limit on irregular and sliver triangulations
    whose longest edges pass r (three densities, 3-7 r, 300-900 mm, any pose): a patch whose
    truth is past the limit by more than the error target (15 %) and the sampling share of
    its core fails MS301 with its whole interval over the limit. A face smaller than one
    footprint cell is seen through its own mean normal; smooth-shading it (the mean of its
    corners' normals, a one-ring low-pass: 0.7-0.8 of the relief) held 5 of these 12 open as
    "export finer" before wave 9 (faceted spheres, cylinders and tori, whose faces are
    larger, keep their smooth reading: test_faceted_sphere_is_undetermined_not_sparkle).
    Gloss on slivers at 11 faces a wave (the mesh holds 0.84 of the relief, the body reads
    0.85: limit (h)) was open with the sampling share (lower end 0.99 of the limit) and is
    failed since the interval is the error of reading this surface (wave 16)."""
    from miniscan import vision

    i = ["irregular", "sliver"].index(style) * 6 + [6, 8, 11].index(per_wave) * 2 \
        + ["satin", "gloss"].index(finish)
    rng = np.random.default_rng(700 + i)
    dist, lam_r, k = rng.uniform(300, 900), rng.uniform(3.0, 7.0), rng.uniform(1.35, 1.6)
    c = resolve("tabletop", distance=float(dist), finish=finish)
    limit = 0.5 * vision.FINISH_LOBE_RAD[finish]
    v, f, truth = _noise_patch(lam_r * c.resolvable_mm, k * limit, c.resolvable_mm, 700 + i,
                               style, per_wave)
    m = from_arrays(v, f)
    res = specular.run(m, c, Analysis(m))
    # required to fail: past the limit by more than the error target and than the sampling
    # share of the patch core's own area (3 lam square: docs/specular.md, "Sampling")
    r = c.resolvable_mm
    s = 1.0 / np.sqrt(((3 * lam_r * r) ** 2 + np.pi * (2 * r) ** 2) / (2 * r) ** 2)
    if truth / 1.15 <= limit or truth * (1 - s) <= limit:
        return
    fails = [x for x in res.measurements if x.code == "MS301" and x.verdict == FAIL]
    assert fails and max(x.lo for x in fails) > limit, (truth / limit, res.measurements)


def _with_speck(mesh, shift_voxels: float):
    """The mesh and a 1 µm triangle 3 mm below it on every axis of MS301's voxel grid, shifted
    by `shift_voxels` footprint voxels: the grid's origin (its lowest point) moves by that
    much, nothing else does (a face that small carries one integration point, no draw)."""
    from miniscan.analysis import normal_variation as nvm

    r = resolve("tabletop").resolvable_mm
    g = nvm._GRID
    low = (np.asarray(mesh.vertices) @ g).min(axis=0) - 3.0 - shift_voxels * nvm.FOOT * r
    tri = (low + np.array([[0, 0, 0], [1e-3, 0, 0], [0, 1e-3, 0]])) @ g.T
    n = len(mesh.vertices)
    return from_arrays(np.vstack([mesh.vertices, tri]),
                       np.vstack([mesh.faces, [[n, n + 1, n + 2]]]))


@pytest.mark.parametrize("radius,sections,seed", [(0.15, 32, 1), (0.25, 24, 2), (0.2, 16, 3)])
def test_thin_rod_is_not_failed_by_one_grid(radius, sections, seed):
    """A smooth rod of radius 1-1.7 r (facets far finer than r), any pose, three section
    counts, under matte: its normals turn with its own round form, and the band-pass reading
    of a fold that narrow depends on where the voxel grid splits it (limit (c), (f)): the same
    rod read on grids starting a fifth of a voxel apart gave 0-5 MS301 fails. A reading that
    one arbitrary grid gives and a shifted one does not is no evidence: never a fail, at any
    grid origin (before the interval took in the grid's phase: fails at 11 of these 12)."""
    rod = trimesh.creation.capsule(height=20.0, radius=radius, count=[sections, sections])
    rod.apply_transform(trimesh.transformations.random_rotation_matrix(
        np.random.default_rng(seed).random(3)))
    for k in range(4):
        res = run(_with_speck(rod, k / 5.0))
        assert res.metrics["verdicts"].get("MS301", {}).get("fail", 0) == 0, k


def _subresolution_plate(theta: float, r: float, seed: int):
    """A plate 14 r square carrying relief far finer than the eye: ten plane waves within 15 %
    of 0.4-0.5 r, full RMS slope theta, on a jittered grid of four edges a wave, turned at
    random. Nothing of it lies in the band (its band angle is under 1e-6 rad)."""
    rng = np.random.default_rng(seed)
    lam = r * rng.uniform(0.4, 0.5)
    h, L = lam / 4.0, 14.0 * r
    x = np.arange(-L / 2, L / 2 + h / 2, h)
    X, Y = np.meshgrid(x, x, indexing="ij")
    X = X + rng.uniform(-0.3, 0.3, X.shape) * h
    Y = Y + rng.uniform(-0.3, 0.3, Y.shape) * h
    k = 2.0 * np.pi / (lam * rng.uniform(0.85, 1.15, 10))
    ang, ph = rng.uniform(0, np.pi, 10), rng.uniform(0, 2 * np.pi, 10)
    b = theta / np.sqrt((k ** 2).sum() / 2.0)

    def height(X, Y):
        return sum(b * np.sin(k[i] * (np.cos(ang[i]) * X + np.sin(ang[i]) * Y) + ph[i])
                   for i in range(10))

    v, f, _ = _grid_mesh(X, Y, height, rng)
    return from_arrays(v, f)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_relief_finer_than_the_eye_is_not_failed_through_the_footprint_box(seed):
    """The suite's sub-resolution control (fresh specular:2054): relief of wavelength 0.4-0.5 r
    and full slope 0.6 rad under metal at display distance, nothing of it in the band (band
    angle under 1e-6 rad). The eye's Gaussian footprint passes none of it; the footprint box
    (the Gaussian's second moment) passes part of it through its sinc's side lobes, and the
    body reads 1.26-1.61x the metal limit. Read with the tent footprint too (its side lobes
    ~5x weaker), the lower end falls under the limit: no fail (before, a strict xfail)."""
    c = resolve("display", finish="metal")
    m = _subresolution_plate(0.6, c.resolvable_mm, seed)
    res = specular.run(m, c, Analysis(m))
    ms = [x for x in res.measurements if x.code == "MS301"]
    assert ms and not [x for x in ms if x.verdict == FAIL], ms
    assert "MS301" not in codes(res)


# --- creases between planes are designed form, not noise -------------------------------------

def _turned(mesh, seed):
    m = mesh.copy()
    rng = np.random.default_rng(seed)
    m.apply_transform(trimesh.transformations.random_rotation_matrix(rng.random(3)))
    m.apply_translation(rng.normal(size=3) * 20.0)
    return m


def _convex_prism(rng, edge_mm):
    """A straight prism over a random convex polygon of 3-6 sides inscribed in a circle of
    radius 4-12 mm (every vertical crease turns 50 degrees or more), 2-8 mm tall, caps fanned
    as CAD exporters write them; subdivided to edge_mm (None: as exported)."""
    n = int(rng.integers(3, 7))
    gaps = np.radians(50.0) + rng.dirichlet(np.ones(n)) * (2 * np.pi - n * np.radians(50.0))
    a = np.cumsum(gaps) + rng.uniform(0, 2 * np.pi)
    xy = rng.uniform(4.0, 12.0) * np.c_[np.cos(a), np.sin(a)]
    tri = np.array([[0, i, i + 1] for i in range(1, n - 1)])
    m = trimesh.creation.extrude_triangulation(xy, tri, rng.uniform(2.0, 8.0))
    if edge_mm is not None:
        m = trimesh.Trimesh(*trimesh.remesh.subdivide_to_size(m.vertices, m.faces, edge_mm))
    return m


def _tiered_revolve(rng, sections):
    """A revolve of a random stepped profile: 1-3 tiers (90-degree steps, convex and concave),
    radii 8-15 mm, risers and treads of 2 mm or more, the top rim chamfered at 45 degrees
    (0.8-2 mm) or not."""
    tiers = int(rng.integers(1, 4))
    radii = np.sort(rng.uniform(8.0, 15.0, tiers))[::-1]
    radii = radii - 2.0 * np.arange(tiers)  # treads of 2 mm at least
    radii = np.clip(radii, 8.0 - 2.0 * np.arange(tiers) + 0 * radii, None)
    prof, z = [[0.0, 0.0]], 0.0
    for k, rad in enumerate(radii):
        prof.append([rad, z])
        z += rng.uniform(2.0, 4.0)
        if k == tiers - 1 and rng.random() < 0.7:
            c = rng.uniform(0.8, 2.0) / np.sqrt(2.0)
            prof += [[rad, z - c], [rad - c, z]]
        else:
            prof.append([rad, z])
    prof.append([0.0, z])
    return trimesh.creation.revolve(np.array(prof), sections=sections)


def _judged_301(res):
    v = res.metrics["verdicts"].get("MS301", {"fail": 0, "undetermined": 0})
    return v["fail"] + v["undetermined"], codes(res)


@pytest.mark.parametrize("seed", [11, 12, 13])
@pytest.mark.parametrize("edge_mm", [None, 1.0, 0.3])
def test_prism_creases_are_not_specular_noise(seed, edge_mm):
    """Flat faces carry no normal variation at any scale; a crease of 50 degrees or more
    between them is one highlight line (the edges family judges it): no MS301 verdict is
    failed or left open, under matte or gloss, in any pose or triangulation (before: regions
    at the creases, left open by MS300 'the noisy patches are too small')."""
    rng = np.random.default_rng(seed)
    m = _turned(_convex_prism(rng, edge_mm), seed)
    model = from_arrays(m.vertices, m.faces)
    for finish in ("matte", "gloss"):
        opened, found = _judged_301(run(model, finish=finish))
        assert opened == 0 and "MS301" not in found and "MS300" not in found


@pytest.mark.parametrize("seed", [21, 22, 23])
@pytest.mark.parametrize("sections", [64, 128, 256])
def test_revolved_steps_are_not_specular_noise(seed, sections):
    """A stepped, chamfered revolve (planes and faceted cylinders meeting at 45 and 90
    degrees): the creases are form, not noise, under matte."""
    m = _turned(_tiered_revolve(np.random.default_rng(seed), sections), seed)
    opened, found = _judged_301(run(from_arrays(m.vertices, m.faces)))
    assert opened == 0 and "MS301" not in found and "MS300" not in found


def _noisy_prism(seed):
    """A 4 mm hexagonal prism subdivided to 0.06 mm whose side facing +x (in its own frame)
    carries an egg-crate relief of period 3r and slope 4x the gloss limit in a 1.2 mm disc."""
    r = resolve("tabletop").resolvable_mm
    a = np.arange(6) * np.pi / 3 + np.pi / 6
    m = trimesh.creation.extrude_triangulation(
        4.0 * np.c_[np.cos(a), np.sin(a)], np.array([[0, i, i + 1] for i in range(1, 5)]), 4.0)
    m = trimesh.Trimesh(*trimesh.remesh.subdivide_to_size(m.vertices, m.faces, 0.06))
    v = np.array(m.vertices)
    lam, x_side = 3.0 * r, 4.0 * np.cos(np.pi / 6)
    rho = np.hypot(v[:, 1], v[:, 2] - 2.0)
    on = (v[:, 0] > x_side - 1e-6) & (rho < 1.2)
    taper = np.clip((1.2 - rho) / 0.3, 0.0, 1.0)
    amp = 4.0 * 0.05 * lam / (2 * np.pi)
    v[on, 0] += (amp * taper * np.sin(2 * np.pi * v[:, 1] / lam)
                 * np.sin(2 * np.pi * v[:, 2] / lam))[on]
    return _turned(trimesh.Trimesh(v, m.faces, process=False), seed)


@pytest.mark.parametrize("seed", [31, 32])
def test_noise_on_a_prism_is_still_found(seed):
    """The crease rule takes nothing from real noise: a relief 4x the gloss limit on one side
    of a prism fails MS301 there, in any pose."""
    m = _noisy_prism(seed)
    res = run(from_arrays(m.vertices, m.faces), finish="gloss")
    assert "MS301" in codes(res)
    fails = [x for x in res.measurements if x.kind == "normal_variation_rad" and x.verdict == FAIL]
    assert fails and all(x.lo > 0.05 for x in fails)


def _small_steps(rng, sections, r, ring_mm=None):
    """A CAD-like turned part with small designed features: 3-5 tiers stepping in by 4.5-7.5 r,
    6-10 r tall, each top rim chamfered at 45 degrees over 1.2-2 r (the counter plate's hole
    chamfers at display, a boss's bevels): every step and chamfer narrower than the band. With
    `ring_mm` the top disc is meshed in rings that far apart (room for relief)."""
    prof, z, rad = [[0.0, 0.0], [6.0, 0.0]], 0.0, 6.0
    for _ in range(int(rng.integers(3, 6))):
        z += rng.uniform(6.0, 10.0) * r
        c = rng.uniform(1.2, 2.0) * r / np.sqrt(2.0)
        prof += [[rad, z - c], [rad - c, z]]
        rad -= rng.uniform(4.5, 7.5) * r
        prof.append([rad, z])
    if ring_mm:
        prof += [[x, z] for x in np.arange(rad, 0.0, -ring_mm)[1:]]
    prof.append([0.0, z])
    return trimesh.creation.revolve(np.array(prof), sections=sections)


@pytest.mark.parametrize("seed", [41, 42])
@pytest.mark.parametrize("sections", [64, 256])
def test_small_designed_features_are_not_specular_noise(seed, sections):
    """Steps and chamfers narrower than the band put two or three smooth pieces in one
    footprint voxel, and the footprint normal blends their crease: read piece by piece (the
    surface cut at its creases, every piece a patch or larger) they are form, under every
    finish (before: 9-33 MS301 fails under gloss, 4-16 under satin)."""
    r = resolve("tabletop").resolvable_mm
    m = _turned(_small_steps(np.random.default_rng(seed), sections, r), seed)
    model = from_arrays(m.vertices, m.faces)
    for finish in ("satin", "gloss"):
        opened, found = _judged_301(run(model, finish=finish))
        assert "MS301" not in found, finish


@pytest.mark.parametrize("seed", [41, 42])
@pytest.mark.parametrize("finish", ["matte", "gloss"])
def test_noise_between_small_designed_features_is_still_found(seed, finish):
    """The same part with an egg-crate relief of period 3r (the features' scale, 6x the
    finish's limit in slope) over its top disc up to the chamfer: the relief lies on one smooth
    piece with the disc, so reading piece by piece leaves it whole -- one MS301 fail there, its
    lower end above the limit, and none at the features."""
    r = resolve("tabletop").resolvable_mm
    m = _small_steps(np.random.default_rng(seed), 256, r, ring_mm=0.035)
    v = np.array(m.vertices)
    top = v[:, 2] > v[:, 2].max() - 1e-6
    rho = np.hypot(v[:, 0], v[:, 1])
    edge = rho[top].max() - 0.1
    taper = np.clip((edge - rho) / 0.3, 0.0, 1.0) * top
    half = {"matte": 0.3, "gloss": 0.05}[finish]
    lam = 3.0 * r
    v[:, 2] += 6.0 * half * lam / (2 * np.pi) * taper * np.sin(2 * np.pi * v[:, 0] / lam) \
        * np.sin(2 * np.pi * v[:, 1] / lam)
    m = _turned(trimesh.Trimesh(v, m.faces, process=False), seed)
    res = run(from_arrays(m.vertices, m.faces), finish=finish)
    fails = [x for x in res.measurements if x.kind == "normal_variation_rad" and x.verdict == FAIL]
    assert len(fails) == 1 and fails[0].lo > half


def _nearest_301(res, centre):
    meas = [x for x in res.measurements if x.code == "MS301"]
    return min(meas, key=lambda x: np.linalg.norm(np.subtract(x.centroid_mm, centre)),
               default=None)


@pytest.mark.parametrize("k,finish,style,seed", [
    (1.0, "satin", "irregular", 801), (0.9, "matte", "sliver", 802),
    (0.9, "gloss", "regular", 803), (3.0, "gloss", "irregular", 804),
    (3.0, "metal", "sliver", 805), (2.5, "satin", "regular", 806)])
def test_a_region_reads_its_relief_not_its_hot_spots(k, finish, style, seed):
    """A patch of band noise (3-7 r, any pose, three triangulations, 300-900 mm) reads its
    own level within 15 % whether it lies below the limit or far above it. Its nodes' V
    scatter about the level by about a window's sampling share (0.2), so the nodes above
    the limit were the hot spots of a patch below it (0.8 of the limit read 1.2-1.4x itself)
    and the fading margin of one far above it (3x the limit read 0.75-0.9x): a region is now
    read over its body, from its strongest relief down, as the RMS d over its own nodes."""
    from miniscan import vision

    rng = np.random.default_rng(seed)
    dist, lam_r = rng.uniform(300, 900), rng.uniform(3.0, 7.0)
    c = resolve("tabletop", distance=float(dist), finish=finish)
    r, limit = c.resolvable_mm, 0.5 * vision.FINISH_LOBE_RAD[finish]
    v, f, truth = _noise_patch(lam_r * r, k * limit, r, seed, style, 8)
    m = from_arrays(v, f)
    near = _nearest_301(specular.run(m, c, Analysis(m)), np.zeros(3))
    assert near is not None and near.value == pytest.approx(truth, rel=0.15), \
        (truth / limit, near)


def _patch_on_mild_host(seed: int, finish: str, style: str):
    """The noise patch of _noise_patch (3x the finish's limit) on a plate whose whole surface
    carries a milder band noise (0.7x the limit, other waves): (vertices, faces, conditions,
    truth of the patch, limit)."""
    from miniscan import vision

    rng = np.random.default_rng(seed)
    c = resolve("tabletop", distance=float(rng.uniform(300, 900)), finish=finish)
    r, limit = c.resolvable_mm, 0.5 * vision.FINISH_LOBE_RAD[finish]
    lam = rng.uniform(3.0, 6.0) * r
    v, f, truth = _noise_patch(lam, 3.0 * limit, r, seed, style, 8)
    # the host's own milder noise: the same construction over the whole plate, in the
    # plate's frame (the rotation _grid_mesh applied is undone through the plate's normal)
    _, _, vt = np.linalg.svd(v - v.mean(axis=0))
    local = (v - v.mean(axis=0)) @ vt.T
    lams = lam * rng.uniform(0.8, 1.2, 12)
    ang, ph = rng.uniform(0, np.pi, 12), rng.uniform(0, 2 * np.pi, 12)
    k = 2 * np.pi / lams
    sig = 1.0 / 2.3548
    T = np.exp(-2 * (np.pi * sig * r / lams) ** 2) * (1 - np.exp(-2 * (np.pi * sig * 4 * r / lams) ** 2))
    b = 0.7 * limit / np.sqrt(((k * T) ** 2).sum() / 2)
    h = (b * np.sin(np.outer(local[:, 0], k * np.cos(ang)) + np.outer(local[:, 1], k * np.sin(ang))
                    + ph)).sum(axis=1)
    return v + h[:, None] * vt[2], f, c, truth, limit


@pytest.mark.parametrize("seed,finish,style", [(811, "gloss", "irregular"),
                                               (812, "satin", "sliver"),
                                               (813, "metal", "regular"),
                                               (814, "gloss", "sliver")])
def test_a_patch_on_a_mildly_noisy_host_is_read_at_its_own_level(seed, finish, style):
    """A noise patch 3x the limit on a host whose whole surface varies 0.7x the limit: the
    host's own hot spots join the patch in one region above the limit, and growing that
    region from its mean level took the whole host in and passed the patch (the 1 m
    hemisphere injections of the suite). Read from its strongest relief down, the patch fails
    at its own level (within the error target, its interval above the limit)."""
    v, f, c, truth, limit = _patch_on_mild_host(seed, finish, style)
    m = from_arrays(v, f)
    res = specular.run(m, c, Analysis(m))
    # the host's own regions lie around the same centre: the patch is the failing one
    fails = [x for x in res.measurements if x.code == "MS301" and x.verdict == FAIL]
    assert any(x.lo > limit and x.value == pytest.approx(truth, rel=0.15) for x in fails), \
        (truth / limit, res.measurements)


@pytest.mark.parametrize("gloss_side", [0, 1])
def test_a_region_keeps_to_its_finish(noisy, gloss_side):
    """The noisy plate's relief (band angle 1.1x satin's limit: 3.4x gloss's, 0.56x matte's)
    split across two parts, one gloss and one matte: the glossy part fails MS301 against the
    gloss limit. A region grown across the parts was judged against their area-weighted
    limit (the showcase's glossy blade, grown over a matte arm, read 7.9° against 3.2°)."""
    from miniscan import vision

    cy = Analysis(noisy).face_centroids[:, 2]  # the plate's second axis (upright plate)
    side = (cy < np.median(cy)) != bool(gloss_side)
    order = np.argsort(~side, kind="stable")  # the glossy side's faces first
    m = replace(from_arrays(noisy.vertices, noisy.faces[order]), part_names=("shiny", "dull"),
                part_starts=(0, int(side.sum())))
    res = run(m, finish="matte", part_finish="shiny=gloss")
    gloss = np.degrees(0.5 * vision.FINISH_LOBE_RAD["gloss"])
    f301 = [f for f in res.findings if f.code == "MS301"]
    assert f301 and all(f.threshold == pytest.approx(gloss) for f in f301), f301


def _two_levels(seed: int, finish: str, style: str, overlap: float):
    """Two patches of band noise side by side on a plate (each 5 lam wide, tapered over one
    lam, their own ten waves within 15 % of lam, 3-6 r), the second at 0.4-0.5 of the first's
    slope (3.5-4.5x the finish's limit): touching (`overlap` 0: the tapers meet) or
    overlapping by `overlap` lam. 'isotropic' (a Delaunay triangulation of points jittered by
    half an edge) or 'irregular' (the grid jittered by 0.3 of an edge), edges lam / 8,
    randomly turned, 300-900 mm. Returns (vertices, faces, conditions, truths, centres, limit,
    lam): each patch's truth over its own core, as _noise_patch."""
    from scipy.spatial import Delaunay

    from miniscan import vision

    rng = np.random.default_rng(seed)
    c = resolve("tabletop", distance=float(rng.uniform(300, 900)), finish=finish)
    r, limit = c.resolvable_mm, 0.5 * vision.FINISH_LOBE_RAD[finish]
    lam = rng.uniform(3.0, 6.0) * r
    slope = rng.uniform(3.5, 4.5) * limit
    slopes = (slope, slope * rng.uniform(0.4, 0.5))
    D, core, h = (5.0 - overlap) * lam, 1.5 * lam, lam / 8
    L = D + 5 * lam + 8 * r + 2 * lam
    x = np.arange(-L / 2, L / 2 + h / 2, h)
    X, Y = np.meshgrid(x, x, indexing="ij")
    j = 0.5 if style == "isotropic" else 0.3
    X, Y = X + rng.uniform(-j, j, X.shape) * h, Y + rng.uniform(-j, j, Y.shape) * h
    sig = lambda w: w / 2.3548  # noqa: E731
    cx = (-D / 2, D / 2)
    waves = []
    for s in slopes:
        lams = lam * rng.uniform(0.85, 1.15, 10)
        ang, ph, k = rng.uniform(0, np.pi, 10), rng.uniform(0, 2 * np.pi, 10), 2 * np.pi / lams
        T = np.exp(-2 * (np.pi * sig(r) / lams) ** 2) * (1 - np.exp(-2 * (np.pi * sig(4 * r) / lams) ** 2))
        waves.append((s / np.sqrt(((k * T) ** 2).sum() / 2), k * np.cos(ang), k * np.sin(ang), ph))

    def win(u):
        return np.cos(0.5 * np.pi * np.clip((np.abs(u) - core) / lam, 0.0, 1.0)) ** 2

    def height(X, Y):
        return sum(win(X - x0) * win(Y) * sum(b * np.sin(kx[i] * X + ky[i] * Y + ph[i])
                                               for i in range(10))
                   for (b, kx, ky, ph), x0 in zip(waves, cx))

    GX, GY, d = _band_angle(height, L, lam, r, sig)
    truths = [float(np.sqrt((d[(np.abs(GX - x0) <= core) & (np.abs(GY) <= core)] ** 2).mean()))
              for x0 in cx]
    if style == "isotropic":
        p2 = np.column_stack([X.ravel(), Y.ravel()])
        f = Delaunay(p2).simplices
        e1, e2 = p2[f[:, 1]] - p2[f[:, 0]], p2[f[:, 2]] - p2[f[:, 0]]
        flip = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0] < 0  # counter-clockwise, facing +z
        f[flip] = f[flip][:, ::-1]
        q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
        v = np.column_stack([X.ravel(), Y.ravel(), height(X, Y).ravel()]) @ q.T
    else:
        v, f, q = _grid_mesh(X, Y, height, rng)
    centres = [np.array([x0, 0.0, 0.0]) @ q.T for x0 in cx]
    return v, f, c, truths, centres, limit, lam


@pytest.mark.parametrize("seed,finish,style,overlap", [
    (921, "gloss", "isotropic", 0.0), (922, "satin", "irregular", 0.0),
    (923, "metal", "isotropic", 1.0), (924, "gloss", "irregular", 1.0),
    (925, "satin", "isotropic", 0.0), (926, "metal", "irregular", 1.0)])
def test_two_levels_side_by_side_are_each_read_at_their_own(seed, finish, style, overlap):
    """Two noise patches touching or overlapping, the second at under body_floor (0.67) of
    the first's level -- two levels more than a window's scatter apart: each is read at its
    own level (nearer its own truth than the other's, in ratio; the weak ones, 1.3-1.9x the
    limit, read 0.83-1.18 of their truth) and fails MS301. A body grown from the
    strong patch left the weak one's nodes out as its margin and never judged them (the weak
    patch's nearest reading was the strong one's, 1.7-2.7x its truth), and a body gathered
    from every piece above its floor joined a host's hot fold to a patch 20 mm away (the
    boar)."""
    from miniscan.analysis import normal_variation as nvm

    v, f, c, truths, centres, limit, lam = _two_levels(seed, finish, style, overlap)
    m = from_arrays(v, f)
    a = Analysis(m)
    # the draw: two levels more than a window's scatter apart
    assert truths[1] < specular.body_floor(nvm.for_analysis(a, c.resolvable_mm)) * truths[0]
    res = specular.run(m, c, a)
    strong, weak = (_nearest_301(res, x) for x in centres)
    assert strong is not None and weak is not None, res.measurements
    assert strong.verdict == FAIL and weak.verdict == FAIL, (truths[1] / limit, weak)
    for near, own, other in ((strong, *truths), (weak, *truths[::-1])):
        assert abs(np.log(near.value / own)) < abs(np.log(near.value / other)), \
            (own / limit, other / limit, near)


def _oracle_noise(index):
    """Case `index` of the visibility oracle's seeded sweep (bench/oracle, seed 12), its plate
    and the band-pass truth of its relief: the drawn plane waves' DESIGN.md angle (the unit
    normal averaged over r against that averaged over 4r, bench/truth/expect.band_angle) over
    a square of 8 correlation lengths inside the noise's core (a disc of 6)."""
    import math
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from oracle import oracle as o
    from oracle.cases import conditions, draw
    from truth import expect

    case = draw(60)[index]
    rng = np.random.default_rng(case.seed)  # the waves of oracle.noise_field
    k = rng.normal(size=(256, 2)) / case.size_mm
    ph = rng.uniform(0.0, 2.0 * np.pi, 256)
    rms = math.sqrt(0.5 * np.mean(np.sum(k ** 2, axis=1)) * 256 / 2)
    c = conditions(case)
    band = expect.band_angle(np.full(256, case.height_mm / rms), k[:, 0], k[:, 1],
                             ph + np.pi / 2, c.resolvable_mm, 8.0 * case.size_mm)
    p = o.noise_plate(case.size_mm, case.height_mm, case.seed)
    return from_arrays(p.v, p.f), c, band, math.sqrt(2.0) * case.height_mm, case


# the oracle's noise cases whose correlation length lies in MS301's band (1.0-2.9 r) and
# which a region is judged on (seed 12): metal, satin, metal, metal, metal, satin, gloss
ORACLE_IN_BAND = (5, 7, 11, 23, 31, 39, 55)


@pytest.mark.parametrize("index", ORACLE_IN_BAND)
def test_gaussian_noise_reads_its_band_not_its_whole_tilt(index):
    """Known answer from the visibility oracle's seeded sweep: isotropic Gaussian noise on a
    plate (256 plane waves, correlation length 1.0-2.9 r, band angle 0.7-3.8x the finish's
    limit). Its strongest region reads the band's angle (within 15 %, its interval within
    15 % of it: the square's band is the relief's level, the interval claims the body's own
    surface);
    the relief's whole RMS tilt (sqrt 2 x the per-axis slope) is 1.4-2.2x that and lies
    above the interval: a Gaussian spectrum of correlation length 2-3 r carries as much tilt
    in waves coarser than the 4 r patch (shape the highlight glides over) as in the band.
    The oracle's table compared the reading with that whole tilt (satin, 2.85 r: 8.2 deg read
    against 16.9 deg); against the band it was 1.01x its 8.07 deg."""
    m, c, band, tilt, case = _oracle_noise(index)
    res = specular.run(m, c, Analysis(m))
    ms = [x for x in res.measurements if x.code == "MS301"]
    assert ms, case.name
    top = max(ms, key=lambda x: x.value)
    # the square's band is the relief's level; the body is this surface, one draw of it, and
    # its interval claims this surface (docs/specular.md wave 16): within the error target
    assert top.lo <= 1.15 * band and band <= 1.15 * top.hi, (case.name, band, top)
    assert abs(top.value / band - 1.0) < 0.15, (case.name, band, top)
    assert tilt > 1.2 * top.hi, (case.name, tilt, top)


def _stationary_relief(spectrum: str, seed: int, r: float = 0.1, n: int = 224):
    """Gaussian relief of a known slope spectrum -- blue (slopes rising as k: white heights, a
    scan's vertex noise), white, slopes falling as 1/k, or a narrow
    band (wavelengths within 15 % of `spectrum` r) -- on an n x n grid of edges r/4 (56 r
    wide), randomly turned, small slopes: (kernel, rotation, exact) with exact(x, y, radius)
    the band angle of this relief over a disc: the RMS of the band's tilt, the height field's
    gradient through H = G_r (1 - G_4r) (Gaussians of FWHM r, 4 r), on the grid by FFT."""
    from miniscan.analysis import normal_variation as nvm

    g, rng = r / 4, np.random.default_rng(seed)
    k1 = 2 * np.pi * np.fft.fftfreq(n, g)
    KX, KY = np.meshgrid(k1, k1, indexing="ij")
    K = np.hypot(KX, KY)
    K[0, 0] = np.inf
    if spectrum == "blue":
        slope_power = np.where(np.isfinite(K), K, 0.0) ** 2
    elif spectrum == "white":
        slope_power = np.ones_like(K)
    elif spectrum == "falling":
        slope_power = 1.0 / K ** 2
    else:
        lam = float(spectrum) * r
        slope_power = ((K > 2 * np.pi / (1.15 * lam)) & (K < 2 * np.pi / (0.85 * lam))) * 1.0
    z = np.fft.ifft2(np.sqrt(slope_power) / K * (rng.standard_normal(K.shape)
                                                 + 1j * rng.standard_normal(K.shape))).real
    gx, gy = np.gradient(z, g)
    z *= 0.05 / np.sqrt((gx ** 2 + gy ** 2).mean())
    s_r, s_4 = r / 2.3548, 4 * r / 2.3548
    H = np.exp(-0.5 * s_r ** 2 * K ** 2) * (1 - np.exp(-0.5 * s_4 ** 2 * K ** 2))
    zh = np.fft.fft2(z) * np.where(np.isfinite(K), H, 0.0)
    band2 = np.fft.ifft2(1j * KX * zh).real ** 2 + np.fft.ifft2(1j * KY * zh).real ** 2
    X, Y = np.meshgrid(np.arange(n) * g, np.arange(n) * g, indexing="ij")
    v, f, q = _grid_mesh(X, Y, lambda x, y: z, rng)
    e1, e2 = v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]]
    cr = np.cross(e1, e2)
    area = 0.5 * np.linalg.norm(cr, axis=1)

    def exact(cx, cy, rad):
        return math.sqrt(band2[np.hypot(X - cx, Y - cy) < rad].mean())

    return nvm.compute(v, f, area, cr / (2 * area[:, None]), r), q, exact


@functools.cache
def _own_relief_coverage(spectrum: str, draws: int, r: float = 0.1):
    """(lower end holds, upper end holds, discs) of MS301's interval for discs of 10, 25 and
    50 patch cells tiling the interior of `draws` plates of stationary relief, against each
    disc's exact band angle of its own relief.
    Counted once per (spectrum, draws, r) (seeded plates: the same counts every time), so white
    relief's lower-end and upper-end tests read one tally, as they did one plate set."""
    from miniscan.analysis import normal_variation as nvm

    low = high = total = 0
    for seed in range(draws):
        nv, q, exact = _stationary_relief(spectrum, seed, r)
        p = (nv.positions @ q)[:, :2]
        for cells in (10, 25, 50):
            rad = math.sqrt(cells * (2 * r) ** 2 / math.pi)
            c = np.arange(6 * r + rad, 50 * r - rad, 2 * rad)
            centres = [(x, y) for x in c for y in c]
            discs = [np.flatnonzero(np.hypot(p[:, 0] - x, p[:, 1] - y) < rad) for x, y in centres]
            ph = nvm.phase_readings(nv, discs)
            tents = nvm.tent_readings(nv, discs)
            for (x, y), w, row, tent in zip(centres, discs, ph, tents):
                truth = exact(x, y, rad)
                vs = math.sqrt(np.average(nv.smooth_deviation_rad[w] ** 2, weights=nv.areas[w]))
                v = math.sqrt(np.average(nv.deviation_rad[w] ** 2, weights=nv.areas[w]))
                lo, hi, _ = specular.phased_interval(v, vs, row, tent)
                low += lo <= truth
                high += truth <= hi
                total += 1
    return low, high, total


def _nominal(total: int) -> float:
    """READ_COVERAGE less two binomial sigmas for `total` discs."""
    c = specular.READ_COVERAGE
    return c - 2 * math.sqrt(c * (1 - c) / total)


@pytest.mark.parametrize("spectrum", ["falling", "2.7", "4.5"])
def test_reading_covers_its_own_relief(spectrum):
    """MS301 claims this surface: a body's interval [first grid's smooth reading (the lower
    of the box's and the tent's) (1 - q), highest facet reading over two grid phases and both
    footprints (1 + q)], q the Student-t bound of the per-cell
    reading error the grids measure, holds the exact band angle of the body's own relief at
    least as often as it claims (95 %, less two binomial sigmas): discs of 10, 25, 50 cells on
    stationary relief whose slopes fall as 1/k or lie in a narrow band at 2.7 r or 4.5 r (the
    suite's). Measured: 96.1-100 % (median q 0.12-0.15 at 10 cells, 0.07-0.095 at 25,
    0.05-0.066 at 50). The former sampling share held the relief's level, not this surface,
    and has no reading_share (the test fails on it)."""
    low, high, total = _own_relief_coverage(spectrum, 12)
    assert min(low, high) / total >= _nominal(total), (low, high, total)


def test_white_relief_upper_end_covers_its_own_relief():
    """On white relief (slopes of every scale, down to the mesh's edges r/4) the upper end
    holds each disc's own band angle (a pass is never a reading too low): the box footprint
    reads it high, not low (limit (d))."""
    low, high, total = _own_relief_coverage("white", 12)
    assert high / total >= _nominal(total), (low, high, total)


@pytest.mark.parametrize("spectrum", ["white", "blue"])
def test_fine_relief_lower_end_covers_its_own_relief(spectrum):
    """On relief with much slope finer than r the box footprint reads high (1.10x a disc's own
    band angle on white slopes, 1.96-2.0x on heights white down to r/4: limit (d)), a bias the
    grids' spread does not hold; the lower end, the lower of the box's and the tent's
    readings, holds each disc's own band angle (before the tent reading: 76 / 55 / 31 % and
    13 / 0 / 0 % of discs of 10 / 25 / 50 cells, strict xfails)."""
    low, high, total = _own_relief_coverage(spectrum, 12)
    assert low / total >= _nominal(total), (low, high, total)


@given(r=st.floats(0.005, 1.0), cells=st.floats(1.0, 1e4))
@settings(max_examples=200, deadline=None)
def test_coarsened_band_sits_on_the_ladder(r, cells):
    """Above MAX_FINE eye cells the band is the first rung of r * 2^(k/8) that keeps the
    surface within MAX_FINE cells; below it, r itself."""
    area = cells * nvmod.MAX_FINE * r * r / 1e3
    r_eff = nvmod.coarse_band(r, area)
    need = math.sqrt(area / nvmod.MAX_FINE)
    assert r_eff >= max(r, need)
    if need <= r:
        assert r_eff == r
        return
    k = nvmod.LADDER_STEPS * math.log2(r_eff / r)
    assert abs(k - round(k)) < 1e-9
    assert r_eff < need * 2.0 ** (1.0 / nvmod.LADDER_STEPS) * (1 + 1e-12)


def test_coarsened_band_does_not_move_with_a_far_edit():
    """A model over MAX_FINE eye cells gains a small part far from most of its surface (a
    displaced patch adds area the same way): the coarsened band keeps its rung, so every node
    away from the part reads the same position and variation. When r_eff followed the area
    (sqrt(area / MAX_FINE)), the 1.3 % it moved shifted every voxel boundary and regrouped
    nodes across the whole plate."""
    n, size = 40, 30.0
    x = np.linspace(-size / 2, size / 2, n)
    X, Y = np.meshgrid(x, x, indexing="ij")
    z = gaussian_filter(np.random.default_rng(5).standard_normal((n, n)), 1.0) * 0.05
    idx = np.arange(n * n).reshape(n, n)
    a, b, c, d = (idx[:-1, :-1].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel(),
                  idx[:-1, 1:].ravel())
    f = np.vstack([np.column_stack([a, b, c]), np.column_stack([a, c, d])])
    v = np.column_stack([X.ravel(), Y.ravel(), z.ravel()])
    box = trimesh.creation.box(extents=(2.0, 2.0, 2.0))
    v2 = np.vstack([v, box.vertices + (0.0, 0.0, 2.0)])
    f2 = np.vstack([f, box.faces + len(v)])  # the part's faces come last

    def read(vv, ff, r):
        tri = trimesh.Trimesh(vv, ff, process=False)
        return nvmod.compute(tri.vertices, tri.faces, tri.area_faces, tri.face_normals, r)

    area = trimesh.Trimesh(v, f, process=False).area
    # the clean plate's need sits 0.3 of a rung into its rung: the part's 2.7 % more area
    # (1.3 % in r_eff) keeps it there
    r = math.sqrt(area / nvmod.MAX_FINE) * 2.0 ** (-4.3 / nvmod.LADDER_STEPS)
    clean, edited = read(v, f, r), read(v2, f2, r)
    assert clean.coarsened and clean.band_mm == edited.band_mm
    far_c = np.linalg.norm(clean.positions[:, :2], axis=1) > 6.0
    far_e = np.linalg.norm(edited.positions[:, :2], axis=1) > 6.0
    oc = np.lexsort(clean.positions[far_c].T)
    oe = np.lexsort(edited.positions[far_e].T)
    assert far_c.sum() == far_e.sum() > 1000
    np.testing.assert_allclose(edited.positions[far_e][oe], clean.positions[far_c][oc],
                               rtol=0, atol=1e-9)
    # the part's own points are summed into the same bincounts: the last bits move
    np.testing.assert_allclose(edited.variation_rad[far_e][oe], clean.variation_rad[far_c][oc],
                               rtol=0, atol=1e-6)
