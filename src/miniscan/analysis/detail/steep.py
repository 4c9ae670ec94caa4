"""The steep relief's loss (measured offline; not a factor of the measurement's gain yet):
what the fit keeps of a sinusoid whose height is a large share of its own windows, against
the power table's linear gain (docs/texture.md s.7.15).

The power table is simulated with the wave's points left on the plane (`simulate_power`: the
intercept is linear in the heights), so it cannot depend on the relief's height. On a real
surface the points are displaced by the wave: the nested thinning's voxels (SPACING x sigma,
in 3D) cut the flanks of a ripple whose height 2a is a sizeable share of a voxel into several
representatives stacked along the normal, the neighbours, their weights and the frame are
taken in 3D, and the residual keeps less of the wave. `simulate_steep` runs the ladder's own
chain (`relief._ladder_levels`: thinning, neighbours, frame, fit) on sheets displaced by waves
of slope 2 pi a / lam and gives the mean square over the same chain's on the undisplaced
(linear) sheet; STEEP_LOSS tabulates it per slope and sigma / lam, and `steep_loss` reads it.
Multiplied into the thinned scales' gain at the regions' own slope it was measured and not
kept (docs/texture.md s.7.15); the measurement reads the linear gain alone."""

from __future__ import annotations

import math

import numpy as np

from .common import RATIO


def _steep_rows() -> dict:
    """The simulated table (data/texture_steep.json)."""
    import json
    from importlib import resources

    with resources.files("miniscan.data").joinpath("texture_steep.json").open("rb") as fh:
        return json.load(fh)


# STEEP_LOSS[i, j]: the fit's power gain on a sheet displaced by a wave of slope STEEP_SLOPES[i]
# (2 pi a / lam) at sigma / lam = STEEP_S[j], over the same chain's on the linear sheet:
# simulate_steep(STEEP_SLOPES, STEEP_S), rounded to 3 digits (geometric mean over four
# lattices, three directions, two seeds). Slope 0 is the linear gain itself (1).
_ROWS = _steep_rows()
STEEP_SLOPES = np.array(_ROWS["slopes"])
STEEP_S = np.array(_ROWS["s"])
STEEP_LOSS = np.array(_ROWS["loss"])
# FLAT_SLOPE: the reference sheet's slope, 2 pi a / lam: its height (1.6e-4 lam) is far below
# any voxel or window, so its fit is the linear one the power table describes
FLAT_SLOPE = 1e-3
# SIM_PER_WAVE: the simulated sheets' edges per wavelength (equilateral, unit edge): the suite's
# and the sheets' meshes (5-11 edges a wavelength), so that the thinned scales (kind >= 1) fall
# on sigma / lam 0.1-1.5 at different offsets on the ladder
SIM_PER_WAVE = (7.0, 8.5, 10.4, 12.5)
SIM_WAVES = 12.0          # sheet width, wavelengths: the coarsest window (2 SUPPORT x 1.5 lam)
#                           plus the thinning's voxels stays inside it from the central queries
SIM_CORE = 2.0            # queries within this many wavelengths of the centre (square)


def steep_loss(s, slope) -> np.ndarray:
    """The loss factor (<= ~1) for scales at sigma / lam = s and a wave of slope 2 pi a / lam:
    bilinear in (log s, slope) on STEEP_LOSS; s beyond the table keeps its end values, slopes
    beyond its last row keep the last row (no extrapolation of a measured loss)."""
    s, slope = np.broadcast_arrays(np.asarray(s, float), np.asarray(slope, float))
    ls = np.clip(np.log(np.where(s > 0, s, STEEP_S[0])), math.log(STEEP_S[0]),
                 math.log(STEEP_S[-1]))
    lg = np.log(STEEP_LOSS)
    rows = np.stack([np.interp(ls, np.log(STEEP_S), lg[i]) for i in range(len(STEEP_SLOPES))])
    x = np.clip(np.where(np.isfinite(slope), slope, 0.0), STEEP_SLOPES[0], STEEP_SLOPES[-1])
    i = np.clip(np.searchsorted(STEEP_SLOPES, x, side="right") - 1, 0, len(STEEP_SLOPES) - 2)
    t = (x - STEEP_SLOPES[i]) / (STEEP_SLOPES[i + 1] - STEEP_SLOPES[i])
    lo = np.take_along_axis(rows, i[None], 0)[0]
    hi = np.take_along_axis(rows, (i + 1)[None], 0)[0]
    return np.exp(lo + t * (hi - lo))


def _sheet_gain(per_wave: float, slope: float, theta: float, seed: int, queries: int,
                tilt_deg: float = 0.0):
    """(sigma / lam, mean square / (a^2 / 2), kind) of the ladder's chain on an equilateral
    sheet (unit edge, `per_wave` edges a wavelength) displaced by a wave of `slope`, at
    `queries` points on its faces in the middle; tilt_deg: the sheet tilted from z (as
    `simulate_power`'s planes), for the measurement of the loss's dependence on it."""
    from scipy.spatial import Delaunay

    from .points import Points
    from .relief import _ladder_levels

    rng = np.random.default_rng(seed)
    lam = float(per_wave)
    half = SIM_WAVES * lam / 2.0
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
    cand = np.flatnonzero(np.abs(t.mean(axis=1)[:, :2]).max(axis=1) < SIM_CORE * lam)
    fid = rng.choice(cand, queries)
    r = rng.random((queries, 2))
    fold = r.sum(axis=1) > 1
    r[fold] = 1.0 - r[fold]
    tq = v[f[fid]]
    q = tq[:, 0] + r[:, :1] * (tq[:, 1] - tq[:, 0]) + r[:, 1:] * (tq[:, 2] - tq[:, 0])
    sig = RATIO ** np.arange(int(math.log(1.5 * lam) / math.log(RATIO)) + 1)
    levels, rows, _ = _ladder_levels(sig, q, fn[fid], Points(v, va, vn), None,
                                     float(np.median(va)), v.min(axis=0))
    res = np.stack([lev.residual for lev in levels], 1)
    return sig / lam, np.nanmean(res ** 2, axis=0) / (a * a / 2.0), np.array(rows)


def simulate_steep(slopes, s_grid, queries: int = 400, seeds: int = 2,
                   angles_deg=(10.0, 30.0, 63.0)) -> np.ndarray:
    """(len(slopes), len(s_grid)) the chain's power gain at each slope over its gain at
    FLAT_SLOPE, for the thinned scales (kind >= 1: the raw vertices are not thinned), on sheets
    of SIM_PER_WAVE edges a wavelength, waves at `angles_deg` to the lattice, `seeds` phases
    each: per sheet interpolated log-log onto s_grid (inside the sheet's own scales), then the
    geometric mean. Offline (bench/bench_texture.py --steep-table); the result is STEEP_LOSS."""
    logs = [[[] for _ in s_grid] for _ in slopes]
    ls_grid = np.log(np.asarray(s_grid, float))
    for pw in SIM_PER_WAVE:  # Monte-Carlo sheets (an offline table), not mesh elements
        for th in angles_deg:
            for seed in range(seeds):
                s, g0, kind = _sheet_gain(pw, FLAT_SLOPE, math.radians(th), seed, queries)
                keep = kind >= 1
                for i, sl in enumerate(slopes):
                    ratio = g0 if sl <= FLAT_SLOPE else _sheet_gain(pw, sl, math.radians(th),
                                                                    seed, queries)[1]
                    lr = np.log(ratio[keep] / g0[keep])
                    lsk = np.log(s[keep])
                    inside = (ls_grid >= lsk[0]) & (ls_grid <= lsk[-1])
                    vals = np.interp(ls_grid, lsk, lr)
                    for j in np.flatnonzero(inside):
                        logs[i][j].append(vals[j])
    return np.array([[math.exp(np.mean(c)) if c else 1.0 for c in row] for row in logs])
