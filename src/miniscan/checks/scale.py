"""Scale and thickness (MS500-MS503). Method, formulas and intervals: docs/scale.md.

MS501 scale-mismatch: the model's size, without its base slab, along the subject's measure
(height, horizontal length or largest extent), times N, lies wholly outside the subject's real
size range (data/subjects.toml). The size's interval is the base top's uncertainty; when the
units were guessed, another unit that would make the subject fit leaves the verdict open.

MS502 wall-too-thin: a free-standing wall (analysis/thickness.py: readings, their intervals, and
the support probe that tells a wall from surface relief) whose thickness interval lies wholly
below the printer's minimum wall (Printer.min_wall_mm).

MS503 too-thick: the thinnest tenth of a part whose material has a real thickness range
(materials.toml `thickness_mm`) lies, with its order-statistic interval, wholly above the
realistic target hi / N (or the printer's minimum wall, when realism is thinner than printable).

MS500 scale-undetermined: one info that counts what the evidence could not decide (unknown
subject, guessed units, intervals that straddle, open sheets, escaping rays) and the
coincident or internal surfaces that read thinner than any printer makes (never walls).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources

import numpy as np

from ..evidence import FAIL, UNDETERMINED, Evidence, printable_floor_mm, verdict
from ..findings import CheckResult, FaceLayer, FamilyLayers, Finding, Location, Measurement
from ..rules.scale import MS501, MS502, MS503

FAMILY = "scale"

# --- tuned constants (unit, and why this value) ----------------------------------------------
MEASURES = ("height", "length", "largest")
# Base slab (detect_base): profile bins over the height; the slab's footprint must be at least
# a quarter of the bounding box's (round and square bases fill 0.79-1 of it, a figure's feet
# far less), collapse to under 40 % within the lowest 30 % of the height (a base is low and
# thin) and never come back above 90 % (a column or a box does). Vertices within 0.5 % of the
# height above the slab's top are the slab's rim, not the figure.
BASE_BINS = 200
BASE_MIN_FOOTPRINT = 0.25
BASE_COLLAPSE = 0.4
BASE_MAX_HEIGHT = 0.3
BASE_NO_RETURN = 0.9
BASE_MARGIN = 0.005
# Unit factors (mm per file unit) the loader may have chosen between when it guessed.
UNIT_MM = {"mm": 1.0, "cm": 10.0, "m": 1000.0, "in": 25.4}
# A wall region needs this many samples, and at least the printer's minimum wall squared of
# area (a wall must be at least a wall's width across): less is a speck, not a wall.
REGION_MIN_SAMPLES = 3
# Samples whose readings' middles are closer than this many sample spacings are one region
# (area-weighted random samples at 2.5 spacings have ~20 neighbours: one connected patch).
LINK_SPACINGS = 2.5
# Passing walls are measured (Measurement, for the ground-truth suite and the heat map) up to
# this many minimum walls; neighbours within WALL_RATIO of each other's thickness are one wall.
MEASURE_WALLS = 4.0
WALL_RATIO = 1.25
# MS503: a part's edge thickness is this percentile of its readings (its thinnest tenth, where
# a cloak, a flag or a blade shows how thick it is); the rank interval of that percentile is
# +-Z standard errors of a binomial order statistic (95 %).
OVER_THICK_QUANTILE = 10.0
OVER_THICK_Z = 1.96
MATERIAL_MIN_SAMPLES = 20  # a part with fewer readings is not judged for its material
# MS503 asks how thick a *sheet* of the material is (a cloak, a flag, a blade, a plank). A part
# is a sheet when its median reading is at most this share of its one-side extent
# sqrt(area / 2): a plate at least five times as wide as thick. Solids lie well above (a sphere
# 0.8, a cube 0.58, a limb 5-20 diameters long 0.5-0.25): their readings are their own width,
# not a material's thickness (a skin head 4 mm across is no '22 cm of skin'); cloaks, blades,
# shields and rods lie well below (0.03-0.1).
SHEET_RATIO = 0.2
HIST_EDGES_MM = (0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0,
                 100.0, 200.0, 500.0)
# Support probes (36 rays each) on at most this many thin readings; the rest take their nearest
# probe's answer. 8000 probes over the 0.5 mm^2 ... 500 mm^2 of thin area a part may have keep
# probes closer than the 0.4 mm minimum wall up to ~1000 mm^2 (spacing sqrt(area / probes)).
SUPPORT_PROBES = 8000
# Refinement around thin free-standing walls (analysis.thickness.refine). Samples link into a
# region when closer than LINK_SPACINGS first spacings (`link`); a band one minimum wall wide,
# sampled at a density rho, has a sample every 1 / (rho min_wall) along it on average, and its
# gaps are exponential: at REFINE_GAPS_PER_LINK samples per link length a gap longer than the
# link (which would split the band) has odds exp(-8) = 3e-4. Hence the refined spacing
# sqrt(link min_wall / REFINE_GAPS_PER_LINK), in REFINE_PASSES passes (each reaches along a
# band past the last zone's end).
REFINE_GAPS_PER_LINK = 8.0
# Only seeds with fewer thin neighbours than this share of a 2-D wall's (`_sparse`) are refined
# around: a wall the first samples cover as a surface links without help.
REFINE_SPARSE_SHARE = 0.5
REFINE_PASSES = 3
# ... on the faces within this many first sample spacings of a thin wall sample: the gap
# between neighbouring first samples, so each pass bridges it and the next reaches on.
REFINE_REACH_SPACINGS = 1.0
# Picture states of a sample (ThicknessLayers.face_state indexes this tuple).
STATES = ("wall", "thin", "over-thick", "relief", "unsure", "coincident")
WALL, THIN, OVER, RELIEF, UNSURE, COINCIDENT = range(len(STATES))
# Faces farther than this many sample spacings from every sample get no value in the heat map.
LAYER_GAP_SPACINGS = 3.0


class SubjectError(ValueError):
    """An unknown subject name (a usage error: exit 2 in the CLI)."""


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


# --- MS501: the subject's size against the declared scale ----------------------------------

def _other_units_fit(model, size_mm: float, n: float, subj: Subject) -> list[str]:
    """Units (other than the guessed one) under which the subject would fit at 1:N."""
    if not model.units_guessed:
        return []
    here = UNIT_MM.get(model.units, model.unit_scale)
    return [u for u, k in UNIT_MM.items()
            if u != model.units and subj.lo_mm <= size_mm * k / here * n <= subj.hi_mm]


def _scale_verdict(real_lo: float, real_hi: float, subj: Subject) -> tuple[str, float]:
    """fail / pass / undetermined of a real-size interval against the subject's range, and the
    bound it is judged against."""
    if real_hi < subj.lo_mm or (real_lo < subj.lo_mm and real_hi <= subj.hi_mm):
        return verdict(real_lo, real_hi, subj.lo_mm, "below"), subj.lo_mm
    return verdict(real_lo, real_hi, subj.hi_mm, "above"), subj.hi_mm


def _scale_part(model, conditions, analysis, ev: Evidence, findings, metrics, measurements):
    name = conditions.subject
    metrics["subject"] = name
    if not name:
        return
    try:
        subj = get_subject(name, conditions.subjects_table())
    except SubjectError as e:
        metrics["subject_known"] = False
        ev.unsure("subject", f"{e}: the scale is not checked; pick a subject from the list, or "
                             f"add yours to the subject table")
        return
    metrics["subject_known"] = True
    ss = measure_subject(model, analysis, subj.measure)
    if ss.size_mm <= 0:
        ev.unsure("flat", f"the model has no {subj.measure} to compare with a {subj.name}'s")
        ev.count(MS501, UNDETERMINED)
        return
    n = conditions.scale_n
    real, lo, hi = ss.size_mm * n, ss.lo_mm * n, ss.hi_mm * n
    n_lo, n_hi = fit_scale(ss.size_mm, subj)
    metrics.update({
        "subject_measure": subj.measure, "up_axis": ss.axis,
        "subject_model_mm": ss.size_mm, "subject_model_range_mm": [ss.lo_mm, ss.hi_mm],
        "implied_real_mm": real, "subject_range_mm": [subj.lo_mm, subj.hi_mm],
        "fitting_scale_n": [n_lo, n_hi], "fitting_scale": f"1:{_n(n_lo)}-1:{_n(n_hi)}",
        "implied_scale_n": subj.typical_mm / ss.size_mm,
        "base_detected": ss.base.detected, "base_height_mm": ss.base.height_mm})
    v, near = _scale_verdict(lo, hi, subj)
    alt = _other_units_fit(model, ss.size_mm, n, subj) if v == FAIL else []
    if alt:
        v = UNDETERMINED
        ev.unsure("units", f"the units were guessed ({model.units}); read as {' or '.join(alt)} "
                           f"the {subj.name} would fit 1:{_n(n)}: state the units (--units)")
    elif v == UNDETERMINED:
        ev.unsure("size", f"the {subj.name}'s size {ss.lo_mm:.4g}-{ss.hi_mm:.4g} mm (where the "
                          f"base ends is known to a profile step) reads on both sides of its "
                          f"real range at 1:{_n(n)}")
    ev.count(MS501, v)
    c = tuple(float(x) for x in model.vertices.mean(axis=0))
    measurements.append(Measurement("subject_size_mm", ss.size_mm, ss.lo_mm, ss.hi_mm, c,
                                    code="MS501", verdict=v))
    if v != FAIL:
        return
    verb = _VERB[subj.measure]
    base = f" (base of {ss.base.height_mm:.3g} mm left out)" if ss.base.detected else ""
    findings.append(Finding(
        "MS501",
        f"a {subj.name} {ss.size_mm:.3g} mm {verb}{base} reads as {_human_mm(real)} {verb} at "
        f"1:{_n(n)} (a {subj.name} is {_human_mm(subj.lo_mm)}-{_human_mm(subj.hi_mm)}); "
        f"fits 1:{_n(n_lo)}-1:{_n(n_hi)}",
        measured=real, measured_range=(lo, hi), threshold=near, unit="mm real",
        location=Location(c),
        advice=f"Declare the scale it was made for (--scale 1:{_n(math.sqrt(n_lo * n_hi))}), "
               f"or resize the model by {math.sqrt(subj.lo_mm * subj.hi_mm) / real:.2f}x."))


# --- thickness: the picture layers ----------------------------------------------------------

@dataclass(frozen=True, eq=False)
class ThicknessLayers(FamilyLayers):
    """The thickness heat map: per-face wall thickness (mm) and state, painted from the ray
    samples (each face takes its nearest sample's value; computed when a picture asks).

    face_thickness_mm: (n_faces,) float, NaN where unknown (no reading, or no sample near).
    face_state: (n_faces,) int8 index into `states` (-1: no sample near, or buried inside
    another body). min_wall_mm: the printer's minimum wall (0 = no printer)."""

    min_wall_mm: float
    sample_points: np.ndarray = None
    sample_thickness_mm: np.ndarray = None
    sample_state: np.ndarray = None  # int8 index into STATES, -1 buried
    vertices: np.ndarray = None  # the model's (read-only, shared): centroids when asked
    faces: np.ndarray = None
    spacing_mm: float = 0.0
    states: tuple[str, ...] = STATES

    @cached_property
    def _nearest(self) -> np.ndarray:
        from scipy.spatial import cKDTree

        keep = np.flatnonzero(self.sample_state >= 0)
        if len(keep) == 0:
            return np.full(len(self.faces), -1, dtype=np.int64)
        centroids = self.vertices[self.faces].mean(axis=1)
        d, j = cKDTree(self.sample_points[keep]).query(centroids, k=1)
        return np.where(d <= LAYER_GAP_SPACINGS * self.spacing_mm, keep[np.minimum(j, len(keep) - 1)], -1)

    @cached_property
    def face_thickness_mm(self) -> np.ndarray:
        j = self._nearest
        return np.where(j >= 0, self.sample_thickness_mm[np.maximum(j, 0)], np.nan)

    @cached_property
    def face_state(self) -> np.ndarray:
        j = self._nearest
        return np.where(j >= 0, self.sample_state[np.maximum(j, 0)], -1).astype(np.int8)

    def face_layers(self) -> tuple[FaceLayer, ...]:
        m = self.min_wall_mm
        state = np.where(self.face_state >= 0, self.face_state, np.nan).astype(np.float64)
        return (FaceLayer("thickness", self.face_thickness_mm, "mm", "wall thickness", "value",
                          clim=(0.0, 3.0 * m) if m > 0 else None,
                          note=f"printer's minimum wall {m:g} mm" if m > 0 else "",
                          marks=((m, "printer minimum"),) if m > 0 else ()),
                FaceLayer("thickness-state", state, "", "thickness reading", "label",
                          categories=tuple(self.states)))


# --- thickness: classifying the readings --------------------------------------------------------

@dataclass(frozen=True)
class _Classes:
    """Per-sample masks of what each reading is (analysis/thickness.py gives the numbers)."""

    wall: np.ndarray  # a free-standing wall within reach of the printer's minimum (judged)
    relief: np.ndarray  # thin reading held by thick material within a wall's width
    coincident: np.ndarray  # surfaces closer than the printer's finest step, or inner surfaces
    unsure: np.ndarray  # no reading, on the printed surface


def coincident_floor_mm(conditions) -> float:
    """Readings under this are no wall any printer makes: the printer's finest step (the smaller
    of its pixel and its layer). 0 without a printer."""
    p = conditions.printer
    return min(p.xy_mm, p.layer_mm) if p.min_wall_mm > 0 else 0.0


def _probe(analysis, th, idx: np.ndarray, reach: float) -> np.ndarray:
    """Support of every listed sample (analysis.thickness.support). Past SUPPORT_PROBES samples,
    an even stride of them is probed and each other sample takes its nearest probed one's
    value: support changes over a wall's width, and the probes stay closer than that."""
    from scipy.spatial import cKDTree

    from ..analysis.thickness import support

    if len(idx) <= SUPPORT_PROBES:
        return support(analysis, th, idx, reach)
    pick = np.linspace(0, len(idx) - 1, SUPPORT_PROBES).astype(np.int64)
    body = support(analysis, th, idx[pick], reach)
    _, j = cKDTree(th.points[idx[pick]]).query(th.points[idx], k=1)
    return body[j]


def _classify(analysis, th, min_wall: float, floor: float) -> _Classes:
    """Readings that say thin (median under the minimum wall), and readings above it whose
    interval reaches below it, are probed for support (analysis.thickness.support): held by
    thick material within a wall's width they are relief, not walls. Readings under the
    printer's finest step are an edge's apex when the material beside them grows (a knife
    edge: the edges family's), else surfaces lying on each other; readings from inside the
    solid are internal surfaces. Both of the latter are coincident, never walls."""
    from ..analysis.thickness import held

    sure = th.sure
    relief = np.zeros(len(sure), dtype=bool)
    grows = np.zeros(len(sure), dtype=bool)
    if min_wall > 0:
        probe = sure & ((th.thickness_mm < min_wall)
                        | ((th.lo_mm < min_wall) & (th.thickness_mm < MEASURE_WALLS * min_wall)))
        idx = np.flatnonzero(probe)
        body = _probe(analysis, th, idx, min_wall)
        relief[idx] = held(th, idx, body, min_wall)
        grows[idx] = held(th, idx, body, 0.0)
    thin = sure & (th.thickness_mm < min_wall)
    sub = sure & (th.hi_mm < floor)
    coincident = (sub & ~grows) | th.internal
    return _Classes(wall=thin & ~relief & ~sub, relief=relief | (sub & grows),
                    coincident=coincident, unsure=~sure & th.surface & ~th.internal)


# --- thickness: MS502, walls too thin -----------------------------------------------------------

def _region_location(th, idx) -> Location:
    """The sample nearest the region's centroid, and the region's first faces."""
    pts = th.points[idx]
    k = int(np.argmin(((pts - pts.mean(axis=0)) ** 2).sum(axis=1)))
    faces = tuple(int(f) for f in np.unique(th.faces[idx])[:5])
    return Location(tuple(float(x) for x in pts[k]), faces=faces)


def _regions_of(th, mask, min_area, values=None, ratio=None) -> list[np.ndarray]:
    """Sample indices of every region of `mask` with at least REGION_MIN_SAMPLES samples and
    `min_area` mm² of surface, in label order.

    Samples link when closer than LINK_SPACINGS sample spacings, measured between the middles
    of their readings (p + t/2 along the inward normal; the surface point where there is no
    reading): both faces of a thin wall share one middle, so they are one region without a
    link as wide as the wall (which would link thousands of neighbours on a dense part)."""
    from ..analysis.thickness import regions

    t = np.where(th.sure, th.thickness_mm, 0.0)
    anchor = th.points + th.inward * (0.5 * t)[:, None]
    lab = regions(anchor, mask, LINK_SPACINGS * th.spacing_mm, values, ratio)
    if not mask.any():
        return []
    sizes = np.bincount(lab[mask])
    order = np.argsort(lab, kind="stable")
    starts = np.searchsorted(lab[order], np.arange(len(sizes)))
    area = np.bincount(lab[mask], weights=th.area_mm2[mask])
    keep = np.flatnonzero((sizes >= REGION_MIN_SAMPLES) & (area >= min_area))
    return [order[starts[r]:starts[r] + sizes[r]] for r in keep]


def _wmedian(values: np.ndarray, weights: np.ndarray) -> float:
    """Area-weighted median (np.median when the weights are equal): a region's refined samples
    crowd its thin part, each standing for less area."""
    order = np.argsort(values, kind="stable")
    v, cw = values[order], np.cumsum(weights[order])
    half = 0.5 * cw[-1]
    i = int(np.searchsorted(cw, half * (1.0 - 1e-12), side="left"))
    if i + 1 < len(v) and abs(cw[i] - half) <= 1e-9 * cw[-1]:
        return float(0.5 * (v[i] + v[i + 1]))
    return float(v[min(i, len(v) - 1)])


def area_text(mm2: float) -> str:
    """An area as a model-maker writes it: 3 significant digits, thousands grouped (no 2.7e+03)."""
    return f"{float(f'{mm2:.3g}'):,.0f}" if mm2 >= 1000 else f"{mm2:.3g}"


def _wall_numbers(th, idx) -> tuple[float, float, float]:
    """A region's reading and interval: the area-weighted medians of its readings and ends."""
    w = th.area_mm2[idx]
    return (_wmedian(th.thickness_mm[idx], w), _wmedian(th.lo_mm[idx], w),
            _wmedian(th.hi_mm[idx], w))


def _straddle(lo, hi, m, th) -> str:
    return (f"walls read {lo:.3g}-{hi:.3g} mm, across the printer's {m:g} mm minimum wall (the "
            f"facets there are too coarse, or the wall is that close to the limit); export finer "
            f"there or thicken them clearly past {m:g} mm to be sure")


def _judge_walls(th, cls, conditions, ev, findings, measurements, state):
    """One verdict per wall region: [median lo, median hi] of its readings vs the minimum wall."""
    m = conditions.printer.min_wall_mm
    thin_regions = 0
    for idx in _regions_of(th, cls.wall, m ** 2):
        med, lo, hi = _wall_numbers(th, idx)
        loc = _region_location(th, idx)
        v = ev.judge(MS502, lo, hi, m)
        measurements.append(Measurement("thickness_mm", med, lo, hi, loc.centroid_mm,
                                        code="MS502", verdict=v))
        if v == UNDETERMINED:
            ev.unsure("wall", _straddle(lo, hi, m, th))
            continue
        if v != FAIL:
            continue
        thin_regions += 1
        state[idx] = THIN
        findings.append(Finding(
            "MS502",
            f"wall {med:.3g} mm thick ({lo:.3g}-{hi:.3g} mm) over about "
            f"{area_text(th.area_mm2[idx].sum())} mm² is thinner than the "
            f"{conditions.printer.name} printer's {m:g} mm minimum wall",
            measured=med, measured_range=(lo, hi), threshold=m, unit="mm", location=loc,
            advice=f"Thicken to at least {m:g} mm, or support it / print it solid."))
    return thin_regions


def _measure_walls(th, relief, conditions, ev, measurements):
    """Walls whose readings are at least the minimum wall, up to MEASURE_WALLS minimum walls:
    one region per wall of about one thickness (neighbours within WALL_RATIO), measured and
    judged on [median lo, median hi] (pass, or undetermined where the interval reaches below
    the minimum)."""
    m = conditions.printer.min_wall_mm
    ok = th.sure & ~relief & (th.thickness_mm >= m) & (th.thickness_mm < MEASURE_WALLS * m)
    for idx in _regions_of(th, ok, m ** 2, th.thickness_mm, WALL_RATIO):
        med, lo, hi = _wall_numbers(th, idx)
        v = ev.judge(MS502, lo, hi, m)
        measurements.append(Measurement("thickness_mm", med, lo, hi,
                                        _region_location(th, idx).centroid_mm, code="MS502",
                                        verdict=v))
        if v == UNDETERMINED:
            ev.unsure("wall", _straddle(lo, hi, m, th))


# --- thickness: MS503, thicker than the material reads real ------------------------------------

def _edge_interval(t: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[float, float, float]:
    """The part's edge thickness (its OVER_THICK_QUANTILE percentile) and interval: the ranks
    of that order statistic +-OVER_THICK_Z binomial standard errors, taken on the readings'
    own lower and upper ends."""
    n = len(t)
    q = OVER_THICK_QUANTILE / 100.0
    half = OVER_THICK_Z * math.sqrt(n * q * (1 - q))
    r_lo = int(np.clip(math.floor(n * q - half), 0, n - 1))
    r_hi = int(np.clip(math.ceil(n * q + half), 0, n - 1))
    return (float(np.percentile(t, OVER_THICK_QUANTILE)),
            float(np.partition(lo, r_lo)[r_lo]), float(np.partition(hi, r_hi)[r_hi]))


def _is_sheet(th, judged: np.ndarray, on_part: np.ndarray) -> bool:
    """The part is a sheet (SHEET_RATIO): its median reading against its one-side extent,
    sqrt(area / 2), the area being what the part's samples stand for."""
    extent = math.sqrt(0.5 * float(th.area_mm2[on_part].sum()))
    return float(np.median(th.thickness_mm[judged])) <= SHEET_RATIO * extent


def _over_thick(model, th, cls, conditions, ev, findings, measurements, state):
    n = conditions.scale_n
    m = conditions.printer.min_wall_mm
    fpart = model.face_part()[th.faces]
    judged = th.sure & ~cls.coincident
    out = []
    for p, pname in enumerate(model.part_names):
        mat = conditions.material_for(pname)
        rng = conditions.material_props(mat).get("thickness_mm")
        sel = judged & (fpart == p)
        if not rng or sel.sum() < MATERIAL_MIN_SAMPLES:
            continue
        sheet = _is_sheet(th, sel, th.surface & (fpart == p))
        if not sheet:
            out.append({"part": pname, "material": mat, "sheet": False})
            continue
        edge, lo, hi = _edge_interval(th.thickness_mm[sel], th.lo_mm[sel], th.hi_mm[sel])
        real_max = float(rng[1])
        floor = max(m, printable_floor_mm(conditions))  # advice never asks for less
        target = max(real_max / n, floor)
        conflict = real_max / n < floor
        where = np.flatnonzero(sel)[th.thickness_mm[sel] <= edge]
        loc = _region_location(th, where)
        v = ev.judge(MS503, lo, hi, target)
        measurements.append(Measurement("edge_thickness_mm", edge, lo, hi, loc.centroid_mm,
                                        part=pname, code="MS503", verdict=v))
        out.append({"part": pname, "material": mat, "sheet": True, "edge_mm": edge,
                    "edge_range_mm": [lo, hi], "edge_real_mm": edge * n,
                    "material_max_real_mm": real_max,
                    "target_mm": target, "conflict": bool(conflict), "verdict": v})
        if v == UNDETERMINED:
            ev.unsure("material", f"the thinnest tenth of a {mat} part reads {lo:.3g}-{hi:.3g} mm "
                                  f"against its {target:.3g} mm target; export finer or thin it "
                                  f"clearly below the target")
        if v != FAIL:
            continue
        state[where] = OVER
        findings.append(_over_thick_finding(model, pname, mat, edge, lo, hi, target, real_max,
                                            conflict, conditions, loc))
    return out


def _over_thick_finding(model, pname, mat, edge, lo, hi, target, real_max, conflict,
                        conditions, loc) -> Finding:
    n, m = conditions.scale_n, conditions.printer.min_wall_mm
    part = f" part '{pname}'" if len(model.part_names) > 1 else ""
    msg = (f"{mat}{part} is {edge:.3g} mm thick ({lo:.3g}-{hi:.3g}) even at its thinnest tenth "
           f"= {_human_mm(edge * n)} real at 1:{_n(n)}; real {mat} is at most "
           f"{_human_mm(real_max)}")
    if conflict:
        msg += (f". Realism and printing conflict: {_human_mm(real_max)} is "
                f"{real_max / n:.3g} mm here, under the printer's {m:g} mm wall")
        advice = (f"Thin the edges to the printer's {m:g} mm ({_human_mm(m * n)} real) and keep "
                  f"the body thick; a tapered edge reads thinner than it is.")
    else:
        advice = f"Thin the edges toward {target:.3g} mm; keep the body behind them thick."
    return Finding("MS503", msg, measured=edge, measured_range=(lo, hi), threshold=target,
                   unit="mm", location=loc, advice=advice)


# --- thickness: what could not be measured ------------------------------------------------------

def _unmeasured(th, cls, conditions, ev):
    """Count the places with no wall verdict: open sheets (per body), escaping rays, and the
    coincident or internal surfaces (reported as what they are, never as walls)."""
    m = conditions.printer.min_wall_mm
    open_s = cls.unsure & th.open_body
    if open_s.any():
        area = np.bincount(th.body[open_s], weights=th.area_mm2[open_s])
        n_open = int((area >= max(m ** 2, REGION_MIN_SAMPLES * th.sample_area_mm2)).sum())
        if n_open:
            ev.unsure("open", "the mesh is an open sheet there: a surface with no inside has no "
                              "thickness; close it (give it a back or a base) to measure it",
                      n_open)
    rays = _regions_of(th, cls.unsure & ~th.open_body, m ** 2)
    if rays:
        ev.unsure("rays", "rays from the surface escape through holes or meet faces from "
                          "outside (inconsistent winding); close holes and fix the winding",
                  len(rays))
    coincident = _regions_of(th, cls.coincident, m ** 2)
    if coincident:
        floor = coincident_floor_mm(conditions)
        ev.unsure("coincident", f"surfaces there lie on or inside each other (coincident faces, "
                                f"internal walls or self-intersections) and read under the "
                                f"printer's finest step ({floor:g} mm) or from inside: they are "
                                f"not walls; remove the inner surfaces or union the parts",
                  len(coincident))


def _histogram(t: np.ndarray, w: np.ndarray, n: float) -> dict:
    hi = float(t.max()) if len(t) else 0.0
    edges = [0.0] + [e for e in HIST_EDGES_MM if e < hi] + [hi]
    area, _ = np.histogram(t, bins=edges, weights=w)
    share = (area / max(float(w.sum()), 1e-300)).tolist()
    return {"edges_mm": edges, "edges_real_mm": [e * n for e in edges], "area_share": share}


def _thickness_metrics(th, first, cls, conditions, state) -> dict:
    """Metrics of the readings; the median and tenth percentile from the first samples (drawn
    evenly by area: the refined ones crowd the thin walls)."""
    n = conditions.scale_n
    t = first.thickness_mm[first.sure]
    return {
        "thickness_samples": int(len(th.points)), "thickness_rays": th.rays,
        "thickness_unsure_share": th.unsure_share,
        "thickness_buried_share": (float(th.area_mm2[th.buried].sum() / th.area_mm2.sum())
                                   if len(th.buried) else 0.0),
        "median_thickness_mm": float(np.median(t)) if len(t) else None,
        "median_thickness_real_mm": float(np.median(t)) * n if len(t) else None,
        "p10_thickness_mm": float(np.percentile(t, 10)) if len(t) else None,
        "thickness_histogram": _histogram(th.thickness_mm[th.sure], th.area_mm2[th.sure], n),
        "min_wall_mm": conditions.printer.min_wall_mm,
        "coincident_floor_mm": coincident_floor_mm(conditions),
        "thin_area_share": th.share(state == THIN),
        "relief_area_share": th.share(cls.relief),
        "coincident_area_share": th.share(cls.coincident),
    }


def _sample_states(th, cls) -> np.ndarray:
    state = np.full(len(th.points), WALL, dtype=np.int8)
    state[cls.relief] = RELIEF
    state[cls.unsure] = UNSURE
    state[cls.coincident] = COINCIDENT
    state[th.buried] = -1
    return state


def _wall_seeds(analysis, th, idx: np.ndarray, min_wall: float, floor: float) -> np.ndarray:
    """Of the listed samples, those whose reading of a free-standing wall reaches under the
    minimum (its interval's low end: a reading of 0.434 mm in [0.398, 0.466] may stand beside
    a thinner patch it did not land on; not under the printer's finest step `floor`:
    coincident, not held by a body beside it): where to refine."""
    from ..analysis.thickness import held

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
    from ..analysis.thickness import REFINE_MAX_SAMPLES, refine

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


def _thickness_part(model, conditions, analysis, ev, findings, metrics, measurements):
    from ..analysis.thickness import thickness

    m, floor = conditions.printer.min_wall_mm, coincident_floor_mm(conditions)
    first = analysis.cached("thickness", thickness)
    th = analysis.cached(f"thickness-refined:{m!r}:{floor!r}", lambda a: _refined(
        a, first, m, floor))
    cls = _classify(analysis, th, m, floor)
    state = _sample_states(th, cls)
    thin = 0
    if conditions.printer.min_wall_mm > 0:
        thin = _judge_walls(th, cls, conditions, ev, findings, measurements, state)
        _measure_walls(th, cls.relief, conditions, ev, measurements)
    # a part's thinnest tenth is an order statistic of samples drawn evenly by area: the first
    # ones (refined samples crowd the thin walls; they come after the first in every array)
    k = len(first.points)
    first_cls = _Classes(cls.wall[:k], cls.relief[:k], cls.coincident[:k], cls.unsure[:k])
    over = _over_thick(model, first, first_cls, conditions, ev, findings, measurements, state)
    _unmeasured(th, cls, conditions, ev)
    metrics.update(_thickness_metrics(th, first, cls, conditions, state))
    metrics["thin_regions"] = thin
    metrics["material_thickness"] = over
    return ThicknessLayers(conditions.printer.min_wall_mm, th.points, th.thickness_mm, state,
                           model.vertices, model.faces, th.spacing_mm)


def run(model, conditions, analysis) -> CheckResult:
    ev = Evidence(FAMILY)
    findings: list[Finding] = []
    measurements: list[Measurement] = []
    metrics: dict = {}
    _scale_part(model, conditions, analysis, ev, findings, metrics, measurements)
    if model.n_faces == 0:
        return CheckResult(FAMILY, "not-run", "no faces to measure thickness on", metrics,
                           tuple(findings) + ev.findings(), measurements=tuple(measurements))
    layers = _thickness_part(model, conditions, analysis, ev, findings, metrics, measurements)
    metrics["verdicts"] = ev.metrics()
    return CheckResult(FAMILY, "ok", None, metrics, tuple(findings) + ev.findings(),
                       layers=layers, measurements=tuple(measurements))
