"""Fine lines and lettering: narrow grooves and ridges found as line features and measured across.

Steps of `find_lines` (docs/lines.md derives every formula):
1. `_point_set`: the surface as area-weighted points: every vertex (a third of its faces' area,
   their area-weighted normal) plus seeded samples inside faces larger than a source cell (a CSG
   plate's fan triangles have no vertex inside), aggregated into cells split by side.
2. `_fit_base`: at each window sigma of a short ladder, a Tukey-reweighted, Gaussian-windowed
   quadric around query cells: the base surface a line is cut into or raised from. Lines are
   outliers of that fit (they cover a narrow band of the window), so the reweighting leaves
   them out. The relief of a vertex is its height over the base of its nearest query cell.
3. `_candidates`: vertices whose relief exceeds the detection floor and the fit's own noise, by
   sign (ridge +1, groove -1), joined through their faces into regions. On the piecewise-linear
   mesh the footprint area A above half the region's depth and the length P of that contour are
   exact sums over faces; a band of width w and length L has A = w L and P ~ 2 L, so its width is
   2A/P and its length P/2 (exact for rings and long bands). Elongated regions no wider than
   the window are candidates.
4. `_profiles`: cross-sections. At stations along each candidate's contour, rays along the base
   normal sample the surface across the stroke; the relief over the station's base gives the
   stroke's depth (its peak), its full width at half depth, the gap to the next stroke beyond its
   edge, and whether the surface beside it returns to the base on both sides (a line) or not (a
   crease, a step, a fold: rejected).
5. `_summarise`: per line, the medians over its valid stations and their intervals: every
   station's width and depth carry the profile step, the facets' chordal error over the slope,
   and the base fit's standard error (docs/lines.md).

Everything here is in model millimetres; the ladder, the detection floor and the gap reach come
from the check (they depend on the viewing conditions), and the result is cached under them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# --- tuned constants (unit, and why this value) ----------------------------------------------
# Source points are aggregated into cells of sigma / SOURCE_CELLS (so ~50 cells fall in the
# 2-sigma window, enough for a 6-term quadric after outliers are dropped); fits are made at
# query cells of sigma (neighbouring windows overlap by half: the base is smooth between them).
SOURCE_CELLS = 2.0
QUERY_CELLS = 1.0
K_NEIGHBOURS = 48  # source cells per fit (the 2-sigma window holds ~50 at sigma / 2 cells)
WINDOW = 2.0  # the Gaussian window (std sigma) is cut at WINDOW * sigma
# Tukey's biweight constant (95 % efficiency under Gaussian noise) and its iterations: the first
# fit starts from the median level, four reweightings settle on the base.
TUKEY_C = 4.685
IRLS_STEPS = 4
MAD_TO_SIGMA = 1.4826  # median absolute deviation -> standard deviation (Gaussian)
QUAD_TERMS = 6  # the base quadric's coefficients (1, x, y, xx, xy, yy)
# The residual scale never drops under 1e-5 sigma: the fit runs in float32 (7 digits), and a CAD
# plate's exact residuals (rounding noise ~1e-7 sigma) must not make Tukey reject the plate itself.
SCALE_FLOOR = 1e-5
# Neighbours whose normal turns more than 90 deg from the fitted normal are the other side of a
# thin part (a cloak's back, a blade's other face): never part of this side's base; before the
# frame is known, only normals turned past 120 deg from the query's are (OTHER_FACE_COS).
SIDE_COS = 0.0
# A point is measured over the nearest of its ASSIGN_K nearest query cells whose base normal is
# within 60 deg of its own (cos 0.5): a groove's floor over the plate's base, never over the
# base of a side wall that happens to be nearer.
ASSIGN_K = 8
ASSIGN_COS = 0.5
OTHER_FACE_COS = -0.5
# Points within 60 deg of a cell's principal normal axis are on one face of it or the other (a
# thin part's two faces are +-d); points turned further (walls, risers) join the larger face.
SIDE_AXIS_COS = 0.5
# A cell whose summed normal keeps 90 % of the summed lengths is one face of a surface (its
# normals spread under ~50 deg): its mean normal is its axis, no eigen-decomposition needed.
ONE_SIDED = 0.9
# The base's frame is the mode of the window's normals: the mean of those within 30 deg of it
# (a sphere's normals spread +-20 deg over a window of 2 sigma on a radius of 5 sigma: kept).
NORMAL_CONE_COS = math.cos(math.radians(30.0))
# ... refined within 10 deg: the frame then lies along the base's own normal (a V-groove's 22 deg
# walls tilt a 30 deg mean by a degree or two, which the median start of the fit would feel)
MODE_CONE_COS = math.cos(math.radians(10.0))
# A vertex is a candidate when its relief exceeds DETECT_SNR times the fit's noise: the Rose
# criterion (a feature is detected reliably at a signal-to-noise ratio of 5; Gaussian noise
# passes 5 sigma once in 3.5 million vertices).
DETECT_SNR = 5.0
# ... and a region grows through vertices over HYSTERESIS of that threshold (Canny's hysteresis:
# a groove in a rough surface dips near the threshold here and there and stays one groove).
HYSTERESIS = 0.5
# Faces bigger than BIG_FACE source cells carry their own area-weighted samples (one per cell);
# at most BIG_SAMPLES of them in all (the spacing coarsens beyond that).
BIG_FACE = 1.0
BIG_SAMPLES = 200_000
# A line is read at the finest window whose sigma is at least 1 / WIDTH_PER_SIGMA of its width:
# then the stroke (a V or round groove spreads over twice its width at half depth) covers under
# a fifth of the Gaussian weight even when the window is centred on it (erf(w / (2 sqrt 2 sigma))
# = 0.2 at w = sigma / 2), and Tukey's fit sees it as the outlier it is. The ladder's step of 3
# leaves every width in (sigma / 6, sigma / 2] of one window.
WIDTH_PER_SIGMA = 0.5
# A reading whose faces a better reading of another window already holds for this share is that
# same line, read less completely.
CLAIMED_SHARE = 0.2
# A candidate must be at least ELONGATION times longer than wide: a stroke, not a pit or a bump.
ELONGATION = 3.0
# A ridge higher than RIDGE_ASPECT times its width is a fin or a wall standing on the surface (an
# ear, a blade, a flag: the scale family's walls), not an embossed line; lettering and raised
# lines stand about as high as they are wide (CSG base lettering: 0.7 mm on 0.6 mm strokes).
# Grooves have no such bound: a knife cut is deeper than wide and still a line.
RIDGE_ASPECT = 2.0
# Stations per line (cross-sections along its contour) and in all: enough for a median with a
# 4-station minimum, bounded so that a sculpt with thousands of wrinkles costs < 200k rays.
STATIONS_MAX = 16
STATIONS_MIN = 4
STATIONS_TOTAL = 2000
# Profile geometry in units of the candidate's width w: samples every w / PROFILE_STEPS, from
# PROFILE_IN widths inside the stroke (its far edge, serifs and junctions) to FLANK widths past
# its near edge (the flank test), then PROFILE_OUTER samples out to the gap reach.
PROFILE_STEPS = 16
PROFILE_IN = 2.0
FLANK = 1.5
PROFILE_OUTER = 16
# A contour drawn at the detection threshold near a stroke's crest may cut it far narrower than
# at half depth (`_contour_shrink`); the cross-sections are widened for at most this shrink
# (a contour at 7/8 of the depth), i.e. at most 4 times the contour's width.
MIN_CONTOUR_SHRINK = 0.25
# Rays start above the profile by twice the depth plus the drop of a base tilted up to 45 deg
# (a stroke on a steep or curved flank) over the distance from the station.
RAY_LIFT_DEPTHS = 2.0
RAY_TILT = 1.0  # tan(45 deg)
# A line returns to its base on both sides: the median relief of each flank and the flanks'
# spread (MAD sigma) stay within FLANK_SHARE of the stroke's depth (the Rose criterion again:
# the stroke stands 5 times out of the roughness beside it). A crease, a step or a concave
# junction leaves a flank far off the base and fails; so does a chance run of noise.
FLANK_SHARE = 1.0 / DETECT_SNR
FLANK_MIN_SAMPLES = 3
# A candidate is a line when at least LINE_MIN_STATIONS stations, and at least LINE_VALID_SHARE
# of them, read a stroke with flat flanks.
LINE_MIN_STATIONS = 3
LINE_VALID_SHARE = 0.5
# The line's spacing is read when at least SPACING_MIN_SHARE of its valid stations see another
# stroke within the reach (the counters of a B, the next letter, hatching).
SPACING_MIN_SHARE = 0.25
SALT = 601
FIT_CHUNK = 8192  # queries fitted at once: (chunk, K, 6) arrays stay ~25 MB
NO_RELIEF = 1e9  # mm: the relief of a vertex with no base (far below any contour level)


@dataclass(frozen=True)
class Base:
    """The robust quadric base at one window scale: one fit per query cell."""

    sigma: float
    q: np.ndarray  # (Q, 3) query points
    n: np.ndarray  # (Q, 3) fitted normal (frame axis)
    t1: np.ndarray  # (Q, 3)
    t2: np.ndarray  # (Q, 3)
    c: np.ndarray  # (Q, 6) quadric z = c0 + c1 x + c2 y + c3 x^2 + c4 xy + c5 y^2 (sigma units)
    noise: np.ndarray  # (Q,) MAD sigma of the inliers' residuals, mm
    level_se: np.ndarray  # (Q,) standard error of the base level c0, mm
    ok: np.ndarray  # (Q,) the fit had enough inliers

    def height(self, j: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Height (mm) of points p over the base of query cells j (NaN where the fit failed)."""
        x, y, z = self._local(j, p)
        c = self.c[j]
        base = c[:, 0] + c[:, 1] * x + c[:, 2] * y + c[:, 3] * x * x + c[:, 4] * x * y + c[:, 5] * y * y
        return np.where(self.ok[j], (z - base) * self.sigma, np.nan)

    def normal(self, j: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Unit normal of the base surface of query cells j under points p."""
        x, y, _ = self._local(j, p)
        c = self.c[j]
        gx = c[:, 1] + 2 * c[:, 3] * x + c[:, 4] * y
        gy = c[:, 2] + c[:, 4] * x + 2 * c[:, 5] * y
        v = self.n[j] - gx[:, None] * self.t1[j] - gy[:, None] * self.t2[j]
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def _local(self, j, p):
        d = (p - self.q[j]) / self.sigma
        return (np.einsum("ij,ij->i", d, self.t1[j]), np.einsum("ij,ij->i", d, self.t2[j]),
                np.einsum("ij,ij->i", d, self.n[j]))


@dataclass(frozen=True)
class LineSet:
    """Every line read on the model (arrays of one entry per line, in a deterministic order)."""

    kind: np.ndarray  # (L,) +1 ridge (embossed), -1 groove (engraved)
    sigma_mm: np.ndarray  # (L,) window scale it was read at
    width_mm: np.ndarray  # full width at half depth: median over stations
    width_lo: np.ndarray
    width_hi: np.ndarray
    depth_mm: np.ndarray  # depth (groove) or height (ridge) over the base
    depth_lo: np.ndarray
    depth_hi: np.ndarray
    gap_mm: np.ndarray  # gap to the neighbouring stroke (NaN: none within the reach)
    gap_lo: np.ndarray
    gap_hi: np.ndarray
    reach_mm: np.ndarray  # how far past its edge each line was searched for a neighbour
    length_mm: np.ndarray  # centre-line length, P/2 - w
    area_mm2: np.ndarray  # footprint above half depth
    centroid_mm: np.ndarray  # (L, 3)
    stations: np.ndarray  # stations measured
    valid: np.ndarray  # stations that read a stroke with flat flanks
    first_faces: tuple[tuple[int, ...], ...]
    face_line: np.ndarray  # (F,) line index of every face, -1 none
    candidates: int  # regions examined (lines + rejected)
    sigmas_mm: tuple[float, ...]  # the ladder

    @property
    def count(self) -> int:
        return int(len(self.kind))


# --- 1. the surface as points -------------------------------------------------------------------

def _sides(inv: np.ndarray, nsum: np.ndarray) -> np.ndarray:
    """0/1 per point (`inv`: its position cell): which side of its cell's surface it is on.
    The axis is the principal
    direction of the cell's unsigned normal tensor (sum of a n n^T), so both faces of a part
    thinner than the cell (normals +d and -d) split apart while a plate's cell stays whole,
    whatever the model's orientation (an axis-aligned split would cut a tilted plate's cells
    in three and change the neighbour density with the rotation)."""
    m = int(inv.max()) + 1
    ln = np.maximum(np.linalg.norm(nsum, axis=1), 1e-300)
    mean = np.stack([np.bincount(inv, weights=nsum[:, j], minlength=m) for j in range(3)], 1)
    total = np.bincount(inv, weights=ln, minlength=m)
    axis = _unit(mean)
    # cells whose normals do not cancel (one face of a surface) have their mean as the axis;
    # the tensor's eigenvector is needed only where they do (the two faces of a thin part)
    mixed = np.flatnonzero(np.linalg.norm(mean, axis=1) < ONE_SIDED * total)
    if len(mixed):
        sub = np.isin(inv, mixed)
        remap = np.full(m, -1, dtype=np.int64)
        remap[mixed] = np.arange(len(mixed))
        k = remap[inv[sub]]
        ns = nsum[sub]
        T = np.zeros((len(mixed), 3, 3))
        for i in range(3):  # the 3 x 3 tensor entries (a handful of passes, not a point loop)
            for j in range(i, 3):
                T[:, i, j] = T[:, j, i] = np.bincount(k, weights=ns[:, i] * ns[:, j] / ln[sub],
                                                      minlength=len(mixed))
        axis[mixed] = np.linalg.eigh(T)[1][:, :, 2]
    along = np.einsum("ij,ij->i", nsum, axis[inv]) / ln
    # points turned far from the axis (a stroke's walls, a step's riser) belong to no face of
    # a thin part: they join the cell's larger side rather than form a cell of walls alone
    major = np.bincount(inv, weights=ln * np.sign(along), minlength=m) >= 0
    side = np.where(np.abs(along) >= SIDE_AXIS_COS, along >= 0, major[inv])
    return side.astype(np.int64)


def aggregate(points, area, nsum, cell: float, rng=None):
    """Area-weighted cells of `cell` mm, split by side (`_sides`): (centroids, areas, normal sums,
    inverse map from the input points to their cell, representative). With `rng`, each cell's
    representative is one of its own points drawn with probability by area (a real surface
    point: a cell straddling a groove's edge gives the plate's height or the groove's, never a
    blend of both that no robust fit could reject); else -1."""
    key = np.floor(points / cell).astype(np.int64)
    key -= key.min(axis=0)
    span = key.max(axis=0) + 1
    _, pinv = np.unique((key[:, 0] * span[1] + key[:, 1]) * span[2] + key[:, 2],
                        return_inverse=True)
    flat = pinv * 2 + _sides(pinv, nsum)
    used = np.zeros(2 * (int(pinv.max()) + 1), dtype=bool)
    used[flat] = True
    inv = (np.cumsum(used) - 1)[flat]  # compact cell ids, in the order of the position keys
    m = int(inv.max()) + 1
    a = np.bincount(inv, weights=area, minlength=m)
    p = np.stack([np.bincount(inv, weights=area * points[:, j], minlength=m) for j in range(3)], 1)
    ns = np.stack([np.bincount(inv, weights=nsum[:, j], minlength=m) for j in range(3)], 1)
    rep = np.full(m, -1, dtype=np.int64)
    if rng is not None:
        # weighted reservoir keys u^(1/a): the largest key per cell is an area-weighted draw
        k = np.log(np.maximum(rng.random(len(points)), 1e-300)) / np.maximum(area, 1e-300)
        order = np.lexsort((k, inv))
        last = np.concatenate([np.flatnonzero(np.diff(inv[order])), [len(order) - 1]])
        rep[inv[order[last]]] = order[last]
    a = np.maximum(a, 1e-300)
    return p / a[:, None], a, ns, inv, rep


def _unit(v: np.ndarray) -> np.ndarray:
    ln = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.where(ln > 0, ln, 1.0)


def _point_set(a, cell: float, out: float = 1.0):
    """(points, areas, area-weighted normals) of the vertices and of samples inside big faces,
    and the number of vertex points (they come first, one per vertex). `out` is -1 for a mesh
    wound inward as a whole: its normals are turned to face out (relief is outward)."""
    m = a.model
    areas, fn = a.face_areas, a.face_normals * out
    big = areas > BIG_FACE * cell * cell
    n_big = np.where(big, np.ceil(areas / (cell * cell)), 0).astype(np.int64)
    if n_big.sum() > BIG_SAMPLES:
        n_big = np.where(big, np.maximum(1, np.ceil(n_big * BIG_SAMPLES / n_big.sum())), 0).astype(np.int64)
    small = np.where(big, 0.0, areas)
    f = m.faces.ravel()
    nv = m.n_vertices
    va = np.bincount(f, weights=np.repeat(small / 3.0, 3), minlength=nv)
    # a vertex only on big faces still gets a tiny weight so that it has a cell (its relief)
    va = np.maximum(va, 1e-12 * cell * cell)
    vn = a.vertex_normals * (out * va)[:, None]  # area-weighted normals, shared and cached
    pts, pa, pn = [m.vertices], [va], [vn]
    if big.any():
        bf = np.repeat(np.flatnonzero(big), n_big[big])
        r = a.rng(SALT).random((len(bf), 2))
        fold = r.sum(axis=1) > 1
        r[fold] = 1.0 - r[fold]
        t = m.vertices[m.faces[bf]]  # only the big faces (a.triangles would copy them all)
        pts.append(t[:, 0] + r[:, :1] * (t[:, 1] - t[:, 0]) + r[:, 1:] * (t[:, 2] - t[:, 0]))
        w = (areas / np.maximum(n_big, 1))[bf]
        pa.append(w)
        pn.append(fn[bf] * w[:, None])
    return np.concatenate(pts), np.concatenate(pa), np.concatenate(pn), nv


# --- 2. the robust quadric base -----------------------------------------------------------------

def _frames(n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ref = np.where(np.abs(n[:, :1]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
    t1 = _unit(np.cross(n, ref))
    return t1, np.cross(n, t1)


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise dot of (Q, k, 3) vectors with (Q, 3) ones: (Q, k), in a's precision."""
    b = b.astype(a.dtype)
    return a[..., 0] * b[:, None, 0] + a[..., 1] * b[:, None, 1] + a[..., 2] * b[:, None, 2]


def _neighbours(tree, q, nq, src, area, nsrc, sigma):
    """Gaussian-windowed, area-weighted neighbours of every query that face like its base, the
    base's normal (the frame), and their local coordinates in units of sigma."""
    k = int(min(K_NEIGHBOURS, len(src)))
    d, idx = tree.query(q, k=k, distance_upper_bound=WINDOW * sigma, workers=-1)
    d, idx = d.reshape(len(q), k), idx.reshape(len(q), k)
    hit = np.isfinite(d)
    idx = np.where(hit, idx, 0)
    g = np.where(hit, area[idx] * np.exp(-0.5 * (np.where(hit, d, 0.0) / sigma) ** 2),
                 0.0).astype(np.float32)
    ns = nsrc.astype(np.float32)[idx]  # (Q, k, 3)
    n = nq
    # the frame: the mean normal of the window without the other face of a thin part (turned
    # past 120 deg from the query's), then a mean shift of the normals within NORMAL_CONE of the
    # current one (a groove's or a letter's steep walls would tilt a plain mean; the base's own
    # normals are the mode, and a query that sits on a wall still finds the base around it)
    for cone in (OTHER_FACE_COS, NORMAL_CONE_COS, NORMAL_CONE_COS, MODE_CONE_COS, MODE_CONE_COS):
        wn = np.where(_dot(ns, n) > cone, g, 0.0)
        m = np.stack([(wn * ns[..., j]).sum(axis=1) for j in range(3)], 1).astype(np.float64)
        n = np.where(np.linalg.norm(m, axis=1, keepdims=True) > 0, _unit(m), n)
    # only points that face like the base: a stroke's steep walls are no base at any height
    w0 = np.where(_dot(ns, n) > NORMAL_CONE_COS, g, np.float32(0.0))
    t1, t2 = _frames(n)
    dx = ((src[idx] - q[:, None, :]) / sigma).astype(np.float32)
    x, y, z = (_dot(dx, t.astype(np.float32)) for t in (t1, t2, n))
    return w0, x, y, z, n, t1, t2


def _row_median(x: np.ndarray, use: np.ndarray) -> np.ndarray:
    """Median of each row over the entries `use` (0 for rows with none): one sort of the
    row, the middle of the used entries (sorted to the front)."""
    n = use.sum(axis=1)
    srt = np.sort(np.where(use, x, np.inf), axis=1)
    r = np.arange(len(x))
    lo = srt[r, np.maximum((n - 1) // 2, 0)]
    hi = srt[r, np.maximum(n // 2, 0)]
    return np.where(n > 0, 0.5 * (lo + hi), 0.0)


# moments of the quadric basis (1, x, y, xx, xy, yy): M[i, j] = S[_PAIRS[i, j]]
_PAIRS = np.array([[0, 1, 2, 3, 4, 5], [1, 3, 4, 6, 7, 8], [2, 4, 5, 7, 8, 9],
                   [3, 6, 7, 10, 11, 12], [4, 7, 8, 11, 12, 13], [5, 8, 9, 12, 13, 14]])


def _solve(w, x, y, z):
    """Weighted least squares of z on (1, x, y, xx, xy, yy) per row, from the 15 moments of
    the basis and the 6 of the heights (elementwise sums: far faster than batched products).
    Returns (coefficients, inverse normal matrices, solvable)."""
    wx, wy = w * x, w * y
    wxx, wxy, wyy = wx * x, wx * y, wy * y
    S = np.stack([w.sum(1), wx.sum(1), wy.sum(1), wxx.sum(1), wxy.sum(1), wyy.sum(1),
                  (wxx * x).sum(1), (wxx * y).sum(1), (wyy * x).sum(1), (wyy * y).sum(1),
                  (wxx * x * x).sum(1), (wxx * x * y).sum(1), (wxx * y * y).sum(1),
                  (wyy * x * y).sum(1), (wyy * y * y).sum(1)], axis=1).astype(np.float64)
    b = np.stack([(w * z).sum(1), (wx * z).sum(1), (wy * z).sum(1), (wxx * z).sum(1),
                  (wxy * z).sum(1), (wyy * z).sum(1)], axis=1).astype(np.float64)
    M = S[:, _PAIRS]
    M[:, np.arange(1, 6), np.arange(1, 6)] += 1e-6 * np.maximum(S[:, :1], 1e-300)  # sparse windows
    ok = np.count_nonzero(w > 0, axis=1) >= 6
    Minv = np.zeros_like(M)
    if ok.any():
        try:
            Minv[ok] = np.linalg.inv(M[ok])
        except np.linalg.LinAlgError:  # a degenerate window (collinear points)
            Minv[ok] = np.linalg.pinv(M[ok])
    return (Minv @ b[..., None])[..., 0], Minv, ok


def _quad(c, x, y):
    """c0 + c1 x + c2 y + c3 x^2 + c4 xy + c5 y^2 for (Q, 6) coefficients and (Q, k) points."""
    c = c.astype(x.dtype)
    return (c[:, :1] + c[:, 1:2] * x + c[:, 2:3] * y + c[:, 3:4] * x * x + c[:, 4:5] * x * y
            + c[:, 5:6] * y * y)


def _fit_chunk(tree, q, nq, src, area, nsrc, sigma):
    """Tukey-reweighted quadric base around each query of one chunk."""
    w0, x, y, z, n, t1, t2 = _neighbours(tree, q, nq, src, area, nsrc, sigma)
    # start from the median level across the frame: the majority's plane (a least-squares
    # start is already pulled by the line, and Tukey keeps whatever it starts from)
    use = w0 > 0
    r = z - _row_median(z, use)[:, None]
    for _ in range(IRLS_STEPS):
        s = np.maximum(MAD_TO_SIGMA * _row_median(np.abs(r), use), SCALE_FLOOR)
        u = r / (TUKEY_C * s[:, None])
        w = np.where(np.abs(u) < 1.0, w0 * (1.0 - u * u) ** 2, 0.0)
        c, Minv, ok = _solve(w, x, y, z)
        r = z - _quad(c, x, y)
    # the noise is the residuals' MAD sigma: a weighted RMS of the inliers would count a round
    # groove's shallow shoulders (inliers of the base) as roughness and raise the threshold
    noise = MAD_TO_SIGMA * _row_median(np.abs(r), use).astype(np.float64) * sigma
    # a quadric's 6 terms take up 6 of the n residuals' freedom: they read sqrt((n - 6) / n)
    # of the noise (a window of 8 points on a tight curve reads half of it, and a threshold of
    # 5 noise sigma there passes 2.5-sigma noise); 6 points or fewer say nothing of the noise
    n_use = np.count_nonzero(use, axis=1)
    dof = np.maximum(n_use - QUAD_TERMS, 1)
    noise = np.where(n_use > QUAD_TERMS, noise * np.sqrt(n_use / dof), np.inf)
    # standard error of the base level c0 (the sandwich estimate of a weighted fit)
    v = _quad(Minv[:, 0, :], x, y) * w
    spread = np.sqrt((v * v).sum(axis=1, dtype=np.float64))  # sandwich estimate
    level_se = np.multiply(noise, spread, out=np.full(len(noise), np.inf), where=np.isfinite(noise))
    return n, t1, t2, c, noise, level_se, ok


def _fit_base(q, nq, src, area, nsrc, sigma) -> Base:
    """The robust quadric base at every query, in chunks of FIT_CHUNK queries (bounded memory)."""
    from scipy.spatial import cKDTree

    tree = cKDTree(src, balanced_tree=False, compact_nodes=False)
    parts = [_fit_chunk(tree, q[s:s + FIT_CHUNK], nq[s:s + FIT_CHUNK], src, area, nsrc, sigma)
             for s in range(0, len(q), FIT_CHUNK)]
    n, t1, t2, c, noise, level_se, ok = (np.concatenate(x) for x in zip(*parts))
    return Base(sigma, q, n, t1, t2, c, noise, level_se, ok)


def _assign(base: Base, pts: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """The query cell whose base every point is measured over: the nearest of the ASSIGN_K
    nearest whose fit holds and whose base normal is within 60 deg of the point's (a thin
    part's other face, or a side wall's base near a plate's edge, never is); failing that, the
    one that agrees best."""
    from scipy.spatial import cKDTree

    k = int(min(ASSIGN_K, len(base.q)))
    d, j = cKDTree(base.q).query(pts, k=k, workers=-1)
    d, j = d.reshape(len(pts), k), j.reshape(len(pts), k)
    cos = np.where(base.ok[j], np.einsum("pkj,pj->pk", base.n[j], normals), -2.0)
    good = cos > ASSIGN_COS
    pick = np.where(good.any(axis=1), np.argmax(good, axis=1), np.argmax(cos, axis=1))
    return j[np.arange(len(pts)), pick]


# --- 3. candidate regions -----------------------------------------------------------------------

@dataclass(frozen=True)
class _Candidates:
    """Regions of one sign at one scale, with their contour at half depth."""

    sign: int
    face_comp: np.ndarray  # (F,) component of every face, -1 none
    depth: np.ndarray  # (C,) typical peak relief (p90 of the region's vertices)
    level: np.ndarray  # (C,) contour level (half the depth, at least the floor)
    area: np.ndarray  # (C,) footprint above the level, mm^2
    perimeter: np.ndarray  # (C,) plan length of the contour, mm
    seg_comp: np.ndarray  # (S,) component of every contour segment
    seg_mid: np.ndarray  # (S, 3) segment midpoints (on the surface)
    seg_len: np.ndarray  # (S,) plan length
    seg_out: np.ndarray  # (S, 3) unit direction across the stroke, pointing out of it
    seg_query: np.ndarray  # (S,) query cell of the segment's face
    seg_normal: np.ndarray  # (S, 3) base normal at the midpoint
    floor: np.ndarray  # (C,) detection floor of the region (mean over its vertices)
    span: np.ndarray  # (C,) extent of the vertices over the level along the region's long axis
    detect: np.ndarray  # (C,) detection threshold of the region (mean over its vertices)

    @property
    def width(self) -> np.ndarray:
        return 2.0 * self.area / np.maximum(self.perimeter, 1e-300)


def _components(faces: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """Face labels (-1 none): faces joined through shared vertices that are inside."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    fin = np.flatnonzero(inside[faces].any(axis=1))
    out = np.full(len(faces), -1, dtype=np.int64)
    if len(fin) == 0:
        return out
    fv = faces[fin]
    rows = np.repeat(np.arange(len(fin)), 3)
    cols = fv.ravel()
    keep = inside[cols]
    uv, vinv = np.unique(cols[keep], return_inverse=True)
    m = len(fin) + len(uv)
    g = coo_matrix((np.ones(int(keep.sum()), np.int8), (rows[keep], len(fin) + vinv)), shape=(m, m))
    _, lab = connected_components(g, directed=False)
    lab = lab[:len(fin)]
    _, first = np.unique(lab, return_index=True)
    rank = np.argsort(np.argsort(first))
    out[fin] = rank[lab]
    return out


def _per_group_quantile(values, groups, n_groups, q):
    """q-quantile of `values` within every group 0..n-1 (NaN for empty groups)."""
    order = np.lexsort((values, groups))
    counts = np.bincount(groups, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pick = starts + np.floor(q * np.maximum(counts - 1, 0)).astype(np.int64)
    out = np.full(n_groups, np.nan)
    has = counts > 0
    out[has] = values[order][pick[has]]
    return out


def _above_fraction(g: np.ndarray) -> np.ndarray:
    """Share of a triangle's area where a linear function with vertex values g (F, 3) is >= 0."""
    pos = g >= 0
    npos = pos.sum(axis=1)
    frac = np.where(npos == 3, 1.0, 0.0)
    for k in (1, 2):  # the lone vertex on its side cuts a corner triangle of share a^2/((a-b)(a-c))
        rows = np.flatnonzero(npos == k)
        if len(rows) == 0:
            continue
        gl = g[rows]
        lone = np.argmax(pos[rows] if k == 1 else ~pos[rows], axis=1)
        a = gl[np.arange(len(rows)), lone]
        b = gl[np.arange(len(rows)), (lone + 1) % 3]
        c = gl[np.arange(len(rows)), (lone + 2) % 3]
        corner = a * a / np.maximum((a - b) * (a - c), 1e-300)
        frac[rows] = corner if k == 1 else 1.0 - corner
    return np.clip(frac, 0.0, 1.0)


def _segments(tri: np.ndarray, g: np.ndarray):
    """Contour segment of the level g = 0 in every triangle that it crosses: (rows, p1, p2,
    inside point) with the inside point the vertex of largest g."""
    pos = g >= 0
    npos = pos.sum(axis=1)
    rows = np.flatnonzero((npos == 1) | (npos == 2))
    gi, ti, pi = g[rows], tri[rows], pos[rows]
    pts = []
    cross = []
    for e in range(3):
        a, b = e, (e + 1) % 3
        f = gi[:, a] / np.where(gi[:, a] != gi[:, b], gi[:, a] - gi[:, b], 1.0)
        pts.append(ti[:, a] + f[:, None] * (ti[:, b] - ti[:, a]))
        cross.append(pi[:, a] != pi[:, b])
    pts = np.stack(pts, axis=1)  # (S, 3 edges, 3)
    cross = np.stack(cross, axis=1)
    first = np.argmax(cross, axis=1)
    second = 2 - np.argmax(cross[:, ::-1], axis=1)
    r = np.arange(len(rows))
    inner = ti[r, np.argmax(gi, axis=1)]
    return rows, pts[r, first], pts[r, second], inner


def _candidates(a, base: Base, vq: np.ndarray, h: np.ndarray, tau: np.ndarray,
                floor: float, sign: int) -> _Candidates:
    """Regions of relief sign * h over the detection threshold tau, grown through vertices
    over half of it (hysteresis: a groove whose depth dips near the threshold stays one
    region), and their half-depth contours (docs/lines.md)."""
    faces = a.model.faces
    s_h = np.nan_to_num(sign * h, nan=-NO_RELIEF)
    inside = s_h >= np.maximum(floor, HYSTERESIS * tau)
    fc = _components(faces, inside)
    n = int(fc.max()) + 1 if len(fc) else 0
    if n:  # keep the regions that reach the full threshold somewhere
        fsel = np.flatnonzero(fc >= 0)
        strong = (s_h >= tau)[faces[fsel]].any(axis=1)
        keep = np.bincount(fc[fsel], weights=strong.astype(float), minlength=n) > 0
        rank = np.cumsum(keep) - 1
        fc = np.where(fc >= 0, np.where(keep[np.maximum(fc, 0)], rank[np.maximum(fc, 0)], -1), -1)
        n = int(keep.sum())
        kept = np.zeros(len(h), dtype=bool)
        kept[faces[fc >= 0].ravel()] = True
        inside &= kept
    vin = np.flatnonzero(inside)
    vcomp = np.full(len(h), -1, dtype=np.int64)
    fsel = np.flatnonzero(fc >= 0)
    fv = faces[fsel]
    vcomp[fv.ravel()] = np.repeat(fc[fsel], 3)  # faces of one vertex share its component
    vin = vin[vcomp[vin] >= 0]
    depth = _per_group_quantile(s_h[vin], vcomp[vin], n, 0.9)
    weak = np.maximum(floor, HYSTERESIS * tau)
    tau_c = np.bincount(vcomp[vin], weights=weak[vin], minlength=n) / np.maximum(
        np.bincount(vcomp[vin], minlength=n), 1)
    level = np.maximum(0.5 * depth, tau_c)
    detect = np.bincount(vcomp[vin], weights=tau[vin], minlength=n) / np.maximum(
        np.bincount(vcomp[vin], minlength=n), 1)
    comp = fc[fsel]
    g = s_h[fv] - level[comp][:, None]
    tri = a.model.vertices[fv]
    centre = tri.mean(axis=1)
    qf = vq[fv[:, 0]]
    nb = base.normal(qf, centre)
    proj = np.abs(np.einsum("ij,ij->i", a.face_normals[fsel], nb))
    area = np.bincount(comp, weights=a.face_areas[fsel] * proj * _above_fraction(g), minlength=n)
    rows, p1, p2, inner = _segments(tri, g)
    d = p2 - p1
    nr = nb[rows]
    d_plan = d - np.einsum("ij,ij->i", d, nr)[:, None] * nr
    seg_len = np.linalg.norm(d_plan, axis=1)
    mid = 0.5 * (p1 + p2)
    out = _unit(np.cross(nr, d_plan))
    flip = np.einsum("ij,ij->i", out, inner - mid) > 0
    out[flip] *= -1.0
    sc = comp[rows]
    per = np.bincount(sc, weights=seg_len, minlength=n)
    held = vin[s_h[vin] >= level[vcomp[vin]]]
    span = _span(a.model.vertices[held], vcomp[held], n)
    return _Candidates(sign, fc, depth, level, area, per, sc, mid, seg_len, out, qf[rows], nr,
                       tau_c, span, detect)


def _span(p: np.ndarray, g: np.ndarray, n: int) -> np.ndarray:
    """Extent (mm) of the points of every group 0..n-1 along the group's principal axis (0 for
    a group of one point): how far the surface's own samples carry a region, whatever the
    shape of the facets between them."""
    cnt = np.maximum(np.bincount(g, minlength=n), 1)
    mean = np.stack([np.bincount(g, weights=p[:, j], minlength=n) for j in range(3)], 1) / cnt[:, None]
    d = p - mean[g]
    C = np.zeros((n, 3, 3))
    for i in range(3):  # the 3 x 3 covariance entries (a handful of passes, not a point loop)
        for j in range(i, 3):
            C[:, i, j] = C[:, j, i] = np.bincount(g, weights=d[:, i] * d[:, j], minlength=n)
    axis = np.linalg.eigh(C)[1][:, :, 2]
    x = np.einsum("ij,ij->i", d, axis[g])
    hi = np.full(n, -np.inf)
    lo = np.full(n, np.inf)
    np.maximum.at(hi, g, x)
    np.minimum.at(lo, g, x)
    return np.where(np.isfinite(hi), hi - lo, 0.0)


# --- 4. cross-sections --------------------------------------------------------------------------

def _pick_stations(a, cand: _Candidates, comps: np.ndarray, per_comp: np.ndarray) -> np.ndarray:
    """Contour segments of the listed components to measure at: per component `per_comp`
    of them, drawn without replacement with probability by plan length (seeded)."""
    want = np.zeros(len(cand.area), dtype=np.int64)
    want[comps] = per_comp
    sel = np.flatnonzero((want[cand.seg_comp] > 0) & (cand.seg_len > 0))
    if len(sel) == 0:
        return sel
    u = a.rng(SALT + 1).random(len(cand.seg_comp))[sel]
    key = np.log(np.maximum(u, 1e-300)) / cand.seg_len[sel]  # weighted sampling keys
    order = sel[np.lexsort((-key, cand.seg_comp[sel]))]
    c = cand.seg_comp[order]
    starts = np.searchsorted(c, c, side="left")
    rank = np.arange(len(order)) - starts
    return np.sort(order[rank < want[c]])


def _profile_t(w: np.ndarray, reach: float) -> np.ndarray:
    """(n, T) distances across the stroke: fine steps of w / PROFILE_STEPS from PROFILE_IN widths
    inside to FLANK + 0.5 widths outside, then PROFILE_OUTER steps out to the gap reach."""
    n_core = int(round((PROFILE_IN + FLANK + 0.5) * PROFILE_STEPS)) + 1
    core = np.linspace(-PROFILE_IN, FLANK + 0.5, n_core)[None, :] * w[:, None]
    end = core[:, -1:] + np.maximum(reach, w[:, None] * 0.5)
    outer = core[:, -1:] + (end - core[:, -1:]) * np.arange(1, PROFILE_OUTER + 1)[None, :] / PROFILE_OUTER
    return np.concatenate([core, outer], axis=1)


def _cast(a, base: Base, p0, o, nrm, qj, t, lift, sign, inward: bool):
    """Relief (sign * height over the station's base) of the surface under every profile point,
    NaN where no front face lies within reach; and the face hit."""
    import open3d as o3d

    H = lift[:, None] + RAY_TILT * np.abs(t)
    orig = p0[:, None, :] + t[..., None] * o[:, None, :] + H[..., None] * nrm[:, None, :]
    dirs = np.broadcast_to(-nrm[:, None, :], orig.shape)
    rays = np.concatenate([orig, dirs], axis=2).reshape(-1, 6).astype(np.float32)
    ans = a.raycasting_scene.cast_rays(o3d.core.Tensor(rays))
    th = ans["t_hit"].numpy().astype(np.float64).reshape(t.shape)
    prim = ans["primitive_ids"].numpy().astype(np.int64).reshape(t.shape)
    hit = np.isfinite(th) & (th <= 2.0 * H)
    prim = np.where(hit, prim, 0)
    fn = a.face_normals[prim] * (-1.0 if inward else 1.0)
    hit &= np.einsum("ntj,nj->nt", fn, nrm) > 0  # a front face, not the inside of a part
    pts = orig + np.where(hit, th, 0.0)[..., None] * dirs
    jj = np.broadcast_to(qj[:, None], t.shape).ravel()
    rho = sign * base.height(jj, pts.reshape(-1, 3)).reshape(t.shape)
    return np.where(hit, rho, np.nan), prim


def _crossing(t, rho, k_out, k_in, half):
    """Where the profile crosses `half` between samples k_out (outside) and k_in (inside)."""
    r = np.arange(len(t))
    ta, tb = t[r, k_out], t[r, k_in]
    ra, rb = rho[r, k_out], rho[r, k_in]
    f = np.clip((half - ra) / np.where(rb != ra, rb - ra, 1.0), 0.0, 1.0)
    slope = np.abs(rb - ra) / np.maximum(np.abs(tb - ta), 1e-300)
    return ta + f * (tb - ta), np.abs(tb - ta), slope


def _runs(inside: np.ndarray, k: np.ndarray):
    """For every row: the last index before k that is outside (-1 none) and the first after k
    that is outside (T none)."""
    T = inside.shape[1]
    idx = np.arange(T)[None, :]
    last_out = np.maximum.accumulate(np.where(~inside, idx, -1), axis=1)
    first_out = np.minimum.accumulate(np.where(~inside, idx, T)[:, ::-1], axis=1)[:, ::-1]
    r = np.arange(len(k))
    return last_out[r, k], first_out[r, k]


def _flanks(t, rho, inside, lo, hi):
    """Median relief and count of the samples between lo and hi (per row) outside any stroke."""
    m = (t >= lo[:, None]) & (t <= hi[:, None]) & ~inside & np.isfinite(rho)
    vals = np.where(m, rho, np.nan)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            med = np.nanmedian(vals, axis=1)
    return med, m.sum(axis=1), vals


@dataclass(frozen=True)
class _Stations:
    """What every cross-section read (one entry per station)."""

    comp: np.ndarray
    valid: np.ndarray
    width: np.ndarray
    width_lo: np.ndarray
    width_hi: np.ndarray
    depth: np.ndarray
    depth_lo: np.ndarray
    depth_hi: np.ndarray
    gap: np.ndarray  # NaN: no stroke within the reach
    gap_lo: np.ndarray
    gap_hi: np.ndarray
    reach: np.ndarray  # searched past the edge
    centre: np.ndarray  # (n, 3)


def _sag(a, prim: np.ndarray) -> np.ndarray:
    """Chordal error (mm) of the faces hit (analysis.thickness.face_sag), per element."""
    from .thickness import face_sag

    u, inv = np.unique(prim, return_inverse=True)
    return face_sag(a, u, a.face_normals)[inv].reshape(prim.shape)


def _peak(t, rho, w0):
    """The stroke's peak relief next to the station (inside, within 1.5 widths) and its index."""
    win = (t >= -1.5 * w0[:, None]) & (t <= 0.25 * w0[:, None]) & np.isfinite(rho)
    rw = np.where(win, rho, -np.inf)
    kp = np.argmax(rw, axis=1)
    return kp, rw[np.arange(len(t)), kp]


def _spread(vals_a, med_a, vals_b, med_b):
    import warnings

    dev = np.concatenate([vals_a - med_a[:, None], vals_b - med_b[:, None]], axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return MAD_TO_SIGMA * np.nanmedian(np.abs(dev), axis=1)


def _edges(t, rho, kp, half):
    """The run of samples over `half` around the peak: its outside neighbours (clipped, with
    -1 / T where the run leaves the profile) and the interpolated crossings."""
    T = t.shape[1]
    inside = np.nan_to_num(rho, nan=-np.inf) >= half[:, None]
    kL, kR = _runs(inside, kp)
    kLc, kRc = np.clip(kL, 0, T - 2), np.clip(kR, 1, T - 1)
    tL, dtL, sL = _crossing(t, rho, kLc, kLc + 1, half)
    tR, dtR, sR = _crossing(t, rho, kRc, kRc - 1, half)
    return inside, kL, kR, kLc, kRc, (tL, dtL, sL), (tR, dtR, sR)


def _contour_shrink(cand: _Candidates) -> np.ndarray:
    """How much narrower than at half depth a stroke may be at its contour's level: a contour
    drawn above half depth (where the detection threshold lies, for a stroke barely deeper than
    it) cuts a convex cross-section narrower, at most as a V does: 2 (1 - level / depth) of its
    width at half depth (a round or flat stroke narrows less). The cross-sections are laid out
    for the widest the stroke may be, so that its far flank is on them."""
    shrink = 2.0 * (1.0 - cand.level / np.maximum(cand.depth, 1e-300))
    return np.clip(shrink, MIN_CONTOUR_SHRINK, 1.0)


def _measure(a, base: Base, cand: _Candidates, st: np.ndarray, reach: float,
             inward: bool) -> _Stations:
    """Width (full width at half depth), depth, flank test and gap at every station.

    The depth is read over the flanks' own level (the median relief of the surface beside the
    stroke, both sides): a base that is off by a little (a quadric over a tight curve) shifts
    the flanks and the peak alike. The crossings are found again at half that depth."""
    comp = cand.seg_comp[st]
    w0, d0 = cand.width[comp] / _contour_shrink(cand)[comp], cand.depth[comp]
    p0, o, nrm, qj = cand.seg_mid[st], cand.seg_out[st], cand.seg_normal[st], cand.seg_query[st]
    t = _profile_t(w0, reach)
    rho, prim = _cast(a, base, p0, o, nrm, qj, t, RAY_LIFT_DEPTHS * d0, cand.sign, inward)
    n, T = t.shape
    r = np.arange(n)
    kp, peak = _peak(t, rho, w0)
    flank = np.zeros(n)
    for _ in range(2):  # over the base, then over the flanks' level
        half = flank + 0.5 * (peak - flank)
        inside, kL, kR, kLc, kRc, (tL, dtL, sL), (tR, dtR, sR) = _edges(t, rho, kp, half)
        w = tR - tL
        dl = 0.25 * w
        medR, nR, vR = _flanks(t, rho, inside, tR + dl, tR + dl + FLANK * w)
        medL, nL, vL = _flanks(t, rho, inside, tL - dl - FLANK * w, tL - dl)
        flank = np.nan_to_num(0.5 * (medL + medR))
    D = peak - flank
    spread = _spread(vR, medR, vL, medL)
    valid = (np.isfinite(D) & (D >= cand.floor[comp]) & (kL >= 0) & (kR < T)
             & np.isfinite(rho[r, kLc]) & np.isfinite(rho[r, kRc]) & (w > 0)
             & (nR >= FLANK_MIN_SAMPLES) & (nL >= FLANK_MIN_SAMPLES)
             & (np.abs(medR) <= FLANK_SHARE * D) & (np.abs(medL) <= FLANK_SHARE * D)
             & (spread <= FLANK_SHARE * D))
    sag = _sag(a, np.stack([prim[r, kLc], prim[r, kLc + 1], prim[r, kRc - 1], prim[r, kRc],
                            prim[r, kp]], axis=1))
    # a station over a base of too few points to know its noise (level_se inf) has no interval
    se = base.level_se[qj]
    valid &= np.isfinite(se)
    se = np.where(np.isfinite(se), se, 0.0)
    # the flanks' level is known to their spread and to half their disagreement (a tilt)
    dD = se + sag[:, 4] + np.nan_to_num(spread) + 0.5 * np.nan_to_num(np.abs(medL - medR))
    # the true peak may lie between samples: above the highest by up to half the step to its
    # neighbours (a V-groove's apex between two rays)
    nb = np.stack([rho[r, np.clip(kp - 1, 0, T - 1)], rho[r, np.clip(kp + 1, 0, T - 1)]], axis=1)
    between = 0.5 * np.nan_to_num(np.fmax(np.abs(peak - nb[:, 0]), np.abs(peak - nb[:, 1])))
    level_err = 0.5 * dD
    eL = 0.5 * dtL + (sag[:, :2].max(axis=1) + level_err) / np.maximum(sL, 1e-300)
    eR = 0.5 * dtR + (sag[:, 2:4].max(axis=1) + level_err) / np.maximum(sR, 1e-300)
    gap, g_lo, g_hi, reach_i = _gap(a, t, rho, prim, inside, kRc, tR, eR, half, level_err)
    centre = p0 + (0.5 * (tL + tR))[:, None] * o
    return _Stations(comp, valid, w, w - eL - eR, w + eL + eR, D, D - dD, D + dD + between,
                     gap, g_lo, g_hi, reach_i, centre)


def _gap(a, t, rho, prim, inside, kR, tR, eR, half, level_err):
    """Distance from the stroke's outer edge to the next stroke of the same sign along the
    profile (NaN when none within the profile), its interval, and how far was searched."""
    n, T = t.shape
    r = np.arange(n)
    first_in = np.minimum.accumulate(np.where(inside, np.arange(T)[None, :], T)[:, ::-1],
                                     axis=1)[:, ::-1]
    kN = first_in[r, kR]
    has = kN < T
    kNc = np.clip(kN, 1, T - 1)
    tN, dtN, sN = _crossing(t, rho, kNc - 1, kNc, half)
    sag = _sag(a, np.stack([prim[r, kNc - 1], prim[r, kNc]], axis=1)).max(axis=1)
    eN = 0.5 * dtN + (sag + level_err) / np.maximum(sN, 1e-300)
    has &= np.isfinite(rho[r, kNc - 1])
    gap = np.where(has, tN - tR, np.nan)
    return gap, gap - eR - eN, gap + eR + eN, t[:, -1] - tR


# --- 5. per line ------------------------------------------------------------------------------

def _median(values, groups, n):
    return _per_group_quantile(values, groups, n, 0.5)


def _summarise(a, cand: _Candidates, s: _Stations, comps: np.ndarray, sigma: float,
               widest: float) -> list[dict]:
    """One record per component that reads as a line: medians over its valid stations."""
    n = len(cand.area)
    v = s.valid
    total = np.bincount(s.comp, minlength=n)
    good = np.bincount(s.comp[v], minlength=n)
    is_line = (good >= LINE_MIN_STATIONS) & (good >= LINE_VALID_SHARE * np.maximum(total, 1))
    c = s.comp[v]
    med = {k: _median(getattr(s, k)[v], c, n)
           for k in ("width", "width_lo", "width_hi", "depth", "depth_lo", "depth_hi", "reach")}
    is_line &= med["width"] <= min(WIDTH_PER_SIGMA * sigma, widest)  # wider: a wider window's
    is_line &= (med["width_lo"] > 0) & (med["depth_lo"] > 0)  # a stroke, not noise
    # elongated as measured: the centre line P/2 - w at least ELONGATION widths
    is_line &= 0.5 * cand.perimeter - med["width"] >= ELONGATION * med["width"]
    # ... and along the vertices that hold its depth: a lone vertex's footprint (or a couple
    # of them) is as long as its facets are, and slivers make it look like a stroke
    is_line &= cand.span >= ELONGATION * med["width"]
    # one vertex over the detection threshold grows a region; the line, read along its length
    # (the median over its stations), must clear it too: noise passes it at a vertex or two
    is_line &= med["depth"] >= cand.detect
    if cand.sign > 0:  # a ridge taller than RIDGE_ASPECT widths is a fin or a wall, not a line
        is_line &= med["depth"] <= RIDGE_ASPECT * med["width"]
    g = v & np.isfinite(s.gap)
    ng = np.bincount(s.comp[g], minlength=n)
    gmed = {k: _median(getattr(s, k)[g], s.comp[g], n) for k in ("gap", "gap_lo", "gap_hi")}
    has_gap = ng >= SPACING_MIN_SHARE * np.maximum(good, 1)
    cen = np.stack([np.bincount(c, weights=s.centre[v, j], minlength=n) for j in range(3)], 1).astype(float)
    cen /= np.maximum(good, 1)[:, None]
    out = []
    for i in comps[is_line[comps]]:  # loop over lines (tens), not faces
        faces = np.flatnonzero(cand.face_comp == i)
        w = float(med["width"][i])
        rec = {"kind": cand.sign, "sigma": sigma, "faces": faces,
               "centroid": cen[i], "stations": int(total[i]), "valid": int(good[i]),
               "length": max(0.5 * float(cand.perimeter[i]) - w, w), "area": float(cand.area[i]),
               "reach": float(med["reach"][i])}
        rec.update({k: float(med[k][i]) for k in ("width", "width_lo", "width_hi", "depth",
                                                   "depth_lo", "depth_hi")})
        rec.update({k: float(gmed[k][i]) if has_gap[i] else math.nan
                    for k in ("gap", "gap_lo", "gap_hi")})
        out.append(rec)
    return out


def _select(cand: _Candidates, sigma: float, widest: float) -> np.ndarray:
    """Components worth cross-sections at this window: elongated and no wider than the
    window allows."""
    if len(cand.area) == 0:
        return np.zeros(0, dtype=np.int64)
    w = cand.width
    length = 0.5 * cand.perimeter - w
    ok = ((cand.area > 0) & (w > 0) & (w <= min(WIDTH_PER_SIGMA * sigma, widest))
          & (length >= ELONGATION * w))
    return np.flatnonzero(ok)


def _resolve(records: list[dict], n_faces: int) -> list[dict]:
    """One reading per line: the readings that cover most of their line (valid share of the
    stations times length) first; a reading whose faces are CLAIMED_SHARE taken is dropped."""
    claimed = np.zeros(n_faces, dtype=bool)
    out = []
    order = sorted(range(len(records)), key=lambda i: (
        -records[i]["valid"] / max(records[i]["stations"], 1) * records[i]["length"],
        records[i]["sigma"], i))
    for i in order:  # loop over lines (tens to hundreds), not faces
        r = records[i]
        if claimed[r["faces"]].mean() >= CLAIMED_SHARE:
            continue
        claimed[r["faces"]] = True
        out.append(r)
    return out


def _station_counts(cand: _Candidates, comps: np.ndarray, budget: int) -> np.ndarray:
    """Stations per component: one per width of contour, clipped, scaled to the budget."""
    want = np.clip(np.ceil(0.5 * cand.perimeter[comps] / np.maximum(cand.width[comps], 1e-300)),
                   STATIONS_MIN, STATIONS_MAX)
    if want.sum() > budget:
        want = np.maximum(LINE_MIN_STATIONS, np.floor(want * budget / want.sum()))
    return want.astype(np.int64)


def _inward(a) -> bool:
    """The mesh is wound inward as a whole (negative signed volume): front faces face -n."""
    return float(np.einsum("ij,ij->", a.corner(0), np.cross(a.corner(1), a.corner(2)))) < 0.0


def find_lines(a, sigmas: tuple[float, ...], floor_mm: float, reach_mm: float,
               widest_mm: float = math.inf) -> LineSet:
    """Every line (narrow groove or ridge) up to `widest_mm` wide on the model, measured over
    bases fitted at the windows `sigmas`, with relief of at least `floor_mm`, and its gap to the
    next stroke searched `reach_mm` past its edge (module docstring)."""
    m = a.model
    records: list[dict] = []
    n_cand = 0
    if m.n_faces and sigmas:
        inward = _inward(a)
        cell0 = sigmas[0] / SOURCE_CELLS
        pts, pa, pn, nv = _point_set(a, cell0, -1.0 if inward else 1.0)
        rng = a.rng(SALT + 2)
        cen0, _, cn0, inv0, rep = aggregate(pts, pa, pn, cell0, rng)
        n0 = _unit(cn0)
        src, sa, sn = pts[rep], np.bincount(inv0, weights=pa), _unit(pn[rep])
        budget = STATIONS_TOTAL // (2 * len(sigmas))
        bases = []
        for k, sigma in enumerate(sigmas):  # a few window scales
            if k:
                _, sa, _, _, rep = aggregate(src, sa, sn, sigma / SOURCE_CELLS, rng)
                src, sn = src[rep], sn[rep]
            q, _, qn, _, _ = aggregate(src, sa, sn * sa[:, None], sigma / QUERY_CELLS)
            bases.append(_fit_base(q, _unit(qn), src, sa, sn, sigma))
        # every window reads its lines; where two windows read the same line, the reading that
        # covers more of it wins (a wide window reads a whole letter over a flat base at once,
        # a fine one the line on a small curved form or in a rough surface)
        for base in bases:
            sigma = base.sigma
            vq = _assign(base, cen0, n0)[inv0[:nv]]
            h = base.height(vq, m.vertices)
            tau = np.maximum(floor_mm, DETECT_SNR * base.noise[vq])
            for sign in (1, -1):
                cand = _candidates(a, base, vq, h, tau, floor_mm, sign)
                comps = _select(cand, sigma, widest_mm)
                n_cand += len(comps)
                if len(comps) == 0:
                    continue
                st = _pick_stations(a, cand, comps, _station_counts(cand, comps, budget))
                s = _measure(a, base, cand, st, reach_mm, inward)
                records += _summarise(a, cand, s, comps, sigma, widest_mm)
        records = _resolve(records, m.n_faces)
    return _line_set(records, m.n_faces, n_cand, tuple(float(s) for s in sigmas), reach_mm)


def _line_set(records, n_faces, n_cand, sigmas, reach) -> LineSet:
    # a deterministic order: along x, then y, then z of the centroid
    records = sorted(records, key=lambda r: tuple(np.round(r["centroid"], 6)))
    face_line = np.full(n_faces, -1, dtype=np.int64)
    for i, r in enumerate(records):
        face_line[r["faces"]] = i

    def col(key):
        return np.array([r[key] for r in records], dtype=float)

    return LineSet(
        kind=np.array([r["kind"] for r in records], dtype=np.int64), sigma_mm=col("sigma"),
        width_mm=col("width"), width_lo=col("width_lo"), width_hi=col("width_hi"),
        depth_mm=col("depth"), depth_lo=col("depth_lo"), depth_hi=col("depth_hi"),
        gap_mm=col("gap"), gap_lo=col("gap_lo"), gap_hi=col("gap_hi"), reach_mm=col("reach"),
        length_mm=col("length"), area_mm2=col("area"),
        centroid_mm=np.array([r["centroid"] for r in records]).reshape(-1, 3),
        stations=col("stations").astype(np.int64), valid=col("valid").astype(np.int64),
        first_faces=tuple(tuple(int(f) for f in r["faces"][:5]) for r in records),
        face_line=face_line, candidates=n_cand, sigmas_mm=sigmas)
