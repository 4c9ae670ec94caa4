"""The fit and its power gain (steps 2-4): the local surface's basis and intercept, the power gain
of this very fit simulated on jittered lattices (`simulate_power`), the table's gain per nested
level, lattice and tilt, and the ladder of scales with its guard bands."""

from __future__ import annotations

import math

import numpy as np

from .common import (
    K_NEIGHBOURS, MAX_LEVELS, MIN_POINTS, QUARTIC, RATIO, RIDGE, S_GRID, SIGMA0_EDGES, SIM_JITTER, SIM_KEEP,
    SIM_LEVELS, SLIVER_ASPECT, SPACING, SUPPORT, TILTS_DEG)
from .table import HALF, MODEL_ERROR, POWER_TABLE


# --------------------------------------------------------------------------- the fit


def fit_basis(x, y, quartic: bool = QUARTIC) -> list:
    """The local surface's basis (1, x, y, x^2, xy, y^2[, r^4]) at offsets in sigmas."""
    xx, xy, yy = x * x, x * y, y * y
    r2 = xx + yy
    return [np.ones_like(x), x, y, xx, xy, yy] + ([r2 * r2] if quartic else [])


def _solve_intercept(B: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The intercept row g of the weighted least-squares fit (c0 = g @ z), with the ridge."""
    M = (B * w[:, None]).T @ B
    nb = B.shape[1]
    M[np.arange(1, nb), np.arange(1, nb)] += RIDGE * w.sum()
    return np.linalg.solve(M, (B * w[:, None]).T)[0]


def _sim_plane(rng, tilt_deg: float):
    """An orthonormal in-plane frame (2, 3) of a plane tilted tilt_deg from z, z staying its
    dominant axis (beyond 45 degrees only azimuths near the diagonal keep it so)."""
    th = math.radians(tilt_deg)
    cot = 1.0 / math.tan(th) if th > 0 else math.inf
    half = math.pi / 4 - math.acos(min(1.0, cot))
    psi = math.pi / 4 + rng.uniform(-half, half) + rng.integers(4) * math.pi / 2
    n = np.array([math.sin(th) * math.cos(psi), math.sin(th) * math.sin(psi), math.cos(th)])
    a = np.cross(n, [1.0, 0.0, 0.0] if abs(n[0]) < 0.9 else [0.0, 1.0, 0.0])
    a /= np.linalg.norm(a)
    return np.stack([a, np.cross(n, a)])


def _sim_thin(rng, uv, frame, area, prio, cell):
    """One nesting step of `thin` on a simulated plane: a representative per voxel of `cell`."""
    key = np.floor(((uv @ frame) - rng.uniform(0, cell, 3)) / cell).astype(np.int64)
    key -= key.min(0)
    flat = (key[:, 0] * 100003 + key[:, 1]) * 100003 + key[:, 2]
    o = np.lexsort((prio, flat))
    start = np.ones(len(o), bool)
    start[1:] = flat[o][1:] != flat[o][:-1]
    g = np.empty(len(o), np.int64)
    g[o] = np.cumsum(start) - 1
    rep = o[start]
    return uv[rep], np.bincount(g, weights=area), prio[rep]


def sim_lattice(aspect: float | None = None) -> np.ndarray:
    """(2, 2) the simulated lattice's vectors (rows), short edge 1: equilateral (None) or
    cells `aspect` short edges long, split along a diagonal (a sliver lattice)."""
    if aspect is None:
        return np.array([[1.0, 0.0], [0.5, math.sqrt(3) / 2]])
    return np.array([[float(aspect), 0.0], [0.0, 1.0]])


def _sim_query(uv):
    """The query point (the origin) as the mesh holds it: on a face, the wave linear across
    it. Returns the face's corners (3, 2) and the origin's barycentric weights (3,)."""
    from scipy.spatial import Delaunay

    tri = Delaunay(uv)
    t = int(tri.find_simplex(np.zeros((1, 2)))[0])
    T = tri.transform[t]
    b = T[:2] @ (np.zeros(2) - T[2])
    return uv[tri.simplices[t]], np.array([b[0], b[1], 1.0 - b.sum()])


def _sim_sites(rng, E, half, keep, conf):
    """The lattice's vertices within the square |uv| < half of the configuration `conf`
    (rotation, offset, the vertices near the origin with their jitter), each kept with
    probability `keep` (the lowest priorities: `simulate_power`)."""
    rot, off, jitter, m, near = conf
    n = np.ceil(np.abs(np.linalg.inv(E)).sum(axis=0) * half * math.sqrt(2.0)).astype(int) + 2
    tot = (2 * n[0] + 1) * (2 * n[1] + 1)
    flat = (np.arange(tot) if keep >= 1.0
            else np.unique(rng.integers(0, tot, rng.binomial(tot, keep))))
    ij = np.stack([flat // (2 * n[1] + 1) - n[0], flat % (2 * n[1] + 1) - n[1]], 1)
    uv = (ij @ E + off) @ rot.T + rng.normal(0.0, jitter, ij.shape)
    inb = (np.abs(ij[:, 0]) <= m[0]) & (np.abs(ij[:, 1]) <= m[1])
    uv[inb] = near[(ij[inb, 0] + m[0]) * (2 * m[1] + 1) + ij[inb, 1] + m[1]]
    return uv[np.abs(uv).max(axis=1) < half]


def simulate_power(confs: int, seed: int, tilt_deg: float = 0.0, jitter: float = SIM_JITTER,
                   levels: int = SIM_LEVELS, dirs: int = 4,
                   aspect: float | None = None) -> np.ndarray:
    """Monte-Carlo power gain E|z0 - c0|^2 of scales 0..levels-1 for sinusoids, on S_GRID.

    This is the fit exactly as `fit_level` runs it, on the point sets `compute` builds: a
    triangulated lattice of short edge 1 (sigma_0 = 1; `sim_lattice(aspect)`: equilateral or
    sliver), jittered by `jitter` edges, at a random rotation and offset, on a plane tilted
    `tilt_deg` from its dominant axis; scale 0 sees raw vertices, scale k >= 1 the nested
    representatives of k thinnings, one per voxel of SPACING * sigma_j at every level j <= k
    (random grid offsets, the lowest fixed random priority). For a wave of wavelength
    lam = sigma_k / s the fit's intercept is c0 = sum_v g_v Z_v (g the intercept row of the
    weighted least-squares solve, Z_v the wave at the representatives) and the query point
    holds z0, the wave linear across its lattice triangle (a query lies on a face); the
    residual's mean square over phases is |z0 - c0|^2 / 2 of the wave's: the power gain,
    averaged over configurations and wave directions (a window of fewer than MIN_POINTS
    points, as a sliver lattice's finest ones often are, is unmeasured and not averaged).
    Fine relief seen by a window of ~20 points aliases into the fit, so the gain of waves
    finer than the window exceeds 1 (up to ~2): that is part of the table. Each level is simulated on its own (same configuration):
    its window reaches ~4 sigma_k, which at the ladder's depth holds millions of vertices, so
    only the vertices of lowest priority are drawn, ~SIM_KEEP per voxel of that level. Whether
    a vertex survives a thinning depends only on vertices of lower priority (it must be the
    lowest of its voxel at every level), so the representatives drawn are exact; the ones
    left out are those of higher priority, which a voxel of that level keeps only when none
    of its ~2^k vertices' lower ones survived there; each drawn vertex carries the same area.
    Run offline (bench/bench_texture.py --power-table); the result is POWER_TABLE.
    """
    rng = np.random.default_rng(seed)
    ang = (np.arange(dirs) + 0.5) * np.pi / dirs
    kvec = np.stack([np.cos(ang), np.sin(ang)], 1)
    E = sim_lattice(aspect)
    rho = 1.0 / abs(np.linalg.det(E))  # vertices per unit area
    near_r = 3.0 * np.linalg.norm(E, axis=1).max()
    m = np.ceil(np.abs(np.linalg.inv(E)).sum(axis=0) * near_r).astype(int) + 1
    i, j = np.meshgrid(np.arange(-m[0], m[0] + 1), np.arange(-m[1], m[1] + 1), indexing="ij")
    ij_near = np.stack([i.ravel(), j.ravel()], 1)
    sig = RATIO ** np.arange(levels)
    power = np.zeros((levels, len(S_GRID)))
    count = np.zeros(levels)
    for _ in range(confs):  # Monte-Carlo configurations (an offline table), not mesh elements
        a0 = rng.uniform(0, 2 * np.pi)
        rot = np.array([[math.cos(a0), -math.sin(a0)], [math.sin(a0), math.cos(a0)]])
        off = rng.uniform(-0.5, 0.5, 2) @ E
        frame = _sim_plane(rng, tilt_deg)
        near = (ij_near @ E + off) @ rot.T + rng.normal(0.0, jitter, ij_near.shape)
        corners, bary = _sim_query(near[np.linalg.norm(near, axis=1) < near_r])
        conf = (rot, off, jitter, m, near)
        for lev in range(levels):  # levels (a dozen), each on its own pruned point set
            s = sig[lev]
            half = (SUPPORT + 2.5 * SPACING) * s / math.cos(math.radians(tilt_deg))
            uv = _sim_sites(rng, E, half, SIM_KEEP / (rho * (SPACING * s) ** 2), conf)
            area, prio = np.ones(len(uv)), rng.random(len(uv))
            for up in range(1, lev + 1):
                uv, area, prio = _sim_thin(rng, uv, frame, area, prio, SPACING * sig[up])
            dist = np.linalg.norm(uv, axis=1) / s
            order = np.argsort(dist)[:K_NEIGHBOURS]
            sel = order[dist[order] <= SUPPORT]
            if len(sel) < MIN_POINTS:  # unmeasured, as `fit_level` leaves it
                continue
            B = np.stack(fit_basis(uv[sel, 0] / s, uv[sel, 1] / s), -1)
            g = _solve_intercept(B, area[sel] / area[sel].max() * np.exp(-0.5 * dist[sel] ** 2))
            count[lev] += 1
            ph = 2 * np.pi * (np.concatenate([corners, uv[sel]]) @ kvec.T)[:, :, None] \
                * (S_GRID / s)[None, None, :]
            z = np.exp(1j * ph)  # (3 + points, dirs, S)
            z0 = np.einsum("p,pds->ds", bary, z[:3])
            c0 = np.einsum("p,pds->ds", g, z[3:])
            power[lev] += (np.abs(z0 - c0) ** 2).mean(axis=0)
    # a level no window could fit (a sliver lattice's finest): its next one's gain
    for lev in range(levels - 2, -1, -1):
        if count[lev] == 0:
            power[lev], count[lev] = power[lev + 1] / count[lev + 1], 1
    return power / count[:, None]


def power_gain(lam, sigma, row: int = SIM_LEVELS - 1, tilt: int = 0,
               lattice: int = 0) -> np.ndarray:
    """H^2: the share of a sinusoid's mean square the residual of a scale keeps.

    Interpolated log-log in POWER_TABLE[lattice, tilt, row]; coarser waves than the table
    follow the slope of its first two points (a smooth wave is followed ever better), finer ones
    keep its last value.
    """
    x = np.log(np.asarray(sigma, float) / np.asarray(lam, float))
    lg, lp = np.log(S_GRID), np.log(POWER_TABLE[lattice, tilt, min(row, SIM_LEVELS - 1)])
    slope = (lp[1] - lp[0]) / (lg[1] - lg[0])
    y = np.interp(x, lg, lp)
    return np.exp(np.where(x < lg[0], lp[0] + slope * (x - lg[0]), y))


def transfer(lam, sigma, row: int = SIM_LEVELS - 1, tilt: int = 0, lattice: int = 0):
    """Residual gain H = sqrt(power_gain) of a scale (default: the coarsest, untilted,
    equilateral lattice)."""
    return np.sqrt(power_gain(lam, sigma, row, tilt, lattice))


def tilt_weights(normals: np.ndarray) -> np.ndarray:
    """(n, len(TILTS_DEG)) linear-interpolation weights of each normal's tilt to its dominant
    axis among the tabulated tilts."""
    t = np.degrees(np.arccos(np.clip(np.abs(normals).max(axis=1), 0.0, 1.0)))
    grid = np.asarray(TILTS_DEG)
    i = np.clip(np.searchsorted(grid, t) - 1, 0, len(grid) - 2)
    f = np.clip((t - grid[i]) / (grid[i + 1] - grid[i]), 0.0, 1.0)
    w = np.zeros((len(t), len(grid)))
    w[np.arange(len(t)), i] = 1.0 - f
    w[np.arange(len(t)), i + 1] += f
    return w


def model_error(sp) -> np.ndarray:
    """(K,) relative error of every scale's power gain (by its kind: raw vertices depend on the
    triangulation most)."""
    return MODEL_ERROR[np.minimum(np.asarray(sp.rows, int), SIM_LEVELS - 1)]


def ladder(median_edge_mm: float, diag_mm: float) -> tuple[np.ndarray, np.ndarray]:
    """(sigmas, band wavelengths): bands from ~4 median edges to ~1/10 of the diagonal.

    Band j is centred on the wavelength that scale j+1 passes at half amplitude; one extra
    scale on each side constrains the end bands. Very fine meshes of large things keep the
    coarse end (MAX_LEVELS).
    """
    sigma0 = SIGMA0_EDGES * median_edge_mm
    lam_lo = HALF * sigma0 * RATIO
    lam_hi = max(diag_mm / 10.0, lam_lo * RATIO)
    n_bands = int(np.floor(np.log(lam_hi / lam_lo) / np.log(RATIO) + 0.5)) + 1
    if n_bands > MAX_LEVELS - 2:
        sigma0 *= RATIO ** (n_bands - (MAX_LEVELS - 2))
        n_bands = MAX_LEVELS - 2
    sig = sigma0 * RATIO ** np.arange(n_bands + 2)
    return sig, HALF * sig[1:-1]


def guard_bands(lams: np.ndarray) -> np.ndarray:
    """The reported bands plus one guard below (sub-ladder relief) and one above (form)."""
    return np.concatenate([[lams[0] / RATIO ** 2], lams, [lams[-1] * RATIO ** 2]])
