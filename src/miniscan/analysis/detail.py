"""The multiscale detail spectrum: how much surface relief a model carries at each wavelength.

Method (docs/texture.md derives every step and its constants):

1. Query points: `Q` random samples on the surface (fixed seed), half by area and half by face
   count, each with the area it stands for: every square millimetre is sampled, and where the
   mesh is finer (where the modeller put the detail) the points, and so the regions, are denser;
   regions of ~REGION_POINTS are seeded by random sequential adsorption in the local size.
2. A ladder of scales sigma_k (geometric, ratio sqrt 2) from one median edge length to the scale
   whose band is ~1/10 of the model's diagonal.
3. At each scale the surface is summarised by a point set whose spacing grows with sigma: the
   vertices themselves while a window holds few of them, then one representative surface point
   per voxel of SPACING * sigma (nested: each scale thins the previous one; split between
   members facing away from each other and by body), carrying its voxel's area and normal.
   Representatives are points of the surface, not averages: nothing sinks inside a curve, no
   box smooths the relief.
   Around every query point a Gaussian-weighted (sigma_k) surface z = c0 + c1 x + c2 y + c3 x^2
   + c4 xy + c5 y^2 + c6 r^4 is fitted in the local tangent frame; the residual r_k = -c0 is the
   relief finer than sigma_k. The r^4 term absorbs the isotropic quartic part of a smooth base
   form (the only part of it that leaks into the intercept under a symmetric window): a small
   sphere's or a limb's curvature does not read as relief.
4. For a sinusoid of wavelength lam the residual keeps a share H_k(lam)^2 of its mean square:
   the power gain of this very fit on these very point sets, simulated once (`simulate_power`)
   per kind of scale (raw vertices, then nested representatives) and per tilt of the surface to
   the grid axes (the voxels' density on the surface depends on it), tabulated in POWER_TABLE.
   The residual's mean
   square at scale k is then sum_j H_k(lam_j)^2 p_j with p_j the mean-square relief of band j; a
   non-negative least-squares solve of that small system gives the spectrum of any group of
   query points (`region_spectra`, with bootstrap replicates for the measurement's interval),
   and `refine` fits a component's wavelength continuously.

Everything is relative to the model's own lengths (median edge, diagonal), so the method is
scale-invariant. Cost: O(N log N) for the point sets, O(Q * levels * K_NEIGHBOURS) for the fits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# --- constants (lengths relative to sigma or to the mesh; why each value, in its comment) ---
RATIO = math.sqrt(2.0)    # ladder step: two scales per octave, so a band is resolved to ~+-20 %
K_NEIGHBOURS = 32         # points per local fit: the 2-sigma window holds 17-25 of them
SUPPORT = 2.0             # the Gaussian window is cut at SUPPORT sigmas (weight e^-2 there)
SPACING = 0.85            # voxel / sigma: 32 neighbours then always cover the whole window
RAW_FILL = 0.8            # raw vertices serve the first scale if its window holds < 0.8 K of them
CREASE_DEG = 75.0         # faces turning more than this at a vertex make a crease (box edge, rim)
SIGMA0_EDGES = 1.0        # finest sigma in median edge lengths: the window then spans 2 edges
MAX_LEVELS = 16           # scales at most (16 = 2^8 in sigma): bounds the cost on huge meshes
BEND_RAD = 2.5            # the fitted base form turning this much across its window is a crease
FORM_LOOKUP = 3           # ...and still does at every scale up to three (2.8x) coarser
EDGE_SAMPLE = 200_000     # faces sampled for the median edge (a median needs no more)
FAN_VALENCE = 12          # vertices with more faces than this are fan apexes (poles, cap centres)
CREASE_LINES = 2.0        # crease line in a window beyond this many straight creases through it
                          # (chords 2 SUPPORT sigma long) is a field of crests, not form: a box
                          # corner holds 1.5 such lines, an apex of four faces 2; a steep
                          # ripple's crests, lam / 2 apart, hold ~2 pi sigma / lam of them
CREASE_CELLS = 8          # crease vertices are summed per cell of an eighth of the window's
                          # radius (at their weighted centre: ~200 cells in a window's field,
                          # ~20 on a line)
CREASE_GROW = 2.0         # points within this many sigmas of a crease point are unmeasured
QUERY_MIN, QUERY_MAX = 3_000, 12_000   # query points: a floor for statistics, a cap for speed
QUERY_PER_FACE = 1 / 16   # ...otherwise one per 16 faces (regions of ~770 faces)
BIG_FACE = 6.0            # faces over this many typical face areas are sampled inside
BIG_SAMPLES_MIN = 20_000  # ...with at most max(vertices, this) samples in all
QUARTIC = True            # fit the r^4 term (see the module docstring)
SIDE_COS = -0.5           # neighbours whose normal turns > 120 deg from the query's are the
#                           other side of a thin part (a groove's walls turn less, even at 57 deg)
THREADS_FROM = 20_000     # queries in a batch before KD-tree queries use every core
RIDGE = 1e-5              # Tikhonov ridge on the non-constant terms (relative): sparse windows
MIN_POINTS = 7            # a fit needs at least as many weighted points as unknowns
THIN_SEED = 20261123      # the representatives' fixed random priorities
GRID_OFFSET = np.array([0.381966, 0.618034, 0.414214])  # grid origin off the bbox, in cells
SIM_LEVELS = 5            # simulated kinds of scale: raw, then nested thinnings (alike from the 5th)
SIM_JITTER = 0.15         # vertex jitter of the simulated mesh, in edges (a remeshed sculpt)
TILTS_DEG = (0.0, 15.0, 30.0, 45.0, 54.7356)  # surface tilt to its dominant axis (0..arctan sqrt 2)
S_GRID = np.geomspace(0.03, 6.0, 50)  # sigma / lam of the power table (beyond: extrapolated)
REGION_POINTS = 96        # query points per region: its mean squares to ~+-15 % at 2 sigma
BY_FACES = 0.5            # share of the query points drawn per face (the rest per mm^2): where
#                           the modeller put finer triangles (the detail), regions are smaller
LOCAL_AREA_K = 16         # query points whose median area weight sets a region's local size
SEED_SPACING = 0.835       # seeds at least this x the local region size apart: random sequential
#                           adsorption jams at 0.547 of the plane covered by disks of that
#                           diameter, 0.697 / spacing^2 seeds per area = one per size^2
SEED_CANDIDATES = 0.25     # share of the query points that may seed (~50 per seed's exclusion
#                           disk: the adsorption gets near its jamming density)
SEED_MIN_CANDIDATES = 2000  # ...but at least this many (small point sets)
REGION_FLOOR = 0.5        # regions under this share of REGION_POINTS are not judged: where the
#                           local size steps a seed keeps only a fragment, whose few dozen points
#                           read one patch of relief, not a sample of it (the bootstrap, drawing
#                           from those same points, cannot see that)
SEED_CHOICES = 8          # nearest seeds a query point may join (the first on its side wins)
BOOTSTRAP = 16            # Poisson bootstrap replicates of each region's mean squares
BOOT_SALT = 307           # their seed salt (fixed: the JSON is deterministic)
MIN_VALID_SHARE = 0.25    # a scale is measured in a region when this share of it is crease-free
GUARD_SEEN = 0.25         # bands no measured scale passes with H^2 >= this are not measured
NOISE_FLOOR = 1e-3        # a mean square's error is never taken below this x the largest
REFINE_PER_BAND = 16      # candidate wavelengths per band step when a component is fitted
PASS_S = 0.9              # sigma / lam of the scale that passes a wave whole (power ~1, table)
RES_PER_BAND = 8          # test wavelengths per band for the ladder's own resolution
CONC_ITER = 8             # refits of a region's clipped energy plane (converged by the 5th)


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


def _sim_query(uv, zc, zs):
    """The wave at the query point (the origin) as the mesh holds it: linear across the
    triangle of the lattice that contains it (a query point lies on a face, not on a vertex)."""
    from scipy.spatial import Delaunay

    near = np.flatnonzero(np.linalg.norm(uv, axis=1) < 3.0)
    tri = Delaunay(uv[near])
    t = int(tri.find_simplex(np.zeros((1, 2)))[0])
    T = tri.transform[t]
    b = T[:2] @ (np.zeros(2) - T[2])
    bary = np.array([b[0], b[1], 1.0 - b.sum()])
    idx = near[tri.simplices[t]]
    return bary @ zc[idx], bary @ zs[idx]


def simulate_power(confs: int, seed: int, tilt_deg: float = 0.0, jitter: float = SIM_JITTER,
                   levels: int = SIM_LEVELS, dirs: int = 4) -> np.ndarray:
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
    Run offline (bench/bench_texture.py --power-table); the result is POWER_TABLE.
    """
    rng = np.random.default_rng(seed)
    ang = (np.arange(dirs) + 0.5) * np.pi / dirs
    kvec = np.stack([np.cos(ang), np.sin(ang)], 1)
    ns = len(S_GRID)
    sig = RATIO ** np.arange(levels)
    inv_lam = (S_GRID[None, :] / sig[:, None]).ravel()
    half = (SUPPORT + 2.5 * SPACING) * sig[-1] / math.cos(math.radians(tilt_deg))
    n = int(half / 0.8) + 2
    i, j = np.meshgrid(np.arange(-n, n + 1), np.arange(-n, n + 1), indexing="ij")
    lattice = np.stack([i + 0.5 * j, j * math.sqrt(3) / 2], -1).reshape(-1, 2).astype(float)
    power = np.zeros((levels, ns))
    for _ in range(confs):  # Monte-Carlo configurations (an offline table), not mesh elements
        a0 = rng.uniform(0, 2 * np.pi)
        rot = np.array([[math.cos(a0), -math.sin(a0)], [math.sin(a0), math.cos(a0)]])
        uv = lattice @ rot.T + rng.uniform(-0.5, 0.5, 2) + rng.normal(0, jitter, lattice.shape)
        uv = uv[np.abs(uv).max(1) < half]
        area, prio = np.ones(len(uv)), rng.random(len(uv))
        frame = _sim_plane(rng, tilt_deg)
        ph = 2 * np.pi * (uv @ kvec.T)[:, :, None] * inv_lam[None, None, :]
        zc, zs = np.cos(ph).reshape(len(uv), -1), np.sin(ph).reshape(len(uv), -1)
        qc, qs = _sim_query(uv, zc, zs)
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


# --------------------------------------------------------------------------- point sets


@dataclass(frozen=True)
class Points:
    """A point set summarising the surface at one scale: points of the surface, each standing
    for a piece of it with the piece's area and area-weighted normal sum."""

    p: np.ndarray                  # (n, 3) points on the surface, mm
    area: np.ndarray               # (n,) mm^2
    nsum: np.ndarray               # (n, 3) sum of area x unit normal
    body: np.ndarray | None = None


def _face_edges(tri: np.ndarray) -> np.ndarray:
    """(F, 3) edge lengths of every face."""
    return np.stack([np.linalg.norm(tri[:, 1] - tri[:, 0], axis=1),
                     np.linalg.norm(tri[:, 2] - tri[:, 1], axis=1),
                     np.linalg.norm(tri[:, 0] - tri[:, 2], axis=1)], 1)


def _normal_class(n: np.ndarray) -> np.ndarray:
    """0..5: the dominant axis and sign of each normal (splits voxels across thin parts)."""
    ax = np.argmax(np.abs(n), axis=1)
    sgn = np.take_along_axis(n, ax[:, None], 1)[:, 0] >= 0
    return ax * 2 + sgn


def _split_sides(g: np.ndarray, nsum: np.ndarray) -> tuple[np.ndarray, int]:
    """Voxel groups g split by side: the members whose normal faces away from their voxel's
    area-weighted mean normal (the far side of a thin part, a fold) form a group of their own.
    A smooth surface, however tilted or rippled, stays one group: a split by the normal's
    dominant axis (what this replaced) cut every voxel whose normals straddle a diagonal, so a
    surface near 45 degrees to the grid (or steep relief at any pose) got up to twice the
    representatives the power table was simulated with, its windows held half the area and
    the relief's power came out ~0.55 of the table's at sigma / lam 0.3-0.6."""
    m = int(g.max()) + 1 if len(g) else 0
    mean = np.stack([np.bincount(g, weights=nsum[:, j], minlength=m) for j in range(3)], 1)
    far = np.einsum("ij,ij->i", nsum, mean[g]) < 0
    g2 = g * 2 + far
    used = np.zeros(2 * m, bool)
    used[g2] = True
    new = np.cumsum(used) - 1
    return new[g2], int(used.sum())


def thin(pts: Points, cell: float, origin: np.ndarray,
         prio: np.ndarray) -> tuple[Points, np.ndarray]:
    """One representative surface point per voxel of `cell` (the member of lowest priority: a
    fixed random draw), carrying the voxel's total area and area-weighted normal.

    Representatives are points *of* the surface, not averages: a curved surface's points do not
    sink inside the curve, relief is not smoothed by a box whose footprint would depend on how
    the surface lies in the grid, and a voxel boundary through the relief only adds a point.
    Voxels are split by normal direction and by body, so two sides of a thin part and two
    interpenetrating shells never share a representative. Returns the points and their
    priorities (each scale thins the previous scale's points).
    """
    from . import first_by_value, unique_inverse

    key = np.floor((pts.p - origin) / cell).astype(np.int64)
    key -= key.min(axis=0)
    span = key.max(axis=0) + 1
    flat = (key[:, 0] * span[1] + key[:, 1]) * span[2] + key[:, 2]
    if pts.body is not None:
        flat = flat * (int(pts.body.max()) + 1) + pts.body
    # voxels in key order (a stable sort of the keys, which come in long runs)
    g = unique_inverse(flat)[1]
    g, m = _split_sides(g, pts.nsum)
    # each voxel's member of lowest priority: what np.lexsort((prio, flat)) gave, twice as fast
    rep = first_by_value(prio, g, m)  # the lowest-priority member of every voxel, in group order
    A = np.bincount(g, weights=pts.area, minlength=m)
    NS = np.stack([np.bincount(g, weights=pts.nsum[:, j], minlength=m) for j in range(3)], 1)
    body = pts.body[rep] if pts.body is not None else None
    return Points(pts.p[rep], A, NS, body), prio[rep]


def _unit(v: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    ln = np.linalg.norm(v, axis=1, keepdims=True)
    return np.where(ln > 1e-30, v / np.where(ln > 1e-30, ln, 1.0), fallback)


def _frames(n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ref = np.where(np.abs(n[:, :1]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
    t1 = np.cross(n, ref)
    t1 /= np.linalg.norm(t1, axis=1, keepdims=True)
    return t1, np.cross(n, t1)


# --------------------------------------------------------------------------- one scale


@dataclass(frozen=True)
class Level:
    """What one scale's fit gives at every query point."""

    residual: np.ndarray  # (Q,) relief finer than sigma, mm (NaN: not measured)
    normal: np.ndarray    # (Q, 3) the fitted base form's normal
    bend: np.ndarray      # (Q,) how far the fitted base form turns across its window, rad


def _attributes(pts: Points) -> np.ndarray:
    """(n, 4) float32 per point, gathered in one take: unit normal and area share."""
    return np.column_stack([_unit(pts.nsum, np.zeros(3)),
                            pts.area / pts.area.max()]).astype(np.float32)


def _workers(n: int) -> int:
    """KD-tree query threads: all cores for big batches; one for small ones (starting threads
    costs more than they save there)."""
    return -1 if n >= THREADS_FROM else 1


def _neighbourhood(tree, q, nq, pts: Points, attrs: np.ndarray, sigma, qbody):
    """The fit's inputs at every query point: offsets x, y, z (sigmas, tangent frame), Gaussian
    area weights, the frame, and whether another body intrudes into the window."""
    k = int(min(K_NEIGHBOURS, tree.n))
    d, idx = tree.query(q, k=k, distance_upper_bound=SUPPORT * sigma, workers=_workers(len(q)))
    d, idx = d.reshape(len(q), k), idx.reshape(len(q), k)
    hit = np.isfinite(d)
    idx = np.where(hit, idx, 0)
    f32 = np.float32
    at = attrs[idx]  # (Q, k, 4)
    # only the side of the surface the query point is on (thin parts, folds) and its own body
    keep = hit & (np.einsum("qkc,qc->qk", at[..., :3], nq.astype(f32)) > SIDE_COS)
    mixed = None
    if qbody is not None:
        own = pts.body[idx] == qbody[:, None]
        mixed = (hit & ~own).any(axis=1)
        keep &= own
    dn = (np.where(hit, d, 0.0) / sigma).astype(f32)
    w = np.where(keep, at[..., 3] * np.exp(f32(-0.5) * dn * dn), f32(0.0))
    # the frame: the Gaussian-weighted mean normal of the neighbourhood
    n = _unit(np.einsum("qk,qkc->qc", w, at[..., :3]).astype(float), nq)
    t1, t2 = _frames(n)
    rel = ((pts.p[idx] - q[:, None, :]) / sigma).astype(f32)  # (Q, k, 3)
    frame = np.stack([t1, t2, n], axis=2).astype(f32)  # (Q, 3, 3): columns t1 t2 n
    xyz = np.matmul(rel, frame)
    return xyz[..., 0], xyz[..., 1], xyz[..., 2], w, (n, t1, t2), mixed


def fit_level(tree, q, nq, pts: Points, sigma, qbody=None, attrs=None) -> Level:
    """Relief finer than sigma at each query point, the fitted normal and the base form's bend
    (`tree` is the KD-tree of pts.p, attrs its `_attributes`; nq the current normal estimate)."""
    attrs = _attributes(pts) if attrs is None else attrs
    x, y, z, w, (n, t1, t2), mixed = _neighbourhood(tree, q, nq, pts, attrs, sigma, qbody)
    cols = fit_basis(x, y)
    nb = len(cols)
    basis = np.stack(cols + [z], axis=-1)
    del cols
    mom = np.matmul((basis[..., :nb] * w[..., None]).transpose(0, 2, 1), basis).astype(float)
    M, b = mom[:, :, :nb], mom[:, :, nb]
    wsum = M[:, 0, 0]
    # a small ridge on the non-constant terms keeps sparse neighbourhoods solvable
    diag = np.arange(1, nb)
    M[:, diag, diag] += RIDGE * np.maximum(wsum, 1e-300)[:, None]
    ok = (wsum > 0) & (np.count_nonzero(w, axis=1) >= MIN_POINTS)
    c = np.zeros((len(q), nb))
    if ok.any():
        try:
            c[ok] = np.linalg.solve(M[ok], b[ok][..., None])[..., 0]
        except np.linalg.LinAlgError:  # degenerate neighbourhoods (collinear points)
            c[ok] = np.matmul(np.linalg.pinv(M[ok]), b[ok][..., None])[..., 0]
    if mixed is not None:
        # another body inside the window: a part junction (a leg entering a torso) is a step
        # in the surface, not relief; the fit there is not trusted
        ok &= ~mixed
    resid = np.where(ok, -c[:, 0] * sigma, np.nan)
    grad_n = _unit(n - c[:, 1:2] * t1 - c[:, 2:3] * t2, n)
    # how far the fitted base form turns across the window (radians): its largest principal
    # curvature (c are in units of sigma) times the window's width
    half = 0.5 * (c[:, 3] + c[:, 5])
    rad = np.sqrt((0.5 * (c[:, 3] - c[:, 5])) ** 2 + (0.5 * c[:, 4]) ** 2)
    bend = np.where(ok, 2.0 * (np.abs(half) + rad) * 2.0 * SUPPORT, 0.0)
    return Level(resid, np.where(ok[:, None], grad_n, nq), bend)


# --------------------------------------------------------------------------- the whole ladder


@dataclass(frozen=True, eq=False)
class Spectrum:
    """The relief measured at query points; `region_spectra` turns groups of them into spectra."""

    points: np.ndarray        # (Q, 3) query points on the surface, mm
    faces: np.ndarray         # (Q,) face id of each query point
    normals: np.ndarray       # (Q, 3) smoothed normal at the coarsest scale
    residual: np.ndarray      # (Q, K) signed relief finer than sigma_k, mm (+ = outward bump);
    #                           NaN where a crease, fan apex or another body is in the window
    sigmas_mm: np.ndarray     # (K,)
    wavelengths_mm: np.ndarray  # (J,) reported band centres
    median_edge_mm: float     # the median shortest edge of a face (robust to slivers)
    area_per_point_mm2: float
    point_edge_mm: np.ndarray   # (Q,) shortest edge of each query point's face (local mesh size)
    point_facet_mm: np.ndarray  # (Q,) longest edge of that face (facet size)
    rows: tuple               # per scale, its kind: row of POWER_TABLE (0: raw vertices)
    tilt: np.ndarray          # (Q, T) each point's weights among the tabulated tilts
    body: np.ndarray | None = None  # (Q,) body of each query point (None: one body)
    curvature: np.ndarray | None = None  # (Q,) largest principal curvature of the fitted base
    #                                     form over the scales, 1/mm (NaN where none fitted)
    point_area_mm2: np.ndarray | None = None  # (Q,) surface each query point stands for
    bent: np.ndarray | None = None  # (Q, K) windows masked because the fitted base form bends
    #                                 like a crease there at this scale and coarser ones

    @property
    def mean_edge_mm(self) -> float:  # the name the budget metrics use
        return self.median_edge_mm

    def gain_t(self, lam) -> np.ndarray:
        """(T, K, ...) residual gain of every scale, per tabulated tilt, for wavelengths lam."""
        return np.stack([np.stack([transfer(lam, s, r, t)
                                   for s, r in zip(self.sigmas_mm, self.rows)])
                         for t in range(len(TILTS_DEG))])

    def power(self, lam, W: np.ndarray) -> np.ndarray:
        """(..., R, K) power gain of every scale for wavelengths lam (..., R) of regions whose
        tilt weights are W (R, T)."""
        P = self.gain_t(np.asarray(lam, float)) ** 2  # (T, K, ..., R)
        return np.moveaxis(np.einsum("rt,tk...r->k...r", W, P), 0, -1)

    def designs(self, W: np.ndarray) -> np.ndarray:
        """(R, K, J + 2) H^2 of the bands and guards for regions of tilt weights W (R, T)."""
        P = self.gain_t(guard_bands(self.wavelengths_mm)) ** 2  # (T, K, J + 2)
        return np.einsum("rt,tkj->rkj", W, P)

    def solve(self, mean_square: np.ndarray) -> np.ndarray:
        """Band energies (mm^2) of rows of per-scale mean squares (R, K), read with the whole
        model's tilt mix (tests and one-off readings; regions use `region_spectra`)."""
        ms = np.atleast_2d(mean_square)
        D = self.designs(self.tilt.mean(axis=0)[None])[0]
        return np.stack([_solve(D, row)[0] for row in ms])[:, 1:-1]

    def base_points(self) -> np.ndarray:
        """The query points moved onto their base form (the relief finer than the coarsest
        scale removed), so crests and troughs of one patch sit on one surface."""
        r = self.residual[:, -1]
        return self.points - np.where(np.isfinite(r), r, 0.0)[:, None] * self.normals


def _query_points(analysis, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random points on the surface (fixed seed), their faces and the surface each stands for
    (mm^2, summing to the area). A face is drawn with probability BY_FACES / F + (1 - BY_FACES)
    x its area share: every mm^2 is sampled, and where the mesh is finer (a sculpted patch on a
    coarse base, a refined detail) the points are denser, so regions of REGION_POINTS follow
    the detail instead of straddling it; each point's area weight 1 / (count x probability)
    keeps areas and area-weighted figures unbiased."""
    m = analysis.model
    areas = analysis.face_areas
    rng = analysis.rng(101)
    prob = BY_FACES / len(areas) + (1.0 - BY_FACES) * areas / areas.sum()
    prob = prob / prob.sum()
    fid = np.sort(rng.choice(len(areas), size=count, p=prob))
    fid = fid[rng.permutation(count)]  # random order: any prefix is a uniform subsample
    r = rng.random((count, 2))
    flip = r.sum(axis=1) > 1
    r[flip] = 1 - r[flip]
    t = m.vertices[m.faces[fid]]
    q = t[:, 0] + r[:, :1] * (t[:, 1] - t[:, 0]) + r[:, 1:] * (t[:, 2] - t[:, 0])
    return q, fid, areas[fid] / (count * prob[fid])


def _big_faces(areas: np.ndarray, edge: float, nv: int) -> tuple[np.ndarray, np.ndarray]:
    """Faces much larger than the typical one, and how many samples each gets.

    A face larger than BIG_FACE typical faces gets one sample per typical face area (at least
    3), the total capped at max(vertices, BIG_SAMPLES_MIN) by coarsening the spacing.
    """
    a0 = 0.5 * edge * edge   # about one typical triangle
    big = areas > BIG_FACE * a0
    if not big.any() or a0 <= 0:
        return big, np.zeros(len(areas), np.int64)
    tot = float(areas[big].sum())
    a_t = max(a0, tot / max(nv, BIG_SAMPLES_MIN))
    n = np.where(big, np.maximum(np.ceil(areas / a_t), 3), 0).astype(np.int64)
    return big, n


def _sources(analysis, median_edge: float, fbody):
    """Level-0 point set: vertices, each with a third of its small faces' area and their summed
    area-weighted normal; large faces (fan caps, a cylinder's long sides) have no vertices
    inside them, so they carry their own area-weighted random samples instead."""
    m = analysis.model
    v, faces, areas, fn = m.vertices, m.faces, analysis.face_areas, analysis.face_normals
    big, n_big = _big_faces(areas, median_edge, len(v))
    small_a = np.where(big, 0.0, areas) / 3.0
    f = faces.ravel()
    va = np.bincount(f, weights=np.repeat(small_a, 3), minlength=len(v))
    vn = np.stack([np.bincount(f, weights=np.repeat(fn[:, j] * small_a, 3), minlength=len(v))
                   for j in range(3)], 1)
    keep = va > 0
    whole = bool(keep.all()) and not big.any()  # the vertices themselves, in order
    src, sa, sn = (v, va, vn) if whole else (v[keep], va[keep], vn[keep])
    sb = None
    if fbody is not None:
        vb = np.zeros(len(v), dtype=fbody.dtype)
        vb[faces] = fbody[:, None]
        sb = vb if whole else vb[keep]
    if big.any():
        bf = np.repeat(np.flatnonzero(big), n_big[big])
        r = analysis.rng(211).random((len(bf), 2))
        fold = r.sum(axis=1) > 1
        r[fold] = 1.0 - r[fold]
        t = v[faces[bf]]
        pts = t[:, 0] + r[:, :1] * (t[:, 1] - t[:, 0]) + r[:, 1:] * (t[:, 2] - t[:, 0])
        pa = (areas / np.maximum(n_big, 1))[bf]
        src = np.concatenate([src, pts])
        sa = np.concatenate([sa, pa])
        sn = np.concatenate([sn, fn[bf] * pa[:, None]])
        if sb is not None:
            sb = np.concatenate([sb, fbody[bf]])
    return Points(src, sa, sn, sb)


def _crease_points(analysis) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vertices where the surface is form, not relief: creases (faces turning by more than
    CREASE_DEG: unit-normal coherence |sum n| / count < cos(angle / 2); unit normals, so a rim's
    small faces count as much as a side's big ones), and fan apexes (more than FAN_VALENCE faces:
    a UV sphere's poles, a cap's centre, singular points of the triangulation), returned apart:
    a fan apex is a property of the triangulation, which only the raw-vertex scale reads;
    and each crease vertex's shortest edge (`_crease_lines`)."""
    m = analysis.model
    f = m.faces.ravel()
    nv = m.n_vertices
    fn = analysis.face_normals
    un = np.stack([np.bincount(f, weights=np.repeat(fn[:, j], 3), minlength=nv)
                   for j in range(3)], 1)
    deg = np.bincount(f, minlength=nv).astype(float)
    coherence = np.linalg.norm(un, axis=1) / np.maximum(deg, 1.0)
    crease = (deg > 0) & (coherence < np.cos(np.radians(CREASE_DEG) / 2.0))
    fan = (deg > FAN_VALENCE) & ~crease
    # each crease vertex's shortest edge: how much crease line it stands for at least
    touch = m.faces[crease[m.faces].any(axis=1)]
    short = np.full(nv, np.inf)
    np.minimum.at(short, touch.ravel(), np.repeat(_face_edges(m.vertices[touch]).min(axis=1), 3))
    return m.vertices[crease], m.vertices[fan], short[crease]


def _crease_lines(q: np.ndarray, cp: np.ndarray, cw: np.ndarray, sig) -> np.ndarray:
    """(Q, K) 0 where a crease of the model lies within the window of scale k (SUPPORT sigma)
    of a query point, inf where none does or where the crease vertices there are a field of
    crests rather than lines of form: together longer than CREASE_LINES straight creases
    through the window (chords of 2 SUPPORT sigma). Each crease vertex stands for at least its
    own shortest edge `cw` of crease line (its spacing along the line is no shorter), so the sum
    never over-states the lines (summed per cell of r / CREASE_CELLS at the cell's weighted
    centre: a window pairs with a few hundred cells at most). A steep ripple meshed at a few
    edges a wavelength turns its faces by more than CREASE_DEG at every crest; masking them hid
    the whole ripple at every scale (ground-truth texture:122, 125, 129), though its fitted
    base form lets go at coarser scales, as relief does."""
    from scipy.spatial import cKDTree

    out = np.full((len(q), len(sig)), np.inf)
    if not len(cp):
        return out
    d0 = cKDTree(cp).query(q, workers=_workers(len(q)))[0]
    for kk, s in enumerate(sig):  # a dozen scales, each over the points near a crease
        r = SUPPORT * s
        near = np.flatnonzero(d0 <= r)
        if not len(near):
            continue
        if cw.sum() <= CREASE_LINES * 2.0 * r:  # no window can hold a field: lines
            out[near, kk] = 0.0
            continue
        ijk = np.floor((cp - cp.min(axis=0)) / (r / CREASE_CELLS)).astype(np.int64)
        span = ijk.max(axis=0) + 1
        _, cell = np.unique((ijk[:, 0] * span[1] + ijk[:, 1]) * span[2] + ijk[:, 2],
                            return_inverse=True)
        w = np.bincount(cell, weights=cw)
        at = np.stack([np.bincount(cell, weights=cw * cp[:, j]) for j in range(3)], 1) / w[:, None]
        pairs = cKDTree(q[near]).sparse_distance_matrix(cKDTree(at), r, output_type="ndarray")
        held = np.bincount(pairs["i"], weights=w[pairs["j"]], minlength=len(near))
        out[near[held <= CREASE_LINES * 2.0 * r], kk] = 0.0
    return out


def _ladder_levels(sig, q, nq, pts: Points, qbody, a_pt, origin, tree0=None):
    """Fit every scale: the first on the raw vertices, every later one on the previous scale's
    points thinned to one per voxel of SPACING * sigma. Returns the levels, per scale its kind
    (row of POWER_TABLE: 0 raw, then one more per thinning, as simulated), and (Q, FORM_LOOKUP)
    whether the fitted base form still bends like a crease at each of the FORM_LOOKUP scales
    beyond the ladder's top (`_lookup_beyond`). When the first window already holds too many
    vertices (the ladder's start was raised on a mesh far finer than it: MAX_LEVELS) the first
    scale is thinned too, from many vertices per voxel: the last, converged kind. tree0: a
    KD-tree of pts.p to reuse (the model's shared vertex tree)."""
    from scipy.spatial import cKDTree

    levels, rows, tree = [], [], tree0
    attrs = _attributes(pts) if tree0 is not None else None
    prio = np.random.default_rng(THIN_SEED).random(len(pts.p))
    dense = math.pi * (SUPPORT * sig[0]) ** 2 / a_pt > RAW_FILL * K_NEIGHBOURS
    for kk, s in enumerate(sig):  # loop over scales (a dozen), not over points
        if kk > 0 or dense:
            cell = SPACING * s
            pts, prio = thin(pts, cell, origin - GRID_OFFSET * cell, prio)
            tree = None
        if tree is None:
            # (unbalanced, non-compact trees build several times faster; queries barely notice)
            tree = cKDTree(pts.p, balanced_tree=False, compact_nodes=False)
            attrs = _attributes(pts)
        lev = fit_level(tree, q, nq, pts, s, qbody, attrs)
        nq = lev.normal
        levels.append(lev)
        rows.append(SIM_LEVELS - 1 if dense else min(kk, SIM_LEVELS - 1))
    beyond = _lookup_beyond(sig[-1], q, nq, pts, qbody, origin, prio, levels[-1].bend > BEND_RAD)
    return levels, rows, beyond


def _lookup_beyond(top, q, nq, pts: Points, qbody, origin, prio, bent) -> np.ndarray:
    """(Q, FORM_LOOKUP) whether the fitted base form bends like a crease at each of the
    FORM_LOOKUP scales coarser than the ladder's top (`top`), so that the form rule of
    `_mask_form` sees its whole lookup at every scale of the ladder. Without them the top
    scales were judged on themselves alone: a steep ripple (slope ~1) bends a window two
    wavelengths across, and on a small model, whose ladder ends near the ripple's wavelength,
    its plateau scale (sigma ~0.9 lam) was masked as form over the whole patch, so its
    amplitude read 0 and no component was judged (ground-truth texture:27, :63, :136). Only
    the points still bent at every scale so far are fitted (a few; the rest are known not to
    be a crease); a window that cannot be fitted (too few points on a small model, another
    body) counts as bent, as the cut-short lookup did."""
    from scipy.spatial import cKDTree

    out = np.zeros((len(q), FORM_LOOKUP), bool)
    for e in range(FORM_LOOKUP):  # a few scales, each over the points still bent
        idx = np.flatnonzero(bent)
        if not len(idx):
            break
        s = top * RATIO ** (e + 1)
        cell = SPACING * s
        pts, prio = thin(pts, cell, origin - GRID_OFFSET * cell, prio)
        tree = cKDTree(pts.p, balanced_tree=False, compact_nodes=False)
        lev = fit_level(tree, q[idx], nq[idx], pts, s, None if qbody is None else qbody[idx])
        hit = (lev.bend > BEND_RAD) | ~np.isfinite(lev.residual)
        nq = nq.copy()
        nq[idx] = lev.normal
        bent = np.zeros(len(q), bool)
        bent[idx[hit]] = True
        out[:, e] = bent
    return out


def _mask_form(res: np.ndarray, q: np.ndarray, sig, levels, dcrease, dfan=None,
               rows=None, beyond=None) -> None:
    """NaN where a scale's window holds form rather than relief (in place; returns (Q, K) where
    the fitted base form bends like a crease, the last reason below): crease points within
    the window; fan apexes within it at the raw-vertex scale (rows[k] == 0: the only scale that
    reads the triangulation's vertices; a refined patch's rim fans into its coarse vertices, and
    masking those at every scale hid the patch from its coarse windows); and creases, rims and
    fillets at the window's own scale: the fitted base form bends sharply there and keeps
    bending at every scale up to three coarser (a crease looks the same at every scale; texture,
    even deep grooves, bends the fit only near its own scale and lets go somewhere coarser).
    `beyond` (Q, FORM_LOOKUP): the bends at the scales past the ladder's top (`_lookup_beyond`;
    None: the lookup is cut short there)."""
    from scipy.spatial import cKDTree

    K = len(sig)
    if dcrease.ndim == 1:
        dcrease = np.where(dcrease[:, None] <= SUPPORT * np.asarray(sig)[None, :], 0.0, np.inf)
    bent = np.stack([lev.bend > BEND_RAD for lev in levels], 1)  # (Q, K)
    look = bent if beyond is None else np.concatenate([bent, beyond], axis=1)
    form = np.zeros(res.shape, bool)
    for kk, s in enumerate(sig):
        res[dcrease[:, kk] <= SUPPORT * s, kk] = np.nan
        if dfan is not None and rows[kk] == 0:  # only the raw vertices' scale reads the fans
            res[dfan <= SUPPORT * s, kk] = np.nan
        crease = look[:, kk:min(kk + FORM_LOOKUP, look.shape[1] - 1) + 1].all(axis=1)
        if crease.any():
            dc = cKDTree(q[crease]).query(q, distance_upper_bound=CREASE_GROW * s,
                                          workers=_workers(len(q)))[0]
            form[:, kk] = np.isfinite(dc)
    res[form] = np.nan
    # the evidence of relief bending like form, for the harmonic test: not at the ladder's top
    # scales (a model's own edges and its overall shape bend the fit there)
    form[:, max(K - FORM_LOOKUP, 0):] = False
    return form


def compute(analysis, query_count: int | None = None) -> Spectrum:
    """The detail spectrum of analysis.model (use `spectrum(analysis)` for the cached one)."""
    from scipy.spatial import cKDTree

    m = analysis.model
    nf = m.n_faces
    sub = analysis.rng(223).choice(nf, EDGE_SAMPLE, replace=False) if nf > EDGE_SAMPLE else slice(None)
    # the mesh's resolution: the median of each face's shortest edge (across a sliver its short
    # edge is what the mesh holds; on an even mesh it is ~0.85 of the typical edge)
    median_edge = float(np.median(_face_edges(m.vertices[m.faces[sub]]).min(axis=1)))
    sig, lams = ladder(median_edge, analysis.bbox_diag_mm)
    if query_count is None:
        query_count = int(np.clip(QUERY_PER_FACE * nf, QUERY_MIN, QUERY_MAX))
    q, qf, q_area = _query_points(analysis, query_count)
    fbody = analysis.body_labels if analysis.n_bodies > 1 else None
    qbody = fbody[qf] if fbody is not None else None
    pts = _sources(analysis, median_edge, fbody)
    cp, fp, cw = _crease_points(analysis)
    dfan = cKDTree(fp).query(q, workers=_workers(len(q)))[0] if len(fp) else np.full(len(q), np.inf)
    dcrease = _crease_lines(q, cp, cw, sig)
    # surface per vertex where the mesh is fine (the median: a coarse base does not count)
    a_pt = float(np.median(pts.area))
    # the raw scale reads the vertices themselves when every vertex carries area and no big
    # face is sampled: then the model's shared vertex KD-tree (the edges family's) serves it
    tree0 = analysis.kdtree if pts.p is m.vertices else None
    levels, rows, beyond = _ladder_levels(sig, q, analysis.face_normals[qf], pts, qbody, a_pt,
                                          m.vertices.min(axis=0), tree0)
    res = np.stack([lev.residual for lev in levels], 1)
    bent = _mask_form(res, q, sig, levels, dcrease, dfan, rows, beyond)
    # local mesh size: across a sliver its short edge sets what the mesh can hold; the facet
    # size (a sliver of a coarse capsule is flat over its whole length) is its longest edge
    fq = _face_edges(m.vertices[m.faces[qf]])
    normal = levels[-1].normal
    # the base form's largest curvature, bend / (sigma x the window's width) (Level.bend), the
    # most any scale fitted at the point (facets turn with the form at their own, fine scale; a
    # coarse window averages a small lobe's curvature away; NaN: no scale fitted)
    kappa = np.fmax.reduce([np.where(np.isfinite(lev.residual), lev.bend, np.nan)
                            / (2.0 * SUPPORT * s) for lev, s in zip(levels, sig)])
    return Spectrum(q, qf, normal, res, sig, lams, median_edge, analysis.total_area / len(q),
                    fq.min(axis=1), fq.max(axis=1), tuple(rows), tilt_weights(normal), qbody,
                    kappa, q_area, bent)


def spectrum(analysis) -> Spectrum:
    return analysis.cached("detail_spectrum", compute)


# --------------------------------------------------------------------------- regions


@dataclass(frozen=True)
class Regions:
    """Patches of about REGION_POINTS query points: the unit a verdict is made on."""

    label: np.ndarray     # (Q,) region of every query point
    centroid: np.ndarray  # (R, 3) mean position of its points, mm
    count: np.ndarray     # (R,) its query points
    size_mm: float        # the seeds' spacing where the points are spread by area alone
    area: np.ndarray | None = None  # (R,) the surface its points stand for, mm^2


def _local_sizes(sp: Spectrum, base: np.ndarray, points: int) -> np.ndarray:
    """(Q,) the side of a region of `points` query points around each point: sqrt(points x the
    median area weight of its LOCAL_AREA_K nearest points), so regions are smaller where the
    points are denser (finer mesh)."""
    from scipy.spatial import cKDTree

    a = sp.point_area_mm2
    if a is None:
        return np.full(len(base), math.sqrt(points * sp.area_per_point_mm2))
    k = int(min(LOCAL_AREA_K, len(base)))
    idx = cKDTree(base).query(base, k=k, workers=_workers(len(base)))[1].reshape(len(base), k)
    return np.sqrt(points * np.median(a[idx], axis=1))


def _conflicts(base: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """(P, 2) pairs i < j of points closer than the smaller of their reaches, exactly, without
    querying every point at the largest reach: points are binned by reach in octaves, and each
    bin is paired only with itself and the bins of larger reach (sparser points), at its own
    bin's largest reach (the smaller reach bounds the distance), so no query grows with the
    spread of sizes."""
    from scipy.spatial import cKDTree

    # a zero reach (no surface around the point) conflicts with nothing; keep the octaves finite
    reach = np.maximum(reach, reach.max() * 1e-9)
    octave = np.floor(np.log2(reach / reach.min())).astype(np.int64)
    out = []
    for b in np.unique(octave):  # a handful of octaves, not points
        hi = np.flatnonzero(octave >= b)
        m = cKDTree(base[hi]).query_pairs(float(reach[octave == b].max()), output_type="ndarray")
        i, j = hi[m[:, 0]], hi[m[:, 1]]
        keep = np.minimum(octave[i], octave[j]) == b  # each pair once: at its finer octave
        i, j = i[keep], j[keep]
        keep = np.linalg.norm(base[i] - base[j], axis=1) < np.minimum(reach[i], reach[j])
        out.append(np.sort(np.stack([i, j], 1)[keep], axis=1))
    return np.concatenate(out)


def _first_independent(n: int, pairs: np.ndarray) -> np.ndarray:
    """(n,) the greedy maximal independent set in index order (index = priority: queries come in
    random order), computed in rounds (Luby / Blelloch): a point joins when no undecided
    neighbour precedes it, and its neighbours leave; the same set as taking the points one by
    one, in O(log n) vectorised rounds."""
    i, j = pairs[:, 0], pairs[:, 1]   # i < j: i precedes j
    state = np.zeros(n, np.int8)      # 0 undecided, 1 chosen, -1 excluded
    while (state == 0).any():
        und = state == 0
        blocked = np.zeros(n, bool)
        blocked[j[und[i] & und[j]]] = True
        new = und & ~blocked
        state[new] = 1
        hit = np.zeros(n, bool)
        hit[j[new[i]]] = True
        hit[i[new[j]]] = True
        state[hit & (state == 0)] = -1
    return state == 1


def _seeds(base: np.ndarray, n: np.ndarray, size: np.ndarray, body=None) -> np.ndarray:
    """Seeds by random sequential adsorption in the local size: the candidates (the first
    SEED_CANDIDATES of the query points, a uniform subsample), in their random order, each kept
    unless an earlier kept one on its side and body lies within SEED_SPACING x the smaller of
    their sizes. One seed per size^2 wherever the density is even, however the size varies;
    no two seed grids interleave (a quantised size ladder left regions of 16-124 points on an
    even mesh where neighbouring points fell on either side of a step)."""
    m = max(min(len(base), SEED_MIN_CANDIDATES), int(SEED_CANDIDATES * len(base)))
    pairs = _conflicts(base[:m], SEED_SPACING * size[:m])
    a, b = pairs[:, 0], pairs[:, 1]
    same = (n[a] * n[b]).sum(axis=1) > 0
    if body is not None:
        same &= body[a] == body[b]
    return np.flatnonzero(_first_independent(m, pairs[same]))


def regions(sp: Spectrum, points: int = None) -> Regions:
    """Regions of about `points` query points, seeded by random sequential adsorption in their
    local size (`_seeds`); every query point joins the nearest seed on its side of the surface
    and of its body. Distances are taken between base points (relief removed), so a crest and
    the trough beside it always share a region, however the seeds fall on the relief. (Where
    the local size steps, or at a rim, a region may be cut short: regions under REGION_FLOOR
    are not judged.)"""
    from scipy.spatial import cKDTree

    points = points or REGION_POINTS
    base, n = sp.base_points(), sp.normals
    seeds = _seeds(base, n, _local_sizes(sp, base, points), sp.body)
    k = int(min(SEED_CHOICES, len(seeds)))
    _, idx = cKDTree(base[seeds]).query(base, k=k, workers=_workers(len(base)))
    idx = idx.reshape(len(base), k)
    ok = (n[seeds[idx]] * n[:, None, :]).sum(axis=2) > 0
    if sp.body is not None:
        ok &= sp.body[seeds[idx]] == sp.body[:, None]
    first = np.where(ok.any(axis=1), np.argmax(ok, axis=1), 0)
    lab = idx[np.arange(len(base)), first]
    _, lab = np.unique(lab, return_inverse=True)  # drop seeds nobody joined
    lab = lab.ravel()
    cnt = np.bincount(lab)
    cen = np.stack([np.bincount(lab, weights=sp.points[:, j]) for j in range(3)], 1) / cnt[:, None]
    pa = sp.point_area_mm2 if sp.point_area_mm2 is not None else \
        np.full(len(lab), sp.area_per_point_mm2)
    return Regions(lab, cen, cnt, math.sqrt(points * sp.area_per_point_mm2),
                   np.bincount(lab, weights=pa))


# --------------------------------------------------------------------------- spectra


def _top_band(design: np.ndarray, ok: np.ndarray) -> int:
    seen = np.flatnonzero(design[ok].max(axis=0) >= GUARD_SEEN)
    return min(int(seen[-1]) + 2 if len(seen) else design.shape[1], design.shape[1])


def _solve(design: np.ndarray, row: np.ndarray, noise: np.ndarray | None = None):
    """One region's spectrum (J + 2,), its relative misfit, and the linear map (the NNLS's
    active bands, same weights) that `_apply` uses on perturbed mean squares.

    Each scale's equation is weighted by 1 / its expected error `noise` (default: a relative
    error, noise = value), so fine texture under a strong form counts too. Bands that no measured
    scale passes with H^2 >= GUARD_SEEN (a region by a crease or a pole) are not measured: the
    first of them takes the coarse energy as a guard, and reports none.
    """
    from scipy.optimize import nnls

    J2 = design.shape[1]
    sol = np.zeros(J2)
    ok = np.isfinite(row)
    if ok.sum() < 2 or row[ok].max() <= 0:
        return sol, 0.0, None
    s = row[ok].max()
    err = np.abs(row[ok]) if noise is None else noise[ok]
    w = s / np.maximum(err, NOISE_FLOOR * s)
    top = _top_band(design, ok)
    A = design[ok][:, :top] * w[:, None]
    b = row[ok] / s * w
    p, rnorm = nnls(A, b, maxiter=50 * top)
    sol[:top] = p * s
    if top < J2:
        sol[top - 1] = 0.0
    act = np.flatnonzero(sol[:top] > 0)
    lin = (ok, s, w, act, np.linalg.pinv(A[:, act]) if len(act) else None)
    return sol, float(rnorm / max(np.linalg.norm(b), 1e-300)), lin


def _apply(lin, extra: np.ndarray, J2: int) -> np.ndarray:
    """The solve of `_solve`, on its active bands, for rows of perturbed mean squares (n, K)."""
    out = np.zeros((len(extra), J2))
    if lin is None or lin[4] is None:
        return out
    ok, s, w, act, pinv = lin
    out[:, act] = np.maximum((extra[:, ok] / s * w) @ pinv.T, 0.0) * s
    return out


def solve_rows(designs: np.ndarray, ms: np.ndarray, extra: np.ndarray, noise: np.ndarray,
               bracket: bool = False):
    """Spectra (R, J + 2) of every row of ms (R, K) with its region's design (R, K, J + 2), and
    of the perturbed rows extra (n, R, K) by the same linear solve on each row's active bands.
    With bracket, two more perturbed rows per region: ms moved down and up by the band model's
    own misfit |design @ p - ms|. noise (R, K): each mean square's expected error (the weights).
    Returns (spectra, extra spectra (n [+2], R, J + 2), relative misfit (R,), brackets (2, R, K))."""
    R, J2 = len(ms), designs.shape[2]
    n = len(extra) + (2 if bracket else 0)
    E, reps = np.zeros((R, J2)), np.zeros((n, R, J2))
    misfit, brk = np.zeros(R), np.full((2, R, ms.shape[1]), np.nan)
    for i in range(R):  # loop over regions (hundreds), not faces
        sol, misfit[i], lin = _solve(designs[i], ms[i], noise[i])
        rows = np.nan_to_num(extra[:, i])
        if bracket:
            fitted = designs[i] @ sol
            dev = np.abs(fitted - np.where(np.isfinite(ms[i]), ms[i], fitted))
            brk[:, i] = ms[i] - dev, ms[i] + dev
            rows = np.vstack([rows, brk[:, i]])
        E[i], reps[:, i] = sol, _apply(lin, rows, J2)
    return E, reps, misfit, brk


def finite_var(x: np.ndarray) -> np.ndarray:
    """Variance over axis 0 of the finite entries (NaN where none; no warnings)."""
    ok = np.isfinite(x)
    n = ok.sum(axis=0)
    xs = np.where(ok, x, 0.0)
    mean = xs.sum(axis=0) / np.maximum(n, 1)
    var = (np.where(ok, xs - mean, 0.0) ** 2).sum(axis=0) / np.maximum(n, 1)
    return np.where(n > 0, var, np.nan)


def band_energies(design: np.ndarray, mean_square: np.ndarray) -> np.ndarray:
    """Non-negative least squares of design (K, J + 2) @ p = mean_square for every row."""
    ms = np.atleast_2d(np.asarray(mean_square, float))
    return np.stack([_solve(design, row)[0] for row in ms])


@dataclass(frozen=True)
class RegionSpectra:
    """Each region's spectrum, and its mean squares under the measurement's own uncertainty."""

    full: np.ndarray        # (R, J + 2) mean-square relief per band incl. the two guards, mm^2
    boot: np.ndarray        # (BOOTSTRAP, R, K) Poisson-bootstrap resamples of the mean squares
    boot_full: np.ndarray   # (BOOTSTRAP, R, J + 2) their spectra (on the main active bands)
    bracket: np.ndarray     # (2, R, K) the mean squares moved by -/+ the band model's misfit
    bracket_full: np.ndarray  # (2, R, J + 2) their spectra
    misfit: np.ndarray      # (R,) relative misfit of the band model (0 = explains every scale)
    noise: np.ndarray       # (R, K) each mean square's expected error: bootstrap + model error
    measured: np.ndarray    # (R, K) the scales measured in each region
    mean_square: np.ndarray  # (R, K) the residual's mean square per scale, mm^2 (NaN: unmeasured)
    tilt: np.ndarray        # (R, T) the region's mix of tabulated tilts
    designs: np.ndarray     # (R, K, J + 2) its bands' power gains

    @property
    def energy(self) -> np.ndarray:
        """(R, J) the reported bands (guards dropped)."""
        return self.full[:, 1:-1]


def region_spectra(sp: Spectrum, reg: Regions, rng: np.random.Generator) -> RegionSpectra:
    """Band energies per region, with bootstrap replicates and misfit brackets.

    A scale is measured in a region when at least MIN_VALID_SHARE of its points (and 4) are
    crease-free there. Bootstrap: each query point is drawn Poisson(1) times per replicate (the
    points are independent uniform samples of the region, so this is the sampling spread of the
    region's mean squares). Their expected error adds the power table's model error.
    """
    lab, R = reg.label, len(reg.count)
    res = sp.residual
    K = res.shape[1]
    valid = np.isfinite(res)
    r2 = np.where(valid, res, 0.0) ** 2
    nvalid = np.stack([np.bincount(lab, weights=valid[:, k], minlength=R) for k in range(K)], 1)
    measured = nvalid >= np.maximum(4, MIN_VALID_SHARE * reg.count[:, None])
    W = rng.poisson(1.0, size=(BOOTSTRAP, len(lab))).astype(float)
    key = (lab[None, :] + R * np.arange(BOOTSTRAP)[:, None]).ravel()
    ms = np.full((R, K), np.nan)
    boot = np.full((BOOTSTRAP, R, K), np.nan)
    for k in range(K):  # one vectorised pass per scale
        vk = valid[:, k]
        ms[:, k] = np.bincount(lab, weights=r2[:, k], minlength=R) / np.maximum(nvalid[:, k], 1)
        wk = (W * vk[None, :]).ravel()
        num = np.bincount(key, weights=wk * np.tile(r2[:, k], BOOTSTRAP), minlength=R * BOOTSTRAP)
        den = np.bincount(key, weights=wk, minlength=R * BOOTSTRAP)
        boot[:, :, k] = (num / np.maximum(den, 1e-300)).reshape(BOOTSTRAP, R)
    ms = np.where(measured, ms, np.nan)
    boot = np.where(measured[None], boot, np.nan)
    with np.errstate(invalid="ignore"):
        noise = np.sqrt(finite_var(boot) + (model_error(sp)[None, :] * ms) ** 2)
    tilt = np.stack([np.bincount(lab, weights=sp.tilt[:, t], minlength=R)
                     for t in range(sp.tilt.shape[1])], 1) / reg.count[:, None]
    D = sp.designs(tilt)
    E, reps, misfit, brk = solve_rows(D, ms, boot, noise, bracket=True)
    return RegionSpectra(E, boot, reps[:BOOTSTRAP], brk, reps[BOOTSTRAP:], misfit, noise,
                         measured, ms, tilt, D)


# --------------------------------------------------------------------------- components


def refine(sp: Spectrum, rs: RegionSpectra, ms: np.ndarray,
           j: np.ndarray, walk: bool = True,
           table: "WindowTable | None" = None) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                        np.ndarray]:
    """(wavelength, semi-amplitude, censored, window) of the component peaking at band j of
    every region, fitted continuously to the mean squares ms (..., R, K); window: the band each
    element's fitting window ended centred on (walk=False: the fit stays on j's window);
    table: `window_table(sp, rs)`, the candidates' power gains (computed here when not given).

    Wavelength: for every candidate lam on a fine grid across a window of two band steps
    (bands j-1..j+1) the mean squares are fitted by A H_k(lam)^2 + F H_k(lam_f)^2 + C H_k(lam_c)^2:
    the component, the relief finer than the window (lam_f two band steps below it) and coarser
    (lam_c two steps above), all non-negative, weighted by the mean squares' expected errors;
    lam is where the misfit is least. No band quantisation: a wave between two band centres is
    found where it is. A least misfit at an end of the window is not a measurement (the misfit
    still falls beyond it, and every bootstrap replicate would stop at the same end, giving a
    falsely narrow interval): the window moves one band that way and the fit is repeated, for
    each replicate on its own, until the least misfit lies inside (at most the ladder's
    length). Where the walk reaches the ladder's end the wavelength is censored: -1 (it may be
    finer), +1 (coarser).
    Amplitude: the mean square at the scale that passes the component whole (sigma / lam
    nearest PASS_S), less the finer relief F, over that scale's power gain: the plateau of a
    single wave, which the trading between the fit's terms cannot bias.
    """
    J = len(sp.wavelengths_mm)
    table = window_table(sp, rs) if table is None else table
    jj = np.broadcast_to(np.asarray(j), ms.shape[:-1]).copy()
    r = np.broadcast_to(np.arange(ms.shape[-2]), jj.shape)
    # an error is never taken below NOISE_FLOOR x the region's largest mean square (as in _solve)
    top = np.fmax.reduce(np.where(np.isfinite(rs.mean_square), np.abs(rs.mean_square), np.nan),
                         axis=1)
    err = np.fmax(rs.noise, NOISE_FLOOR * top[:, None])
    lam, Fb, Pf, at = _fit_window(ms, jj, r, err, table)
    step = np.zeros(jj.shape, np.int64)  # the walk's direction, once taken (no turning back)
    for _ in range(J - 1 if walk else 0):  # window moves (a few), each on the moved elements
        move = np.where(at < 0, -1, np.where(at > 0, 1, 0))
        move = np.where((step != 0) & (move != step), 0, move)
        move = np.where((jj + move < 0) | (jj + move > J - 1), 0, move)
        sel = move != 0
        if not sel.any():
            break
        step[sel] = move[sel]
        jj[sel] += move[sel]
        lam[sel], Fb[sel], Pf[sel], at[sel] = _fit_window(ms[sel], jj[sel], r[sel], err, table)
    censored = np.where(np.isfinite(lam), at, 0)
    return lam, _plateau(sp, rs, ms, lam, (Fb, Pf)), censored, jj


@dataclass(frozen=True)
class WindowTable:
    """Every fitting window's candidate wavelengths and their power gains per region: they
    depend on the window (one per band) and the region's tilts, not on the mean squares, so
    the bootstrap, the brackets and the jackknife share them."""

    cand: np.ndarray  # (J, L) candidate wavelengths of the window centred on each band
    P: np.ndarray     # (J, R, K, L) their power gains
    Pf: np.ndarray    # (J, R, K) the finer relief's (two band steps below the window)
    Pc: np.ndarray    # (J, R, K) the coarser relief's (two band steps above)


def window_table(sp: Spectrum, rs: RegionSpectra) -> WindowTable:
    guard = guard_bands(sp.wavelengths_mm)
    J, R = len(sp.wavelengths_mm), len(rs.tilt)
    lo_w, hi_w = guard[:J], guard[2:J + 2]  # window j's ends (guard-indexed j-1 and j+1)
    t = np.linspace(0.0, 1.0, 2 * REFINE_PER_BAND + 1)
    cand = lo_w[:, None] * np.exp(np.log(hi_w / lo_w)[:, None] * t)  # (J, L), scale-exact
    P = sp.power(np.broadcast_to(cand[:, :, None], cand.shape + (R,)), rs.tilt)  # (J, L, R, K)
    Pf = sp.power(np.broadcast_to((lo_w / RATIO ** 2)[:, None], (J, R)), rs.tilt)
    Pc = sp.power(np.broadcast_to((hi_w * RATIO ** 2)[:, None], (J, R)), rs.tilt)
    return WindowTable(cand, np.ascontiguousarray(P.transpose(0, 2, 3, 1)), Pf, Pc)


def _fit_window(ms: np.ndarray, jj: np.ndarray, r: np.ndarray, err: np.ndarray,
                table: WindowTable):
    """The three-term fit of `refine` on the window of bands jj-1..jj+1 of every element (its
    mean squares ms (..., K), its region r, err (R, K) the regions' expected errors): the
    wavelength (NaN: no component), the finer relief F at the optimum and its power gains, and
    where the optimum lies: -1 at the window's fine end, +1 at its coarse end, 0 inside."""
    cand = table.cand[jj]  # (..., L)
    P = table.P[jj, r]  # (..., K, L)
    Pf, Pc = table.Pf[jj, r], table.Pc[jj, r]  # (..., K)
    e = err[r]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        w = np.where(np.isfinite(ms) & (e > 0), 1.0 / (e * e), 0.0)
    w = np.where(np.isfinite(w), w, 0.0)
    y = np.where(w > 0, ms, 0.0)
    chi, A, F = _three_term_fit(w, y, P, Pf, Pc)  # (..., L)
    best = np.argmin(np.where(A > 0, chi, np.inf), axis=-1)
    ok = np.take_along_axis(A, best[..., None], -1)[..., 0] > 0
    lam = np.where(ok, np.take_along_axis(cand, best[..., None], -1)[..., 0], np.nan)
    Fb = np.take_along_axis(F, best[..., None], -1)[..., 0]
    at = np.where(best == 0, -1, np.where(best == cand.shape[-1] - 1, 1, 0))
    return lam, Fb, Pf, np.where(ok, at, 0)


def _plateau(sp: Spectrum, rs: RegionSpectra, ms: np.ndarray, lam: np.ndarray, fine):
    """Semi-amplitude of the component of wavelength lam: the mean square at the scale that
    passes it whole (sigma / lam nearest PASS_S), less the finer relief, over that scale's power
    gain."""
    Fb, Pf = fine
    ok = np.isfinite(lam)
    safe = np.where(ok, lam, guard_bands(sp.wavelengths_mm)[1])
    k = plateau_scale(sp, lam)
    Pk = np.take_along_axis(sp.power(safe, rs.tilt), k[..., None], -1)[..., 0]
    Pfk = np.take_along_axis(Pf, k[..., None], -1)[..., 0]
    msk = np.take_along_axis(np.nan_to_num(ms), k[..., None], -1)[..., 0]
    energy = np.maximum(msk - Fb * Pfk, 0.0) / np.maximum(Pk, 1e-300)
    return np.where(ok, np.sqrt(2.0 * energy), 0.0)


def _solve_small(M, b):
    """x = M^-1 b for stacks of 1x1, 2x2 or 3x3 systems given as nested lists of arrays
    (Cramer's rule: far faster than LAPACK on millions of tiny systems)."""
    n = len(b)
    if n == 1:
        return [b[0] / _nz(M[0][0])]
    if n == 2:
        det = _nz(M[0][0] * M[1][1] - M[0][1] * M[1][0])
        return [(b[0] * M[1][1] - b[1] * M[0][1]) / det, (b[1] * M[0][0] - b[0] * M[1][0]) / det]
    c00 = M[1][1] * M[2][2] - M[1][2] * M[2][1]
    c01 = M[1][2] * M[2][0] - M[1][0] * M[2][2]
    c02 = M[1][0] * M[2][1] - M[1][1] * M[2][0]
    det = _nz(M[0][0] * c00 + M[0][1] * c01 + M[0][2] * c02)
    x0 = (b[0] * c00 + M[0][1] * (M[1][2] * b[2] - b[1] * M[2][2])
          + M[0][2] * (b[1] * M[2][1] - M[1][1] * b[2])) / det
    x1 = (M[0][0] * (b[1] * M[2][2] - M[1][2] * b[2]) + b[0] * c01
          + M[0][2] * (M[1][0] * b[2] - b[1] * M[2][0])) / det
    x2 = (M[0][0] * (M[1][1] * b[2] - b[1] * M[2][1]) + M[0][1] * (b[1] * M[2][0] - M[1][0] * b[2])
          + b[0] * c02) / det
    return [x0, x1, x2]


def _nz(x):
    return np.where(np.abs(x) > 1e-300, x, 1e-300)


def _three_term_fit(w, y, P, Pf, Pc):
    """Weighted non-negative fit y ~ A P_l + F Pf + C Pc for every candidate l: the best of the
    four term subsets that hold the component (closed-form normal equations, vectorised).
    Returns (misfit, A, F), each (..., R, L)."""
    wy = (w * y)[..., None]
    wP = w[..., None] * P  # (..., R, K, L)
    spp = (wP * P).sum(axis=-2)
    zero = np.zeros_like(spp)
    sm = {"yp": (wy * P).sum(axis=-2), "pf": (wP * Pf[..., None]).sum(axis=-2),
          "pc": (wP * Pc[..., None]).sum(axis=-2)}
    for name, a, b in (("ff", Pf, Pf), ("cc", Pc, Pc), ("fc", Pf, Pc), ("yf", y, Pf),
                       ("yc", y, Pc), ("yy", y, y)):
        sm[name] = (w * a * b).sum(axis=-1)[..., None] + zero
    M = [[spp, sm["pf"], sm["pc"]], [sm["pf"], sm["ff"], sm["fc"]], [sm["pc"], sm["fc"], sm["cc"]]]
    b = [sm["yp"], sm["yf"], sm["yc"]]
    best_chi, best_A, best_F = np.full(spp.shape, np.inf), zero.copy(), zero.copy()
    for keep in ((0,), (0, 1), (0, 2), (0, 1, 2)):  # the four subsets holding the component
        x = _solve_small([[M[i][k] for k in keep] for i in keep], [b[i] for i in keep])
        chi = sm["yy"] - sum(xi * b[i] for xi, i in zip(x, keep))  # misfit at the optimum
        good = np.logical_and.reduce([xi >= 0 for xi in x]) & (chi < best_chi)
        best_chi = np.where(good, chi, best_chi)
        best_A = np.where(good, x[0], best_A)
        best_F = np.where(good, x[1] if 1 in keep else 0.0, best_F)
    return best_chi, best_A, best_F


def plateau_scale(sp: Spectrum, lam: np.ndarray) -> np.ndarray:
    """Index of the scale that passes a wave of wavelength lam whole (sigma / lam nearest
    PASS_S): where `_plateau` reads a component's amplitude."""
    safe = np.where(np.isfinite(lam), lam, guard_bands(sp.wavelengths_mm)[1])
    return np.argmin(np.abs(np.log(sp.sigmas_mm / (PASS_S * safe[..., None]))), axis=-1)


def concentration(sp: Spectrum, reg: Regions, lam: np.ndarray, rng: np.random.Generator):
    """(g, g_boot): how concentrated each region's relief of wavelength lam (R,) is, g >= 1,
    and BOOTSTRAP Poisson-bootstrap replicates of it (BOOTSTRAP, R).

    A region's mean square averages its relief over all of its points: where only a share f of
    it holds the relief (a region straddling a texture patch's edge or its taper) the plateau
    reads f a^2 / 2, an amplitude diluted by sqrt f, though no place on the region has that
    amplitude. A region resolves how its relief's energy varies across it only to the first
    spatial moment (finer variation is its own relief's phase, and the fit noise correlated
    over the fit windows, about a wavelength), so the squared residual at the plateau scale is
    modelled as a plane across the region clipped at zero (`_clipped_plane`). g = mean(e^2) /
    mean(e)^2 of that energy e over the region's points: 1 for relief spread evenly, ~1 / f
    for relief on a share f (a straight edge through a region: 1.76 for half, 4.5 for a fifth,
    where 2 and 5 are true; a taper's ramp 1.74 for 1.68). sqrt(g) x the plateau amplitude is
    the amplitude where the relief is. g is at most D / lam for a region D across: relief on
    less than a wavelength of it is not a wave read over its phase there.
    """
    R, Q = len(reg.count), len(sp.points)
    lab = reg.label
    ok_r = np.isfinite(lam) & (lam > 0)
    ks = plateau_scale(sp, np.where(ok_r, lam, np.nan))[lab]  # (Q,) each point's scale
    r = sp.residual[np.arange(Q), ks]
    own = np.isfinite(r) & ok_r[lab]
    nrm = np.stack([np.bincount(lab, weights=sp.normals[:, c], minlength=R) for c in range(3)], 1)
    t1, t2 = _frames(_unit(nrm, np.array([0.0, 0.0, 1.0])))
    rel = sp.points - reg.centroid[lab]
    xy = np.stack([(rel * t1[lab]).sum(axis=1), (rel * t2[lab]).sum(axis=1)])
    W = np.concatenate([np.ones((1, Q)), rng.poisson(1.0, size=(BOOTSTRAP, Q))]) * own
    ratio = _clipped_plane(lab, R, xy, np.where(own, r, 0.0) ** 2, W)
    # a wave is read only from relief a wavelength across at least: the share holding it is no
    # less than lam / D of a region D across (its equal-area diameter), as `lam <= span` asks
    # of the whole component
    span = 2.0 * np.sqrt(np.maximum(reg.area, 0.0) / np.pi)
    with np.errstate(divide="ignore", invalid="ignore"):
        most = np.where(ok_r, np.maximum(span / np.where(ok_r, lam, 1.0), 1.0), 1.0)
    ratio = np.where(np.isfinite(ratio) & ok_r[None], np.clip(ratio, 1.0, most[None]), 1.0)
    return ratio[0], ratio[1:]


def _clipped_plane(lab: np.ndarray, R: int, xy: np.ndarray, e: np.ndarray, W: np.ndarray):
    """(B, R) mean(f^2) / mean(f)^2 per region of f, the energy e (Q,) of its points at tangent
    positions xy (2, Q) fitted by a plane clipped at zero, for each row of point weights W
    (B, Q): least squares, then again on the points the clipped plane holds (CONC_ITER times),
    less the slopes' own sampling variance (2 s^2 / n on average, s^2 the scatter about the
    plane: a plane fitted to even relief tilts by that much, which is not relief)."""
    B, Q = W.shape
    key = (lab[None, :] + R * np.arange(B)[:, None]).ravel()
    X, Y, E = np.tile(xy[0], B), np.tile(xy[1], B), np.tile(e, B)
    wall = held = W.ravel()
    one = np.ones_like(X)

    def mom(w, v):
        return np.bincount(key, weights=w * v, minlength=R * B)

    for _ in range(CONC_ITER):  # a few refits on the points the clipped plane holds
        basis = (one, X, Y)
        M = [[mom(held, a * b) for b in basis] for a in basis]
        M[0][0] = np.maximum(M[0][0], 1e-300)
        ridge = RIDGE * (M[1][1] + M[2][2])  # a region along a strip: its slope across is 0
        M[1][1], M[2][2] = M[1][1] + ridge, M[2][2] + ridge
        c0, c1, c2 = _solve_small(M, [mom(held, a * E) for a in basis])
        fit = c0[key] + c1[key] * X + c2[key] * Y
        held = np.where(fit > 0, wall, 0.0)
    fit = np.maximum(fit, 0.0)
    nh, nw = mom(held, one), mom(wall, one)
    s2 = mom(held, (E - fit) ** 2) / np.maximum(nh - 3.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        sq = mom(wall, fit * fit) / nw - 2.0 * s2 / nh
        return (sq / (mom(wall, fit) / nw) ** 2).reshape(B, R)


def peak_bands(E: np.ndarray, n: int = 2) -> np.ndarray:
    """(n, R): the peak band of up to n spectral components per row of band energies E (R, J).
    A component is the strongest remaining band with its two neighbours, so a sinusoid that falls
    between two band centres is counted once, at its full amplitude."""
    rem = E.copy()
    cols = np.arange(E.shape[1])[None, :]
    out = []
    for _ in range(n):  # a couple of components
        j = np.argmax(rem, axis=1)
        out.append(j)
        rem = np.where(np.abs(cols - j[:, None]) <= 1, 0.0, rem)
    return np.stack(out)


def component(E: np.ndarray, lams: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(wavelength, semi-amplitude) of the component peaking at band j in every row of E (..., J):
    the energy-weighted log-mean wavelength of bands j-1..j+1 and sqrt(2 x their energy)."""
    cols = np.arange(len(lams))
    m = np.abs(cols - np.asarray(j)[..., None]) <= 1
    e = np.where(m, E, 0.0)
    tot = e.sum(axis=-1)
    lam = lams[0] * np.exp((e * np.log(lams / lams[0])).sum(axis=-1) / np.where(tot > 0, tot, 1.0))
    return np.where(tot > 0, lam, np.nan), np.sqrt(2.0 * tot)


def ladder_resolution(sp: Spectrum, rs: RegionSpectra) -> tuple[np.ndarray, np.ndarray]:
    """The estimator's own resolution per band: the largest |ln(lam_hat / lam)| and
    |ln(a_hat / a)| it makes on exact data, pure sinusoids at RES_PER_BAND wavelengths per band
    (their mean squares a^2/2 * H_k^2 at every scale under the model's tilt mix, solved and
    read as the checks read a component), for the waves whose component peaks in each band.
    What the bands and the NNLS's spreading of a wave leave; sampling and misfit are added by
    the checks. Bands at the ladder's ends, next to the guards, are measured worst."""
    lams = sp.wavelengths_mm
    J = len(lams)
    guard = guard_bands(lams)
    test = guard[0] * np.exp(np.linspace(0.0, np.log(guard[-1] / guard[0]),
                                         RES_PER_BAND * (J + 1) + 1))
    n = len(test)
    tilt = np.repeat(rs.tilt.mean(axis=0)[None], n, axis=0)
    D = sp.designs(tilt)
    ms = sp.power(test, tilt) * 0.5  # (n, K), a = 1
    noise = ms * model_error(sp)[None, :]
    ideal = RegionSpectra(np.zeros((n, J + 2)), ms[None], ms[None], ms[None], ms[None],
                          np.zeros(n), noise, np.ones_like(ms, bool), ms, tilt, D)
    full, _, _, _ = solve_rows(D, ms, np.zeros((0, n, ms.shape[1])), noise)
    j = np.argmax(full[:, 1:-1], axis=1)
    lam, amp, _, _ = refine(sp, ideal, ms, j)
    res_l, res_a = np.full(J, math.log(RATIO)), np.full(J, math.log(RATIO))
    ok = np.isfinite(lam) & (amp > 0)
    el = np.where(ok, np.abs(np.log(np.where(ok, lam, 1.0) / test)), np.inf)
    ea = np.where(ok, np.abs(np.log(np.where(ok, amp, 1.0))), np.inf)
    for b in range(J):  # bands (a dozen)
        at = j == b
        if at.any():
            res_l[b], res_a[b] = el[at].max(), ea[at].max()
    return res_l, res_a


# --------------------------------------------------------------------------- the power table


def _power_rows() -> list:
    """The simulated table (data/texture_power.json: [tilt][kind][sigma / lam])."""
    import json
    from importlib import resources

    with resources.files("miniscan.data").joinpath("texture_power.json").open("rb") as fh:
        return json.load(fh)["rows"]



# POWER_TABLE[t, k]: the power gain of a scale of kind k (0 = raw vertices, 1.. = nested thinnings;
# the last kind serves every coarser scale) on a surface tilted TILTS_DEG[t] from its dominant
# axis, at sigma / lam = S_GRID: simulate_power(300, 20261122 + t, TILTS_DEG[t]), rounded to 4
# digits. test_detail.py re-simulates it with another seed.
POWER_TABLE = np.array(_power_rows())
# MODEL_ERROR[k]: how far a mesh's real power gain may be from the table (relative): the 90th
# percentile, over sigma / lam in [0.2, 2] (the scales that decide a band), of the largest
# relative spread between meshes jittered by 0, 0.15 and 0.3 edges (regular to irregular);
# kinds from 2 on pooled (their points are alike). Raw vertices depend on the triangulation most.
MODEL_ERROR = np.array([0.859, 0.427, 0.108, 0.108, 0.108])
# ROWS_SIM: sigma_0 over the rows of vertices across the sparsest direction (a face's largest
# altitude, 2 area / shortest edge, area-weighted mean) on the lattice the table was simulated on
# (unit edge, jittered SIM_JITTER; `sim_rows(SIM_JITTER)`): its finest window, 2 sigma_0 in
# radius, spans ~2 rows either side. A scale whose window spans fewer rows on a mesh (a sliver
# lattice's long side, a coarse part of a graded mesh) fits its quadric through one or two rows
# of points and may leave residuals the table does not describe (texture:38 of the ground-truth
# suite, 3:1 slivers: 30-50x the table's mean square at sigma 1.4-2 short edges): such a scale
# is read only where its own numbers do not show it (`resolved_scales`, checks/texture.py
# `_readable`). test_detail.py re-derives it with another seed.
ROWS_SIM = 0.973


def sim_rows(jitter: float, seed: int = 20261130, n: int = 40) -> float:
    """sigma_0 (the unit edge) over the area-weighted mean largest altitude of the faces of the
    simulated lattice (`simulate_power`'s: equilateral, unit edge, jittered by `jitter` edges,
    Delaunay-triangulated)."""
    from scipy.spatial import Delaunay

    rng = np.random.default_rng(seed)
    i, j = np.meshgrid(np.arange(-n, n + 1), np.arange(-n, n + 1), indexing="ij")
    uv = np.stack([i + 0.5 * j, j * math.sqrt(3) / 2], -1).reshape(-1, 2).astype(float)
    uv = uv + rng.normal(0.0, jitter, uv.shape)
    p = uv[Delaunay(uv).simplices]
    keep = np.linalg.norm(p.mean(axis=1), axis=1) < 0.6 * n  # away from the hull's slivers
    p = p[keep]
    e = np.linalg.norm(p - np.roll(p, 1, axis=1), axis=2)
    d1, d2 = p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]
    area = 0.5 * np.abs(d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0])
    alt = 2.0 * area / e.min(axis=1)
    return float(area.sum() / (area * alt).sum())


def row_spacing(face_areas: np.ndarray, sp, label: np.ndarray, weight: np.ndarray,
                n: int) -> np.ndarray:
    """(n,) the rows of vertices across the sparsest direction of each group's faces: the
    weighted mean (`weight` per query point, `label` its group) of the largest altitude of the
    query points' faces, 2 area / shortest edge (0.87 of the edge on an even mesh; 3 h on a
    lattice of h x 3 h cells)."""
    alt = 2.0 * face_areas[sp.faces] / np.maximum(sp.point_edge_mm, 1e-300)
    wsum = np.bincount(label, weights=weight, minlength=n)
    return np.bincount(label, weights=weight * alt, minlength=n) / np.maximum(wsum, 1e-300)


def resolved_scales(sp, rows: np.ndarray) -> np.ndarray:
    """(R, K) whether each scale's window spans as many rows of vertices across the mesh's
    sparsest direction as the power table's finest scale did (sigma_k >= ROWS_SIM x rows)."""
    return sp.sigmas_mm[None, :] >= ROWS_SIM * np.asarray(rows, float)[:, None]


def _half() -> float:
    """Wavelength, in sigmas, that a coarse scale passes at half amplitude (H = 1/2), over the
    tilts' mean."""
    lp = np.log(POWER_TABLE[:, -1].mean(axis=0))
    i = int(np.argmax(lp >= math.log(0.25)))
    return 1.0 / math.exp(np.interp(math.log(0.25), lp[i - 1:i + 1], np.log(S_GRID[i - 1:i + 1])))


HALF = _half()
