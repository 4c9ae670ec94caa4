"""A region's painted pattern read as the peak of its luminance spectrum (docs/colour.md, the
intervals, item 6).

The colour family's bands are an octave apart. A single pattern whose period lies between two
band peaks is read by both, and three readings cannot say whether that is one pattern between
the peaks or two patterns at them; the CSF is steep there, so MS701's interval spans both
explanations (up to 1.4 times wide for stripes at 3.6 r). The position of a periodic pattern's
spectral peak answers it: the luminance of points drawn on the region's faces (colour
interpolated as a renderer shades it), over the region's tangent plane less a fitted quadric
(the shading's slow gradient), is read by the same generalised Lomb-Scargle periodogram the
texture family reads relief with (`detail.peak._read`: its significance against the ring of
the peak's |k| and against its own ray, its resolution cell, and the least-squares sinusoid at
the peak). Where the peak is significant, the pattern's own visibility C S(f) is known to the
sinusoid's amplitude bounds and the CSF over the peak's cell; what else the region holds is
bounded by the variance the sinusoid leaves.
"""

from __future__ import annotations


import numpy as np

from .colour import (CELL_PER_SIGMA, PEAK_PERIOD_PER_SIGMA, SPREAD_CONFIDENCE, _face_samples)

PEAK_SALT = 11  # analysis.rng salt of the points drawn for the peak readings (fixed: the JSON
# is deterministic; not the field's SAMPLE_SALT, so these points are drawn apart from those)
# The one-sided tail of the amplitude bounds: the family's two-sided SPREAD_CONFIDENCE.
TAIL = 0.5 * (1.0 - SPREAD_CONFIDENCE)
MIN_POINTS = 18  # fewer points than this (the quadric and two sinusoid terms, three times over)
# read no spectrum


def _plane(P: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(n, 2) the points in their weighted best-fit plane (its two widest directions)."""
    c = (w[:, None] * P).sum(0) / w.sum()
    d = P - c
    _, vec = np.linalg.eigh((d * w[:, None]).T @ d)
    return np.column_stack([d @ vec[:, 2], d @ vec[:, 1]])


def _explained(X: np.ndarray, y: np.ndarray, w: np.ndarray, amp: float) -> float:
    """The share of y's weighted variance about a fitted quadric that a sinusoid of
    semi-amplitude amp holds (its mean square amp^2 / 2), at most 1."""
    A = np.column_stack([np.ones(len(y)), X[:, 0], X[:, 1], X[:, 0] ** 2, X[:, 0] * X[:, 1],
                         X[:, 1] ** 2])
    sw = np.sqrt(w)
    res = y - A @ np.linalg.lstsq(A * sw[:, None], y * sw, rcond=None)[0]
    var = float((w * res * res).sum() / w.sum())
    return min(1.0, 0.5 * amp * amp / var) if var > 0 else 0.0


def amplitude_bounds(amp: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) of a pattern's semi-amplitude from the sinusoid the region's peak fits (amp) and
    its ordinate over the local level (z): the fit is the pattern's plus the other detail's
    component there, at most `detail.peak.peak_noise_share` of it with probability 1 - TAIL,
    which the pattern may lie either side of."""
    from .detail.peak import peak_noise_share

    f = peak_noise_share(z, TAIL)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(amp) & (z > 0)
        return (np.where(ok, amp * np.clip(1.0 - f, 0.0, 1.0), 0.0),
                np.where(ok, amp * (1.0 + f), np.inf))


def peak_readings(analysis, field, regions: np.ndarray, lam_max_mm: float) -> np.ndarray:
    """(8, len(regions)) per region: the peak's period (mm), its resolution cell's lo and hi
    (mm), its false-alarm probabilities against the ring and against its ray, the fitted
    sinusoid's Michelson contrast (semi-amplitude over the region's mean luminance), its
    ordinate over the local level, and the share of the region's luminance variance it holds;
    NaN where not read (too few points, or no band between two vertex spacings and
    lam_max_mm or the region's width)."""
    from .detail.peak import _read

    out = np.full((8, len(regions)), np.nan)
    ok = np.isin(field.face_region, regions)
    if not ok.any():
        return out
    c0 = CELL_PER_SIGMA * float(field.periods_mm[0]) / PEAK_PERIOD_PER_SIGMA
    shortest = analysis.edge_lengths[analysis.face_edges].min(axis=1)
    pos, w, y, _, fid = _face_samples(analysis, ok, c0, shortest, salt=PEAK_SALT)
    faces = np.flatnonzero(ok)
    rid = field.face_region[faces[fid]]
    longest = analysis.edge_lengths[analysis.face_edges].max(axis=1)
    where = {int(r): i for i, r in enumerate(regions)}
    order = np.argsort(rid, kind="stable")
    keys, starts = np.unique(rid[order], return_index=True)
    ends = np.append(starts[1:], len(order))
    for r, a, b in zip(keys.tolist(), starts, ends):  # regions, a few hundred at most
        sel = order[a:b]
        if len(sel) < MIN_POINTS:
            continue
        X = _plane(pos[sel], w[sel])
        mean = float((w[sel] * y[sel]).sum() / w[sel].sum())
        if not mean > 0:
            continue
        # vertex colour holds no period under two of its faces' edges (linear between them)
        edge = float(np.median(longest[faces[np.unique(fid[sel])]]))
        P = np.column_stack([X, y[sel]])
        got = _read(P, w[sel], np.array([0.0, 0.0, 1.0]), float(field.area[r]), edge,
                    lam_max_mm, envelope=False)
        if got is None:
            continue
        lam, lo, hi, fap, ray, _, amp, z1, *_ = got
        i = where[r]
        out[:, i] = (lam, lo, hi, fap, ray, amp / mean, z1, _explained(X, y[sel], w[sel], amp))
    return out
