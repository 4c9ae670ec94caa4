"""The fit and its power gain (steps 2-4): the local surface's basis and intercept, the power gain
of this very fit simulated on a jittered lattice (`simulate_power`), the table's gain per scale
and tilt, and the ladder of scales with its guard bands."""

from __future__ import annotations

import math

import numpy as np

from .common import (
    K_NEIGHBOURS, MAX_LEVELS, QUARTIC, RATIO, RIDGE, S_GRID, SIGMA0_EDGES, SIM_JITTER, SIM_LEVELS,
    SPACING, SUPPORT, TILTS_DEG)
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


def _sim_thin(rng, uv, frame, area, prio, zc, zs, cell):
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
    return uv[rep], np.bincount(g, weights=area), prio[rep], zc[rep], zs[rep]


def _sim_query(uv, zc, zs, faces=None):
    """The wave at the query point (the origin) as the mesh holds it: linear across the
    triangle of the lattice that contains it (a query point lies on a face, not on a vertex).
    faces: the lattice's own triangles (a sliver grid's, whose cells are cocircular); None:
    the Delaunay triangulation (the jittered equilateral lattice's)."""
    if faces is None:
        from scipy.spatial import Delaunay

        near = np.flatnonzero(np.linalg.norm(uv, axis=1) < 3.0)
        tri = Delaunay(uv[near])
        t = int(tri.find_simplex(np.zeros((1, 2)))[0])
        T = tri.transform[t]
        b = T[:2] @ (np.zeros(2) - T[2])
        bary = np.array([b[0], b[1], 1.0 - b.sum()])
        idx = near[tri.simplices[t]]
        return bary @ zc[idx], bary @ zs[idx]
    p = uv[faces]  # (F, 3, 2)
    d1, d2 = p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]
    det = d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0]
    r = -p[:, 0]
    b1 = (r[:, 0] * d2[:, 1] - r[:, 1] * d2[:, 0]) / det
    b2 = (d1[:, 0] * r[:, 1] - d1[:, 1] * r[:, 0]) / det
    bary = np.stack([1.0 - b1 - b2, b1, b2], 1)
    t = int(np.argmax(bary.min(axis=1)))  # the triangle holding the origin
    return bary[t] @ zc[faces[t]], bary[t] @ zs[faces[t]]


def sliver_lattice(n_long: int, n_short: int, aspect: float):
    """A grid of cells `aspect` x 1 (long side along u, unit short side), each split in two
    triangles along alternating diagonals (a CAD export's strips, as the ground-truth suite's
    sliver patches are meshed): vertices (n, 2) centred on the origin, faces (F, 3)."""
    i, j = np.meshgrid(np.arange(-n_long, n_long + 1), np.arange(-n_short, n_short + 1),
                       indexing="ij")
    uv = np.stack([i * aspect, j * 1.0], -1).reshape(-1, 2).astype(float)
    nu, nv = i.shape
    ci, cj = np.meshgrid(np.arange(nu - 1), np.arange(nv - 1), indexing="ij")
    a, b, c, d = ci * nv + cj, (ci + 1) * nv + cj, (ci + 1) * nv + cj + 1, ci * nv + cj + 1
    flip = ((ci + cj) % 2).astype(bool)[..., None]
    f1 = np.where(flip, np.stack([a, b, d], -1), np.stack([a, b, c], -1))
    f2 = np.where(flip, np.stack([b, c, d], -1), np.stack([a, c, d], -1))
    return uv, np.concatenate([f1.reshape(-1, 3), f2.reshape(-1, 3)])


def simulate_power(confs: int, seed: int, tilt_deg: float = 0.0, jitter: float = SIM_JITTER,
                   levels: int = SIM_LEVELS, dirs: int = 4, aspect: float | None = None,
                   angles=None) -> np.ndarray:
    """Monte-Carlo power gain E|z0 - c0|^2 of scales 0..levels-1 for sinusoids, on S_GRID.

    This is the fit exactly as `fit_level` runs it, on the point sets `compute` builds: a
    triangulated lattice of unit edge (the median edge, sigma_0 = 1), jittered by `jitter`
    edges, at a random rotation and offset, on a plane tilted `tilt_deg` from its dominant axis;
    scale 0 sees raw vertices, scale k >= 1 nested representatives, one per voxel of
    SPACING * sigma_k (random grid offsets). For a wave of wavelength lam = sigma_k / s the fit's
    intercept is c0 = sum_v g_v Z_v (g the intercept row of the weighted least-squares solve, Z_v
    the wave at the representatives) and the query point holds z0, the wave linear across its
    lattice triangle (a query lies on a face); the residual's mean square over phases is
    |z0 - c0|^2 / 2 of the wave's: the power gain, averaged over configurations and wave
    directions. Fine relief seen by a window of ~20 points aliases into the fit, so the gain
    of waves finer than the window exceeds 1 (up to ~2): that is part of the table.
    aspect: instead, a grid of cells `aspect` short edges long and one wide, split along
    alternating diagonals (`sliver_lattice`), jittered by `jitter` short edges (sigma_0 = the
    short edge, as the ladder takes it). angles: the waves' directions (radians) to the lattice's
    first axis, the lattice then not rotated (default: `dirs` directions, a random rotation).
    Run offline (bench/bench_texture.py --power-table); the result is POWER_TABLE.
    """
    rng = np.random.default_rng(seed)
    ang = (np.arange(dirs) + 0.5) * np.pi / dirs if angles is None else np.asarray(angles, float)
    dirs = len(ang)
    kvec = np.stack([np.cos(ang), np.sin(ang)], 1)
    ns = len(S_GRID)
    sig = RATIO ** np.arange(levels)
    inv_lam = (S_GRID[None, :] / sig[:, None]).ravel()
    half = (SUPPORT + 2.5 * SPACING) * sig[-1] / math.cos(math.radians(tilt_deg))
    n = int(half / 0.8) + 2
    i, j = np.meshgrid(np.arange(-n, n + 1), np.arange(-n, n + 1), indexing="ij")
    lattice = np.stack([i + 0.5 * j, j * math.sqrt(3) / 2], -1).reshape(-1, 2).astype(float)
    faces = None
    if aspect is not None:
        lattice, faces = sliver_lattice(int(half / aspect) + 2, n, aspect)
    power = np.zeros((levels, ns))
    for _ in range(confs):  # Monte-Carlo configurations (an offline table), not mesh elements
        a0 = rng.uniform(0, 2 * np.pi) if angles is None else 0.0
        rot = np.array([[math.cos(a0), -math.sin(a0)], [math.sin(a0), math.cos(a0)]])
        shift = rng.uniform(-0.5, 0.5, 2)
        if aspect is None:
            uv = lattice @ rot.T + shift + rng.normal(0, jitter, lattice.shape)
        else:  # a random offset within one cell
            uv = (lattice + shift * [aspect, 1.0]) @ rot.T + rng.normal(0, jitter, lattice.shape)
        inside = np.abs(uv).max(1) < half
        if faces is not None:
            qc_faces = faces[inside[faces].all(axis=1)]
            remap = np.cumsum(inside) - 1
            qc_faces = remap[qc_faces]
        uv = uv[inside]
        area, prio = np.ones(len(uv)), rng.random(len(uv))
        frame = _sim_plane(rng, tilt_deg)
        ph = 2 * np.pi * (uv @ kvec.T)[:, :, None] * inv_lam[None, None, :]
        zc, zs = np.cos(ph).reshape(len(uv), -1), np.sin(ph).reshape(len(uv), -1)
        qc, qs = _sim_query(uv, zc, zs, None if faces is None else qc_faces)
        for lev in range(levels):
            s = sig[lev]
            if lev > 0:
                uv, area, prio, zc, zs = _sim_thin(rng, uv, frame, area, prio, zc, zs, SPACING * s)
            dist = np.linalg.norm(uv, axis=1) / s
            order = np.argsort(dist)[:K_NEIGHBOURS]
            sel = order[dist[order] <= SUPPORT]
            B = np.stack(fit_basis(uv[sel, 0] / s, uv[sel, 1] / s), -1)
            g = _solve_intercept(B, area[sel] / area.max() * np.exp(-0.5 * dist[sel] ** 2))
            cols = (np.arange(dirs)[:, None] * (levels * ns) + lev * ns + np.arange(ns)).ravel()
            re, im = qc[cols] - g @ zc[sel][:, cols], qs[cols] - g @ zs[sel][:, cols]
            power[lev] += (re * re + im * im).reshape(dirs, ns).mean(0)
    return power / confs


def power_gain(lam, sigma, row: int = SIM_LEVELS - 1, tilt: int = 0) -> np.ndarray:
    """H^2: the share of a sinusoid's mean square the residual of a scale keeps.

    Interpolated log-log in POWER_TABLE[tilt, row]; coarser waves than the table follow the
    slope of its first two points (a smooth wave is followed ever better), finer ones keep its
    last value.
    """
    x = np.log(np.asarray(sigma, float) / np.asarray(lam, float))
    lg, lp = np.log(S_GRID), np.log(POWER_TABLE[tilt, min(row, SIM_LEVELS - 1)])
    slope = (lp[1] - lp[0]) / (lg[1] - lg[0])
    y = np.interp(x, lg, lp)
    return np.exp(np.where(x < lg[0], lp[0] + slope * (x - lg[0]), y))


def transfer(lam, sigma, row: int = SIM_LEVELS - 1, tilt: int = 0):
    """Residual gain H = sqrt(power_gain) of a scale (default: a coarse scale, untilted)."""
    return np.sqrt(power_gain(lam, sigma, row, tilt))


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
