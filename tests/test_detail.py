"""The detail-spectrum kernel (analysis/detail/): power table, ladder, band solve, the
continuous wavelength fit, regions, and a rippled sheet measured like the theory."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from miniscan.analysis import Analysis, detail
from miniscan.model import from_arrays


def test_power_gain_is_a_high_pass():
    lam = np.geomspace(0.01, 100, 200)
    p = detail.power_gain(lam, 1.0)
    assert p[0] > 0.8        # much finer than sigma: all residual (and some aliasing)
    assert p[-1] < 1e-4      # much coarser: followed by the fitted base form
    coarse = lam > 1.5       # below ~1.5 sigma the aliasing wobbles; above it falls steadily
    assert np.all(np.diff(p[coarse]) <= 1e-9)
    assert detail.transfer(detail.HALF, 1.0) == pytest.approx(0.5, abs=0.02)


def test_power_table_is_what_the_fit_does():
    """A fresh simulation with other seeds agrees with the stored table in the band that
    decides wavelengths (sigma / lam 0.2..1.5), within its Monte-Carlo noise: the table is
    derived from the method, not tuned."""
    tilt = 2  # 30 degrees
    fresh = detail.simulate_power(60, seed=99, tilt_deg=detail.TILTS_DEG[tilt])
    sel = (detail.S_GRID >= 0.2) & (detail.S_GRID <= 1.5)
    rel = np.sqrt(fresh[-1, sel] / detail.POWER_TABLE[tilt, -1, sel])
    assert np.all(np.abs(rel - 1) < 0.15), rel


def test_a_sliver_lattice_reads_its_resolved_scales_as_the_table_does():
    """The fit simulated on the ground-truth suite's sliver patch lattice (cells 3 short edges
    long, alternating diagonals, sigma_0 the short edge), wave directions averaged: its finest
    windows, which span fewer rows than the table's regime, overshoot the table many times
    (`resolved_scales`), while the resolved scales (sigma / lam 0.3-0.5, the table's last
    row) read as the equilateral table does, within the Monte-Carlo noise, not the 0.3-0.8 the
    suite's sliver patches measure there (docs/texture.md 7.15: that under-read grows with the
    ripple's slope, on isotropic lattices too, which a linear gain cannot carry)."""
    sim = detail.simulate_power(30, seed=5, tilt_deg=0.0, jitter=0.0, aspect=3.0)
    table = detail.POWER_TABLE[0]
    fine = int(np.argmin(np.abs(detail.S_GRID - 0.12)))
    assert sim[1, fine] / table[1, fine] > 5.0
    sel = (detail.S_GRID >= 0.3) & (detail.S_GRID <= 0.5)
    rel = sim[-1, sel] / table[-1, sel]
    assert np.all((rel > 0.75) & (rel < 1.33)), rel


def test_the_steep_loss_table_is_what_the_fit_does_to_a_displaced_sheet():
    """The ladder's own chain on a sheet displaced by a wave of slope 1.7 (another seed and
    direction than the table's) keeps 0.3-0.6 of what the same chain keeps of a flat-height
    wave at sigma / lam 0.35-0.6, where the linear power table says 1, and STEEP_LOSS says the
    same within the Monte-Carlo noise; a shallow wave (slope 0.2) loses nothing. The points
    displaced by the wave are what the linear simulation (`simulate_power`) cannot see."""
    from miniscan.analysis.detail import steep_sim

    s, g0, kind = steep_sim._sheet_gain(9.0, steep_sim.FLAT_SLOPE, math.radians(45.0), 7, 300)
    sel = (kind >= 1) & (s >= 0.35) & (s <= 0.6)
    for slope, lo, hi in ((1.7, 0.25, 0.65), (0.2, 0.9, 1.1)):
        g = steep_sim._sheet_gain(9.0, slope, math.radians(45.0), 7, 300)[1]
        rel = g[sel] / g0[sel]
        assert np.all((rel > lo) & (rel < hi)), (slope, s[sel], rel)
        tab = detail.steep_loss(s[sel], slope)
        assert np.all(np.abs(np.log(rel / tab)) < math.log(1.35)), (slope, rel, tab)


@settings(max_examples=10, deadline=None)
@given(edge=st.floats(1e-3, 1.0), ratio=st.floats(20, 5000))
def test_ladder_geometric_and_bounded(edge, ratio):
    sig, lams = detail.ladder(edge, edge * ratio)
    assert len(sig) == len(lams) + 2 <= detail.MAX_LEVELS
    assert np.allclose(sig[1:] / sig[:-1], detail.RATIO)
    assert lams[0] >= 2 * edge  # never finer than the mesh holds
    sig2, lams2 = detail.ladder(edge * 8, edge * ratio * 8)  # scale-free
    assert np.allclose(lams2, 8 * lams)


def _design(sig, lams):
    guard = detail.guard_bands(lams)
    return np.stack([detail.power_gain(guard, s) for s in sig])


def test_band_energies_recover_a_known_spectrum():
    sig, lams = detail.ladder(0.01, 10.0)
    design = _design(sig, lams)
    p = np.zeros(design.shape[1])
    p[4], p[9] = 2e-6, 5e-5  # two bands
    got = detail.band_energies(design, (design @ p)[None, :])[0]
    assert got == pytest.approx(p, abs=1e-3 * p.max())


def _sheet(lam=1.0, amp=0.05, L=12.0, h=0.05, angle=0.5, z0=0.0):
    """A rippled flat sheet on a regular grid, lying in the plane z = z0."""
    n = int(L / h) + 1
    x, y = np.meshgrid(np.linspace(-L / 2, L / 2, n), np.linspace(-L / 2, L / 2, n), indexing="ij")
    u = math.cos(angle) * x + math.sin(angle) * y
    v = np.column_stack([x.ravel(), y.ravel(), z0 + (amp * np.cos(2 * np.pi * u / lam)).ravel()])
    i, j = np.meshgrid(np.arange(n - 1), np.arange(n - 1), indexing="ij")
    p = (i * n + j).ravel()
    f = np.concatenate([np.stack([p, p + n, p + 1], 1), np.stack([p + 1, p + n, p + n + 1], 1)])
    return v, f


@pytest.fixture(scope="module")
def sheet():
    v, f = _sheet()
    an = Analysis(from_arrays(v, f))
    return an, detail.spectrum(an)


def test_grid_aligned_ripple_measured_like_the_theory(sheet):
    """A sheet lying exactly on a grid plane (z = 0), on a regular grid mesh: the worst case
    for voxel point sets. Representatives are surface points, so the residual follows the
    simulated power gain at every scale, and the spectrum finds the ripple. The scales' mean
    follows the table within 10 %; one scale within 25 % (one configuration's scatter, as the
    tilted sheets': the top scale's windows are few and overlap. Over four directions and two
    samplings of the points the mean read 1.04-1.08 of the table, single scales 0.96-1.23)."""
    an, sp = sheet
    inner = (np.abs(sp.points[:, :2]) < 3.0).all(axis=1)
    rms = np.sqrt(np.nanmean(sp.residual[inner] ** 2, axis=0))
    W = sp.tilt[inner].mean(axis=0)[None]
    theory = 0.05 / math.sqrt(2) * np.sqrt(sp.power(np.ones(1), W)[0])
    coarse = sp.sigmas_mm >= 0.2  # where the ripple is passed (finer: faceting dominates)
    ratio = rms[coarse] / theory[coarse]
    assert 1 / 1.1 < math.exp(np.mean(np.log(ratio))) < 1.1, ratio
    assert np.all((ratio > 1 / 1.25) & (ratio < 1.25)), ratio
    E = sp.solve((rms ** 2)[None, :])[0]
    lam, amp = detail.component(E, sp.wavelengths_mm, int(np.argmax(E)))
    assert lam == pytest.approx(1.0, rel=0.25)
    assert float(np.sqrt(2 * E.sum())) == pytest.approx(0.05, rel=0.25)


def _tilted_sheet(normal, style, per_wave, seed, lam=1.0, amp=0.05, L=12.0):
    """A rippled sheet (ripple direction random) lying with the given normal, on an isotropic
    (equilateral), irregular (jittered by 0.3 edges, Delaunay) or sliver (3:1 cells) lattice."""
    from scipy.spatial import Delaunay

    rng = np.random.default_rng(seed)
    h = lam / per_wave
    hy = 3.0 * h if style == "sliver" else h * (math.sqrt(3) / 2 if style == "isotropic" else 1)
    j, i = np.meshgrid(np.arange(int(L / hy) + 1), np.arange(int(L / h) + 1), indexing="ij")
    shift = 0.5 * (j % 2) if style == "isotropic" else 0.0
    xy = np.stack([(i + shift) * h, j * hy], -1).reshape(-1, 2).astype(float) - L / 2
    if style == "irregular":
        xy += rng.uniform(-0.3, 0.3, xy.shape) * h
    ang = rng.uniform(0, np.pi)
    z = amp * np.cos(2 * np.pi * (xy @ [math.cos(ang), math.sin(ang)]) / lam + rng.uniform(0, 6))
    n = np.asarray(normal, float) / np.linalg.norm(normal)
    a = np.cross(n, [1.0, 0.0, 0.0] if abs(n[0]) < 0.9 else [0.0, 1.0, 0.0])
    a /= np.linalg.norm(a)
    t = rng.uniform(0, np.pi)  # the lattice's in-plane rotation
    a = a * math.cos(t) + np.cross(n, a) * math.sin(t)
    b = np.cross(n, a)
    v = xy[:, :1] * a + xy[:, 1:] * b + z[:, None] * n + rng.uniform(-1, 1, 3)
    frame = np.stack([a, b, n])
    return v, Delaunay(xy).simplices, lambda p: (np.abs((p - v.mean(0)) @ frame[:2].T) < L / 4).all(1)


@pytest.mark.parametrize("normal,style,per_wave,seed", [
    ((0.0, 1.0, 1.0), "irregular", 6, 1), ((1.0, 1.0, 1.0), "isotropic", 8, 2),
    ((0.2, 0.7, 0.7), "irregular", 11, 3), ((0.0, 1.0, 1.0), "sliver", 12, 4),
    ((0.0, 0.0, 1.0), "isotropic", 8, 5)])
def test_diagonal_sheets_follow_the_power_table(normal, style, per_wave, seed):
    """A rippled plane near 45 degrees to the voxel grid, or along its body diagonal, whose
    normals straddle the grid's diagonals: the thinned point sets must sample it as densely as
    any other plane (voxels split only across a thin part, never across a smooth surface's
    normal direction), so the residual's power follows the simulated table where the ripple
    is passed (sigma / lam 0.3..0.7), as on a plane lying in the grid (the last case).
    Splitting voxels by the normal's dominant axis gave ~0.55 of the table there."""
    v, f, inner = _tilted_sheet(normal, style, per_wave, seed)
    sp = detail.spectrum(Analysis(from_arrays(v, f)))
    sel = inner(sp.points)
    r2 = sp.residual[sel] ** 2
    ms = np.nansum(r2, axis=0) / np.maximum(np.isfinite(r2).sum(axis=0), 1) / (0.05 ** 2 / 2)
    table = sp.power(np.ones(1), sp.tilt[sel].mean(axis=0)[None])[0]
    mid = (sp.sigmas_mm >= 0.3) & (sp.sigmas_mm <= 0.7) & (np.asarray(sp.rows) >= 2)
    assert mid.sum() >= 2
    ratio = ms[mid] / table[mid]
    # one configuration (lattice, ripple direction, phase) scatters about the table by up to
    # ~25 % a scale (a plane lying on the grid, tilt 0, reads 0.9..1.2); the split gave 0.53-0.68
    assert 0.75 < math.exp(np.mean(np.log(ratio))) < 1.33, ratio


def test_crest_and_trough_share_a_region(sheet):
    """Regions are seeded and joined on the base surface (relief removed), so a sheet lying on
    the grid plane z = 0 is not split into crest-only and trough-only regions by a voxel
    boundary (which would make every region's relief one-signed). Judged regions only: a
    fragment under REGION_FLOOR cut off at the sheet's border (a strip a few tenths of a
    millimetre wide) can lie within one trough, and is not judged."""
    an, sp = sheet
    reg = detail.regions(sp)
    top = sp.residual[:, -1]
    ok = np.isfinite(top)
    up = np.bincount(reg.label[ok], weights=(top[ok] > 0), minlength=len(reg.count))
    n = np.bincount(reg.label[ok], minlength=len(reg.count))
    judged = (n >= 20) & (reg.count >= detail.REGION_FLOOR * detail.REGION_POINTS)
    assert judged.sum() >= 40
    share = up[judged] / n[judged]
    assert np.all((share > 0) & (share < 1))
    assert np.median(np.abs(share - 0.5)) < 0.2


def test_refine_finds_a_wave_between_bands(sheet):
    """The continuous fit recovers a wavelength between two band centres from exact mean
    squares (no band quantisation)."""
    an, sp = sheet
    reg = detail.regions(sp)
    rs = detail.region_spectra(sp, reg, detail.draws(sp, detail.BOOT_SALT))
    lams = sp.wavelengths_mm
    true = math.sqrt(lams[2] * lams[3]) * 1.07  # off-centre, between bands 2 and 3
    R = len(reg.count)
    ms = sp.power(np.full(R, true), rs.tilt) * 0.5 * 0.01 ** 2
    full = np.stack([detail.band_energies(rs.designs[i], ms[i][None])[0] for i in range(R)])
    j = np.argmax(full[:, 1:-1], axis=1)
    lam, amp, _, _ = detail.refine(sp, rs, ms, j)
    assert np.median(lam) == pytest.approx(true, rel=0.05)
    assert np.median(amp) == pytest.approx(0.01, rel=0.1)


WALK_SHEETS = ({}, {"angle": 0.2}, {"angle": 0.7, "L": 9.0})


@pytest.fixture(scope="module")
def walk_sheets(sheet):
    """The rippled sheet and two more (other directions, a smaller sheet), with their regions
    and region spectra: which region the walk trips on depends on where regions fall."""
    out = []
    for kw in WALK_SHEETS:
        sp = sheet[1] if not kw else detail.spectrum(Analysis(from_arrays(*_sheet(**kw))))
        reg = detail.regions(sp)
        out.append((sp, detail.region_spectra(sp, reg, detail.draws(sp, detail.BOOT_SALT))))
    return out


def _walk_misses(walk_sheets, start):
    """Regions (over the sheets) whose walk, started at band `start` (0 or the last), does not
    end within 5 % of a wave between the middle bands, or misreads its amplitude by 10 %."""
    misses = 0
    for sp, rs in walk_sheets:
        lams = sp.wavelengths_mm
        J, R = len(lams), len(rs.tilt)
        true = math.sqrt(lams[J // 2] * lams[J // 2 + 1])
        ms = sp.power(np.full(R, true), rs.tilt) * 0.5 * 0.01 ** 2
        j0 = np.full(R, 0 if start == 0 else J - 1)
        assert abs(j0[0] - J // 2) >= 2
        lam, amp, cens, _ = detail.refine(sp, rs, np.stack([ms, ms]), j0)
        bad = (np.abs(lam / true - 1) >= 0.05) | (np.abs(amp / 0.01 - 1) >= 0.1) | cens
        misses += int(bad.any(axis=0).sum())
    return misses


@pytest.mark.xfail(strict=True, reason="refine's walk stops at an interior least misfit whose "
                   "component holds a few % of the energy while the coarser (or finer) term "
                   "carries the wave, on regions by a sheet's open edge: from the first band 2 "
                   "of the 76 regions of the sheet at angle 0.2 and 7 of the 42 of the 9 mm "
                   "sheet at 0.7; from the last, 1 of the 78 at angle 0.5 (and 3 of 76 at 0.9, "
                   "not in the test); since the form rule's lookup goes past the ladder's top")
@pytest.mark.parametrize("start", [0, "last"])
def test_refine_walks_to_a_wave_outside_its_first_window(walk_sheets, start):
    """A least misfit at an end of the fitting window is not a measurement: started two or
    more bands away from the wave (a peak band misread by the band solve), the fit still finds
    it, for every region and replicate of three sheets."""
    assert _walk_misses(walk_sheets, start) == 0


def test_tilt_weights_interpolate():
    n = np.array([[0, 0, 1.0], [0.5, 0.5, math.sqrt(0.5)], [1, 1, 1.0]])
    w = detail.tilt_weights(n / np.linalg.norm(n, axis=1, keepdims=True))
    assert w.sum(axis=1) == pytest.approx(1.0)
    assert w[0, 0] == 1.0 and w[2, -1] == pytest.approx(1.0, abs=1e-6)


def _random_discs(rng, n, discs):
    """(label, radius, xy, wave direction) of n uniform random points on each of `discs` discs
    of random size (0.5-4 mm radius), per point."""
    lab = np.repeat(np.arange(discs), n)
    radius = np.repeat(rng.uniform(0.5, 4.0, discs), n)
    ang, rr = rng.uniform(0, 2 * np.pi, n * discs), np.sqrt(rng.uniform(0, 1, n * discs))
    xy = np.stack([np.cos(ang), np.sin(ang)]) * rr * radius
    return lab, radius, xy, np.repeat(rng.uniform(0, 2 * np.pi, discs), n)


def test_a_clipped_energy_plane_finds_where_the_relief_is():
    """detail._clipped_plane, the relief's concentration g = mean(e^2) / mean(e)^2 read from a
    plane of energy clipped at zero (docs/texture.md section 7.5), on random points of discs of
    any size and orientation: relief spread evenly (a sinusoid's r^2, phase and direction
    random) reads ~1; relief past a straight edge through a disc reads ~1 / (its share), the
    plane's known shortfall apart (on a continuous disc 1.76 for half, 4.5 for a fifth, where 2
    and 5 are true; on 96 points of a sinusoid's energy ~1.7 and ~3.7)."""
    rng = np.random.default_rng(7)
    n, discs = 96, 40
    lab, radius, xy, k = _random_discs(rng, n, discs)
    lam = radius / 1.5  # a disc three wavelengths across
    wave = np.sin(2 * np.pi * (xy[0] * np.cos(k) + xy[1] * np.sin(k)) / lam
                  + np.repeat(rng.uniform(0, 6, discs), n)) ** 2
    along = xy[0] * np.cos(k + 1.0) + xy[1] * np.sin(k + 1.0)  # the edge's normal
    W = np.ones((1, n * discs))
    even = detail._clipped_plane(lab, discs, xy, wave, W)[0]
    assert np.median(even) == pytest.approx(1.0, abs=0.08), np.round(even, 2)
    for cut, share, lo, hi in ((0.0, 0.5, 1.5, 2.1), (0.5, 0.2, 3.0, 5.5)):
        half = detail._clipped_plane(lab, discs, xy, wave * (along > cut * radius), W)[0]
        assert lo <= np.median(half) <= hi, (share, np.round(half, 2))


def test_rows_constant_is_the_simulated_lattices():
    """ROWS_SIM is the power table's own lattice (jittered SIM_JITTER edges) measured again with
    another seed; an unjittered equilateral lattice gives 1 / (sqrt 3 / 2) exactly."""
    assert detail.sim_rows(detail.SIM_JITTER, seed=7) == pytest.approx(detail.ROWS_SIM, rel=0.01)
    assert detail.sim_rows(0.0) == pytest.approx(2.0 / math.sqrt(3.0), rel=1e-9)
    assert detail.sim_rows(0.3) < detail.ROWS_SIM  # a rougher lattice: its rows further apart


@pytest.mark.parametrize("shape,seed", [("box", 0), ("box", 1), ("pyramid", 2), ("pyramid", 3)])
def test_lines_of_crease_stay_form_at_every_scale(shape, seed):
    """A crease vertex counts as relief only where a window holds a field of them (a steep
    ripple's crests: detail._crease_lines); a box's edges and corners (at most 1.5 lines through
    any window) and a square pyramid's apex (four faces: 2 lines) stay form: every window that
    reaches one is unmeasured at every scale, on subdivided meshes at random poses."""
    import trimesh
    from scipy.spatial import cKDTree
    from scipy.spatial.transform import Rotation

    rng = np.random.default_rng(seed)
    if shape == "box":
        mesh = trimesh.creation.box(rng.uniform(4.0, 12.0, 3))
    else:
        base, h = rng.uniform(5.0, 10.0), rng.uniform(3.0, 8.0)
        mesh = trimesh.Trimesh([[0, 0, 0], [base, 0, 0], [base, base, 0], [0, base, 0],
                                [base / 2, base / 2, h]],
                               [[0, 2, 1], [0, 3, 2], [0, 1, 4], [1, 2, 4], [2, 3, 4], [3, 0, 4]])
    for _ in range(4):
        mesh = mesh.subdivide()
    v = mesh.vertices @ Rotation.random(random_state=seed).as_matrix().T
    an = Analysis(from_arrays(v, mesh.faces))
    sp = detail.compute(an)
    cp = detail._crease_points(an)[0]
    assert len(cp) > 0
    d = cKDTree(cp).query(sp.points)[0]
    for k, s in enumerate(sp.sigmas_mm):
        near = d <= detail.SUPPORT * s
        assert not np.isfinite(sp.residual[near, k]).any(), (k, int(near.sum()))


@pytest.mark.parametrize("lam,slope,seed", [(0.3, 1.3, 0), (0.3, 1.3, 7)])
def test_a_steep_sliver_ripples_sparse_crests_are_a_field_not_form(lam, slope, seed):
    """A steep ripple meshed in slivers (cells lam/4 along the wave, lam/12 across, as the
    ground-truth suite's patches) turns its faces past CREASE_DEG at a few vertices of each
    crest and trough only: too little line for CREASE_LINES, so every window reaching one was
    masked as form and the plateau scale (sigma ~0.9 lam) read a third of the core (ground
    truth texture:5000, 1119). Its crease vertices fold about one axis, crests and troughs
    both, and the fit over them lets go coarser (`detail._crease_lines`): the plateau scale
    measures the whole core."""
    from procedural_texture import sliver_ripple

    v, f, inner_of = sliver_ripple(lam, slope, seed)
    an = Analysis(from_arrays(v, f))
    sp = detail.compute(an)
    inner = inner_of(sp.points)
    k = int(np.argmin(np.abs(np.log(sp.sigmas_mm / (0.9 * lam)))))
    assert len(detail._crease_points(an)[0]) > 0.1 * len(v)  # the premise: crests crease
    assert np.isfinite(sp.residual[inner, k]).mean() > 0.9


def test_the_crease_field_axial_test_holds_its_false_alarm_on_vertex_noise(monkeypatch):
    """Sheets of vertex noise (4 000 random vertices on a 6 mm square, heights of standard
    deviation 0.025 mm) crease at a quarter of their vertices, in runs joined by edges whose
    fold axes are alike (neighbours share faces). Counting cells of the window as the axial
    test's independent units passed it in 2-8 % of the noise's crease windows; counting the
    runs (`relief._crease_runs`) holds it to its FALSE_ALARM."""
    from scipy.spatial import Delaunay

    from miniscan.analysis.detail import relief

    seen = []
    real = relief._parallel

    def spy(*args):
        out = real(*args)
        seen.append(out)
        return out

    monkeypatch.setattr(relief, "_parallel", spy)
    for seed in range(2):
        rng = np.random.default_rng(seed)
        xy = rng.uniform(0.0, 6.0, (4000, 2))
        v = np.column_stack([xy, rng.normal(0.0, 0.025, len(xy))])
        detail.compute(Analysis(from_arrays(v, Delaunay(xy).simplices)))
    passed = np.concatenate(seen)
    assert len(passed) > 10000  # the premise: the test is asked in many windows
    assert passed.mean() <= detail.FALSE_ALARM, passed.mean()


@pytest.mark.parametrize("seed,beta", [(1, 2.0), (1, 3.0)])
def test_folds_claim_no_spectral_peak_along_their_own_ray(seed, beta):
    """Relief whose power runs along one direction (folds, ridges) has all of it on one ray
    through the origin, which the ring's median (an isotropic reference) cannot see: the
    ring's test claims a peak in most regions. Against the level along the peak's own ray
    (`peak._ray_false_alarm`) the claims fall to the nominal level (docs/texture.md s.7.20),
    where the ray holds the pairs of ordinates to read it, and no region claims one where it
    does not."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from texture_peak_null import fold_sheet

    from miniscan.checks import texture
    from miniscan.conditions import resolve

    v, f = fold_sheet(beta, "isotropic", seed)
    m = from_arrays(v, f)
    an = Analysis(m)
    res = texture.run(m, resolve("tabletop", printer="resin"), an)
    reg = res.layers.reg
    rr = np.arange(len(reg.count))
    lam, lo, hi, fap, ray, _ = detail.peak_wavelengths(an, res.layers.sp, reg, rr,
                                                       np.full(len(rr), np.inf))
    with np.errstate(invalid="ignore"):
        ring = fap < detail.FALSE_ALARM
        both = ring & (ray < detail.FALSE_ALARM)
    assert ring.sum() > len(rr) / 2, (ring.sum(), len(rr))  # the premise
    assert np.isfinite(ray).sum() >= 10, np.isfinite(ray).sum()
    assert both.sum() <= 1, (both.sum(), ray[np.isfinite(ray)])


def test_an_envelope_read_again_along_the_peaks_wavevector_is_the_peaks_own(sheet):
    """`carrier_envelopes` demodulates a region's heights along the wavevector its own spectral
    peak read (`peak_wavelengths`' wave rows, in the region's frame), without reading the
    periodogram again (docs/texture.md s.7.32): at the peak's own wavelength it is the peak
    reading's envelope, and the wavevector is the peak's (1 / |k| its wavelength)."""
    an, sp = sheet
    reg = detail.regions(sp)
    rr = np.arange(0, len(reg.count), 7)[:6]
    got = detail.peak_wavelengths(an, sp, reg, rr, np.full(len(rr), 4.0), wave=True)
    lam, env, k = got[0], got[5], got[6:8]
    ok = np.isfinite(env)
    assert ok.sum() >= 3, env
    assert 1.0 / np.hypot(*k[:, ok]) == pytest.approx(lam[ok], rel=1e-12)
    again = detail.carrier_envelopes(an, sp, reg, rr, k, lam)
    assert again[ok] == pytest.approx(env[ok], rel=1e-9)
    assert np.isnan(again[~ok]).all()


def _disc_read(rng, h_of, D, lam_max, step=0.1):
    """One region's peak reading (`peak._read`) over a jittered grid of points, step mm apart,
    filling a disc D mm across, its heights h_of(X)."""
    from miniscan.analysis.detail import peak

    g = np.arange(-D / 2, D / 2 + step / 2, step)
    X = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
    X = X + rng.uniform(-0.3, 0.3, X.shape) * step
    X = X[np.hypot(*X.T) <= D / 2]
    P = np.column_stack([X, h_of(X)])
    return peak._read(P, np.full(len(X), step * step), np.array([0.0, 0.0, 1.0]),
                      math.pi * D * D / 4, step * math.sqrt(2.0), lam_max, envelope=False)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_ray_reads_its_level_below_the_texture_band(seed):
    """A wave just inside the texture band's long end (lambda_max 1.15 lambda) on a region 6
    wavelengths across: the band's low end 1/lambda_max lies within one main lobe under the
    peak, so no pair of the ray's ordinates fits inside the band, but the region holds its
    ray down to its own lowest cell, 1/D, where the level is read (docs/texture.md s.7.31):
    the wave claims against its ray. Relief along one direction with a red spectrum (a fold),
    read the same way, does not (its pairs' mean holds the peak's level)."""
    rng = np.random.default_rng(seed)
    D, lam = 6.0, 1.0
    u = np.array([math.cos(seed + 0.3), math.sin(seed + 0.3)])
    wave = _disc_read(rng, lambda X: 0.01 * np.cos(2 * np.pi * (X @ u) / lam + seed)
                      + 0.003 * rng.normal(size=len(X)), D, 1.15 * lam)
    assert abs(wave[0] / lam - 1) < 0.02 and wave[3] < detail.FALSE_ALARM, wave
    assert wave[4] < detail.FALSE_ALARM, wave  # NaN (unread) with the band's low end alone
    f = np.arange(1, 200) / (1.5 * D)
    amp, ph = f ** -1.0 * rng.rayleigh(size=len(f)), rng.uniform(0, 2 * np.pi, len(f))
    fold = _disc_read(rng, lambda X: 0.01 * np.cos(2 * np.pi * np.outer(X @ u, f) + ph) @ amp
                      / np.abs(amp).sum(), D, 1.15 * lam)
    assert np.isfinite(fold[4]) and not fold[4] < detail.FALSE_ALARM, fold


def _direct_gls(X, z, w, K):
    """The generalised Lomb-Scargle periodogram summed directly, one cosine and sine per
    vertex and wavevector (Zechmeister & Kuerster 2009, eqs. 5-20): the reference."""
    th = 2.0 * np.pi * (X @ K.T)
    c, s = np.cos(th), np.sin(th)
    Y = w @ z
    YY = w @ (z * z) - Y * Y
    C, S = w @ c, w @ s
    YC, YS = (w * z) @ c - Y * C, (w * z) @ s - Y * S
    CC, SS = w @ (c * c) - C * C, w @ (s * s) - S * S
    CS = w @ (c * s) - C * S
    D = CC * SS - CS ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        return (SS * YC ** 2 + CC * YS ** 2 - 2 * CS * YC * YS) / (YY * D), D


@settings(max_examples=25, deadline=None)
@given(n=st.integers(20, 400), nx=st.integers(1, 24), ny=st.integers(1, 13),
       span=st.floats(0.5, 40.0), step=st.floats(0.02, 2.0),
       k0=st.tuples(st.floats(-5.0, 5.0), st.floats(-5.0, 5.0)), seed=st.integers(0, 2 ** 16))
def test_the_periodogram_grid_is_the_direct_sum(n, nx, ny, span, step, k0, seed):
    """`peak._gls_grid` reads the periodogram over a wavevector grid through non-uniform FFTs
    (points folded into one period, offsets carried in phases, odd and even grids): at every
    node it equals the direct sum within 1e-9, for points spanning up to 80 periods of the
    grid's step and grids not centred on zero."""
    from miniscan.analysis.detail import peak

    rng = np.random.default_rng(seed)
    X = rng.uniform(-span / 2, span / 2, (n, 2))
    z = rng.standard_normal(n) + np.sin(2 * np.pi * X @ np.array(k0))
    w = rng.uniform(0.5, 1.5, n)
    w /= w.sum()
    got = peak._gls_grid(X, z, w, k0, step, nx, ny)
    KX, KY = np.meshgrid(k0[0] + step * np.arange(nx), k0[1] + step * np.arange(ny))
    want = _direct_gls(X, z, w, np.stack([KX.ravel(), KY.ravel()], 1))[0].reshape(ny, nx)
    ok = np.hypot(KX, KY) * span >= 1.0  # the band a region is read over: a wave or more across
    assert got.shape == (ny, nx)
    # a wrong phase or fold is an error of order one; the transform's own is ~1e-9 here (few
    # points, so its tolerance relative to their sum is amplified by the variance's ratios)
    np.testing.assert_allclose(got[ok], want[ok], rtol=0, atol=1e-7)


def test_a_patchs_edge_across_a_region_reads_the_patchs_amplitude_not_the_fits_overshoot():
    """A wave that stops at a straight edge across the region (a patch's edge: a step of the
    amplitude) is fitted by the envelope's quadric coefficients overshooting at the outline
    (1.24-1.53 of the amplitude on these six, as least squares fits a step); bounded at each
    vertex by the largest height over the base form within half a wavelength
    (`peak._envelope_peak`, docs/texture.md s.7.21; points, not a mesh: no edge's share), it
    reads 1.01-1.11."""
    from miniscan.analysis.detail import peak

    lam, a = 0.8, 0.015
    got = []
    for seed in range(6):
        rng = np.random.default_rng(seed)
        X = rng.uniform(-1.4, 1.4, (2000, 2))
        X = X[np.hypot(*X.T) <= 1.4]
        ang = rng.uniform(0, np.pi)
        k1 = np.array([np.cos(ang), np.sin(ang)]) / lam
        on = X[:, 0] < rng.uniform(-0.4, 0.4)
        h = np.where(on, a, 0.0) * np.sin(2 * np.pi * X @ k1 + rng.uniform(0, 6))
        x, y = X.T
        A = np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], 1)
        got.append(peak._envelope_peak(X, h, A, np.full(len(x), len(x) ** -0.5), k1) / a)
    assert 0.95 <= min(got) and max(got) <= 1.15, np.round(got, 3)


def _sliver_lattice(lam, span):
    """The vertices of a sliver patch's lattice, cells lam / 4 along the long side by lam / 12
    across (the grammar's sliver style), within a disc of radius span."""
    g = np.arange(-span, span + 1e-9, lam / 4), np.arange(-span, span + 1e-9, lam / 12)
    X = np.stack([m.ravel() for m in np.meshgrid(*g)], 1)
    return X[np.hypot(*X.T) <= span]


def test_the_crest_share_holds_the_wave_at_its_worst_phase_and_reads_the_gap_along_the_wave():
    """`crest.crest_share` (docs/texture.md s.7.35): along the long side of a sliver lattice the
    folded gap is the long side, lam / 4 (cos(pi / 4) = 0.707, where the faces' longest edge,
    the cell's diagonal 0.26 lam, gave 0.685); oblique to it the rows fill each other's gaps and
    the share is over 0.9. At every phase the largest height of each vertex's half-wavelength
    disc holds at least that share of the crest."""
    from scipy.spatial import cKDTree

    from miniscan.analysis.detail.crest import crest_share

    lam = 0.8
    X = _sliver_lattice(lam, 1.5)
    inner = np.hypot(*X.T) <= 0.5
    assert np.allclose(crest_share(X, np.array([1.0, 0.0]), lam, 0.26 * lam)[inner], 0.7071,
                       atol=1e-3)
    tree = cKDTree(X)
    disc = tree.query_ball_point(X[inner], 0.5 * lam)
    for ang in (0.0, 0.2, 0.5, 0.8, 1.2, np.pi / 2):
        u = np.array([np.cos(ang), np.sin(ang)])
        share = crest_share(X, u, lam, 0.26 * lam)
        if ang >= 0.5:
            assert share[inner].min() > 0.9, (ang, share[inner].min())
        for ph in np.linspace(0, 2 * np.pi, 13):
            wave = np.abs(np.cos(2 * np.pi * X @ u / lam + ph))
            held = np.array([wave[d].max() for d in disc])
            assert np.all(held >= share[inner] - 1e-9), (ang, ph)


@pytest.mark.parametrize("n,side,crowd,seed", [(400, 3.0, 0.0, 1), (900, 2.0, 0.0, 2),
                                               (900, 30.0, 0.3, 4), (70_000, 400.0, 0.0, 3)])
def test_the_crest_share_is_the_largest_folded_gap_of_each_vertexs_disc(n, side, crowd, seed):
    """`crest.crest_share` against its definition read one vertex at a time: cos(pi g / lam),
    g the largest gap between the disc's positions along the wave folded modulo lam / 2, the
    gap across the fold included. Random points, a quarter of them moved onto a lattice (equal
    positions: ties in the sort); a ninth crowded into a corner among sparse ones (ordered
    over all pairs, not disc by disc), and more than 2^16 vertices. Read at some vertices
    only, the shares are the same numbers."""
    from scipy.spatial import cKDTree

    from miniscan.analysis.detail.crest import crest_share

    rng = np.random.default_rng(seed)
    X = rng.uniform(0.0, side, (n, 2))
    X[: n // 4] = np.round(X[: n // 4] * 4.0) / 4.0
    if crowd:
        X[n // 4: n // 4 + n // 9] = rng.uniform(0.0, crowd, (n // 9, 2))
    lam, u = 0.7, np.array([np.cos(0.3), np.sin(0.3)])
    share = crest_share(X, u, lam)
    t = X @ u
    pick = rng.choice(n, 300, replace=False)
    for i, disc in zip(pick, cKDTree(X).query_ball_point(X[pick], lam / 2)):
        f = np.sort(np.mod(t[disc] - t[i], lam / 2))
        g = max(np.diff(f).max(initial=0.0), f[0] + lam / 2 - f[-1])
        assert share[i] == pytest.approx(np.cos(np.pi * min(g, lam / 2) / lam), abs=1e-12), i
    # only some vertices' shares (the envelope's bound asks for those it needs): the same
    assert np.array_equal(crest_share(X, u, lam, centres=pick), share[pick])


def test_a_patchs_edge_on_a_sliver_lattice_oblique_to_the_wave_reads_the_patchs_amplitude():
    """A wave stopping at a straight edge across a sliver lattice, oblique to its long side: the
    envelope's overshoot at the outline is bounded by the heights over the crest's share their
    vertices hold along the wave (s.7.35), not the faces' longest edge's cos(0.26 pi) = 0.685,
    which let 1.07-1.48 of the amplitude through on these six; it reads 1.03-1.06."""
    from miniscan.analysis.detail import peak

    lam, a = 0.8, 0.015
    X = _sliver_lattice(lam, 1.4)
    x, y = X.T
    A = np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], 1)
    got = []
    for seed in range(6):
        rng = np.random.default_rng(seed)
        ang = rng.uniform(0.5, np.pi - 0.5)
        k1 = np.array([np.cos(ang), np.sin(ang)]) / lam
        on = x < rng.uniform(-0.4, 0.4)
        h = np.where(on, a, 0.0) * np.sin(2 * np.pi * X @ k1 + rng.uniform(0, 6))
        got.append(peak._envelope_peak(X, h, A, np.full(len(x), len(x) ** -0.5), k1,
                                       0.26 * lam) / a)
    assert 0.95 <= min(got) and max(got) <= 1.15, np.round(got, 3)


def test_a_polygon_fanned_over_a_cubes_corners_is_measured_not_an_internal_error():
    """One OBJ face of 200 corners cycling over a cube's 8 vertices, fanned into 198
    triangles: many are degenerate, and crease lines of no length made a crease field cell
    of zero weight whose middle was 0/0, so the texture family failed on NaN
    (`relief._crease_lines`). A cell of no weight now sits at its points' plain middle."""
    from miniscan.checks import texture
    from miniscan.conditions import resolve

    cube = np.array([(0, 0, 0), (10, 0, 0), (10, 10, 0), (0, 10, 0), (0, 0, 10), (10, 0, 10),
                     (10, 10, 10), (0, 10, 10)], float)
    ring = np.arange(200) % 8
    faces = np.column_stack([np.zeros(198, int), ring[1:-1], ring[2:]])
    m = from_arrays(cube, faces)
    res = texture.run(m, resolve("tabletop"), Analysis(m))
    assert res.status == "ok", res.reason



def _reach_case(u, valid, c, R=1, reach=None):
    """_crease_reach on one region of points with relief u (N,) separable across scales
    (r2 = c_k u), each scale measured where valid (N, K) is True and, where not, masked by a
    crease's reach (reach: default every masked window)."""
    from miniscan.analysis.detail.spectra import _crease_reach

    N, K = valid.shape
    lab = np.zeros(N, np.int64)
    r2 = np.where(valid, np.outer(u, c), 0.0)
    W = np.random.default_rng(0).poisson(1.0, size=(detail.BOOTSTRAP, N)).astype(float)
    return _crease_reach(lab, R, valid, ~valid if reach is None else reach, r2, W)


def test_a_coarse_scale_measured_on_the_relief_half_reads_the_whole_region():
    """A region half relief, half plain surface, its coarsest scale measured only on the relief
    half (its windows reach a crease past the plain half): read alone that scale holds twice
    the region's mean square, and a fit across the scales reads a wavelength no surface has
    (texture:20003 of the ground-truth suite). Each masked window takes its point's own energy
    at the next finer scale times the region's ratio of the two scales: the plain half stays
    plain, and the scale reads the region's, exactly half the relief half's."""
    rng = np.random.default_rng(3)
    u = np.r_[rng.uniform(0.5, 1.5, 50), np.zeros(50)]
    valid = np.ones((100, 3), bool)
    valid[50:, 2] = False
    c = np.array([0.1, 0.4, 1.0])
    filled, ms, boot = _reach_case(u, valid, c)
    assert np.allclose(filled[50:, 2], 0.0)
    assert ms[0] == pytest.approx(c * u.mean())
    assert np.allclose(boot[:, 0, 2] / boot[:, 0, 1], c[2] / c[1])


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 6), st.floats(0.3, 1.0))
def test_every_scale_describes_one_surface_whichever_windows_reached_a_crease(seed, K, keep):
    """Relief of any layout over a region, separable across scales (r2 = c_k u): whichever of
    its points' windows reach a crease at each coarser scale (more at each, as windows grow),
    the mean squares keep the scales' true proportions c_k / c_j (what the wavelength fit
    reads), where read only where measured they carry each subset's share of the relief."""
    rng = np.random.default_rng(seed)
    N = 120
    u = rng.gamma(0.5, size=N) * (rng.random(N) < rng.uniform(0.2, 1.0))
    u[0] = 1.0  # some relief on the points every scale measures
    c = np.cumsum(rng.uniform(0.1, 1.0, K))
    valid = np.ones((N, K), bool)
    for k in range(1, K):
        valid[:, k] = valid[:, k - 1] & ((rng.random(N) < keep) | (np.arange(N) == 0))
    _, ms, _ = _reach_case(u, valid, c)
    ratio = ms[0] / c
    assert np.allclose(ratio, ratio[0], rtol=1e-9)


def test_windows_masked_for_what_the_relief_is_are_not_filled():
    """A window masked because the relief bends like form there (a steep crest), not because
    it reached one of the model's creases, stays out of the mean square: filling it would
    undo the mask."""
    u = np.r_[np.ones(50), np.full(50, 4.0)]
    valid = np.ones((100, 2), bool)
    valid[50:, 1] = False
    filled, ms, _ = _reach_case(u, valid, np.array([1.0, 2.0]), reach=np.zeros((100, 2), bool))
    assert np.isnan(filled[50:, 1]).all()
    assert ms[0, 1] == pytest.approx(2.0)  # the measured half's own


def test_a_plateau_scale_filled_at_a_crease_gives_the_regions_concentration():
    """A region whose plateau scale was measured only on the half holding the relief: on that
    half alone the relief looks even (g ~1), though the region's mean square, filled where
    the windows reached a crease, is diluted by half. Read from the same filled energies
    (RegionSpectra.filled), the concentration is about 1 / the relief's share, as relief past
    an edge through a fully measured region reads."""
    rng = np.random.default_rng(11)
    n, discs = 96, 40
    lab, radius, xy, k = _random_discs(rng, n, discs)
    wave = np.sin(2 * np.pi * (xy[0] * np.cos(k) + xy[1] * np.sin(k)) / (radius / 1.5)) ** 2
    relief = xy[0] * np.cos(k + 1.0) + xy[1] * np.sin(k + 1.0) > 0
    valid = np.ones((n * discs, 2), bool)
    valid[~relief, 1] = False
    from miniscan.analysis.detail.spectra import _crease_reach

    r2 = np.outer(np.where(relief, wave, 0.0), [0.3, 1.0])
    W = np.ones((detail.BOOTSTRAP, n * discs))
    filled, _, _ = _crease_reach(lab, discs, valid, ~valid, np.where(valid, r2, 0.0), W)
    one = np.ones((1, n * discs))
    alone = detail._clipped_plane(lab, discs, xy, np.where(relief, r2[:, 1], 0.0), one * relief)[0]
    whole = detail._clipped_plane(lab, discs, xy, filled[:, 1], one)[0]
    assert np.median(alone) == pytest.approx(1.0, abs=0.1), np.round(alone, 2)
    assert 1.5 <= np.median(whole) <= 2.1, np.round(whole, 2)


# --------------------------------------------------------------------------- planes


def _split(v, f, times, face_index=None):
    import trimesh

    for _ in range(times):
        v, f = trimesh.remesh.subdivide(v, f, face_index=face_index)
        face_index = None
    return np.asarray(v), np.asarray(f)


def _plane_sizes(v, f):
    from miniscan.analysis.detail.planes import plane_sizes

    an = Analysis(from_arrays(v, f))
    tri = v[f]
    longest = np.linalg.norm(tri - tri[:, [1, 2, 0]], axis=2).max(axis=1)
    return plane_sizes(an, np.arange(len(f)), longest), longest


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 3), st.floats(0.0, 300.0),
       st.floats(0.5, 10.0))
def test_a_split_facet_reads_the_facets_size(seed, times, offset, radius):
    """planes.plane_sizes: a low-poly sphere (80 facets folding ~20 deg, at a random rotation
    and place) whose facets are each split into 4^times coplanar triangles reads every small
    triangle at about its facet's longest edge (its own, capped at its neighbours' geometric
    mean: the facets differ by up to ~15 %), also where the file stored it in float32 far
    from the origin (its triangles then fold by the rounding)."""
    import trimesh
    from scipy.spatial.transform import Rotation

    m = trimesh.creation.icosphere(subdivisions=1, radius=radius)
    R = Rotation.random(random_state=seed % 2**32).as_matrix()
    v0, f0 = np.asarray(m.vertices) @ R.T + offset, np.asarray(m.faces)
    whole = _plane_sizes(v0, f0)[1]  # each facet's longest edge
    v, f = _split(v0, f0, times)
    v = v.astype(np.float32).astype(np.float64)
    size, longest = _plane_sizes(v, f)
    facet = np.repeat(whole, 4 ** times)  # subdivide keeps each facet's children together
    assert np.all(longest <= facet * (1 + 1e-3) / 2 ** times)  # (float32: ~1e-5 at 300 mm)
    assert np.all(size <= facet * (1 + 1e-3)) and np.all(size >= 0.85 * facet)


def test_a_plane_bounded_by_creases_or_relief_keeps_its_triangles_size():
    """A facet counts only among facets: a box's split sides meet their neighbours at 90 deg
    creases, and a flat sheet's plane meets a finely meshed bump; neither is a facet of a
    curved form, so their triangles keep about their own size."""
    import trimesh

    box = trimesh.creation.box(extents=(3.0, 2.0, 1.0))
    v, f = _split(np.asarray(box.vertices), np.asarray(box.faces), 3)
    size, longest = _plane_sizes(v, f)
    np.testing.assert_array_equal(size, longest)
    x, y = np.meshgrid(np.linspace(-4, 4, 81), np.linspace(-4, 4, 81), indexing="ij")
    z = 0.05 * np.exp(-(x * x + y * y) / 0.5)
    z[np.abs(z) < 1e-4] = 0.0  # the sheet is flat but for the bump
    idx = np.arange(x.size).reshape(x.shape)
    a, b, c, d = idx[:-1, :-1].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel(), \
        idx[:-1, 1:].ravel()
    f = np.concatenate([np.stack([a, b, c], 1), np.stack([a, c, d], 1)])
    v = np.column_stack([x.ravel(), y.ravel(), z.ravel()])
    size, longest = _plane_sizes(v, f)
    # (the sheet is 11 mm across; the small planes where the bump meets it, a few cells
    # coplanar, read their own chords, at most ~2 cells)
    assert size.max() <= 3.0 * longest.max()


def test_a_curved_surface_is_no_plane():
    """A fine sphere's triangles fold by its curvature times their size (1.4 mm radius, 0.03
    mm triangles: ~0.02 rad), far above the file's rounding: each is its own facet."""
    import trimesh

    m = trimesh.creation.icosphere(subdivisions=6, radius=1.4)
    v, f = np.asarray(m.vertices), np.asarray(m.faces)
    size, longest = _plane_sizes(v, f)
    np.testing.assert_array_equal(size, longest)


def test_a_partly_split_facet_beside_whole_ones():
    """An octahedron whose top facets alone were split (as a refinement around a detail
    does): the split facets' triangles read their facet's size, the whole facets their own
    longest edge, which is the same."""
    import trimesh

    m = trimesh.creation.icosphere(subdivisions=0, radius=5.0)
    v, f = np.asarray(m.vertices), np.asarray(m.faces)
    top = np.flatnonzero(v[f].mean(axis=1)[:, 2] > 0)
    v2, f2 = _split(v, f, 3, face_index=top)
    size, longest = _plane_sizes(v2, f2)
    edge = np.linalg.norm(v[f[0, 0]] - v[f[0, 1]])
    np.testing.assert_allclose(size, edge, rtol=1e-9)
    assert longest.min() < edge / 7


def _dimpled(v, f, at, refine):
    """The sheet with its ripple flattened by up to 30 % within 1 mm of `at` (inside its
    bounding box), and the faces there subdivided once if `refine` (the vertices renumbered
    and the face count changed, as a sculpting tool's local refinement does)."""
    import trimesh

    w = v.copy()
    d = np.linalg.norm(w[:, :2] - at[:2], axis=1)
    w[d < 1.0, 2] *= 1.0 - 0.3 * np.cos(d[d < 1.0] * np.pi / 2) ** 2
    if not refine:
        return w, f
    near = np.flatnonzero(np.linalg.norm(w[f].mean(axis=1)[:, :2] - at[:2], axis=1) < 1.0)
    return trimesh.remesh.subdivide(w, f, face_index=near)


@pytest.mark.parametrize("refine", [False, True])
def test_an_edit_moves_no_point_and_no_reading_far_from_it(sheet, refine):
    """Docs/texture.md s.7.39: every draw is a function of a place on the surface. After a
    local edit, every query point of the original farther than the edit's reach plus four
    regions keeps its place and its relief at every scale; without refinement its region's
    members too. (With the draws indexed, every region moved: the truth suite's rough hosts
    then read their own relief 10-25 mm from an injected patch in verdicts the clean host
    did not make.)"""
    an, sp = sheet
    at = np.array([2.0, 1.0, 0.0])
    v, f = _sheet()
    sp2 = detail.spectrum(Analysis(from_arrays(*_dimpled(v, f, at, refine))))
    assert np.array_equal(sp.sigmas_mm, sp2.sigmas_mm)
    reg, reg2 = detail.regions(sp), detail.regions(sp2)
    far = np.linalg.norm(sp.points - at, axis=1) > 1.0 + 4.0 * reg.size_mm
    assert far.sum() > 1000
    where = {k: i for i, k in enumerate(sp2.keys.tolist())}
    j = np.array([where.get(k, -1) for k in sp.keys[far].tolist()])
    assert (j >= 0).all()
    assert np.array_equal(sp.points[far], sp2.points[j])
    assert np.array_equal(sp.residual[far], sp2.residual[j], equal_nan=True)
    if not refine:  # a region is named by its members' smallest key
        def name(s, r):
            m = np.full(len(r.count), np.iinfo(np.uint64).max, np.uint64)
            np.minimum.at(m, r.label, s.keys)
            return m[r.label]
        assert np.array_equal(name(sp, reg)[far], name(sp2, reg2)[j])


def test_a_regions_window_is_its_area_where_its_points_are_even_and_less_where_they_crowd():
    """A region's mean squares weigh its query points alike, so the window they average over is
    the participation area n^2 / sum(1 / a_i) of the local areas per point: the region's area
    where the density is even, and about the dense part's where a few coarse points stand for
    most of it (a region straddling a refined patch's rim, texture:c105021: 5 of 74 points
    standing for 87 % of its area)."""
    lab = np.repeat([0, 1], 74)
    even = np.full(148, 0.02)
    step = np.concatenate([np.full(74, 0.02), np.full(69, 0.004), np.full(5, 0.37)])
    for a, want in ((even, [1.48, 1.48]), (step, [1.48, 74 * 74 / (69 / 0.004 + 5 / 0.37)])):
        reg = detail.Regions(lab, np.zeros((2, 3)), np.array([74, 74]), 1.0,
                             np.bincount(lab, a), a)
        assert reg.window == pytest.approx(want, rel=1e-9)
        assert (reg.window <= reg.area * (1 + 1e-12)).all()
    # the second region's window is a sixth of its area, its equal-area span 0.4 x its area's
    assert detail.equal_area_span(reg.window[1]) / detail.equal_area_span(reg.area[1]) < 0.4
