"""The offline simulation behind the steep relief's loss table (steep.STEEP_LOSS,
data/texture_steep.json; docs/texture.md s.7.15): the ladder's own chain
(`relief._ladder_levels`) on equilateral sheets displaced by a wave, against the same chain on
an undisplaced sheet. Run by bench/bench_texture.py --steep-table; never by a check (it is kept
apart from steep.py, which relief reads, so that relief and its simulation do not import each
other)."""

from __future__ import annotations

import math

import numpy as np

from .common import RATIO, SUPPORT


# FLAT_SLOPE: the reference sheet's slope, 2 pi a / lam: its height (1.6e-4 lam) is far below
# any voxel or window, so its fit is the linear one the power table describes
FLAT_SLOPE = 1e-3
# SIM_PER_WAVE: the simulated sheets' edges per wavelength (equilateral, unit edge): the suite's
# and the sheets' meshes (5-11 edges a wavelength), so that the thinned scales (kind >= 1) fall
# on sigma / lam 0.1-1.5 at different offsets on the ladder
SIM_PER_WAVE = (7.0, 8.5, 10.4, 12.5)
SIM_THIN_SEED = 20261123  # the thinning priorities the table was simulated with (a seeded draw:
#                           the simulated sheet is one mesh, nothing is edited)
SIM_CORE = 2.0            # queries within this many wavelengths of the centre (square)


def sheet_waves(s_max: float) -> float:
    """The simulated sheet's width in wavelengths: the queries' core (SIM_CORE) plus the
    coarsest window's reach (SUPPORT x s_max) plus one wavelength for the thinning's voxels, on
    either side (12 at s_max 1.5, the first table's sheets)."""
    return 2.0 * (SIM_CORE + SUPPORT * s_max + 1.0)


def _sheet_gain(per_wave: float, slope: float, theta: float, seed: int, queries: int,
                tilt_deg: float = 0.0, s_max: float = 1.5):
    """(sigma / lam, mean square / (a^2 / 2), kind) of the ladder's chain on an equilateral
    sheet (unit edge, `per_wave` edges a wavelength) displaced by a wave of `slope`, at
    `queries` points on its faces in the middle; tilt_deg: the sheet tilted from z (as
    `simulate_power`'s planes), for the measurement of the loss's dependence on it."""
    from scipy.spatial import Delaunay

    from .points import Points
    from .relief import _ladder_levels

    rng = np.random.default_rng(seed)
    lam = float(per_wave)
    half = sheet_waves(s_max) * lam / 2.0
    n = int(half) + 2
    i, j = np.meshgrid(np.arange(-n, n + 1), np.arange(-int(n / 0.866) - 1, int(n / 0.866) + 2),
                       indexing="ij")
    xy = np.stack([i + 0.5 * (j % 2), j * math.sqrt(3) / 2], -1).reshape(-1, 2).astype(float)
    xy = xy[np.abs(xy).max(axis=1) < half]
    f = Delaunay(xy).simplices
    a = slope * lam / (2.0 * math.pi)
    u = xy @ np.array([math.cos(theta), math.sin(theta)])
    v = np.column_stack([xy, a * np.cos(2.0 * math.pi * u / lam + rng.uniform(0, 2 * math.pi))])
    t = v[f]
    fn = np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])
    ar = 0.5 * np.linalg.norm(fn, axis=1)
    fn = fn / (2.0 * ar[:, None])
    fn[fn[:, 2] < 0] *= -1.0
    if tilt_deg:  # the sheet tilted from z, as `simulate_power` tilts its planes
        from .fit import _sim_plane

        fr = _sim_plane(rng, tilt_deg)
        rot = np.stack([fr[0], fr[1], np.cross(fr[0], fr[1])])  # rows: the sheet's axes
        v, fn = v @ rot, fn @ rot
        t = v[f]
    va = np.bincount(f.ravel(), weights=np.repeat(ar / 3.0, 3), minlength=len(v))
    vn = np.stack([np.bincount(f.ravel(), weights=np.repeat(fn[:, k] * ar / 3.0, 3),
                               minlength=len(v)) for k in range(3)], 1)
    cand = np.flatnonzero(np.abs(xy[f].mean(axis=1)).max(axis=1) < SIM_CORE * lam)
    fid = rng.choice(cand, queries)
    r = rng.random((queries, 2))
    fold = r.sum(axis=1) > 1
    r[fold] = 1.0 - r[fold]
    tq = v[f[fid]]
    q = tq[:, 0] + r[:, :1] * (tq[:, 1] - tq[:, 0]) + r[:, 1:] * (tq[:, 2] - tq[:, 0])
    sig = RATIO ** np.arange(int(math.log(s_max * lam) / math.log(RATIO) + 0.5) + 1)
    prio = np.random.default_rng(SIM_THIN_SEED).random(len(v))
    levels, rows, _ = _ladder_levels(sig, q, fn[fid], Points(v, va, vn), prio, None,
                                     float(np.median(va)), v.min(axis=0))
    res = np.stack([lev.residual for lev in levels], 1)
    return sig / lam, np.nanmean(res ** 2, axis=0) / (a * a / 2.0), np.array(rows)


def simulate_steep(slopes, s_grid, queries: int = 400, seeds: int = 2,
                   angles_deg=(10.0, 30.0, 63.0), tilt_deg: float = 0.0):
    """(loss, spread), each (len(slopes), len(s_grid)): the chain's power gain at each slope
    over its gain at FLAT_SLOPE, for the thinned scales (kind >= 1: the raw vertices are not
    thinned), on sheets of SIM_PER_WAVE edges a wavelength tilted tilt_deg from z, waves at
    `angles_deg` to the lattice, `seeds` phases each: per sheet interpolated log-log onto s_grid
    (inside the sheet's own scales), then the geometric mean (loss) and the standard deviation
    of the log over the sheets (spread: lattices, directions and phases). Offline
    (bench/bench_texture.py --steep-table); the result is STEEP_LOSS and STEEP_SPREAD."""
    logs = [[[] for _ in s_grid] for _ in slopes]
    ls_grid = np.log(np.asarray(s_grid, float))
    s_max = float(np.max(s_grid)) * math.sqrt(RATIO)
    for pw in SIM_PER_WAVE:  # Monte-Carlo sheets (an offline table), not mesh elements
        for th in angles_deg:
            for seed in range(seeds):
                s, g0, kind = _sheet_gain(pw, FLAT_SLOPE, math.radians(th), seed, queries,
                                          tilt_deg, s_max)
                keep = kind >= 1
                for i, sl in enumerate(slopes):
                    ratio = g0 if sl <= FLAT_SLOPE else _sheet_gain(
                        pw, sl, math.radians(th), seed, queries, tilt_deg, s_max)[1]
                    lr = np.log(ratio[keep] / g0[keep])
                    lsk = np.log(s[keep])
                    inside = (ls_grid >= lsk[0] - 1e-9) & (ls_grid <= lsk[-1] + 1e-9)
                    vals = np.interp(ls_grid, lsk, lr)
                    for j in np.flatnonzero(inside):
                        logs[i][j].append(vals[j])
    loss = np.array([[math.exp(np.mean(c)) if c else 1.0 for c in row] for row in logs])
    spread = np.array([[float(np.std(c)) if len(c) > 1 else 0.0 for c in row] for row in logs])
    return loss, spread
