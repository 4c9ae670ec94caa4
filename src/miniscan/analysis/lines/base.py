"""Fine lines, step 2: the robust (Tukey-reweighted, Gaussian-windowed) quadric base."""

from __future__ import annotations

import numpy as np

from .common import (
    ASSIGN_COS, ASSIGN_K, Base, FIT_CHUNK, IRLS_STEPS, K_NEIGHBOURS, MAD_TO_SIGMA, MODE_CONE_COS,
    NORMAL_CONE_COS, OTHER_FACE_COS, QUAD_TERMS, SCALE_FLOOR, TUKEY_C, WINDOW,
    FLAT_CANDIDATES, FLAT_CONE_COS, FLAT_SHARE)
from .points import _unit


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
        n = _shift(ns, g, n, cone)
    n = _flat_mode(ns, g, n)
    # only points that face like the base: a stroke's steep walls are no base at any height
    w0 = np.where(_dot(ns, n) > NORMAL_CONE_COS, g, np.float32(0.0))
    t1, t2 = _frames(n)
    dx = ((src[idx] - q[:, None, :]) / sigma).astype(np.float32)
    x, y, z = (_dot(dx, t.astype(np.float32)) for t in (t1, t2, n))
    return w0, x, y, z, n, t1, t2


def _shift(ns, g, n, cone):
    """One mean-shift step: the weighted mean of the normals within `cone` of n (n where none)."""
    wn = np.where(_dot(ns, n) > cone, g, 0.0)
    m = np.stack([(wn * ns[..., j]).sum(axis=1) for j in range(3)], 1).astype(np.float64)
    return np.where(np.linalg.norm(m, axis=1, keepdims=True) > 0, _unit(m), n)


def _flat_mode(ns, g, n):
    """Where the window's base is flat, its own normal. A flat base's cells share one normal
    (to float rounding); a shallow stroke's walls (a V groove 0.064 mm deep and 1.2 mm wide
    turns its walls by 3 deg) lie inside the mode's 10 deg cone and tilt its mean by a degree,
    which over a 2-sigma window is more than the stroke's depth: the fit then starts from a
    level that cuts the plate at a slant and settles on a base bent through the stroke
    (lines:5). The flat mode is the cell normal that the most weight agrees with to within
    FLAT_CONE; it is the frame only where it holds at least FLAT_SHARE of the weight that faces
    like the base (within NORMAL_CONE): a curved or rough base spreads its normals, and the
    wide mean stands."""
    wide = np.where(_dot(ns, n) > MODE_CONE_COS, g, np.float32(0.0))
    # the candidates are the heaviest cells of the cone: a normal that holds half the weight
    # is among them unless the window is many small cells of one face and a few heavy others
    r = np.arange(len(ns))
    k = min(FLAT_CANDIDATES, ns.shape[1])
    cand = np.argpartition(-wide, k - 1, axis=1)[:, :k]
    agree = np.einsum("qcj,qlj->qcl", ns[r[:, None], cand], ns) > np.float32(FLAT_CONE_COS)
    held = np.einsum("qcl,ql->qc", agree, wide, dtype=np.float32)
    held = np.where(wide[r[:, None], cand] > 0, held, np.float32(0.0))
    best = cand[r, np.argmax(held, axis=1)]
    flat = _shift(ns, g, ns[r, best].astype(np.float64), FLAT_CONE_COS)
    # half of all the weight that faces like the base, not of the mode's cone: on a tight
    # curve (a capsule at the widest window) that cone holds a cell or two, each its own majority
    base = np.where(_dot(ns, n) > NORMAL_CONE_COS, g, np.float32(0.0)).sum(axis=1)
    take = held.max(axis=1) >= FLAT_SHARE * base
    return np.where(take[:, None], flat, n)


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
    one that agrees best.

    A point that the nearest base does not face like is either relief on that base (a steep
    wall of a stroke cut into it: walls turn from their base by up to 90 deg) or on the surface
    of the farther base it faces like (a side wall near a plate's edge). Its normal cannot tell
    these apart, its heights can: it is measured over whichever of the two it lies nearer to,
    since relief is shallow next to the distances between a part's faces (a deep groove's wall
    read over a side wall 2 mm away joined hatching's strokes into one region)."""
    from scipy.spatial import cKDTree

    k = int(min(ASSIGN_K, len(base.q)))
    d, j = cKDTree(base.q).query(pts, k=k, workers=-1)
    d, j = d.reshape(len(pts), k), j.reshape(len(pts), k)
    ok = base.ok[j]
    cos = np.where(ok, np.einsum("pkj,pj->pk", base.n[j], normals), -2.0)
    good = cos > ASSIGN_COS
    pick = np.where(good.any(axis=1), np.argmax(good, axis=1), np.argmax(cos, axis=1))
    near = np.argmax(ok, axis=1)  # the nearest base whose fit holds
    ask = np.flatnonzero(good.any(axis=1) & ok.any(axis=1) & ~good[np.arange(len(pts)), near])
    if len(ask):
        jn, jg = j[ask, near[ask]], j[ask, pick[ask]]
        closer = np.abs(base.height(jn, pts[ask])) < np.abs(base.height(jg, pts[ask]))
        pick[ask[closer]] = near[ask[closer]]
    return j[np.arange(len(pts)), pick]
