"""Thickness: the readings refined around thin free-standing walls."""

from __future__ import annotations

import math

import numpy as np

from .classes import _probe
from .common import (
    LINK_SPACINGS, REFINE_GAPS_PER_LINK, REFINE_PASSES, REFINE_REACH_SPACINGS, REFINE_SPARSE_SHARE)


def _wall_seeds(analysis, th, idx: np.ndarray, min_wall: float, floor: float) -> np.ndarray:
    """Of the listed samples, those whose reading of a free-standing wall reaches under the
    minimum (its interval's low end: a reading of 0.434 mm in [0.398, 0.466] may stand beside
    a thinner patch it did not land on; not under the printer's finest step `floor`:
    coincident, not held by a body beside it): where to refine."""
    from ...analysis.thickness import held

    t = th.thickness_mm[idx]
    idx = idx[np.isfinite(t) & (th.lo_mm[idx] < min_wall) & (th.hi_mm[idx] >= floor)]
    out = np.zeros(len(th.points), dtype=bool)
    out[idx[~held(th, idx, _probe(analysis, th, idx, min_wall), min_wall)]] = True
    return out


def _sparse(th, seeds: np.ndarray, link: float) -> np.ndarray:
    """The seeds with fewer thin wall neighbours within the link distance than half of what a
    wall as wide as the link holds at the first spacing (pi LINK_SPACINGS^2 ~ 20 samples): a
    band narrower than the sampling resolves. Inside a wall the first samples already link."""
    from scipy.spatial import cKDTree

    idx = np.flatnonzero(seeds)
    if len(idx) == 0:
        return seeds
    near = cKDTree(th.points[idx]).query_ball_point(th.points[idx], link, return_length=True)
    out = np.zeros(len(seeds), dtype=bool)
    out[idx[near < REFINE_SPARSE_SHARE * math.pi * LINK_SPACINGS ** 2]] = True
    return out


def _refined(analysis, th, min_wall: float, floor: float):
    """The readings refined around thin free-standing walls (analysis.thickness.refine): at the
    spacing that keeps a band one minimum wall wide linked (REFINE_GAPS_PER_LINK), within
    REFINE_REACH_SPACINGS first spacings of every sparse thin wall sample (`_sparse`),
    REFINE_PASSES times (each pass around the new thin samples only), so that a band narrower
    than the first spacing is read whole, not as scattered samples that link by chance."""
    from ...analysis.thickness import REFINE_MAX_SAMPLES, refine

    link = LINK_SPACINGS * th.spacing_mm
    spacing = min(th.spacing_mm, math.sqrt(link * min_wall / REFINE_GAPS_PER_LINK))
    if min_wall <= 0 or spacing >= th.spacing_mm:
        return th
    seeds = _sparse(th, _wall_seeds(analysis, th, np.flatnonzero(th.sure), min_wall, floor),
                    link)
    done, n0 = None, len(th.points)
    for k in range(REFINE_PASSES):  # a couple of passes, each around the new seeds only
        left = REFINE_MAX_SAMPLES - (len(th.points) - n0)
        if not seeds.any() or left <= 0:
            break
        n = len(th.points)
        reach = REFINE_REACH_SPACINGS * th.spacing_mm
        th, done = refine(analysis, th, seeds, spacing, reach, done, k, left)
        seeds = _wall_seeds(analysis, th, np.arange(n, len(th.points)), min_wall, floor)
    return th
