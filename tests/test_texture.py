"""Texture family (MS100-MS106): procedural relief with known answers, the evidence rule, and the
DESIGN.md section 5 invariants. Ripples of known wavelength and amplitude on planes, spheres and
cylinders at random rotations, on isotropic, irregular and sliver triangulations; pores; wood
grain. Meshes stay under ~90k faces and are shared per module, so the module stays quick."""

from __future__ import annotations

import functools
import itertools
import math
import sys
from pathlib import Path

import numpy as np
import pytest
import trimesh
from hypothesis import HealthCheck, given, settings, strategies as st
from scipy.spatial import Delaunay

from miniscan.analysis import Analysis, detail
from miniscan.checks import texture
from miniscan.conditions import resolve
from miniscan.evidence import FAIL, printable_floor_mm, verdict
from miniscan.model import from_arrays
from miniscan.rules import RULES
from procedural_texture import rotation as _rotation, sliver_ripple

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from truth.mesh import plane_lattice as _lattice  # noqa: E402

TT = resolve("tabletop")


# --------------------------------------------------------------------------- relief generators


# Generators whose meshes more than one test reads are memoised (functools.cache): a mesh asked
# for again is the same arrays, so `run` finds its Analysis (keyed by the arrays' ids) and
# measures the spectrum once, as a real run shares one Analysis between families. The Analysis
# caches only what no condition changes (the spectrum, the regions, their spectra, the ladder's
# resolution), so a test's reading does not depend on which test measured the mesh first.
# Callers never write into the returned arrays.
_shared = functools.cache


@_shared
def ripple_sphere(radius, lam, amp, sub=6):
    """Ring ripples h = a cos(2 pi s / lam), s the arc length from the pole."""
    m = trimesh.creation.icosphere(subdivisions=sub, radius=radius)
    v = np.asarray(m.vertices)
    n = v / np.linalg.norm(v, axis=1, keepdims=True)
    s = radius * np.arccos(np.clip(n[:, 2], -1, 1))
    return v + n * (amp * np.cos(2 * np.pi * s / lam))[:, None], np.asarray(m.faces)


def pored_sphere(radius, spacing, amp, sub=6):
    """Pits and bumps about spacing/2 across: a 3D egg-crate read on the sphere's surface."""
    m = trimesh.creation.icosphere(subdivisions=sub, radius=radius)
    v = np.asarray(m.vertices)
    n = v / np.linalg.norm(v, axis=1, keepdims=True)
    k = 2 * np.pi / spacing
    h = 2.83 * amp * np.sin(k * v[:, 0]) * np.sin(k * v[:, 1]) * np.sin(k * v[:, 2])
    return v + n * h[:, None], np.asarray(m.faces)


def ripple_plane(lam, amp, style, per_wave, seed, waves=12):
    """A sheet `waves` wavelengths square rippled h = amp cos(2 pi u / lam) in a random
    direction, at a random 3D rotation. Returns (v, f, inner) with inner(points) the sheet's
    middle half."""
    rng = np.random.default_rng(seed)
    L = waves * lam
    xy, f = _lattice(style, L, L, lam / per_wave, rng)
    xy -= L / 2
    ang = rng.uniform(0, np.pi)
    u = xy @ np.array([math.cos(ang), math.sin(ang)])
    v = np.column_stack([xy, amp * np.cos(2 * np.pi * u / lam + rng.uniform(0, 2 * np.pi))])
    R = _rotation(rng)
    return v @ R.T, f, lambda p: np.abs((p @ R)[:, :2]).max(axis=1) < L / 4


def ripple_cylinder(lam, amp, style, per_wave, seed, radius=3.0, height=12.0):
    """An open cylinder with rings h = amp cos(2 pi z / lam), at a random 3D rotation."""
    rng = np.random.default_rng(seed)
    circ = 2 * np.pi * radius
    xy, f = _lattice(style, circ, height, lam / per_wave, rng)
    th = xy[:, 0] / circ * 2 * np.pi
    r = radius + amp * np.cos(2 * np.pi * xy[:, 1] / lam)
    v = np.column_stack([r * np.cos(th), r * np.sin(th), xy[:, 1] - height / 2])
    R = _rotation(rng)
    return v @ R.T, f, lambda p: np.abs((p @ R)[:, 2]) < height / 4


def wood_wall(lam, depth, per_wave=6, size=8.0, seed=3):
    """A terrain wall's face, size x size mm standing upright, carved with wood grain: ridges
    h = depth/2 (1 + cos(2 pi u / lam)) whose lines wander (u = x + 0.4 sin(2 pi z / 7))."""
    rng = np.random.default_rng(seed)
    xz, f = _lattice("irregular", size, size, lam / per_wave, rng)
    u = xz[:, 0] + 0.4 * np.sin(2 * np.pi * xz[:, 1] / 7.0)
    h = 0.5 * depth * (1 + np.cos(2 * np.pi * u / lam))
    v = np.column_stack([xz[:, 0], h, xz[:, 1]])  # the face looks along +y
    return v, f, lambda p: (np.abs(p[:, [0, 2]] - size / 2) < size / 4).all(axis=1)


# --------------------------------------------------------------------------- running the check

_ANALYSES: dict = {}
_RESULTS: dict = {}


def run(v, f, cond, k=1.0):
    """The texture check; the spectrum of a given mesh is measured once (as in a real run,
    where every family shares one Analysis) and re-judged under each set of conditions. A mesh
    judged again under equal conditions (ViewingConditions is a frozen dataclass, equal by
    value) gets the result it got before: texture.run is a function of the mesh and the
    conditions (test_deterministic measures that, on copies, which are keyed apart), and the
    tests only read it. Tests that change the module's switches run texture.run themselves."""
    key = (id(v), id(f), k)
    if key not in _ANALYSES:
        m = from_arrays(np.asarray(v) * k, f)
        _ANALYSES[key] = (m, Analysis(m), v, f)  # keep v, f alive so ids stay unique
    if (key, cond) not in _RESULTS:
        m, an = _ANALYSES[key][:2]
        _RESULTS[(key, cond)] = texture.run(m, cond, an)
    return _RESULTS[(key, cond)]


def codes(res):
    return sorted(f.code for f in res.findings)


def judged(res, inner):
    """Main components of the regions inside `inner` that the family judged (valid)."""
    c, reg = res.layers.comp, res.layers.reg
    sel = c.valid[0] & inner(reg.centroid)
    return c, sel


@pytest.fixture(scope="module")
def pores():
    return pored_sphere(3.0, 0.6, 0.03)  # pits and bumps ~0.3 mm across


@pytest.fixture(scope="module")
def ripple_1mm():
    return ripple_sphere(5.0, 1.0, 0.05, sub=6)


# --------------------------------------------------------------------------- measurement


@pytest.mark.parametrize("lam,amp,radius", [(0.1, 0.004, 0.5), (0.5, 0.02, 2.5), (1.0, 0.05, 5.0)])
def test_ripple_wavelength_and_amplitude(lam, amp, radius):
    """Ring ripples on spheres of every size, 10 edges per wavelength (scale-free)."""
    res = run(*ripple_sphere(radius, lam, amp, sub=6), TT)
    assert res.status == "ok"
    assert res.metrics["dominant_wavelength_mm"] == pytest.approx(lam, rel=0.15)
    assert res.metrics["dominant_amplitude_mm"] == pytest.approx(amp, rel=0.25)


CASES = [("plane", "isotropic", 8, 1), ("plane", "irregular", 11, 2), ("plane", "sliver", 11, 3),
         ("plane", "isotropic", 16, 4), ("plane", "irregular", 16, 7), ("cylinder", "isotropic", 8, 5),
         ("cylinder", "sliver", 11, 6), ("cylinder", "irregular", 11, 8)]


@pytest.fixture(scope="module")
def ripple_cases():
    """Known ripples (1 mm, 0.05 mm) at random rotations and directions, three densities (8, 11,
    16 edges per wavelength), three triangulations, planes and cylinders: per case the median
    over judged regions of (wavelength / true - 1), (amplitude / true - 1), the share of
    regions whose wavelength interval holds the truth, the same for depth, and the median
    width hi / lo of the wavelength intervals."""
    lam, amp = 1.0, 0.05
    out = []
    for shape, style, per_wave, seed in CASES:  # eight cases
        make = ripple_plane if shape == "plane" else ripple_cylinder
        v, f, inner = make(lam, amp, style, per_wave, seed)
        c, sel = judged(run(v, f, TT), inner)
        assert sel.sum() >= 3, (shape, style, per_wave)
        out.append((np.median(c.lam[0][sel]) / lam - 1, np.median(c.amp[0][sel]) / amp - 1,
                    np.mean((c.lam_lo[0][sel] <= lam) & (lam <= c.lam_hi[0][sel])),
                    np.mean((c.depth_lo[0][sel] <= 2 * amp) & (2 * amp <= c.depth_hi[0][sel])),
                    np.median(c.lam_hi[0][sel] / c.lam_lo[0][sel])))
    return np.array(out)


def test_known_ripple_is_measured_on_any_triangulation(ripple_cases):
    """Wavelengths: median error under 10 %, none over 30 % (docs/texture.md: a few percent
    high on most meshes); amplitudes within 25 %. The intervals hold the truth at the rate
    they claim (~95 %: two standard errors of sampling and of the reading's dependence on any
    one scale, the ladder's resolution, the misfit brackets); without the leave-one-scale-out
    jackknife they held it in 61 % of regions. And they stay informative: typically within a
    factor 4 (hi / lo)."""
    err_lam, err_amp, cov_lam, cov_depth, width = ripple_cases.T
    assert np.median(np.abs(err_lam)) < 0.10 and np.max(np.abs(err_lam)) < 0.30, err_lam
    assert np.max(np.abs(err_amp)) < 0.25, err_amp
    assert np.mean(cov_lam) >= 0.9 and np.mean(cov_depth) >= 0.7, (cov_lam, cov_depth)
    assert np.median(width) <= 4.0, width


@pytest.mark.xfail(strict=True, reason="known limitation (docs/texture.md 7.13): the depth reads "
                   "a sinusoid to 12 % (kurtosis kappa), but its lower end lies above the truth "
                   "in up to 3 regions of 8-9 on a flat sheet, whose amplitude reads 1.15-1.5x "
                   "(nine sheets: 42 of 45 flat-sheet regions held, 3 misses on one; 37 of 48 "
                   "with the points drawn by index, docs/texture.md s.7.39)")
def test_a_sinusoid_filling_its_regions_reads_its_own_depth():
    """A sinusoid's depth is 2a: on regions wholly on the ripple (random rotations, a 0.7 mm
    ripple 0.02 mm high at 9-13 edges a wavelength, three triangulations, flat and bent; sizes
    and densities the other ripple tests do not use) the depth's value reads it to 20 % (median
    per sheet), and its interval holds it in at least 90 % of the regions. With kappa from the
    relief's 2-98 % spread it read 1.3-1.6x (~1.4 on a pure sinusoid at the transition scale);
    with kappa from the kurtosis (docs/texture.md 7.13) it reads 0.88-1.12x, but the interval
    holds it in 75 / 89 / 100 % of the sheets' regions: where it misses, kappa's lower end is
    already 1 and the amplitude reads 1.15-1.5x, its lower end above the truth."""
    lam, amp = 0.7, 0.02
    ratios, held = [], []
    for (shape, style, per_wave, seed), more in itertools.product(
            (("plane", "isotropic", 9, 21), ("plane", "irregular", 13, 22),
             ("cylinder", "sliver", 12, 23)), (0, 100, 200)):  # three seeds of each sheet
        seed += more
        make = ripple_plane if shape == "plane" else ripple_cylinder
        v, f, inner = make(lam, amp, style, per_wave, seed)
        c, sel = judged(run(v, f, TT), inner)
        assert sel.sum() >= 3, (shape, style, per_wave)
        held.append(np.mean((c.depth_lo[0][sel] <= 2 * amp) & (2 * amp <= c.depth_hi[0][sel])))
        ratios.append(np.median(c.depth[0][sel]) / (2 * amp))
    assert np.all(np.abs(np.array(ratios) - 1.0) <= 0.2), ratios
    assert np.all(np.array(held) >= 0.9), held


def pit_plane(spacing, radius, depth, style, seed, n=8):
    """Round-bottomed pits h = -depth (1 - (r / radius)^2)^2 on a square grid `spacing` apart
    over a sheet n spacings square (edges radius / 5), at a random 3D rotation. Returns
    (v, f, inner) with inner(points) the sheet's middle half."""
    rng = np.random.default_rng(seed)
    L = n * spacing
    xy, f = _lattice(style, L, L, radius / 5, rng)
    xy -= L / 2
    g = (xy + rng.uniform(0, spacing, 2)) / spacing
    r = np.linalg.norm((g - np.round(g)) * spacing, axis=1) / radius
    v = np.column_stack([xy, -depth * np.clip(1 - r * r, 0, None) ** 2])
    R = _rotation(rng)
    return v @ R.T, f, lambda p: np.abs((p @ R)[:, :2]).max(axis=1) < L / 4


def test_sparse_pits_count_deeper_than_their_sinusoid_equivalent():
    """Bowls 0.05 mm deep on 5 % and 10 % of a sheet (random rotations, irregular and
    isotropic triangulations): their component holds only the pits' energy in its band (2a
    reads 0.26-0.37 of the depth), and the depth's shape (kappa) lifts it clearly above that;
    the interval holds the bowls' depth in at least three quarters of the regions. A guard for
    any change to kappa (docs/texture.md 7.8): pores must keep counting deeper than the
    sinusoid of their rms (ratio 1). Pooled over three sheets each: one sheet's 13-24 judged
    regions scatter its median depth / 2a over 1.0-1.7 (50 random sheets at 10 %: mean
    1.26, sd 0.12), so one sheet against 1.2 was decided by where its regions fell."""
    d = 0.05
    for spacing, radius, style, seed in ((1.2, 0.15, "irregular", 3), (1.0, 0.18, "isotropic", 2)):
        ratio, held = [], []
        for s in (seed, seed + 1, seed + 2):
            v, f, inner = pit_plane(spacing, radius, d, style, s)
            c, sel = judged(run(v, f, TT), inner)
            assert sel.sum() >= 5, (spacing, radius, style, s)
            ratio.append(c.depth[0][sel] / (2 * c.amp[0][sel]))
            held.append((c.depth_lo[0][sel] <= d) & (d <= c.depth_hi[0][sel]))
        assert np.median(np.concatenate(ratio)) >= 1.1, style
        assert np.mean(np.concatenate(held)) >= 0.75, style


def test_measurements_carry_their_intervals(ripple_1mm):
    res = run(*ripple_1mm, TT)
    kinds = {m.kind for m in res.measurements}
    assert kinds == {"wavelength_mm", "amplitude_mm", "depth_mm"}
    for m in res.measurements:
        assert m.lo <= m.value <= m.hi and m.centroid_mm is not None
        assert m.verdict in ("fail", "pass", "undetermined")
        assert (m.code is None) == (m.verdict == "pass")


def test_metrics_shape(ripple_1mm):
    res = run(*ripple_1mm, TT)
    m = res.metrics
    assert m["bands"] and all(set(b) == {"wavelength_mm", "amplitude_mm", "area_share", "survives"}
                              for b in m["bands"])
    for b in m["bands"]:
        s = b["survives"]
        assert 1.0 >= s["mesh"] >= s["print"] >= s["paint"] >= s["eye"] >= 0.0  # cumulative
    assert 0.0 <= m["visible_detail_share"] <= 1.0
    assert m["wasted_detail_share"] == pytest.approx(1.0 - m["visible_detail_share"])
    assert set(m["verdicts"]) == set(texture.CODES)
    assert all(set(v) == {"fail", "pass", "undetermined"} for v in m["verdicts"].values())


def test_layers_are_per_face_values_with_units(ripple_1mm):
    v, f = ripple_1mm
    res = run(v, f, TT)
    layers = res.layers.face_layers()
    assert {x.name for x in layers} >= {"texture-wavelength", "texture-visible"}
    for x in layers:
        assert x.values.shape == (len(f),)
    wl = next(x for x in layers if x.name == "texture-wavelength")
    assert wl.unit == "mm real"
    assert np.nanmedian(wl.values) == pytest.approx(56.0, rel=0.2)  # 1 mm x 56


# --------------------------------------------------------------------------- the evidence rule


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lam=st.floats(0.15, 1.2), contrast=st.floats(0.03, 1.5), radius=st.floats(1.5, 4.0),
       printer=st.sampled_from(["resin", "fdm", "none"]), paint=st.sampled_from(["0", "0.04", "0.1"]),
       material=st.sampled_from(["generic", "skin", "stone", "cloth"]),
       distance=st.sampled_from([250, 500, 1500]))
def test_no_finding_straddles_its_threshold(lam, contrast, radius, printer, paint, material,
                                           distance):
    """On random ripples under random conditions every texture finding's whole interval lies
    on the wrong side of its threshold, its value inside, and its distance range holds here."""
    amp = contrast * lam / (2 * np.pi)
    res = run(*ripple_sphere(radius, lam, amp, sub=4),
              resolve("tabletop", printer=printer, paint=paint, material=material,
                      distance=str(distance)))
    for x in res.findings:
        rule = RULES[x.code]
        if rule.compare == "state":
            assert x.code == "MS100"
            continue
        lo, hi = x.measured_range
        assert verdict(lo, hi, x.threshold, rule.compare) == FAIL
        assert lo <= x.measured <= hi
        assert x.holds_mm[0] <= distance <= x.holds_mm[1]


def test_verdicts_vectorised_agree_with_the_evidence_rule():
    rng = np.random.default_rng(5)
    lo = rng.uniform(0, 2, 500)
    hi = lo + rng.uniform(0, 1, 500)
    for cmp in ("below", "above"):
        got = texture.tri(lo, hi, 1.0, cmp)
        want = [verdict(a, b, 1.0, cmp) for a, b in zip(lo, hi)]
        names = {texture._F: "fail", texture._P: "pass", texture._U: "undetermined"}
        assert [names[int(g)] for g in got] == want


# --------------------------------------------------------------------------- findings


def test_skin_pores_over_scaled_and_advice_stays_printable(pores):
    v, f = pores
    res = run(v, f, resolve("tabletop", material="skin"))
    f101 = [x for x in res.findings if x.code == "MS101"]
    assert f101, [x.message for x in res.findings]
    x = f101[0]
    assert x.unit == "mm (real)" and x.threshold == pytest.approx(0.25)
    assert x.measured_range[0] > 0.25 and "1:56" in x.message and "skin" in x.message
    # real skin texture at 1:56 is 0.0045 mm: far under what print and paint hold
    assert 0.25 / 56 < printable_floor_mm(TT)
    assert "soften it and let paint suggest it" in x.advice and "Make it finer" not in x.advice
    assert x.holds_mm[0] == 0.0 and x.holds_mm[1] >= TT.distance_mm
    # generic material: over-scaling cannot be judged, and the family says so
    gen = run(v, f, TT)
    assert "MS101" not in codes(gen)
    info = [x for x in gen.findings if x.code == "MS100"]
    assert info and "generic" in info[0].message


def test_over_scaled_stone_is_asked_finer_down_to_what_prints():
    """Stone's largest real texture (5 mm) is 0.089 mm at 1:56, above the 0.07 mm resin floor:
    the advice asks for that, never for less."""
    v, f = pored_sphere(3.0, 1.2, 0.06)  # pits ~0.6 mm across: 34 mm at 1:56
    res = run(v, f, resolve("tabletop", material="stone"))
    f101 = [x for x in res.findings if x.code == "MS101"]
    assert f101, [x.message for x in res.findings]
    assert "Make it finer: under 0.089 mm" in f101[0].advice


def test_fine_detail_under_resin_is_lost_in_print():
    v, f = ripple_sphere(0.4, 0.04, 0.004, sub=6)  # 0.02 mm wide ridges
    res = run(v, f, resolve("tabletop", printer="resin"))
    assert "MS103" in codes(res)
    x = next(x for x in res.findings if x.code == "MS103")
    assert x.holds_mm == (0.0, math.inf)
    assert "MS103" not in codes(run(v, f, resolve("macro-photo", printer="none", paint="0")))


def test_shallow_recesses_filled_by_paint():
    v, f = ripple_sphere(5.0, 1.0, 0.008, sub=5)  # 0.016 mm deep: under 0.04 mm of paint
    res = run(v, f, resolve("tabletop", printer="none"))
    assert "MS104" in codes(res)
    assert "MS104" not in codes(run(v, f, resolve("tabletop", printer="none", paint="0")))


@pytest.mark.parametrize("style,per_wave,seed", [("isotropic", 8, 21), ("irregular", 8, 22),
                                                  ("sliver", 11, 23)])
def test_faint_relief_on_a_flat_base_is_texture_not_faceting(style, per_wave, seed):
    """Faceting stands off a curved base form by the facets' sagitta; a flat base makes none.
    A faint ripple (slope 0.04: 0.0127 mm deep, 1 mm wavelength) on a flat sheet at a random
    rotation, on every triangulation, is texture: judged, and lost in print under a resin
    layer (0.03 mm); a coarse sphere's facets stay faceting (test_plain_shapes_have_no_texture)."""
    lam = 1.0
    amp = 0.04 * lam / (2 * math.pi)
    # 16 wavelengths square: the middle half holds ~12 regions of REGION_POINTS (12 held ~6 once
    # regions were seeded at their design size rather than ~1.3 per voxel of it)
    v, f, inner = ripple_plane(lam, amp, style, per_wave, seed, waves=16)
    res = run(v, f, resolve("tabletop", printer="resin"))
    c, sel = judged(res, inner)
    assert sel.sum() >= 3, style
    assert np.median(np.abs(c.lam[0][sel] / lam - 1)) < 0.15
    assert "MS103" in codes(res), [x.message for x in res.findings]


def test_a_ripple_just_over_the_detail_floor_is_judged_wherever_it_falls_on_the_ladder():
    """A ripple of slope 0.021, just over MIN_CONTRAST (0.02), is detail. Its energy splits over
    the two ladder bands next to its wavelength, so band by band its slope reads up to sqrt(2)
    short; read band by band, most regions found no detail band and judged nothing (7 of the 40
    middle regions of these six sheets). Read as components are, over bands j-1..j+1
    (`measure.detail_bands`), they are judged where their own slope clears the floor (their
    readings scatter about it: 23 of 40). The ladder follows the mesh's edges, so the edges per
    wavelength move the wave along it."""
    lam, slope = 1.0, 0.021
    judged_n = total = 0
    for style, seed in (("isotropic", 21), ("irregular", 22)):
        for per_wave in (6, 7, 9):
            v, f, inner = ripple_plane(lam, slope * lam / (2 * math.pi), style, per_wave, seed,
                                       waves=16)
            res = run(v, f, resolve("tabletop", printer="resin"))
            c, sel = judged(res, inner)
            judged_n += int(sel.sum())
            total += int(inner(res.layers.reg.centroid).sum())
            assert "MS103" in codes(res), (style, per_wave)
            if sel.any():
                assert np.median(np.abs(c.lam[0][sel] / lam - 1)) < 0.05, (style, per_wave)
    assert judged_n >= 0.4 * total, (judged_n, total)


def _roll(xy, z, bend):
    """A sheet's points with height z, rolled (bend > 0) onto a cylinder of radius 1 / bend
    along x with the relief along its normal."""
    if bend <= 0:
        return np.column_stack([xy, z])
    r = 1.0 / bend + z
    return np.column_stack([r * np.sin(xy[:, 0] * bend), xy[:, 1], r * np.cos(xy[:, 0] * bend)])


def _unroll(p, R, bend):
    """Points of a rolled, rotated sheet back in the sheet's own (x, y)."""
    q = p @ R
    x = np.arcsin(np.clip(q[:, 0] * bend, -1, 1)) / bend if bend > 0 else q[:, 0]
    return np.column_stack([x, q[:, 1]])


def refined_patch(lam, amp, style, seed, bend=0.0, per_wave=8, waves=6, size=24,
                  coarse_per_wave=1.5):
    """A sheet `size` wavelengths square, meshed coarsely (`coarse_per_wave` edges a
    wavelength) except a patch `waves` wavelengths square meshed at `per_wave` edges (as a
    sculptor refines where the detail goes), the ripple only on the patch; optionally bent onto
    a cylinder of radius 1 / bend; at a random rotation. Returns (v, f, core(points): on the
    patch, past its half-wave taper)."""
    rng = np.random.default_rng(seed)
    L, P = size * lam, waves * lam
    fine, _ = _lattice(style, P, P, lam / per_wave, rng)
    coarse, _ = _lattice("irregular", L, L, lam / coarse_per_wave, rng)
    fine, coarse = fine - P / 2, coarse - L / 2
    coarse = coarse[np.abs(coarse).max(axis=1) > P / 2 + lam / (2 * coarse_per_wave)]
    xy = np.vstack([fine, coarse])
    f = Delaunay(xy).simplices
    ang = rng.uniform(0, np.pi)
    u = xy @ np.array([math.cos(ang), math.sin(ang)])
    on = np.abs(xy).max(axis=1) <= P / 2 + 1e-9
    taper = np.clip((P / 2 - np.abs(xy).max(axis=1)) / (lam / 2), 0, 1)  # half a wave to zero
    z = np.where(on, amp * taper * np.cos(2 * np.pi * u / lam + rng.uniform(0, 6)), 0.0)
    v = _roll(xy, z, bend)
    R = _rotation(rng)

    def core(p):
        flat = _unroll(p, R, bend)
        return np.abs(flat).max(axis=1) < P / 2 - lam / 2

    return v @ R.T, f, core


def _patch_regions(style, per_wave, bend, seed, lam=0.8, amp=0.03):
    """The refined patch checked: (regions, components, each region's share of points on the
    patch core, the mean of that share over the core's points: how purely the core is read)."""
    v, f, core = refined_patch(lam, amp, style, seed, bend, per_wave=per_wave)
    res = run(v, f, TT)
    reg, c, sp = res.layers.reg, res.layers.comp, res.layers.sp
    on = core(sp.points)
    inside = np.bincount(reg.label, weights=on, minlength=len(reg.count)) / reg.count
    return reg, c, inside, float(inside[reg.label[on]].mean())


@pytest.mark.parametrize("name", ["texture:39004", "texture:40039", "texture:41003"])
def test_a_waves_amplitude_is_read_at_the_wavelength_it_reports(name, gl_ok):
    """Ripple patches of the ground-truth suite's fresh slices whose fit read the wavelength
    off (a patch five waves wide, its regions over the taper), and whose value the relief
    spectrum's peak then set: the amplitude was still the plateau of the fit's wavelength,
    whose scale passes the true wave in part or with its neighbours, and read 1.20, 1.83 and
    2.79 times the truth. Read at the plateau of the wavelength reported, within 4 %
    (docs/texture.md s.7.44)."""
    from truth import suite

    score = suite.evaluate_one(suite.parse_task(name))
    assert score.errors["amplitude_mm"][0] < 0.1, score.notes


@pytest.mark.parametrize("style,per_wave,bend,seed", [
    ("isotropic", 8, 0.0, 31), ("irregular", 8, 0.0, 32), ("irregular", 8, 0.08, 34),
    ("isotropic", 8, 0.15, 35),
    ("irregular", 6, 0.0, 36),
    ("isotropic", 11, 0.1, 37),
    ("irregular", 11, 0.0, 38), ("isotropic", 6, 0.05, 39)])
def test_a_refined_patch_is_measured_by_regions_of_its_own(style, per_wave, bend, seed):
    """A rippled patch holding 1/16 of a sheet's area (flat, or bent onto a cylinder a few
    wavelengths round), meshed finer than the rest (6, 8 or 11 edges a wavelength) as a
    sculptor refines where the detail goes, at a random pose: the query points follow the faces
    as well as the area, so regions form on the patch instead of straddling its edge, and the
    ripple's wavelength and amplitude are read there, the wavelength's interval holding the
    truth. With
    points by area alone a core point's region was 30-64 % on the core, and at most one region
    was three quarters on it. (Wavelengths at 6 edges a wavelength read up to ~+20 %:
    section 8 of docs/texture.md; the intervals must hold the truth. On the irregular patch at 6
    edges a wavelength one of the two core regions read 0.87-1.09 mm for the 0.8 mm ripple
    until the interval carried its region's resolution cell: docs/texture.md section 3.)"""
    lam, amp = 0.8, 0.03
    reg, c, inside, purity = _patch_regions(style, per_wave, bend, seed, lam, amp)
    assert purity >= 0.6
    own = c.valid[0] & (inside >= 0.75)
    assert own.sum() >= 1, inside.round(2)
    assert np.median(c.lam[0][own]) == pytest.approx(lam, rel=0.2)
    assert np.median(c.amp[0][own]) == pytest.approx(amp, rel=0.3)
    # (the amplitude's interval covers the truth less often than it claims, on any region:
    # docs/texture.md section 7.4; not what this test is about)
    assert np.mean((c.lam_lo[0][own] <= lam) & (lam <= c.lam_hi[0][own])) >= 0.75


@pytest.mark.parametrize("style,per_wave,seed", [("irregular", 16, 2), ("irregular", 12, 2),
                                                 ("isotropic", 16, 1)])
def test_a_ripple_on_a_patch_refined_past_the_bodys_mesh_is_not_read_long(style, per_wave, seed):
    """A rippled patch a 64th of a sheet, meshed 5-6x finer than the sheet (2.5 edges a
    wavelength), so that the ladder starts at the sheet's edge: the raw vertices' windows on
    the patch are cut by their K nearest, a few tenths of sigma across, and passed none of the
    ripple the table says they pass, so the fit read it long (1.32 mm [1.05, 4.5] and 1.39 mm
    [0.94, 2.05] for the 0.8 mm ripple; the ground-truth suite's texture:c88022 read a 0.64 mm
    ripple on a refined terrain patch as 1.28 mm and called it over-scaled). Those windows are
    not measured at the raw scale (`relief._ladder_levels`); the thinned scales are. Every
    region on the patch reads the ripple within 15 %, its interval holding it."""
    lam, amp = 0.8, 0.03
    v, f, core = refined_patch(lam, amp, style, seed, per_wave=per_wave, size=48,
                               coarse_per_wave=2.5)
    res = run(v, f, TT)
    reg, c, sp = res.layers.reg, res.layers.comp, res.layers.sp
    on = core(sp.points)
    assert np.isnan(sp.residual[on, 0]).all()
    assert np.isfinite(sp.residual[on, 1]).mean() > 0.9  # the thinned scales are measured
    inside = np.bincount(reg.label, weights=on, minlength=len(reg.count)) / reg.count
    own = c.valid[0] & (inside >= 0.75)
    assert own.sum() >= 1, inside.round(2)
    assert np.all(np.abs(c.lam[0][own] / lam - 1) < 0.15), c.lam[0][own]
    assert np.all((c.lam_lo[0][own] <= lam) & (lam <= c.lam_hi[0][own]))


@pytest.mark.parametrize("style,per_wave,seed", [("isotropic", 8, 41), ("irregular", 11, 42),
                                                 ("sliver", 11, 43), ("irregular", 6, 44)])
def test_regions_on_a_density_step_read_the_core(style, per_wave, seed):
    """Regions follow the mesh density: wherever it steps (a refined patch on a coarse sheet,
    any triangulation, slivers included) the core is read mostly by regions on it, and no
    fragment of a region (a seed left with a few dozen points where the local size changes:
    one patch of relief, not a sample of it) is judged. (By area alone a core point's region
    was 30-64 % on the core.)"""
    reg, c, _, purity = _patch_regions(style, per_wave, 0.0, seed)
    assert purity >= 0.6
    judged = c.valid.any(axis=0)
    assert (reg.count[judged] >= detail.REGION_FLOOR * detail.REGION_POINTS).all()


def tapered_patch(lam, amp, style, per_wave, seed, waves=5, size=10, envelope=False):
    """A sheet `size` wavelengths square, evenly meshed at `per_wave` edges a wavelength, with a
    ripple patch `waves` wavelengths square in its middle whose amplitude falls off as cos^2
    over its last wavelength (as a sculpting brush's falloff, or the ground-truth suite's
    patches), at a random direction and pose. envelope: also return each vertex's share of the
    amplitude (0 off the patch, 1 inside its falloff)."""
    v, f, env = _tapered_patch(lam, amp, style, per_wave, seed, waves, size)
    return (v, f, env) if envelope else (v, f)


@_shared
def _tapered_patch(lam, amp, style, per_wave, seed, waves, size):
    """tapered_patch's mesh, memoised (keyword defaults fixed so equal asks share it)."""
    rng = np.random.default_rng(seed)
    L, P = size * lam, waves * lam
    xy, f = _lattice(style, L, L, lam / per_wave, rng)
    xy = xy - L / 2
    ang = rng.uniform(0, np.pi)
    u = xy @ np.array([math.cos(ang), math.sin(ang)])

    def window(x):
        t = np.clip((np.abs(x) - (P / 2 - lam)) / lam, 0, 1)
        return np.cos(0.5 * np.pi * t) ** 2 * (np.abs(x) <= P / 2)

    env = window(xy[:, 0]) * window(xy[:, 1])
    z = amp * env * np.sin(2 * np.pi * u / lam + rng.uniform(0, 6))
    v = np.column_stack([xy, z]) @ _rotation(rng).T
    return v, f, env


SHALLOW = ("MS102", "MS103", "MS104")  # the verdicts a fading margin reads as its own


@pytest.mark.parametrize("style,per_wave,lam,depth,seed", [
    ("isotropic", 6, 0.5, 0.08, 202), ("isotropic", 8, 0.3, 0.12, 207),
    ("isotropic", 8, 0.8, 0.12, 211), ("isotropic", 11, 0.5, 0.08, 214),
    ("irregular", 6, 0.5, 0.12, 221), ("irregular", 8, 0.8, 0.08, 228)])
def test_a_patch_that_prints_is_not_called_too_shallow_at_its_fading_margin(
        style, per_wave, lam, depth, seed):
    """A ripple 2-3x as deep as the paint layer (0.04 mm) and the print layer (0.03 mm) prints
    and holds paint; its cos^2 falloff does not, and a region one or two wavelengths across
    over the margin reads the fade as a shallow wave of its own. Judged alone it said "lost in
    print" (all six here; 13 of 36 such patches on isotropic and irregular meshes): the region
    cannot tell a fade from a shallow stretch, so where a touching region reads the same wave
    deeper, the margin's depth reaches that reading (`union.fading_margins`), and no
    too-shallow verdict is issued on a patch that prints."""
    v, f = tapered_patch(lam, depth / 2, style, per_wave, seed)
    res = run(v, f, TT)
    shallow = [x.message for x in res.findings if x.code in SHALLOW and x.severity != "info"]
    assert not shallow


@pytest.mark.parametrize("style,per_wave,lam,depth,seed", [
    ("isotropic", 8, 0.3, 0.015, 300), ("isotropic", 11, 0.5, 0.021, 309),
    ("irregular", 8, 0.5, 0.021, 315), ("irregular", 11, 0.5, 0.015, 320)])
def test_a_patch_shallow_throughout_is_still_lost_in_print(style, per_wave, lam, depth, seed):
    """The margin rule's other side: a tapered ripple half to two thirds of a print layer deep
    throughout is lost in print, and said so (MS103), fades and all: its deeper regions read
    it shallow too, so no margin's interval reaches the layer."""
    v, f = tapered_patch(lam, depth / 2, style, per_wave, seed)
    res = run(v, f, TT)
    assert any(x.code == "MS103" and x.severity != "info" for x in res.findings)


def test_a_patchs_rim_keeps_the_patchs_amplitude_within_its_upper_end():
    """A region over a tapered patch's rim holds the wave at less than the patch's amplitude
    over most of it, so its plateau reads low (0.4-0.8 of the patch's), and its energy map
    does not show the concentration that would cover it (one scale's map or the cross moment
    of two, s.7.18). The wave's envelope read from the vertices' heights (complex
    demodulation at the region's spectral peak, second order like the base form:
    `detail.peak_wavelengths`) reaches the amplitude the region holds at its strongest
    (docs/texture.md s.7.21). Judged regions reaching at least half the patch's amplitude,
    2a under and over the layers, six tapered patches: the upper end held what they hold in
    47 of 54 with one map's bound, 46 with the cross moment alone, 53 with the envelope (the
    points drawn by index). A bound held at 95 % misses a few in sixty by chance: with the
    points drawn by key (s.7.39) 57 of 62, and on the same patches at other seeds (+1000) 58
    of 59, against 48 of 52 drawn by index; 95 % pooled either way."""
    from scipy.spatial import cKDTree

    held = []
    for style, per_wave, lam, depth, seed in [
            ("isotropic", 8, 0.3, 0.12, 207), ("isotropic", 8, 0.8, 0.12, 211),
            ("isotropic", 11, 0.5, 0.08, 214), ("irregular", 6, 0.6, 0.022, 232),
            ("isotropic", 11, 0.6, 0.022, 233), ("isotropic", 6, 0.5, 0.08, 202)]:
        v, f, env = tapered_patch(lam, depth / 2, style, per_wave, seed, envelope=True)
        res = run(v, f, TT)
        c, reg, sp = res.layers.comp, res.layers.reg, res.layers.sp
        share = np.zeros(len(reg.count))
        np.maximum.at(share, reg.label, env[cKDTree(v).query(sp.points)[1]])
        sel = c.valid[0] & (share >= 0.5)
        held += list(c.amp_hi[0][sel] >= depth / 2 * share[sel])
    assert len(held) >= 40, len(held)
    assert np.mean(held) >= 0.9, (np.sum(held), len(held))


def half_rippled(lam, amp, style, per_wave, seed, size=24, bend=0.0):
    """A sheet `size` wavelengths square, evenly meshed, rippled past a straight edge at a random
    direction and offset (the ripple's own direction drawn apart, its amplitude rising from 0
    over half a wavelength past the edge), optionally bent onto a cylinder of radius 1 / bend,
    at a random pose. Returns (v, f, side(points) -> (signed distance past the edge, distance
    from the sheet's middle))."""
    rng = np.random.default_rng(seed)
    L = size * lam
    xy, f = _lattice(style, L, L, lam / per_wave, rng)
    xy -= L / 2
    a_e = rng.uniform(0, 2 * np.pi)
    de = np.array([math.cos(a_e), math.sin(a_e)])
    off = rng.uniform(-0.15, 0.15) * L
    ang = rng.uniform(0, np.pi)
    u = xy @ np.array([math.cos(ang), math.sin(ang)])
    rise = np.clip((xy @ de - off) / (lam / 2), 0, 1)
    z = amp * rise * np.cos(2 * np.pi * u / lam + rng.uniform(0, 6))
    v = _roll(xy, z, bend)
    R = _rotation(rng)

    def side(p):
        flat = _unroll(p, R, bend)
        return flat @ de - off, np.abs(flat).max(axis=1)

    return v @ R.T, f, side


def test_a_region_straddling_a_textures_edge_reads_its_amplitude_not_a_dilution():
    """A region half on a ripple and half on plain surface averages the ripple's energy over
    all of its points: the plateau read 0.50-0.87 of the amplitude (median 0.72) and its
    interval held the truth in 4 of 13 such regions, though no place on the region has that
    amplitude (the ground-truth suite's amplitudes were read 0.6-0.8 of the truth so, p90 47 %).
    Read where the relief is (detail.concentration: the relief's energy across the region as a
    clipped plane), such regions read the amplitude (median within 15 %, the intervals holding
    it in most), and regions wholly on the ripple are not inflated. Sheets rippled past a
    straight edge at random directions and offsets, three triangulations, 6-12 edges a
    wavelength, flat and bent, random poses."""
    lam, amp = 1.0, 0.04
    mixed, mixed_in, whole = [], [], []
    for style, per_wave, seed, bend in [("irregular", 10, 62, 0.0), ("sliver", 12, 63, 0.0),
                                        ("irregular", 6, 64, 0.1), ("isotropic", 12, 65, 0.0),
                                        ("irregular", 8, 66, 0.05), ("isotropic", 8, 67, 0.0)]:
        v, f, side = half_rippled(lam, amp, style, per_wave, seed, bend=bend)
        res = run(v, f, TT)
        sp, reg, c = res.layers.sp, res.layers.reg, res.layers.comp
        past, middle = side(sp.points)
        on = np.bincount(reg.label, weights=past > lam / 2, minlength=len(reg.count)) / reg.count
        reach = np.zeros(len(reg.count))
        np.maximum.at(reach, reg.label, middle)
        clear = c.valid[0] & (reach < 12 * lam - 0.5 * reg.size_mm)  # clear of the sheet's rim
        mix = clear & (on > 0.25) & (on < 0.75)
        mixed += list(c.amp[0][mix] / amp)
        mixed_in += list((c.amp_lo[0][mix] <= amp) & (amp <= c.amp_hi[0][mix]))
        whole += list(c.amp[0][clear & (on > 0.97)] / amp)
    assert len(mixed) >= 8 and len(whole) >= 20, (len(mixed), len(whole))
    assert np.median(mixed) == pytest.approx(1.0, abs=0.15), np.round(np.sort(mixed), 2)
    assert np.mean(mixed_in) >= 0.75, np.mean(mixed_in)
    assert np.median(whole) == pytest.approx(1.0, abs=0.12), np.round(np.sort(whole), 2)


def corner_rippled(lam, amp, style, per_wave, seed, size=20):
    """A sheet `size` wavelengths square, evenly meshed, rippled inside a quarter-plane (two
    straight edges at a right angle, a random direction and offset; the amplitude rising from
    0 over half a wavelength past each), at a random pose. Returns (v, f, side(points) ->
    (signed distance past the nearer edge, distance from the sheet's middle))."""
    rng = np.random.default_rng(seed)
    L = size * lam
    xy, f = _lattice(style, L, L, lam / per_wave, rng)
    xy -= L / 2
    a_e = rng.uniform(0, 2 * np.pi)
    d1 = np.array([math.cos(a_e), math.sin(a_e)])
    d2 = np.array([-d1[1], d1[0]])
    off = rng.uniform(-0.1, 0.1, 2) * L
    ang = rng.uniform(0, np.pi)
    u = xy @ np.array([math.cos(ang), math.sin(ang)])
    rise = (np.clip((xy @ d1 - off[0]) / (lam / 2), 0, 1)
            * np.clip((xy @ d2 - off[1]) / (lam / 2), 0, 1))
    z = amp * rise * np.cos(2 * np.pi * u / lam + rng.uniform(0, 6))
    R = _rotation(rng)

    def side(p):
        flat = (p @ R)[:, :2]
        return np.minimum(flat @ d1 - off[0], flat @ d2 - off[1]), np.abs(flat).max(axis=1)

    return np.column_stack([xy, z]) @ R.T, f, side


def test_relief_in_a_regions_corner_is_within_its_amplitudes_upper_end():
    """Relief on a tenth to a half of a region, in its corner (a patch's corner, where two
    edges meet): the clipped plane of detail.concentration resolves where the relief is only to
    its first moment and reads such relief as spread (the ground-truth suite's patch corners
    read g 1.0-1.5 where 3-7 is true, and the truth lay above the amplitude's interval in 11 %
    of its regions). The upper end covers the concentration the region's local energy allows
    (detail.concentration_bound): the interval held the amplitude in 12 of 15 such regions
    before, all of them now. Quarter-planes of ripple on sheets, three triangulations, 6-12
    edges a wavelength, random poses."""
    lam, amp = 1.0, 0.04
    held = []
    for style, per_wave, seed in [("irregular", 10, 71), ("sliver", 12, 72), ("isotropic", 8, 73),
                                  ("irregular", 6, 74), ("isotropic", 12, 75),
                                  ("irregular", 8, 76), ("sliver", 10, 77), ("isotropic", 6, 78)]:
        v, f, side = corner_rippled(lam, amp, style, per_wave, seed)
        res = run(v, f, TT)
        reg, c = res.layers.reg, res.layers.comp
        past, middle = side(res.layers.sp.points)
        on = np.bincount(reg.label, weights=past > lam / 2, minlength=len(reg.count)) / reg.count
        reach = np.zeros(len(reg.count))
        np.maximum.at(reach, reg.label, middle)
        mix = c.valid[0] & (reach < 10 * lam - 0.5 * reg.size_mm) & (on > 0.1) & (on < 0.6)
        held += list((c.amp_lo[0][mix] <= amp) & (amp <= c.amp_hi[0][mix]))
    assert len(held) >= 10, len(held)
    assert np.mean(held) >= 0.9, np.mean(held)


@pytest.mark.parametrize("style,per_wave", [("isotropic", 8), ("isotropic", 11), ("irregular", 6)])
def test_the_concentration_bound_on_relief_filling_its_regions_is_not_the_fit_noise(style, per_wave):
    """A ripple filling its sheet (2a = 0.022 mm, under a resin layer; sheets 8 wavelengths
    square, 3 seeds) is spread evenly over every region: the concentration's upper end
    (detail.concentration_bound) should read ~1. One scale's local energy map reads the fit
    noise's variation from disc to disc as concentration (1.27-1.46, the median per sheet);
    the cross moment of two scales that carry the wave, whose noises are nearly independent,
    reads 1.00-1.08 (docs/texture.md s.7.18). The corner test above is the other side: relief
    in a region's corner must stay within the amplitude's upper end."""
    lam, amp = 0.6, 0.011
    for seed in (1, 2, 3):
        v, f, _ = ripple_plane(lam, amp, style, per_wave, seed, waves=8)
        res = run(v, f, TT)
        c, reg, sp = res.layers.comp, res.layers.reg, res.layers.sp
        sel = c.valid[0]
        assert sel.sum() >= 5, sel.sum()
        bound = detail.concentration_bound(sp, reg, c.lam[0])[sel]
        assert np.median(bound) <= 1.15, np.round(np.sort(bound), 2)


def test_a_shallow_ripple_read_by_regions_a_few_wavelengths_across_is_lost_in_print():
    """A ripple 2a = 0.021 mm deep filling a sheet 13 wavelengths square (isotropic, 6 edges a
    wavelength; regions ~2.6 wavelengths across), under a 0.03 mm resin layer. On such regions
    the fit's amplitude swings -- its bootstrap and leave-one-scale-out jackknife move the fit's
    finer relief and its wavelength, x1.5-2 at the upper end -- while each scale's mean square
    is read to a few percent. The depth's upper end also takes the largest amplitude any wave in
    the wavelength's interval can have in those mean squares (`measure.plateau_bound`,
    docs/texture.md s.7.23): MS103 fails in 20 of the 32 judged regions (17 without), and the
    depth interval holds 2a in 27 either way, its upper end under 2a in none."""
    lam, amp = 0.6, 0.0105
    v, f, _ = ripple_plane(lam, amp, "isotropic", 6, 1, waves=13)
    res = run(v, f, resolve("tabletop", printer="resin"))
    c = res.layers.comp
    sel = c.valid[0]
    failed = int((res.layers.verdicts["MS103"].state[0][sel] == texture._F).sum())
    held = (c.depth_lo[0][sel] <= 2 * amp) & (2 * amp <= c.depth_hi[0][sel])
    assert failed >= 19, (failed, int(sel.sum()))
    assert held.sum() >= 27 and not (c.depth_hi[0][sel] < 2 * amp).any(), (held.sum(), sel.sum())


MS103_SEEDS = range(6)  # one sheet's 5-9 judged regions decide a rate by where they fall


def _ms103_on_irregular_sheets(lam, amp, state):
    """Over six seeds of a rippled sheet (irregular, 8 edges a wavelength) under a 0.03 mm
    resin layer: the judged inner regions whose MS103 verdict is `state`, those whose depth
    interval holds 2a, those whose upper end lies under 2a, and the judged inner regions."""
    hits = judged_n = held = under = 0
    for seed in MS103_SEEDS:
        v, f, inner = ripple_plane(lam, amp, "irregular", 8, seed)
        res = run(v, f, resolve("tabletop", printer="resin"))
        c, sel = judged(res, inner)
        hits += int((res.layers.verdicts["MS103"].state[0][sel] == state).sum())
        held += int(((c.depth_lo[0][sel] <= 2 * amp) & (2 * amp <= c.depth_hi[0][sel])).sum())
        under += int((c.depth_hi[0][sel] < 2 * amp).sum())
        judged_n += int(sel.sum())
    return hits, held, under, judged_n


def test_the_depths_upper_end_reads_the_peaks_cell_not_the_fits_interval():
    """A ripple 2a = 0.023 mm deep (lam 0.44 mm) on sheets 12 wavelengths square, irregular at
    8 edges a wavelength (regions ~2.5 wavelengths across), under a 0.03 mm resin layer. The
    union's spectral peak narrows the wavelength's interval to its cell (s.7.20); the depth's
    plateau reading and the mean squares' bound on its upper end read that cell, not the fit's
    wider interval with a ladder step past its top (docs/texture.md s.7.24): MS103 fails in
    about half the judged inner regions (23 of 44 over the six seeds; 22 of 40 with the
    points drawn by index, s.7.39; 7 of 17 on three seeds with the fit's interval), and the
    depth's interval holds 2a in nine in ten or more (41 of 44; a lower end over 2a is the
    miss), its upper end never under it."""
    failed, held, under, judged_n = _ms103_on_irregular_sheets(0.44, 0.0115, texture._F)
    assert failed >= 0.4 * judged_n, (failed, judged_n)
    assert held >= 0.85 * judged_n and under == 0, (held, under, judged_n)


def test_the_depths_lower_end_reads_the_sinusoid_the_peak_fits():
    """A ripple 2a = 0.035 mm deep (lam 0.44 mm) on sheets 12 wavelengths square, irregular at
    8 edges a wavelength (regions ~2.5 wavelengths across), over a 0.03 mm resin layer. The
    fit's amplitude interval swings with its leave-one-scale-out jackknife on such regions; the
    sinusoid the region's significant spectral peak fits to the mesh's heights, less what the
    other relief can put at that wavevector (`measure.sinusoid_floor`, docs/texture.md s.7.27),
    is a lower end of the wave's amplitude: MS103 passes in most judged inner regions (35 of 40
    over the six seeds; 7 of 22 on three seeds with the fit's lower end), the depth's interval
    holding 2a in nine in ten (36 of 40). Over twelve more seeds: passed 79 of 87, held 81;
    with the points drawn by index (s.7.39) 75 and 81 of 87."""
    passed, held, under, judged_n = _ms103_on_irregular_sheets(0.44, 0.0175, texture._P)
    assert passed >= 0.75 * judged_n, (passed, judged_n)
    assert held >= 0.85 * judged_n and under == 0, (held, under, judged_n)


@pytest.mark.parametrize("style,per_wave,size,seed", [
    ("isotropic", 6, 24, 51), ("irregular", 10, 16, 52), ("sliver", 14, 14, 53),
    ("irregular", 5, 30, 54)])
def test_regions_are_even_at_any_density(style, per_wave, size, seed):
    """On an evenly meshed sheet (any triangulation, three densities of query points per
    wavelength, a random pose) every region clear of the sheet's rim holds about REGION_POINTS
    query points and none is a fragment under the floor: seeds are placed by random sequential
    adsorption in the local size, one per size^2 wherever the density is even. (Seeds one per
    voxel of a local size quantised to a sqrt 2 ladder left two interleaved seed grids wherever
    neighbouring points fell on either side of a step: regions of 16-124 points on an evenly
    meshed wall.)"""
    rng = np.random.default_rng(seed)
    L = size
    xy, f = _lattice(style, L, L, 1.0 / per_wave, rng)
    xy -= L / 2
    z = 0.01 * np.cos(2 * np.pi * xy[:, 0])  # faint relief, so the sheet is texture-free form
    R = _rotation(rng)
    v = np.column_stack([xy, z]) @ R.T
    res = run(v, f, TT)
    reg, sp = res.layers.reg, res.layers.sp
    edge = np.abs((sp.points @ R)[:, :2]).max(axis=1)  # distance from the middle, rim at L/2
    reach = np.zeros(len(reg.count))
    np.maximum.at(reach, reg.label, edge)
    far = reach < L / 2 - reg.size_mm  # no point of it within a region size of the rim
    assert far.sum() >= 5, far.sum()
    counts = reg.count[far]
    assert counts.min() >= detail.REGION_FLOOR * detail.REGION_POINTS, np.sort(counts)
    assert np.median(counts) == pytest.approx(detail.REGION_POINTS, rel=0.2), np.sort(counts)


@_shared
def ripple_cap(lam, amp, style, per_wave, seed, radius=8.0, cap=4.5, patch=2.3):
    """An open spherical cap (arc radius `cap` wavelengths) of a sphere `radius` wavelengths
    round, meshed finely and evenly (regions about one wavelength across), with a ripple patch
    (arc radius `patch` wavelengths, its amplitude tapering to 0 over the last wavelength)
    displaced along the normals in a random direction, at a random pose. Returns (v, f, core)
    with core(points) the patch inside its taper."""
    rng = np.random.default_rng(seed)
    W = 2 * cap * lam
    xy, f = _lattice(style, W, W, lam / per_wave, rng)
    xy -= W / 2
    s = np.hypot(xy[:, 0], xy[:, 1])
    keep = s <= cap * lam
    new = np.cumsum(keep) - 1
    f = np.where(keep[f], new[f], -1)
    f = f[(f >= 0).all(axis=1)]
    xy, s = xy[keep], s[keep]
    R = radius * lam
    th, ph = s / R, np.arctan2(xy[:, 1], xy[:, 0])
    n = np.column_stack([np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph), np.cos(th)])
    ang = rng.uniform(0, np.pi)
    u = xy @ np.array([math.cos(ang), math.sin(ang)])
    taper = np.clip((patch * lam - s) / lam, 0.0, 1.0)
    h = amp * taper * np.sin(2 * np.pi * u / lam + rng.uniform(0, 2 * np.pi))
    Q = _rotation(rng)

    def core(p):
        q = p @ Q
        return np.arccos(np.clip(q[:, 2] / np.linalg.norm(q, axis=1), -1, 1)) * R < (patch - 1) * lam

    return (n * (R + h)[:, None]) @ Q.T, f, core


def _truth_verdicts(lam, amp, cond, n):
    """Every rule's verdict on the true ripple (exact values), for n regions."""
    one = lambda x: np.full((1, n), x, float)  # noqa: E731
    truth = texture.Components(one(lam), one(lam), one(lam), one(amp), one(amp), one(amp),
                               one(2 * amp), one(2 * amp), one(2 * amp), one(1.0),
                               np.ones((1, n), bool), np.zeros((1, n), int))
    hi_real = np.full((1, n), texture._texture_hi(cond, cond.material))
    return texture.judge(truth, cond, hi_real, cond.scale_n)


def test_an_undecided_rule_reports_the_condition_that_leaves_it_open():
    """MS104 fails on a recess shallower than the paint or narrower than both walls' coats.
    Where the depth clearly passes and the width's range straddles 2 x paint, the rule is
    undecided by the width, and its numbers are the width's (they once were the passing
    depth's wherever the width did not fail: docs/texture.md s.7.14); where both conditions
    fail, the one further past its threshold speaks."""
    cond = resolve("tabletop", material="wood", printer="none")  # (paint alone: MS104 asked)
    p = cond.paint_mm
    one = lambda x: np.array([[x]], float)  # noqa: E731

    def judged(w, w_lo, w_hi, d, d_lo, d_hi):
        comp = texture.Components(one(2 * w), one(2 * w_lo), one(2 * w_hi), one(d / 2),
                                  one(d_lo / 2), one(d_hi / 2), one(d), one(d_lo), one(d_hi),
                                  one(1.0), np.ones((1, 1), bool), np.zeros((1, 1), int))
        return texture.judge(comp, cond, one(np.inf), cond.scale_n)["MS104"]

    v = judged(2 * p, 1.5 * p, 2.5 * p, 5 * p, 4 * p, 6 * p)
    assert v.state[0, 0] == texture._U
    assert str(v.what[0, 0]) == "width" and v.value[0, 0] == pytest.approx(2 * p)
    assert v.threshold[0, 0] == pytest.approx(2 * p)
    v = judged(5 * p, 4 * p, 6 * p, p, 0.5 * p, 1.5 * p)  # the depth undecided, the width passes
    assert v.state[0, 0] == texture._U and str(v.what[0, 0]) == "depth"
    v = judged(1.8 * p, 1.7 * p, 1.9 * p, 0.2 * p, 0.1 * p, 0.3 * p)  # both fail: depth 5x under
    assert v.state[0, 0] == texture._F and str(v.what[0, 0]) == "depth"


def _judged_on_core(res, lam, amp, cond, core, tag):
    """On the regions a core holds: verdicts contradicting the true ripple's (tagged), how many
    wavelength intervals hold the truth, and the selection."""
    c, reg = res.layers.comp, res.layers.reg
    sel = c.valid[0] & core(reg.centroid)
    truth = _truth_verdicts(lam, amp, cond, len(reg.count))
    contradicting = []
    for code, ver in res.layers.verdicts.items():
        got, want = ver.state[0][sel], truth[code].state[0][sel]
        wrong = ((got == texture._F) & (want == texture._P)) | (
            (got == texture._P) & (want == texture._F))
        contradicting += [(*tag, code)] * int(wrong.sum())
    held = int(((c.lam_lo[0][sel] <= lam) & (lam <= c.lam_hi[0][sel])).sum())
    return contradicting, held, sel


@functools.cache
def _region_cell_caps():
    """The region-cell test's caps judged at five distances: (contradicting verdicts, wavelength
    intervals holding the truth, judged core regions)."""
    lam, amp = 1.0, 0.033
    contradicting, held, n = [], 0, 0
    for style, per_wave, seed in [("isotropic", 30, 1), ("irregular", 30, 2), ("irregular", 24, 3),
                                  ("sliver", 30, 4), ("isotropic", 20, 5), ("irregular", 40, 6)]:
        v, f, core = ripple_cap(lam, amp, style, per_wave, seed)
        for dist in (1000, 1400, 2000, 2800, 4000):  # mm: the 1 mm ripple near the eye's cutoff
            cond = resolve("tabletop", distance=f"{dist}mm", material="wood")
            res = run(v, f, cond)
            wrong, ok, sel = _judged_on_core(res, lam, amp, cond, core, (style, per_wave, dist))
            contradicting += wrong
            held += ok
            n += int(sel.sum())
    return contradicting, held, n


def test_a_wavelength_read_in_a_region_a_wavelength_across_is_no_sharper_than_the_region():
    """A region D across resolves frequencies only to +-1/D: a ripple read in regions one or two
    wavelengths across (a rippled patch on a sphere eight wavelengths round, meshed at 20-40
    edges a wavelength, isotropic, irregular and sliver triangulations, random poses and
    directions) reads 0.6-1.2 of its wavelength with intervals of +-15 % from the bootstrap and
    the jackknife alone (every replicate shares the window). Judged at five distances around
    the eye's cutoff, no verdict may contradict the true ripple's (the evidence rule) and the
    wavelength intervals hold the truth at the rate they claim. (Without
    the region's resolution cell: 79 % coverage and MS101/MS106 called on a wood ripple that
    passes them; the ground-truth suite's texture:c3, a 71 mm ripple read as 95 mm in a region
    99 mm across. Without the remnant's open upper ends, docs/texture.md s.7.40: on these caps
    the top scales carry the sphere's form, the fit's coarse term takes it with the ripple's
    energy and a remnant is read -- 0.32 mm, interval [0.23, 0.50] for the 1 mm ripple -- with
    5 contradicting verdicts and 90 of 110 intervals holding the truth.)"""
    contradicting, held, n = _region_cell_caps()
    assert n >= 60, n
    assert not contradicting, contradicting
    assert held / n >= 0.9, (held, n)


def test_a_wave_read_short_keeps_its_amplitude_within_the_upper_end():
    """A wave read short in a region about a wavelength across (its resolution cell) has its
    plateau read at a scale in the true wave's transition, which passes only part of it: the
    amplitude reads low while its interval, read at the same scale, stays narrow
    (docs/texture.md 7.12). The upper end is read at the plateau of every wavelength the
    window that read the wave allows -- a union's narrower interval and span for its members
    (7.13). On the region-cell test's rippled caps (1 mm, 20-40 edges a wavelength, judged at
    2 m) the core regions' amplitude and depth upper ends must hold the truth at the rate the
    intervals claim (the amplitude's: 20 of 24 with the upper end read at the value's plateau
    alone, 23 of 24 with it read across the interval)."""
    lam, amp = 1.0, 0.033
    cond = resolve("tabletop", distance="2000mm", material="wood")
    held, held_d, n = 0, 0, 0
    for style, per_wave, seed in [("isotropic", 30, 1), ("irregular", 30, 2), ("irregular", 24, 3),
                                  ("sliver", 30, 4), ("isotropic", 20, 5), ("irregular", 40, 6)]:
        v, f, core = ripple_cap(lam, amp, style, per_wave, seed)
        c, sel = judged(run(v, f, cond), core)
        held += int((c.amp_hi[0][sel] >= amp).sum())
        held_d += int((c.depth_hi[0][sel] >= 2 * amp).sum())
        n += int(sel.sum())
    assert n >= 20, n
    assert held / n >= 0.9 and held_d / n >= 0.9, (held, held_d, n)


@pytest.mark.parametrize("shape,slope,style,per_wave,seed", [
    ("plane", 1.2, "irregular", 12, 2), ("cylinder", 0.9, "isotropic", 12, 1),
    ("cylinder", 1.2, "irregular", 12, 2), ("cylinder", 1.5, "irregular", 12, 2),
    ("plane", 1.3, "irregular", 16, 5), ("cylinder", 1.1, "isotropic", 8, 6)])
def test_a_steep_ripples_harmonics_are_not_texture_of_their_own(shape, slope, style, per_wave,
                                                                 seed):
    """A steep ripple (slope 0.9-1.5) bends the fitted base form like a crease at the scales
    just finer than its wavelength, which are masked as form; a region whose masked scales lie
    around a finer component's own transition then read the ripple's harmonics (lam / 2.3 -
    lam / 2.6) as a texture of their own (judged "invisible" or "lost in print" while the ripple
    itself is neither; the ground-truth suite's texture:c28, a milk truck's 68 mm ripple read as
    20 mm relief). A component is judged only where the scales from its transition up to those
    passing a wave twice as long are read on most of its region. Planes and cylinders, isotropic
    and irregular, 8-16 edges a wavelength, random poses: no judged component is a harmonic."""
    lam = 1.0
    make = ripple_plane if shape == "plane" else ripple_cylinder
    v, f, inner = make(lam, slope * lam / (2 * math.pi), style, per_wave, seed)
    res = run(v, f, TT)
    c = res.layers.comp
    sel = c.valid & inner(res.layers.reg.centroid)[None]
    assert (c.lam[sel] >= 0.6 * lam).all(), np.sort(c.lam[sel])


_STEEP = [(lam, slope, style, 8 if style == "isotropic" else 11, 40 + i)
          for i, (lam, slope, style) in enumerate(itertools.product(
              (0.25, 1.0), (1.0, 1.3, 1.7), ("isotropic", "irregular")))]


@pytest.mark.parametrize("lam,slope,style,per_wave,seed", _STEEP)
def test_a_steep_ripple_on_a_small_model_is_judged(lam, slope, style, per_wave, seed):
    """On a model only ~10 wavelengths across the ladder ends (a tenth of the diagonal) near the
    ripple's own wavelength, so the scale that passes it whole (sigma ~0.9 lam, where its
    amplitude is read) is among the top FORM_LOOKUP scales. A steep ripple (slope >= 1) bends
    that window's fitted base form; with the form rule's lookup cut short at the ladder's top,
    that one scale alone called it a crease and masked the whole patch, so the amplitude read 0
    and nothing was judged (ground-truth texture:27, :63, :136). The lookup now continues past
    the top: the ripple lets go there and is relief. Sheets 10 wavelengths square at random
    poses, isotropic (8 edges a wavelength) and irregular (11), two sizes, slopes 1-1.7: most
    inner regions are judged, their wavelength intervals hold the truth (all but one region:
    a ~95 % interval on a handful of regions), and the amplitude is the wave's (steep relief
    reads 10-20 % low, docs/texture.md). Main judged none at slope 1.7."""
    amp = slope * lam / (2 * math.pi)
    v, f, inner = ripple_plane(lam, amp, style, per_wave, seed, waves=10)
    res = run(v, f, resolve("tabletop", printer="resin"))
    c, sel = judged(res, inner)
    n = int(inner(res.layers.reg.centroid).sum())
    assert sel.sum() >= max(2, n // 2), (int(sel.sum()), n)
    held = (c.lam_lo[0][sel] <= lam) & (lam <= c.lam_hi[0][sel])
    assert held.sum() >= sel.sum() - 1, (c.lam[0][sel], c.lam_lo[0][sel], c.lam_hi[0][sel])
    assert 1 / 1.5 < np.median(c.amp[0][sel]) / amp < 1.5, c.amp[0][sel] / amp


def axis_sliver_sheet(lam, amp, aspect, long_per_wave, seed, waves=8):
    """A sheet `waves` wavelengths square on a lattice of cells lam / long_per_wave long and
    `aspect` times narrower (a CAD export's strips), rippled h = amp cos(2 pi u / lam) in a
    random direction; the sheet lies in a coordinate plane (axes permuted and flipped at
    random), as a box's face does, so the slivers run along the thinning voxels' axes.
    Returns (v, f, inner) with inner(points) the sheet's middle half."""
    rng = np.random.default_rng(seed)
    L = waves * lam
    hl = lam / long_per_wave
    hs = hl / aspect
    i, j = np.meshgrid(np.arange(int(L / hl) + 1), np.arange(int(L / hs) + 1), indexing="ij")
    xy = np.stack([i * hl, j * hs], -1).reshape(-1, 2).astype(float) - L / 2
    ang = rng.uniform(0, np.pi)
    u = xy @ np.array([math.cos(ang), math.sin(ang)])
    v = np.column_stack([xy, amp * np.cos(2 * np.pi * u / lam + rng.uniform(0, 2 * np.pi))])
    R = np.eye(3)[rng.permutation(3)] * rng.choice([-1.0, 1.0], 3)
    return v @ R.T, Delaunay(xy).simplices, lambda p: np.abs((p @ R)[:, :2]).max(axis=1) < L / 4


def test_a_sliver_lattices_unresolved_scales_do_not_pull_the_wavelength():
    """Slivers 4-6x longer than wide, the long side a third or a quarter of the wavelength,
    along the axes: the finest scales' windows span one or two rows of vertices across the
    long side, their quadric fits overshoot (mean squares far above what any relief gives
    against the coarser scales), and the fit read 0.78x the wavelength (median) with 1 region
    in 31 within 25 % of it (the ground-truth suite's texture:38, 3:1 slivers: 2.3x). Those
    scales are now left out where they show it: most judged regions read within 25 % and the
    intervals still hold the truth."""
    ratio, held = [], []
    for aspect, per, seed, slope in itertools.product((4.0, 6.0), (3.0, 4.0), (1, 2), (0.15, 0.6)):
        lam = 0.8 * 1.7 ** (seed - 1)
        v, f, inner = axis_sliver_sheet(lam, slope * lam / (2 * math.pi), aspect, per, seed)
        c, sel = judged(run(v, f, TT), inner)
        ratio += list(c.lam[0][sel] / lam)
        held += list((c.lam_lo[0][sel] <= lam) & (lam <= c.lam_hi[0][sel]))
    ratio = np.array(ratio)
    assert len(ratio) >= 30
    assert np.mean(np.abs(np.log(ratio)) < math.log(1.25)) >= 0.25, np.round(np.sort(ratio), 2)
    assert 0.8 <= np.median(ratio) <= 1.25
    assert np.mean(held) >= 0.9


def test_scales_nested_past_the_power_table_do_not_read_a_wave_long():
    """Sheets rippled far wider than their regions (28 wavelengths, shallow, isotropic and
    irregular, 6-11 edges a wavelength, random poses): the ladder's coarse scales are nested
    thinnings deeper than the power table simulated, where a wave passed whole keeps ~10 % more
    power per level than the table's last row says; read with that row their mean squares rise
    past the plateau like a longer wave's, and the judged regions read a median 1.07x the
    wavelength (1.02-1.10 per sheet; docs/texture.md 7.9). The value is now the peak of the
    region's relief spectrum where one lies inside the fit's interval (7.19), which the nested
    scales do not move: within 5 %, the intervals (still the fit's) holding the truth."""
    ratio, held = [], []
    for style, per, lam, seed in (("isotropic", 8, 1.0, 11), ("irregular", 8, 0.6, 12),
                                  ("isotropic", 11, 0.8, 13), ("irregular", 6, 1.3, 14)):
        v, f, inner = ripple_plane(lam, 0.12 * lam / (2 * math.pi), style, per, seed, waves=28)
        c, sel = judged(run(v, f, TT), inner)
        ratio += list(c.lam[0][sel] / lam)
        held += list((c.lam_lo[0][sel] <= lam) & (lam <= c.lam_hi[0][sel]))
    assert len(ratio) >= 40
    assert abs(np.median(ratio) - 1.0) <= 0.05, np.round(np.sort(ratio), 2)
    assert np.mean(held) >= 0.9


@pytest.mark.parametrize("slope,style,seed", [(1.5, "isotropic", 32), (1.5, "irregular", 33),
                                               (1.5, "sliver", 34)])
def test_a_steep_ripple_is_read_at_its_own_wavelength(slope, style, seed, monkeypatch):
    """A steep ripple (slope 2 pi a / lam 1.5, 8 edges a wavelength) on a sheet 12 wavelengths
    square at a random pose: the nested thinning's 3D voxels keep only 0.4-0.7 of the wave at
    the scales finer than it (the steep relief's loss, `detail.steep_loss`), so with the linear
    gain alone the fit puts the transition coarse and reads 1.08-1.11 lam. With the loss read at
    each candidate wavelength's own slope the judged regions read it within 5 %, and their
    intervals hold it (docs/texture.md s.7.15; the reading is measured and not kept, so the
    test switches it on: texture.STEEP_READING)."""
    monkeypatch.setattr(texture, "STEEP_READING", True)
    lam = 1.0
    amp = slope * lam / (2 * math.pi)
    v, f, inner = ripple_plane(lam, amp, style, 8, seed)
    m = from_arrays(v, f)  # its own Analysis: the module's cache holds linear readings
    c, sel = judged(texture.run(m, resolve("tabletop", printer="resin"), Analysis(m)), inner)
    assert sel.sum() >= 3, style
    assert abs(np.median(c.lam[0][sel]) / lam - 1) < 0.05, c.lam[0][sel]
    held = (c.lam_lo[0][sel] <= lam) & (lam <= c.lam_hi[0][sel])
    assert held.sum() >= sel.sum() - 1, (c.lam_lo[0][sel], c.lam_hi[0][sel])


def test_a_steep_ripple_whose_crests_are_creases_is_judged():
    """A ripple of slope ~2 meshed at 5-6 edges a wavelength turns its faces by more than
    CREASE_DEG at its crests and troughs, so they are crease vertices of the mesh; every window
    within reach of one was masked as form at every scale and nothing was judged (ground-truth
    texture:122, :125, :129). A window wider than the crests' spacing holds a field of creases,
    not a line of form, and reads the ripple. Sheets 12 wavelengths square at random poses,
    two sizes, isotropic and irregular, 5 and 6 edges a wavelength: most sheets are judged,
    the judged regions' wavelength intervals hold the truth (all but one region a sheet), and
    the amplitude is the wave's within 1.5x (steep relief reads low, docs/texture.md)."""
    judged_sheets = 0
    cases = list(itertools.product((0.12, 0.9), ("isotropic", "irregular"), (5, 6)))
    for seed, (lam, style, per_wave) in enumerate(cases, start=74):  # a handful of sheets
        amp = 2.0 * lam / (2 * math.pi)
        v, f, inner = ripple_plane(lam, amp, style, per_wave, seed)
        res = run(v, f, resolve("tabletop", printer="resin"))
        m, an = _ANALYSES[(id(v), id(f), 1.0)][:2]
        assert len(detail._crease_points(an)[0]) > 0.1 * m.n_vertices  # the premise: crests crease
        c, sel = judged(res, inner)
        if not sel.any():
            continue
        judged_sheets += 1
        held = (c.lam_lo[0][sel] <= lam) & (lam <= c.lam_hi[0][sel])
        assert held.sum() >= sel.sum() - 1, (lam, style, c.lam[0][sel], c.lam_lo[0][sel],
                                             c.lam_hi[0][sel])
        assert 1 / 1.5 < np.median(c.amp[0][sel]) / amp < 1.5, c.amp[0][sel] / amp
    assert judged_sheets >= len(cases) // 2, judged_sheets


@pytest.mark.parametrize("seed", [0, 3, 4])
def test_vertex_noise_sheets_judge_no_region_through_the_crease_field(seed):
    """A sheet of vertex noise (4 000 random vertices on a 6 mm square, heights of standard
    deviation 0.025 mm) creases at a quarter of its vertices; its windows near them are form
    unless the crease vertices are a field of crests, and the axial test that says so counts
    runs of crease vertices, not cells of the window, as its units (docs/texture.md 7.36).
    Counting cells, these three sheets judged a region each; no region is judged."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0.0, 6.0, (4000, 2))
    v = np.column_stack([xy, rng.normal(0.0, 0.025, len(xy))])
    res = run(v, Delaunay(xy).simplices, resolve("tabletop", printer="resin"))
    assert not res.layers.comp.valid[0].any(), int(res.layers.comp.valid[0].sum())


@pytest.mark.parametrize("lam,slope,seed", [(0.1, 1.6, 0), (0.3, 1.0, 2), (0.5, 0.3, 3)])
def test_a_sliver_meshed_ripple_reads_its_wavelength_at_its_spectral_peak(lam, slope, seed):
    """On a sliver lattice the fine scales under-read the wave and a steep one's creased crests
    mask them, so the scale-space fit placed the transition coarse: 1.3 and 1.9 of the
    wavelength on the first two sheets (docs/texture.md s.7.15). The peak of the region's relief
    spectrum does not move with either (s.7.19): the judged regions read the wavelength within
    5 % in the median, and their intervals hold it. On the fit's value alone the first two
    fail."""
    v, f, inner = sliver_ripple(lam, slope, seed)
    res = run(v, f, resolve("tabletop", printer="resin"))
    c, sel = judged(res, inner)
    assert sel.sum() >= 3, sel.sum()
    assert abs(np.median(c.lam[0][sel]) / lam - 1) < 0.05, c.lam[0][sel] / lam
    assert np.all((c.lam_lo[0][sel] <= lam) & (lam <= c.lam_hi[0][sel]))


def test_a_steep_ripples_spectral_peak_outside_the_fits_interval_is_its_wavelength():
    """A steep ripple (slope 1.8) on an irregular mesh at 6 edges a wavelength: the fit reads
    steep relief coarse (docs/texture.md s.7.15), here 1.64 of the wavelength in the median
    over the three judged regions, whose intervals all miss it, while each region's spectral
    peak, significant on its ring and its own ray, reads it within 1 %. Two readings of one
    wave: the value is the peak's and the interval spans both (s.7.34)."""
    lam, slope = 0.3, 1.8
    v, f, inner = ripple_plane(lam, slope * lam / (2 * math.pi), "irregular", 6, 2, waves=16)
    res = run(v, f, resolve("tabletop", printer="resin"))
    c, sel = judged(res, inner)
    assert sel.sum() >= 3, sel.sum()
    assert np.all((c.lam_lo[0][sel] <= lam) & (lam <= c.lam_hi[0][sel])), (
        c.lam_lo[0][sel] / lam, c.lam_hi[0][sel] / lam)
    assert abs(np.median(c.lam[0][sel]) / lam - 1) < 0.02, c.lam[0][sel] / lam


@pytest.mark.parametrize("seed", [0, 2])
def test_a_waves_spectral_peak_narrows_its_wavelength_interval(seed):
    """A 0.12 mm ripple 0.032 mm deep on a sheet 24 wavelengths square (8 edges a wavelength):
    its ridges are 0.06 mm wide, under the 0.08 mm two coats of paint fill, so MS104 fails
    wherever the width's upper end is under 0.08 mm, i.e. the wavelength's under 1.33 of it.
    The fit's interval reaches 1.35-2.3 of it in half the regions (the ladder's and the
    window's terms), and they stay open; the peak of the region's relief spectrum,
    significant against its ring and its own ray, holds the wave to its resolution cell
    (1/D either side, ~1.25 of it at D = 5 wavelengths), and the intersection decides
    (docs/texture.md s.7.20). With the fit's interval alone 5 and 4 of 11 regions fail."""
    lam = 0.12
    v, f, inner = ripple_plane(lam, 0.016, "isotropic", 8, seed, waves=24)
    res = run(v, f, resolve("display", printer="none", material="leather", finish="gloss"))
    c, sel = judged(res, inner)
    assert sel.sum() >= 8, sel.sum()
    state = res.layers.verdicts["MS104"].state[0][sel]
    fails = (state == texture.common._F).sum()
    assert fails >= 0.75 * sel.sum(), (state, c.lam_hi[0][sel] / lam)
    held = (c.lam_lo[0][sel] <= lam) & (lam <= c.lam_hi[0][sel])
    assert held.sum() >= sel.sum() - 1, (c.lam_lo[0][sel] / lam, c.lam_hi[0][sel] / lam)


@pytest.mark.parametrize("style,per_wave", [("isotropic", 8), ("irregular", 6)])
def test_a_union_of_agreeing_regions_narrows_the_cell_its_members_cannot(style, per_wave):
    """The same ripple on sheets 12 wavelengths square: their regions are ~2.4 wavelengths
    across, so each one's resolution cell is as wide as the fit's window term and its ray holds
    no pair of ordinates to test the peak against (MS104 fails in 0 and 1 of 6 regions on the
    region's own reading). Their union of agreeing regions (s.7.10) reads the same peak through
    a window several times as wide: its cell decides all regions but one a sheet at most (a
    member whose own value lies outside the union's cell is left as it was), and the narrowed
    intervals still hold the wavelength at their rate (docs/texture.md s.7.20). Four seeds:
    one sheet's 5-7 regions decide a rate by where they fall (the isotropic seed 0 held 5 of
    7 with the points drawn by key, s.7.39; the eight sheets 46 of 48, and 51 of 51 drawn by
    index; MS104 48 of 48 and 50 of 51)."""
    lam = 0.12
    judged_n = fails = held = 0
    for seed in range(4):
        v, f, inner = ripple_plane(lam, 0.016, style, per_wave, seed)
        res = run(v, f, resolve("display", printer="none", material="leather", finish="gloss"))
        c, sel = judged(res, inner)
        assert sel.sum() >= 5, (seed, sel.sum())
        state = res.layers.verdicts["MS104"].state[0][sel]
        fails += int((state == texture.common._F).sum())
        held += int(((c.lam_lo[0][sel] <= lam) & (lam <= c.lam_hi[0][sel])).sum())
        judged_n += int(sel.sum())
    assert fails >= judged_n - 4, (fails, judged_n)
    assert held >= 0.9 * judged_n, (held, judged_n)


@pytest.mark.parametrize("radius,points,profile,seed", [
    (6.8, 8000, "figure-1-6", 0), (9.0, 12000, "tabletop", 1), (8.0, 6000, "scale-model-1-35", 2),
    (10.0, 4000, "display", 3), (5.0, 12000, "tabletop", 4)])
def test_sliver_faceting_of_a_smooth_sphere_is_not_texture(radius, points, profile, seed):
    """A smooth sphere meshed with long slivers (the ground-truth suite's sliver lattice) has
    only faceting: facets of longest edge h stand off it by up to h^2 kappa / 6 (a triangle's
    enclosing circle, not the edge's h^2 kappa / 8), and relief not clearly deeper than that is
    not texture, so nothing is lost in print or filled by paint."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import mesh

    dirs, f = mesh.sphere_points(points, "sliver", np.random.default_rng(seed))
    res = run(dirs * radius, f, resolve(profile, printer="resin"))
    assert not [x for x in res.findings if x.code != "MS100"], [x.message for x in res.findings]


@pytest.fixture(scope="module")
def shallow_grain():
    return wood_wall(0.3, 0.016)  # ridges 0.15 mm wide, 0.016 mm deep


def test_wood_grain_too_shallow_to_print_is_lost_in_print(shallow_grain):
    """Relief too thin to print belongs to MS103/MS104 (never to a wall thickness): grain
    ridges shallower than a resin layer are lost in print (by depth), and under an FDM nozzle
    by width. (A region whose fit looks past what it resolves and cannot exclude coarser
    relief there has its width's upper end at the fit's reach, docs/texture.md s.7.40: one
    of the ten on this 8 mm wall, whose ladder ends at sigma 0.71 mm; the rest decide it.)"""
    v, f, inner = shallow_grain
    resin = run(v, f, resolve("tabletop", printer="resin"))
    lost = [x for x in resin.findings if x.code == "MS103"]
    assert lost, [x.message for x in resin.findings]
    assert "deep" in lost[0].message and lost[0].measured_range[1] < 0.03
    fdm_res = run(v, f, resolve("tabletop", printer="fdm"))
    assert "MS103" in codes(fdm_res)
    c, sel = judged(fdm_res, inner)  # and the 0.15 mm ridges are narrower than the 0.4 nozzle
    own = sel & ~c.coarse[0]
    assert own.sum() >= 0.8 * sel.sum() and np.all(c.lam_hi[0][own] / 2 < 0.4)


def test_bold_wood_grain_survives():
    v, f, inner = wood_wall(0.6, 0.12)  # 0.3 mm wide, 0.12 mm deep ridges
    res = run(v, f, resolve("tabletop", printer="resin"))
    assert not {"MS103", "MS104"} & set(codes(res)), [x.message for x in res.findings]


def test_deep_grooves_throw_shadows():
    """Decided since the union of agreeing regions reads the grooves' spectral peak: its cell
    narrows the wavelength, and so the width, enough that depth/width clears 2/pi (docs/texture.md
    s.7.20; until then a strict expected failure)."""
    v, f = ripple_sphere(5.0, 1.0, 0.2, sub=6)  # depth 0.4, width 0.5: depth/width 0.8
    res = run(v, f, TT)
    assert "MS105" in codes(res)


def test_one_finding_per_problem_area(pores):
    v, f = pores
    res = run(v, f, resolve("tabletop", material="skin"))
    assert sum(x.code == "MS101" for x in res.findings) <= 3
    assert sum(x.code == "MS100" for x in res.findings) <= 1


def test_empty_model_not_run():
    m = from_arrays(np.zeros((0, 3)), np.zeros((0, 3), int))
    res = texture.run(m, TT, Analysis(m))
    assert res.status == "not-run" and res.reason


# --------------------------------------------------------------------------- invariants


def test_distance_doubled_never_shows_more(ripple_1mm):
    shares = [run(*ripple_1mm, resolve("tabletop", distance=str(d))).metrics["visible_detail_share"]
              for d in (250, 500, 1000, 2000, 4000)]
    assert all(b <= a + 1e-12 for a, b in zip(shares, shares[1:]))
    assert shares[-1] < shares[0]  # and it does fall off: the test can fail


@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(k=st.sampled_from([0.25, 0.5, 2.0, 4.0]))
def test_dimensional_invariance_exact(ripple_1mm, k):
    """Powers of two scale floats exactly: everything must match to rounding."""
    a = run(*ripple_1mm, TT)
    b = run(*ripple_1mm, TT.scaled(k), k)
    assert codes(a) == codes(b)
    assert b.metrics["dominant_wavelength_mm"] == pytest.approx(k * a.metrics["dominant_wavelength_mm"], rel=1e-6)
    assert b.metrics["verdicts"] == a.metrics["verdicts"]


def test_dimensional_invariance_any_factor(pores):
    """Any factor: the same measurement up to rounding. Rounding moves points across voxel
    boundaries (other representatives: a resampling the intervals do not hold, docs/texture.md
    Limitations), so verdicts whose intervals end near a threshold move between fail and
    undetermined; never between fail and pass."""
    v, f = pores
    a = run(v, f, resolve("tabletop", material="skin"))
    b = run(v, f, resolve("tabletop", material="skin").scaled(3.7), 3.7)
    assert b.metrics["dominant_wavelength_mm"] == pytest.approx(3.7 * a.metrics["dominant_wavelength_mm"], rel=0.05)
    for code in texture.CODES:
        va, vb = a.metrics["verdicts"][code], b.metrics["verdicts"][code]
        judged_n = sum(va.values())
        assert abs(va["fail"] - vb["fail"]) <= max(2, 0.25 * judged_n), (code, va, vb)
        assert (va["fail"] > 0) <= (vb["fail"] + vb["undetermined"] > 0)
        assert (vb["fail"] > 0) <= (va["fail"] + va["undetermined"] > 0)


def test_subdivision_moves_wavelength_less_than_10_percent():
    """DESIGN.md section 5, where the mesh resolves the relief (10 -> 20 edges per wavelength;
    at 5 the raw-vertex scales carry it and the wavelength reads ~20 % long: docs/texture.md)."""
    v, f = ripple_sphere(5.0, 1.0, 0.05, sub=6)
    a = run(v, f, TT)
    v2, f2 = trimesh.remesh.subdivide(v, f)  # 4x faces, same piecewise-flat surface
    b = run(v2, f2, TT)
    assert b.metrics["dominant_wavelength_mm"] == pytest.approx(a.metrics["dominant_wavelength_mm"], rel=0.10)


def test_rigid_motion():
    v, f = ripple_sphere(5.0, 1.0, 0.05, sub=6)
    rot = trimesh.transformations.rotation_matrix(0.7, [1, 2, 3])[:3, :3]
    a = run(v, f, TT)
    b = run(v @ rot.T + [10, -3, 2], f, TT)
    assert b.metrics["dominant_wavelength_mm"] == pytest.approx(a.metrics["dominant_wavelength_mm"], rel=0.08)


def test_deterministic(ripple_1mm):
    v, f = ripple_1mm
    a, b = run(v.copy(), f, TT), run(v.copy(), f, TT)  # two independent measurements
    assert a.metrics == b.metrics and a.findings == b.findings


# --------------------------------------------------------------------------- form is not texture


def _mesh(m):
    return np.asarray(m.vertices, float), np.asarray(m.faces)


def _plain_shapes():
    from miniscan import samples

    return {
        "box": _mesh(trimesh.creation.box(extents=[16, 10, 8])),
        "capsule": _mesh(trimesh.creation.capsule(height=10, radius=1.3, count=[24, 24])),
        "torso_capsule": _mesh(trimesh.creation.capsule(height=7, radius=2.5, count=[32, 32])),
        "cylinder": _mesh(trimesh.creation.cylinder(radius=3, height=10, sections=32)),
        # filleted r = 0/0.05/0.2/0.5 mm, sharp rims, fan-triangulated caps
        "bevel_block": samples.rounded_prism(),
        "coarse_sphere": _mesh(trimesh.creation.icosphere(subdivisions=3, radius=2.2)),
        "fine_sphere": _mesh(trimesh.creation.icosphere(subdivisions=5, radius=5.0)),
    }


@pytest.mark.parametrize("name", ["box", "capsule", "torso_capsule", "cylinder", "bevel_block",
                                  "coarse_sphere", "fine_sphere"])
def test_plain_shapes_have_no_texture(name):
    v, f = _plain_shapes()[name]
    res = run(v, f, resolve("tabletop", material="skin"))
    assert res.status == "ok"
    assert not res.findings, [x.message for x in res.findings]


@pytest.mark.parametrize("radius,sub,times,cap", [(6.0, 1, 4, None), (8.0, 2, 3, 0.3)])
def test_a_faceted_sphere_split_into_small_triangles_is_still_faceting(radius, sub, times, cap):
    """A low-poly sphere (facets 2-4 mm) whose flat facets were split into coplanar triangles
    a sixteenth their size - all of them, or only those of a cap, as a refinement around a
    detail does - is the same faceted solid: its kinks lie a facet apart. Read at its
    triangles' size, the kinks made relief under 8 facets, deeper than such facets stand
    off the form: an MS101 warning on the whole split, undetermined infos on the cap's rim
    (the giant boar's, texture:c18003). Read at the planes' (analysis/detail/planes.py),
    nothing, as the unsplit sphere."""
    m = trimesh.creation.icosphere(subdivisions=sub, radius=radius)
    v, f = np.asarray(m.vertices), np.asarray(m.faces)
    for _ in range(times):
        idx = None if cap is None else np.flatnonzero(v[f].mean(axis=1)[:, 2] > cap * radius)
        v, f = trimesh.remesh.subdivide(v, f, face_index=idx)
    res = run(np.asarray(v), np.asarray(f), resolve("tabletop", material="skin"))
    assert res.status == "ok"
    assert not res.findings, [x.message for x in res.findings]


def test_part_junctions_are_not_texture():
    """A leg capsule entering a torso capsule (separate bodies, as sculpt tools export them)."""
    legs = trimesh.creation.capsule(height=8, radius=1.2, count=[24, 24])
    torso = trimesh.creation.capsule(height=6, radius=2.5, count=[32, 32])
    v = np.concatenate([np.asarray(legs.vertices) + [1.0, 0, 0], np.asarray(torso.vertices) + [0, 0, 6.0]])
    f = np.concatenate([np.asarray(legs.faces), np.asarray(torso.faces) + len(legs.vertices)])
    res = run(v, f, TT)
    assert not res.findings, [x.message for x in res.findings]


def smooth_pored_head(radius=2.0, spacing=0.45, depth=0.06, pit_radius=0.175, sub=6, seed=7):
    """Round-bottomed pits (h = d (1 - (r/R)^2)^2) on a jittered grid over a sphere."""
    from scipy.spatial import cKDTree

    m = trimesh.creation.icosphere(subdivisions=sub, radius=radius)
    v = np.asarray(m.vertices)
    n = v / np.linalg.norm(v, axis=1, keepdims=True)
    rng = np.random.default_rng(seed)
    ax = np.arange(-radius - spacing, radius + spacing, spacing)
    g = np.stack(np.meshgrid(ax, ax, ax, indexing="ij"), -1).reshape(-1, 3)
    g = g + rng.uniform(-0.3, 0.3, g.shape) * spacing
    x = np.clip(cKDTree(g).query(v)[0] / pit_radius, 0, 1)
    return v - n * (depth * (1 - x * x) ** 2)[:, None], np.asarray(m.faces)


def test_round_pores_on_a_skin_head_are_over_scaled():
    """Bowls 0.35 mm across and up to 0.12 mm deep (a grid point off the surface makes a
    shallower one): they print, they show, and at 1:56 they are ~14-20 mm wide: over-scaled."""
    v, f = smooth_pored_head(depth=0.12)
    res = run(v, f, resolve("tabletop", material="skin"))
    assert "MS101" in codes(res), [x.message for x in res.findings]


def test_a_texture_finding_lists_each_failing_region_on_the_surface():
    """A pored head 8 mm across at 1:56 in skin fails MS101 on regions all round it, joined
    into one problem area: the finding lists each as a place (count = places, here 10 in the
    largest), worst first, the finding's own point is its worst place's, and every place's
    point lies on the head (within a pore's depth and a region's sag of its surface). The
    point was the regions' area-weighted mean, and the count 1: on a head read all round
    that mean lies near its centre, inside it (findings._places)."""
    v, f = smooth_pored_head(radius=4.0, spacing=0.5, depth=0.15)
    res = run(v, f, resolve("tabletop", material="skin"))
    ms101 = [x for x in res.findings if x.code == "MS101"]
    assert max((x.count for x in ms101), default=0) >= 3, [x.message for x in res.findings]
    for x in ms101:
        places = x.places or (x.place,)
        assert x.count == len(places)
        assert x.location.centroid_mm == places[0].location.centroid_mm
        pts = np.array([p.location.centroid_mm for p in places])
        off = np.abs(np.linalg.norm(pts, axis=1) - 4.0)  # the head: a 4 mm sphere about 0
        assert off.max() < 0.3, off
        assert all(p.measured_range[0] > x.threshold for p in places)  # each fails on its own


def test_a_place_that_failed_on_another_quantity_carries_no_reading():
    """Three regions of one MS103 problem area: two fail on depth against a 0.03 mm layer, one
    on width against a 0.1 mm cutoff. The finding is read in its worst place's measure (depth),
    so the width region is listed where it is but without a reading: its range (0.05-0.09 mm)
    set against the finding's 0.03 mm would lie on the other side of it."""
    from types import SimpleNamespace

    from miniscan.checks.texture.findings import _places

    what = np.array([["depth", "width", "depth"]])
    v = SimpleNamespace(what=what, threshold=np.array([[0.03, 0.1, 0.03]]),
                        value=np.array([[0.01, 0.07, 0.02]]), lo=np.array([[0.005, 0.05, 0.015]]),
                        hi=np.array([[0.015, 0.09, 0.025]]))
    reg = SimpleNamespace(label=np.array([0, 1, 2, 0, 2]), centroid=np.eye(3))
    ctx = SimpleNamespace(reg=reg, sp=SimpleNamespace(faces=np.array([10, 11, 12, 13, 14])))
    places = _places(v, ctx, np.zeros(3, int), np.array([0, 1, 2]))
    assert [p.location.faces for p in places] == [(10, 13), (11,), (12, 14)]
    assert places[0].measured_range == (0.005, 0.015)
    assert places[1].measured is None and places[1].measured_range is None
    assert places[2].measured_range == (0.015, 0.025)


def test_showcase_texture_is_the_pored_head():
    """The committed showcase, checked as the CLI does with sample_meshes/miniscan.toml: the
    texture the family judges is the head's pores (cusps 0.35 mm across, at most 0.06 mm deep,
    0.45 mm apart) and the shield's fine noise (0.25 mm, 12 um: disc r = 3.2 mm centred at
    (-4.6, -0.8, 18.5)); nothing at part junctions, rims or capsule facets. The pores' depth sits
    at the resin layer within its own uncertainty, so their print verdicts stay open (MS100)."""
    from pathlib import Path

    from miniscan import conditions, runner

    path = Path(__file__).resolve().parents[1] / "sample_meshes" / "showcase_mini.glb"
    if not path.exists():
        pytest.skip("sample meshes not generated")
    c = conditions.resolve("tabletop", part_material="head_skin=skin,cloak=cloth,blade=metal")
    fr = runner.check_file(str(path), c, runner.RunOptions(families=("texture",)))
    res = next(r for r in fr.checks if r.family == "texture")
    head, shield = np.array([0.0, 0.0, 26.0]), np.array([-4.6, -0.8, 18.5])
    near = [m for m in res.measurements if m.kind == "wavelength_mm"
            and np.linalg.norm(np.array(m.centroid_mm) - head) <= 2.2]
    assert near, "no texture judged on the head"
    assert np.median([m.value for m in near]) == pytest.approx(0.4, rel=0.3)
    placed = [p for x in res.findings for p in (x.places or (x.place,))
              if p.location.centroid_mm is not None]
    where = [np.array(m.centroid_mm) for m in res.measurements] + \
        [np.array(p.location.centroid_mm) for p in placed]
    off = [w for w in where if np.linalg.norm(w - head) > 2.2 and np.linalg.norm(w - shield) > 3.4]
    assert not off, off
@functools.cache
def _union_caps():
    """The union test's caps judged at five distances: (contradicting verdicts, wavelength
    intervals holding the truth, judged core regions, those narrower than their own cell)."""
    contradicting, held, n, finer = [], 0, 0, 0
    for lam, style, per_wave, patch, seed in [(0.7, "isotropic", 28, 2.6, 11),
                                              (2.0, "irregular", 26, 2.4, 12),
                                              (1.3, "sliver", 30, 2.8, 13),
                                              (0.7, "irregular", 34, 2.5, 14)]:
        amp = 0.035 * lam
        v, f, core = ripple_cap(lam, amp, style, per_wave, seed, patch=patch)
        for dist in np.array([1000, 1400, 2000, 2800, 4000]) * lam:
            cond = resolve("tabletop", distance=f"{dist:.0f}mm", material="wood")
            res = run(v, f, cond)
            wrong, ok, sel = _judged_on_core(res, lam, amp, cond, core, (style, lam, dist))
            contradicting += wrong
            held += ok
            c, reg = res.layers.comp, res.layers.reg
            # the region's own cell [lam / (1 + h), lam / (1 - h)], h = lam / D, its upper end
            # at most the coarsest guard band (checks/texture/measure.py _window_cell)
            top = detail.guard_bands(res.layers.sp.wavelengths_mm)[-1]
            lam_r = c.lam[0][sel]
            h = lam_r / (2.0 * np.sqrt(reg.area[sel] / np.pi))
            cell = np.where(h < 1, np.fmin(lam_r / np.maximum(1 - h, 1e-9), top), top) / (
                lam_r / (1 + h))
            finer += int((c.lam_hi[0][sel] / c.lam_lo[0][sel] < cell * (1 - 1e-9)).sum())
            n += int(sel.sum())
    return contradicting, held, n, finer


def test_a_wavelength_read_over_agreeing_neighbours_is_resolved_by_their_union():
    """Touching regions that read the same wave through windows one or two wavelengths across
    read it again over their union, whose resolution cell 1 / D_u is finer than either's
    (docs/texture.md s.7.10). On rippled caps (other wavelengths, patch sizes, seeds and
    triangulations than the region-cell test's; random poses and directions) some regions on the
    patch must end narrower than their own cell (impossible without the union: the cell is a
    floor), at five distances around the eye's cutoff."""
    contradicting, held, n, finer = _union_caps()
    assert n >= 60, n
    assert finer >= 0.2 * n, (finer, n, held)


def test_no_verdict_on_the_union_caps_contradicts_the_true_ripples():
    """The evidence rule on the union test's caps: no verdict at any of the five distances
    may contradict the true ripple's, and the wavelength intervals hold the truth at the rate
    they claim. (Without the remnant's open upper ends, docs/texture.md s.7.40: 5
    contradicting verdicts and 70 of 85 intervals; the same caps at seeds +100 and +200, 6 and
    5, 75 of 85 and 75 of 95 drawn by index; with them 0, 100 of 100 and 110 of 110.)"""
    contradicting, held, n, finer = _union_caps()
    assert not contradicting, contradicting
    assert held / n >= 0.9, (held, n)


@pytest.mark.corpus
@pytest.mark.parametrize("index", [pytest.param(23, marks=pytest.mark.xfail(
    strict=True, reason="with the points drawn by key (docs/texture.md s.7.39) c23's ripple is "
    "read at 1.146 mm (true 1.352) and 2a 0.121 mm (true 0.221); its verdicts 5 pass and 5 "
    "undetermined, no MS101 failed: missed; found with the ladder started at the raw median edge (the "
    "rounded start moves it by up to 2.2 %), as drawn by index")), 30, 43])
def test_a_union_keeps_only_the_bias_its_members_share(corpus_dir, index):
    """Ripples injected into real meshes (the ground-truth suite's texture:c23, c30, c43:
    a 1.35 mm ripple on a dungeon floor, 46-73 mm ripples on a 1 m hemisphere) are read by
    regions 1.2-2.9x narrower than their verdicts need, and by their unions wide enough
    (docs/texture.md s.7.10). A union's interval keeps the terms its members share at the least
    of theirs (what all of them share is no more than the smallest; a member straddling the
    patch's edge has a jackknife of its own) and reads the members' band (the union's strongest
    band over its wider window is the ladder's coarsest, whose resolution is not this ripple's):
    each ripple is then found, and no verdict is unsupported. (c44 was a fourth until the
    truth read a host's relief on its facets, docs/accuracy.md: its ripple lies under the
    hemisphere's facet relief, and its verdicts are allowed, not required.)"""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import suite

    s = suite.evaluate_one(suite.Task("texture", index, "corpus", False, str(corpus_dir)))
    assert (s.found, s.defects, s.unsupported, s.range_violations) == (1, 1, 0, 0), s.notes


def test_a_fringe_is_compared_with_its_deeper_neighbour_on_their_final_intervals():
    """The ground-truth suite's texture:42: a 0.56 mm ripple, 2a 0.063 mm (over the resin
    layer), on a square patch of a slab. A 64-point region at the patch's corner reads the
    fade (0.34 mm, depth 0.005-0.024 mm) and said MS103, although a touching region reads the
    same wave at 0.062 mm. The margin rule compared them before the peak's sinusoid had set
    the deeper one's lower end (0.004 mm then, 0.019 after): not significantly deeper, so
    the fringe kept its own upper end. Compared on their final intervals (docs/texture.md
    s.7.41) the fringe's depth reaches its neighbour's reading and no verdict is unsupported."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import suite

    s = suite.evaluate_one(suite.parse_task("texture:42"))
    assert (s.unsupported, s.range_violations) == (0, 0), s.notes
    assert s.true_places >= 1, s.notes


def test_a_unions_amplitude_narrows_its_members_upper_ends():
    """The ground-truth suite's texture:4016: a 0.32 mm ripple 0.017 mm deep (2a) on an
    irregular mesh at 6 edges a wavelength, under the resin printer's 0.03 mm layer. Its three
    judged regions, ~3 wavelengths across, read it at 0.77-0.92 of its amplitude, and their
    depths' upper ends, 0.037-0.099 mm, were set by each region's own sampling (bootstrap and
    jackknife over 91-122 points): MS103 stayed open. They agree on the wave, so it is read
    again over their union (s.7.10), whose bootstrap pools their points while the terms every
    member shares (the ladder's resolution, the jackknife, the tilted fits) stay at the least
    of theirs, and whose upper end never falls below the largest amplitude the wave reaches
    on the union (its envelope, s.7.21): 0.0104 mm, so two members' depth upper ends fall to
    0.021 and 0.026 mm and MS103 is said (docs/texture.md s.7.22). Without the union's
    amplitude the ripple is missed."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import suite

    s = suite.evaluate_one(suite.parse_task("texture:4016"))
    assert (s.found, s.defects, s.unsupported, s.range_violations) == (1, 1, 0, 0), s.notes


@pytest.mark.xfail(strict=True, reason="with the points drawn by key (docs/texture.md s.7.39) "
                   "texture:1147's regions fall elsewhere: verdicts 3 pass and 2 undetermined, MS103 "
                   "not failed (wavelength read within 1.7 %, amplitude within 1.0 %): missed; found with "
                   "the ladder started at the raw median edge, as drawn by index. The mechanism "
                   "below is not traced on the new regions")
def test_a_members_envelope_is_read_at_its_unions_carrier():
    """The ground-truth suite's texture:1147 (an irregular ripple, 0.71 mm, 2a 0.021 mm, under
    a 0.03 mm resin layer): three regions 2.4-2.7 wavelengths across, their union's peak
    (0.717 mm, 4.4 wavelengths) significant against its ring and its ray. r10's own peak reads
    0.848 mm, and its envelope demodulated there overshoots (1.58 a), raising the depth's upper
    end from 0.029 mm (read across the union's cell, s.7.31) to 0.033 mm. Demodulated at the
    union's reading instead, 1.27 a (0.026 mm): the upper end stays 0.029 mm and MS103 is said
    (docs/texture.md s.7.32). Without it the ripple is missed."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import suite

    s = suite.evaluate_one(suite.parse_task("texture:1147"))
    assert (s.found, s.defects, s.unsupported, s.range_violations) == (1, 1, 0, 0), s.notes


def test_a_coarse_remainder_is_told_from_a_second_texture():
    """A second component coarser than the first whose wavelength interval overlaps the
    first's is the first wave's coarse remainder (measure._coarse_remainder); a finer one, a
    resolved one, or one beside no first reading stays a component of its own."""
    from miniscan.checks.texture.measure import _coarse_remainder

    lam = np.array([2.0, 0.8, 3.0, 2.0])
    lo, hi = lam / 1.5, lam * 1.5
    first = np.array([1.0, 1.0, 1.0, np.nan])
    got = _coarse_remainder(lam, lo, hi, first, first / 1.5, first * 1.5)
    assert got.tolist() == [True, False, False, False]


@pytest.mark.parametrize("index,most", [(148, 0.2), (144, 0.35)])
def test_a_single_ripples_coarse_remainder_is_not_read_as_a_second_texture(index, most):
    """The ground-truth suite's texture:148 and :144 (one ripple on a sliver-meshed slab patch)
    had a region's second component, read at 1.9-2.3x the wave with an interval overlapping
    its first component's, among the judged readings at the patch: the readings' median came
    out 1.69x and 1.44x the wavelength. What the first component's fit leaves of one wave sits
    at the coarse scales (a region straddling the patch's edge, a lattice whose fine scales
    under-read the wave): coarser than the first and not resolved from it, it is not judged
    (docs/texture.md s.7.15); the median now reads 1.11x and 1.28x."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from truth import suite

    s = suite.evaluate_one(suite.parse_task(f"texture:{index}"))
    assert s.errors["wavelength_mm"][0] < most, s.notes
    assert (s.found, s.unsupported) == (s.defects, 0), s.notes


def _rippled_slab(period=1.0, amp=0.05, n=300, length=30.0, width=10.0, height=2.0):
    """A closed 30 x 10 x 2 mm plank whose top carries ripples across its length (wood grain
    far too coarse for 1:56): a height-field grid on top, a flat one below, walls between."""
    x, y = np.linspace(0, length, n), np.linspace(0, width, n * int(width) // int(length))
    X, Y = np.meshgrid(x, y)
    top = np.c_[X.ravel(), Y.ravel(), (height + amp * np.sin(2 * np.pi * X / period)).ravel()]
    bot = np.c_[X.ravel(), Y.ravel(), np.zeros(X.size)]
    ny, nx = X.shape
    i = np.arange(nx * ny).reshape(ny, nx)
    a, b, c, d = i[:-1, :-1].ravel(), i[:-1, 1:].ravel(), i[1:, 1:].ravel(), i[1:, :-1].ravel()
    grid = np.r_[np.c_[a, b, c], np.c_[a, c, d]]
    loop = np.r_[i[0, :], i[1:, -1], i[-1, -2::-1], i[-2:0:-1, 0]]
    nxt, off = np.roll(loop, -1), len(top)
    # (the loop runs clockwise seen from above: each wall quad's two triangles face out as
    # written; trimesh's fix_normals gave the same faces in 14 s)
    walls = np.r_[np.c_[loop + off, nxt + off, loop], np.c_[nxt + off, nxt, loop]]
    return np.r_[top, bot], np.r_[grid, grid[:, ::-1] + off, walls]


def test_a_plank_turned_about_the_vertical_keeps_its_resolution_and_verdicts():
    """The estimator's resolution per band is calibrated on exact sinusoids across the ladder
    and its guards. A test wave past the coarse guard, its interior share a trace, was read as
    the band holding the plank's 1 mm grain (1.6 mm for 5.5 mm): that band's amplitude
    resolution went from 0.007 to 1.57 (ln 4.8) on the plank turned 90 degrees about z, and
    11 of its 12 MS101 verdicts went undetermined. A wave whose component peaks in a guard is
    no band's."""
    v, f = _rippled_slab()
    turn = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    cond = resolve("tabletop", material="wood")
    r0, r1 = run(v, f, cond), run(v @ turn.T, f, cond)
    a0 = np.asarray(r0.metrics["resolution"]["amplitude_log"])
    a1 = np.asarray(r1.metrics["resolution"]["amplitude_log"])
    assert np.all(a0 < math.log(1.5)) and np.all(a1 < math.log(1.5)), (a0, a1)
    v0, v1 = r0.metrics["verdicts"]["MS101"], r1.metrics["verdicts"]["MS101"]
    assert v0["fail"] >= 10 and v1["fail"] >= 10, (v0, v1)
