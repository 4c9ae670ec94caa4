"""Fine lines, step 5: per line, the medians over its valid stations and their intervals."""

from __future__ import annotations

import math

import numpy as np

from .candidates import _Candidates, _per_group_quantile
from .common import (
    CLAIMED_SHARE, ELONGATION, LINE_MIN_STATIONS, LINE_VALID_SHARE, RIDGE_ASPECT,
    SPACING_MIN_SHARE, STATIONS_MAX, STATIONS_MIN, WIDTH_PER_SIGMA)
from .profiles import _Stations


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
