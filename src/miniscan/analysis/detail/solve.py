"""The band energies (step 4): the non-negative least-squares solve of per-scale mean squares for
the mean-square relief of every band, for one region or rows of them."""

from __future__ import annotations

import numpy as np

from .common import GUARD_SEEN, NOISE_FLOOR


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
