"""Scale and thickness (MS500-MS503).

MS501: the model's size, measured without its base slab along the subject's measure (height,
horizontal length or largest extent), times N must fall in the subject's real size range
(data/subjects.toml). When it does not, say what it reads as and which scales would fit.

MS502: wall thickness from inward ray cones (analysis/thickness.py). Too thin: below the
printer's minimum unsupported wall (Printer.min_wall_mm). Over-thick: the thinnest tenth of a
part whose material has a real thickness range (materials.toml `thickness_mm`) is, times N,
thicker than that material ever is ("a cloak edge 0.6 mm thick at 1:56 is 34 mm of cloth").
When the realistic thickness is thinner than the printer can hold, the check says so and
aims at the printer's minimum instead.

The method, formulas and thresholds are in docs/scale.md.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from ..findings import CheckResult, Finding, Location

FAMILY = "scale"

MEASURES = ("height", "length", "largest")
THIN_MIN_SAMPLES = 3  # a thin region needs this many samples to be reported
MAX_REGION_FINDINGS = 20
OVER_THICK_QUANTILE = 10.0  # percentile of a part's thickness taken as "its edges"
OVER_THICK_TOLERANCE = 1.15
UNSURE_SHARE_FINDING = 0.2
HIST_EDGES_MM = (0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0,
                 100.0, 200.0, 500.0)


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


def detect_base(model, analysis, axis: int | None = None, bins: int = 200) -> BaseSlab:
    """Find a flat base slab under a figure from the horizontal cross-section profile.

    For a closed surface the cross-section area at height z equals the summed up-projected
    area of the faces above z; histogramming the faces' signed projected areas by height gives
    the whole profile in O(faces). A base is a large footprint (at least a quarter of the
    bounding-box footprint) at the bottom that collapses to under 40% within the lowest 30%
    of the height and never comes back above 90%.
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
    if bbox_area <= 0 or a0 < 0.25 * bbox_area:
        return none
    below = np.flatnonzero(prof < 0.4 * a0)
    if len(below) == 0:
        return none
    j = int(below[0])
    if j + 1 > 0.3 * bins or (j + 1 < bins and prof[j + 1:].max(initial=0.0) > 0.9 * a0):
        return none
    # the slab's top: area-weighted height of the up-facing faces in the collapsing bin
    sel = (idx == j) & (w > 0)
    top = float(np.average(zc[sel], weights=w[sel])) if sel.any() else z0 + (j + 1) * H / bins
    return BaseSlab(True, top, top - z0, a0)


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


def measure_subject(model, analysis, measure: str) -> SubjectSize:
    """The model's size along the measure, without a detected base slab."""
    u = up_axis(model)
    base = detect_base(model, analysis, u)
    v = model.vertices
    if base.detected:
        margin = 0.005 * float(np.ptp(v[:, u]))
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
    return SubjectSize(size, measure, "xyz"[u], base)


def fit_scale(size_mm: float, subject: Subject) -> tuple[float, float]:
    """Scales 1:N (N_lo, N_hi) at which a model of this size is within the subject's range."""
    return subject.lo_mm / size_mm, subject.hi_mm / size_mm


def _human_mm(mm: float) -> str:
    return f"{mm / 1000:.2f} m" if mm >= 1000 else f"{mm / 10:.1f} cm" if mm >= 10 else f"{mm:.2f} mm"


def _n(x: float) -> str:
    return f"{x:.0f}" if x >= 10 else f"{x:.2g}"


_VERB = {"height": "tall", "length": "long", "largest": "across"}


def _scale_part(model, conditions, analysis, findings, metrics, extra_subjects=None):
    name = conditions.subject
    metrics["subject"] = name
    if not name:
        return
    try:
        subj = get_subject(name, extra_subjects)
    except SubjectError as e:
        metrics["subject_known"] = False
        findings.append(Finding(
            "MS500", f"{e}: scale not checked",
            advice="Pick a subject from the list, or add yours to the subject table."))
        return
    metrics["subject_known"] = True
    ss = measure_subject(model, analysis, subj.measure)
    n = conditions.scale_n
    real = ss.size_mm * n
    n_lo, n_hi = fit_scale(ss.size_mm, subj)
    metrics.update({
        "subject_measure": subj.measure, "up_axis": ss.axis,
        "subject_model_mm": ss.size_mm, "implied_real_mm": real,
        "subject_range_mm": [subj.lo_mm, subj.hi_mm],
        "fitting_scale_n": [n_lo, n_hi], "fitting_scale": f"1:{_n(n_lo)}-1:{_n(n_hi)}",
        "implied_scale_n": subj.typical_mm / ss.size_mm,
        "base_detected": ss.base.detected, "base_height_mm": ss.base.height_mm})
    if subj.lo_mm <= real <= subj.hi_mm:
        return
    verb = _VERB[subj.measure]
    base = f" (base of {ss.base.height_mm:.3g} mm left out)" if ss.base.detected else ""
    near = subj.hi_mm if real > subj.hi_mm else subj.lo_mm
    c = model.vertices.mean(axis=0)
    findings.append(Finding(
        "MS501",
        f"a {subj.name} {ss.size_mm:.3g} mm {verb}{base} reads as {_human_mm(real)} {verb} at "
        f"1:{_n(n)} (a {subj.name} is {_human_mm(subj.lo_mm)}-{_human_mm(subj.hi_mm)}); "
        f"fits 1:{_n(n_lo)}-1:{_n(n_hi)}",
        measured=real, threshold=near, unit="mm real",
        location=Location(tuple(float(x) for x in c)),
        advice=f"Declare the scale it was made for (--scale 1:{_n(math.sqrt(n_lo * n_hi))}), "
               f"or resize the model by {math.sqrt(subj.lo_mm * subj.hi_mm) / real:.2f}x."))


def _region_location(th, mask_idx, points):
    """Centroid (snapped to the nearest sample) and the first faces of a set of samples."""
    pts = points[mask_idx]
    c = pts.mean(axis=0)
    k = int(np.argmin(((pts - c) ** 2).sum(axis=1)))
    faces = tuple(int(f) for f in np.unique(th.faces[mask_idx])[:5])
    return Location(tuple(float(x) for x in pts[k]), faces=faces)


def _histogram(t: np.ndarray, n: float) -> dict:
    hi = float(t.max()) if len(t) else 0.0
    edges = [0.0] + [e for e in HIST_EDGES_MM if e < hi] + [hi]
    counts, _ = np.histogram(t, bins=edges)
    share = (counts / max(len(t), 1)).tolist()
    return {"edges_mm": edges, "edges_real_mm": [e * n for e in edges], "area_share": share}


def _thickness_part(model, conditions, analysis, findings, metrics):
    from ..analysis.thickness import regions, thickness

    th = analysis.cached("thickness", thickness)
    n = conditions.scale_n
    sure = th.sure
    t = th.thickness_mm[sure]
    min_wall = conditions.printer.min_wall_mm
    metrics.update({
        "thickness_samples": int(len(sure)), "thickness_rays": th.rays,
        "thickness_unsure_share": th.unsure_share,
        "thickness_buried_share": float(th.buried.mean()) if len(th.buried) else 0.0,
        "median_thickness_mm": float(np.median(t)) if len(t) else None,
        "median_thickness_real_mm": float(np.median(t)) * n if len(t) else None,
        "p10_thickness_mm": float(np.percentile(t, 10)) if len(t) else None,
        "thickness_histogram": _histogram(t, n),
        "min_wall_mm": min_wall})

    # unsure: say so rather than report nonsense
    if th.unsure_share > UNSURE_SHARE_FINDING:
        open_share = float(th.open_body.mean())
        why = ("the mesh is an open sheet there (no inside to measure)" if open_share >= 0.5 *
               th.unsure_share else "rays escape through holes or enter other parts")
        findings.append(Finding(
            "MS500", f"thickness unsure on {100 * th.unsure_share:.0f}% of the surface: {why}",
            measured=th.unsure_share, threshold=UNSURE_SHARE_FINDING,
            unit="share",
            advice="Close holes and union overlapping parts (watertight, one shell) for a "
                   "trustworthy thickness."))

    # too thin for the printer
    thin = np.zeros(len(sure), dtype=bool)
    if min_wall > 0:
        thin[sure] = th.thickness_mm[sure] < min_wall
    surface = th.surface  # samples buried inside another body are not on the print
    metrics["thin_area_share"] = float(thin[surface].mean()) if surface.any() else 0.0
    # both faces of a thin wall are closer than the wall minimum: one region, not two
    labels = regions(th.points, thin, max(2.5 * th.spacing_mm, 1.25 * min_wall))
    regs = []
    if thin.any():
        sizes = np.bincount(labels[thin])
        # a region must be a few samples and at least a wall's width square: not a speck
        need = max(THIN_MIN_SAMPLES, math.ceil(min_wall ** 2 / th.sample_area_mm2))
        for r in np.flatnonzero(sizes >= need):
            idx = np.flatnonzero(labels == r)
            regs.append((len(idx), r, idx))
    regs.sort(key=lambda x: (-x[0], x[1]))
    metrics["thin_regions"] = len(regs)
    for count, _, idx in regs[:MAX_REGION_FINDINGS]:
        vals = th.thickness_mm[idx]
        med = float(np.median(vals))
        area = count * th.sample_area_mm2
        findings.append(Finding(
            "MS502",
            f"wall {med:.3g} mm thick (thinnest {vals.min():.3g} mm) over about {area:.3g} mm² "
            f"is thinner than the {conditions.printer.name} printer's {min_wall:g} mm minimum wall",
            measured=med, threshold=min_wall, unit="mm",
            location=_region_location(th, idx, th.points),
            advice=f"Thicken to at least {min_wall:g} mm, or support it / print it solid."))

    # over-thick for the material, per part
    fpart = model.face_part()[th.faces]
    over = []
    for p, pname in enumerate(model.part_names):
        mat = conditions.material_for(pname)
        rng = conditions.material_props(mat).get("thickness_mm")
        sel = sure & (fpart == p)
        if not rng or sel.sum() < 20:
            continue
        tp = th.thickness_mm[sel]
        edge = float(np.percentile(tp, OVER_THICK_QUANTILE))
        real_max = float(rng[1])
        model_max = real_max / n
        conflict = model_max < min_wall
        target = max(model_max, min_wall)
        over.append({"part": pname, "material": mat, "edge_mm": edge, "edge_real_mm": edge * n,
                     "material_max_real_mm": real_max, "target_mm": target,
                     "conflict": bool(conflict)})
        if edge <= target * OVER_THICK_TOLERANCE:
            continue
        idx_all = np.flatnonzero(sel)
        thinnest = idx_all[tp <= edge]
        lab = regions(th.points, np.isin(np.arange(len(sure)), thinnest), 2.5 * th.spacing_mm)
        biggest = int(np.bincount(lab[lab >= 0]).argmax())
        where = np.flatnonzero(lab == biggest)
        part = f" part '{pname}'" if len(model.part_names) > 1 else ""
        msg = (f"{mat}{part} is {edge:.3g} mm thick even at its thinnest tenth = "
               f"{_human_mm(edge * n)} real at 1:{_n(n)}; real {mat} is at most "
               f"{_human_mm(real_max)}")
        if conflict:
            msg += (f". Realism and printing conflict: {_human_mm(real_max)} is "
                    f"{model_max:.3g} mm here, under the printer's {min_wall:g} mm wall")
            advice = (f"Thin the edges to the printer's {min_wall:g} mm ({_human_mm(min_wall * n)} "
                      f"real) and keep the body thick; a tapered edge reads thinner than it is.")
        else:
            advice = f"Thin the edges toward {target:.3g} mm; keep the body behind them thick."
        findings.append(Finding(
            "MS503", msg, measured=edge, threshold=target, unit="mm",
            location=_region_location(th, where, th.points), advice=advice))
    metrics["material_thickness"] = over


def run(model, conditions, analysis) -> CheckResult:
    findings: list[Finding] = []
    metrics: dict = {}
    _scale_part(model, conditions, analysis, findings, metrics, conditions.subjects_table())
    if model.n_faces == 0:
        return CheckResult(FAMILY, "not-run", "no faces to measure thickness on", metrics,
                           tuple(findings))
    _thickness_part(model, conditions, analysis, findings, metrics)
    return CheckResult(FAMILY, "ok", None, metrics, tuple(findings))
