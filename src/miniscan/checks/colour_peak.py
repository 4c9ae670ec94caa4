"""MS701's interval narrowed by the pattern's spectral peak (docs/colour.md, the intervals,
item 6): where a region's luminance holds a significant single peak, the pattern's own C S(f)
is a second reading of the same detail, and the interval is the intersection of the two."""

from __future__ import annotations

import numpy as np

from ..analysis.detail.peak import FALSE_ALARM

CELL_SAMPLES = 9  # log-spaced periods S(f) is read at across a peak's resolution cell
CELL_OPEN = 1e3  # an open cell's long end, in periods of the peak (S there is ~0: conservative)


def _band_range_s(cf, sensitivity) -> float:
    """The most visible a pattern within the bands' reach can be: the largest S(f) over the
    periods the one-sinusoid fit searches (the finest band's peak / sqrt 2 to 16 r)."""
    from ..analysis.colour import FIT_PERIODS

    return float(np.max(sensitivity(FIT_PERIODS * float(cf.periods_mm[0]))))


def peak_interval(reading: np.ndarray, sensitivity, s_top: float):
    """(value, lo, hi, read) of C S(f) from `analysis.colour_peak.peak_readings` rows, where
    both of the peak's tests claim it (false-alarm probabilities under FALSE_ALARM): the
    sinusoid's contrast bounds (`amplitude_bounds`) times S over the
    peak's resolution cell, the upper end adding in quadrature what the variance the sinusoid
    leaves (a share 1 - q of the region's) could read if all of it lay at the most visible
    period the bands reach (s_top): the rule reads the best band, and the rest of the
    region's detail may lie in that band, beside the pattern."""
    from ..analysis.colour_peak import amplitude_bounds

    lam, c_lo, c_hi, fap, ray, con, z, q = reading
    with np.errstate(invalid="ignore", divide="ignore"):
        # both tests: where the ray has no room to be read (NaN) the region may hold too
        # little of the pattern to place it (a border region a third filled read 8 r stripes
        # at 0.7 of their period and 0.45 of their contrast)
        read = (fap < FALSE_ALARM) & (ray < FALSE_ALARM) & np.isfinite(con) & (q > 0)
    lam, c_lo = np.where(read, lam, 1.0), np.where(read, c_lo, 1.0)
    # a cell open at its long end (the peak within one cell of 0) reaches the region's width
    c_hi = np.where(read & np.isfinite(c_hi), c_hi, CELL_OPEN * lam)
    # S over the cell: its ends and between (the CSF's own peak may lie inside a wide cell)
    grid = np.exp(np.linspace(np.log(c_lo), np.log(c_hi), CELL_SAMPLES))
    s = sensitivity(grid)
    a_lo, a_hi = amplitude_bounds(con, z)
    with np.errstate(invalid="ignore", divide="ignore"):
        rest = np.sqrt(np.clip(1.0 - q, 0.0, None) / q) * a_hi * s_top
        lo = a_lo * s.min(axis=0)
        hi = np.hypot(a_hi * s.max(axis=0), rest)  # both in one band: their energies add
    return con * sensitivity(lam), lo, hi, read


def narrow_by_peaks(analysis, cf, best, lo, hi, open_: np.ndarray, sensitivity, lam_max_mm):
    """(best, lo, hi) with the intervals of the `open_` regions (undetermined ones) narrowed to
    their intersection with the peak's (`peak_interval`) where the two overlap: two readings of
    one pattern, each holding it. The reading becomes the peak's (inside the new interval).
    Elsewhere, and where they are disjoint (the bands read other detail), nothing moves; an
    intersection only narrows, so a decided verdict is never reversed."""
    from ..analysis.colour_peak import peak_readings

    rr = np.flatnonzero(open_)
    if not len(rr):
        return best, lo, hi
    v, p_lo, p_hi, read = peak_interval(peak_readings(analysis, cf, rr, lam_max_mm),
                                        sensitivity, _band_range_s(cf, sensitivity))
    use = read & (p_lo <= hi[rr]) & (p_hi >= lo[rr])
    k = rr[use]
    best, lo, hi = best.copy(), lo.copy(), hi.copy()
    lo[k] = np.maximum(lo[k], p_lo[use])
    hi[k] = np.minimum(hi[k], p_hi[use])
    best[k] = np.clip(v[use], lo[k], hi[k])
    return best, lo, hi
