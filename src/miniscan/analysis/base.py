"""The base slab under a miniature (shared: the scale check measures the figure without it, the
silhouette check leaves it out of the outlines it scores).

A miniature's base is a display stand, not part of the pose: a 25-50 mm disc reads as a round
shape from every angle and would dominate the silhouettes and the size. This module finds it
from the horizontal cross-section profile, in one pass over the faces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

UP_AXIS = 2  # z is up: the loader turns Y-up files (glTF, or --up y) to Z-up
PROFILE_BINS = 200  # height bins of the cross-section profile (0.5 % of the height each)
# A base is a large footprint at the bottom: at least this share of the bounding box's
# footprint (a 25 mm disc under a 28 mm figure: ~0.6; a figure's feet alone: ~0.1) ...
BASE_MIN_FOOTPRINT = 0.25
# ... that collapses to under this share of itself (the figure's cross-section) ...
BASE_COLLAPSE = 0.4
# ... within this share of the height (bases are 2-6 mm under 25-60 mm figures) ...
BASE_MAX_HEIGHT = 0.3
# ... and never comes back above this share of itself (a column, a ball, a cone is no base).
BASE_NO_RETURN = 0.9


@dataclass(frozen=True)
class BaseSlab:
    detected: bool
    top_mm: float  # height of the slab's top along the up axis (model coordinates)
    height_mm: float  # slab thickness
    footprint_mm2: float


def detect_base(model, analysis, axis: int | None = None, bins: int = PROFILE_BINS) -> BaseSlab:
    """Find a flat base slab under a figure from the horizontal cross-section profile.

    For a closed surface the cross-section area at height z equals the summed up-projected
    area of the faces above z; histogramming the faces' signed projected areas by height gives
    the whole profile in O(faces). A base is a large footprint (at least BASE_MIN_FOOTPRINT of
    the bounding-box footprint) at the bottom that collapses to under BASE_COLLAPSE within the
    lowest BASE_MAX_HEIGHT of the height and never comes back above BASE_NO_RETURN.
    """
    u = UP_AXIS if axis is None else axis
    v = model.vertices
    z0, z1 = float(v[:, u].min()), float(v[:, u].max())
    H = z1 - z0
    none = BaseSlab(False, z0, 0.0, 0.0)
    if H <= 0 or model.n_faces < 8:
        return none
    zc = analysis.face_centroids[:, u]
    w = analysis.face_normals[:, u] * analysis.face_areas  # signed horizontal projection
    idx = np.clip(((zc - z0) / H * bins).astype(np.int64), 0, bins - 1)
    hist = np.bincount(idx, weights=w, minlength=bins)
    above = np.cumsum(hist[::-1])[::-1]  # above[i]: faces in bins >= i
    prof = np.append(above[1:], 0.0)  # cross-section at the top edge of bin i
    if prof.max() <= 0:  # wound inward or open: the profile means nothing
        return none
    others = [i for i in range(3) if i != u]
    ext = np.ptp(v[:, others], axis=0)
    bbox_area = float(ext[0] * ext[1])
    a0 = float(prof[:3].max())
    if bbox_area <= 0 or a0 < BASE_MIN_FOOTPRINT * bbox_area:
        return none
    below = np.flatnonzero(prof < BASE_COLLAPSE * a0)
    if len(below) == 0:
        return none
    j = int(below[0])
    if j + 1 > BASE_MAX_HEIGHT * bins or \
            (j + 1 < bins and prof[j + 1:].max(initial=0.0) > BASE_NO_RETURN * a0):
        return none
    # the slab's top: area-weighted height of the up-facing faces in the collapsing bin
    sel = (idx == j) & (w > 0)
    top = float(np.average(zc[sel], weights=w[sel])) if sel.any() else z0 + (j + 1) * H / bins
    return BaseSlab(True, top, top - z0, a0)


def for_analysis(analysis) -> BaseSlab:
    """The model's base (memoised: computed once for every family that asks)."""
    return analysis.cached("base", lambda a: detect_base(a.model, a))
