"""One scale (step 3): the Gaussian-weighted local fit around every query point at one sigma
(`fit_level`) and the Level it returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .common import K_NEIGHBOURS, MIN_POINTS, RIDGE, SIDE_COS, SUPPORT, THREADS_FROM
from .fit import fit_basis
from .points import _frames, _unit, Points


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
    area weights, the frame, whether another body intrudes into the window, and how many
    points the window's support holds (at most K_NEIGHBOURS)."""
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
    return xyz[..., 0], xyz[..., 1], xyz[..., 2], w, (n, t1, t2), mixed, hit.sum(axis=1)


def fit_level(tree, q, nq, pts: Points, sigma, qbody=None, attrs=None, fill=None) -> Level:
    """Relief finer than sigma at each query point, the fitted normal and the base form's bend
    (`tree` is the KD-tree of pts.p, attrs its `_attributes`; nq the current normal estimate).
    fill: a window whose support holds this many points or more is not measured (its residual
    is NaN; the raw scale's, `relief._ladder_levels`); None: every window is."""
    attrs = _attributes(pts) if attrs is None else attrs
    x, y, z, w, (n, t1, t2), mixed, held = _neighbourhood(tree, q, nq, pts, attrs, sigma, qbody)
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
    measured = ok if fill is None else ok & (held < fill)
    resid = np.where(measured, -c[:, 0] * sigma, np.nan)
    grad_n = _unit(n - c[:, 1:2] * t1 - c[:, 2:3] * t2, n)
    # how far the fitted base form turns across the window (radians): its largest principal
    # curvature (c are in units of sigma) times the window's width
    half = 0.5 * (c[:, 3] + c[:, 5])
    rad = np.sqrt((0.5 * (c[:, 3] - c[:, 5])) ** 2 + (0.5 * c[:, 4]) ** 2)
    bend = np.where(ok, 2.0 * (np.abs(half) + rad) * 2.0 * SUPPORT, 0.0)
    return Level(resid, np.where(ok[:, None], grad_n, nq), bend)
