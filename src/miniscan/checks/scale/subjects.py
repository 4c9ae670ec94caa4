"""Scale: the subject table, the base slab and the subject's size along its measure."""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from .common import (
    BASE_BINS, BASE_COLLAPSE, BASE_MARGIN, BASE_MAX_HEIGHT, BASE_MIN_FOOTPRINT, BASE_NO_RETURN,
    MEASURES, SubjectError)


# --- the subject table -------------------------------------------------------------------

@dataclass(frozen=True)
class Subject:
    name: str
    measure: str  # height | length | largest
    lo_mm: float
    hi_mm: float
    typical_mm: float
    note: str = ""


@lru_cache(maxsize=1)
def _table() -> dict[str, dict]:
    with resources.files("miniscan.data").joinpath("subjects.toml").open("rb") as fh:
        return tomllib.load(fh)


def _subject_from(name: str, d: dict) -> Subject:
    lo, hi = (float(x) for x in d["range_mm"])
    measure = d.get("measure", "height")
    if measure not in MEASURES or not (0 < lo <= hi):
        raise SubjectError(f"subject {name!r}: measure must be one of {MEASURES} and "
                           f"range_mm two positive sizes, low first")
    typical = float(d.get("typical_mm", math.sqrt(lo * hi)))
    return Subject(name, measure, lo, hi, typical, str(d.get("note", "")))


def subjects(extra: dict | None = None) -> dict[str, Subject]:
    """The subject table, with `extra` entries (same shape as subjects.toml) added/overriding."""
    merged = dict(_table())
    merged.update(extra or {})
    return {k.lower(): _subject_from(k.lower(), v) for k, v in merged.items()}


def known_subjects(extra: dict | None = None) -> tuple[str, ...]:
    return tuple(sorted(subjects(extra)))


def get_subject(name: str, extra: dict | None = None) -> Subject:
    table = subjects(extra)
    key = str(name).strip().lower()
    if key not in table:
        raise SubjectError(f"unknown subject {name!r}; known subjects: {', '.join(sorted(table))}")
    return table[key]


# --- measuring the model -----------------------------------------------------------------

def up_axis(model) -> int:
    """Z is up: the loader turns Y-up files (glTF, or --up y) to Z-up."""
    return 2


@dataclass(frozen=True)
class BaseSlab:
    detected: bool
    top_mm: float  # height of the slab's top along the up axis (model coordinates)
    height_mm: float  # slab thickness
    footprint_mm2: float
    bin_mm: float = 0.0  # height of one profile bin: the top is known to within it


def detect_base(model, analysis, axis: int | None = None, bins: int = BASE_BINS) -> BaseSlab:
    """Find a flat base slab under a figure from the horizontal cross-section profile.

    For a closed surface the cross-section area at height z equals the summed up-projected
    area of the faces above z; histogramming the faces' signed projected areas by height gives
    the whole profile in O(faces). A base is a large footprint (at least a quarter of the
    bounding-box footprint, BASE_MIN_FOOTPRINT) at the bottom that collapses to under 40%
    (BASE_COLLAPSE) within the lowest 30% of the height (BASE_MAX_HEIGHT) and never comes back
    above 90% (BASE_NO_RETURN). The top lies in the collapsing bin: known to one bin height.
    """
    u = up_axis(model) if axis is None else axis
    v = model.vertices
    z0, z1 = float(v[:, u].min()), float(v[:, u].max())
    H = z1 - z0
    none = BaseSlab(False, z0, 0.0, 0.0)
    if H <= 0 or model.n_faces < 8:
        return none
    zc = analysis.face_centroids[:, u]
    w = 0.5 * analysis._cross[:, u]  # signed area projected on the horizontal plane
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
    if j + 1 > BASE_MAX_HEIGHT * bins or (j + 1 < bins and
                                           prof[j + 1:].max(initial=0.0) > BASE_NO_RETURN * a0):
        return none
    # the slab's top: area-weighted height of the up-facing faces in the collapsing bin
    sel = (idx == j) & (w > 0)
    top = float(np.average(zc[sel], weights=w[sel])) if sel.any() else z0 + (j + 1) * H / bins
    return BaseSlab(True, top, top - z0, a0, H / bins)


def base_slab(analysis) -> BaseSlab:
    """The model's base slab along Z, computed once per model (the silhouettes leave it out
    too): `analysis.cached("base-slab", ...)` around `detect_base`."""
    return analysis.cached("base-slab", lambda a: detect_base(a.model, a))


def _diameter(points: np.ndarray) -> float:
    """Largest distance between two points (through the convex hull)."""
    from scipy.spatial import ConvexHull, QhullError

    if len(points) < 2:
        return 0.0
    try:
        hull = points[ConvexHull(points).vertices]
    except (QhullError, ValueError):
        hull = points[np.unique(np.concatenate([points.argmin(axis=0), points.argmax(axis=0)]))]
    if len(hull) > 4000:  # keep the pairwise step bounded; the extremes stay in
        hull = hull[np.linspace(0, len(hull) - 1, 4000).astype(np.int64)]
    d = 0.0
    for start in range(0, len(hull), 500):  # blocks of rows: bounded memory
        blk = hull[start:start + 500]
        d = max(d, float(np.sqrt(((blk[:, None, :] - hull[None, :, :]) ** 2).sum(-1)).max()))
    return d


@dataclass(frozen=True)
class SubjectSize:
    size_mm: float
    measure: str
    axis: str  # the up axis name
    base: BaseSlab
    lo_mm: float = 0.0  # the size's interval: where the base's top may lie
    hi_mm: float = 0.0


def measure_subject(model, analysis, measure: str) -> SubjectSize:
    """The model's size along the measure, without a detected base slab. Its interval is the
    base top's uncertainty (one profile bin) when a base was left out, else the size itself."""
    u = up_axis(model)
    base = base_slab(analysis) if analysis.model is model else detect_base(model, analysis, u)
    v = model.vertices
    if base.detected:
        margin = BASE_MARGIN * float(np.ptp(v[:, u]))
        fig = v[v[:, u] > base.top_mm + margin]
        if len(fig) < 4:
            fig = v
    else:
        fig = v
    if measure == "height":
        size = float(fig[:, u].max() - (base.top_mm if base.detected else fig[:, u].min()))
    elif measure == "length":
        others = [i for i in range(3) if i != u]
        size = _diameter(fig[:, others])
    else:
        size = _diameter(fig)
    slack = base.bin_mm if base.detected else 0.0
    return SubjectSize(size, measure, "xyz"[u], base, max(size - slack, 0.0), size + slack)


def fit_scale(size_mm: float, subject: Subject) -> tuple[float, float]:
    """Scales 1:N (N_lo, N_hi) at which a model of this size is within the subject's range."""
    return subject.lo_mm / size_mm, subject.hi_mm / size_mm


def _human_mm(mm: float) -> str:
    return f"{mm / 1000:.2f} m" if mm >= 1000 else f"{mm / 10:.1f} cm" if mm >= 10 else f"{mm:.2f} mm"


def _n(x: float) -> str:
    return f"{x:.0f}" if x >= 10 else f"{x:.2g}"


_VERB = {"height": "tall", "length": "long", "largest": "across"}
