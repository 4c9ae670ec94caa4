"""Run a case through miniscan's Python API in-process and score it against its truth.

Read from the findings contract (schema 2): every finding's places (each with its location and
measured range), and `CheckResult.measurements` (every quantity a family judged, with its kind
and centroid). Until a family emits them, fall back to what it has today: `finding.measured` and
`finding.location`, the edges family's `metrics["chains"]` (with the chain faces from its
artifacts), the texture regions and the specular per-face variation from the artifacts.

Matching: a place or a measurement belongs to the truth item it is nearest to, among those
within their match distance that make a claim about its code (Truth.distance: samples, centroid
and, for loops, the fan from the centroid); an item whose own line or patch is within reach
comes before one reached only by its centroid or fan; a texture place claims only an item whose
wavelength lies within an octave of those its failing regions read (else it read other relief).
Metrics per case:
- recall: defects (a code expected to FAIL) with a finding of that code placed on them;
- precision: places on a truth item that allows or requires their code, or on a finding the
  clean host already had, over all places of the scored codes;
- unsupported: places on a truth item that must PASS that code, and warnings/errors whose own
  measured range contains their threshold;
- error: |measured / true - 1| for the nearest measurement of the right kind (ties within a
  quarter of the match distance: their median), on truth items the mesh resolves;
- undetermined: the family's own count of undetermined verdicts (metrics["verdicts"]), also
  per rule code (run.py prints the split: which rule a change in the share comes from).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .cases import ALLOW, FAIL, PASS, Case
from .expect import TOL

FACE_POINTS = 24  # face centroids kept per place / per chain (enough to find where it is)
TIE_SHARE = 0.25  # measurements this share of the match distance apart are equally near
# A texture place is about a truth ripple only if the wavelengths its regions read come within
# this factor of the ripple's: an octave further off it read other relief (the host's own),
# and it is then scored as the clean host's or as a place where nothing is.
OCTAVE = 2.0
ARCMIN = math.pi / (180.0 * 60.0)
# A silhouette place (MS401 a part, MS402 a gap) is about a truth item of that code only if
# the width it read (its measured range, arcminutes back to millimetres at the distance) could
# be the item's: at least its width and at most its width plus a glance (what a glance merges
# into a lost part beside it), each within an octave (OCTAVE). A 2-6 mm thin part beside a
# 36 mm rod read the host's own blade, not the rod (silhouette:c17012); a rod of 37 mm merged
# at a glance of 179 mm with the body it stands on reads 89-98 mm and is the rod's
# (silhouette:c3).
WIDTH_OF = {"MS401": "protrusion", "MS402": "gap"}


@dataclass(frozen=True, eq=False)
class Place:
    code: str
    severity: str
    points: np.ndarray  # (k, 3): the centroid and the place's faces
    measured: float | None
    measured_range: tuple | None
    threshold: float | None
    wavelength: tuple | None = None  # texture: (lo, hi) over the failing regions it holds
    width: tuple | None = None  # silhouette: (lo, hi) mm of the part or gap it read


@dataclass(frozen=True, eq=False)
class Meas:
    kind: str
    value: float
    points: np.ndarray  # (k, 3)
    source: str  # "contract" or the fallback it came from
    lo: float | None = None  # its interval (contract measurements; None: a fallback's value)
    hi: float | None = None


@dataclass(frozen=True, eq=False)
class Field:
    """A per-face quantity (fallback): the median over the faces on a truth item's samples."""

    kind: str
    values: np.ndarray
    points: np.ndarray


@dataclass
class CaseScore:
    name: str
    family: str
    params: dict
    defects: int = 0
    found: int = 0
    places: int = 0
    true_places: int = 0
    host_places: int = 0
    unsupported: int = 0
    range_violations: int = 0
    unplaced: int = 0
    errors: dict = field(default_factory=dict)  # kind -> list of |m/t - 1|
    held: dict = field(default_factory=dict)  # kind -> [intervals holding the truth, holding it
    # within TOL (where no verdict they give can be unsupported: expect.py), intervals]
    eligible: dict = field(default_factory=dict)  # kind -> truths that should be measured
    verdicts: dict = field(default_factory=dict)  # fail/pass/undetermined counts
    by_code: dict = field(default_factory=dict)  # the same counts per rule code
    sources: set = field(default_factory=set)  # where the measurements came from
    notes: list = field(default_factory=list)  # what went wrong, for the worst-case list
    failed: str | None = None  # a family crashed or did not run
    seconds: float = 0.0

    @property
    def badness(self) -> float:
        worst = max((max(v) for v in self.errors.values() if v), default=0.0)
        missed = self.defects - self.found
        false = self.places - self.true_places - self.host_places
        return 3 * missed + false + 3 * (self.unsupported + self.range_violations) + \
            min(worst, 5.0) + (10 if self.failed else 0)


# --------------------------------------------------------------------------- reading results


def run_checks(model, conditions, families):
    from miniscan.runner import RunOptions, check_model

    return check_model(model, conditions, RunOptions(families=tuple(families))).checks


def _face_centroids(model) -> np.ndarray:
    return model.vertices[model.faces].mean(axis=1)


def _loc_points(loc, fc: np.ndarray, limit: int | None = FACE_POINTS) -> np.ndarray | None:
    pts = []
    if getattr(loc, "centroid_mm", None) is not None:
        pts.append(np.asarray(loc.centroid_mm, float)[None])
    faces = [f for f in (getattr(loc, "faces", ()) or ()) if 0 <= f < len(fc)]
    if faces:
        pts.append(fc[np.asarray(faces[:limit])])
    return np.vstack(pts) if pts else None


def places(checks, model, codes, distance_mm: float | None = None) -> tuple[list[Place], int]:
    """Every place of a finding of the scored codes; and how many such findings had none.
    distance_mm: the viewing distance, to read a silhouette place's width in mm."""
    fc = _face_centroids(model)
    out, unplaced = [], 0
    for res in checks:
        lams = [m for m in (getattr(res, "measurements", ()) or ())
                if m.kind == "wavelength_mm" and m.verdict == "fail"]
        for f in res.findings:
            if f.code not in codes:
                continue
            sub = getattr(f, "places", ()) or ()
            items = [(p.location if hasattr(p, "location") else p, getattr(p, "measured", None),
                      getattr(p, "measured_range", None)) for p in sub] or \
                [(f.location, f.measured, getattr(f, "measured_range", None))]
            for loc, meas, rng_ in items:
                pts = _loc_points(loc, fc)
                if pts is None:
                    unplaced += 1
                    continue
                out.append(Place(f.code, f.severity, pts, meas,
                                 None if rng_ is None else tuple(rng_), f.threshold,
                                 _read_wavelength(lams, pts),
                                 _read_width(f.code, meas, rng_, distance_mm)))
    return out, unplaced


def clean_host_places(checks, model, codes, distance_mm: float | None = None) -> list[Place]:
    """The clean host's places of the scored codes (`places`), and each measurement the host
    failed or left undecided on one of them as a place of its own.
    - Failed: a texture finding is one place for a whole problem area, at its regions'
      area-weighted centre with the worst region's faces, so a region of a long chain of
      failing host relief lay far from its finding's place (texture:c25024: an 18 mm chain on
      the mountain terrain, whose region at the case's place read the same wave, interval and
      verdict in the host and in the case, was scored as a false place where the injected
      patch broke the chain).
    - Undecided: the host's relief there is measured and at the rule's threshold within its
      own uncertainty; the case's windows that reach the injected patch move its reading a
      little, and a verdict may then be decided either way (texture:c25009: rough stone
      judged as skin, a region 9 mm from the patch read 1.22 mm in the host, 1.55 mm in the
      case, MS101 undecided then failed). That relief was already there; what the injection
      added is scored on the truth's own items.
    A measurement's code is the first rule it failed, else the first it left undecided."""
    fc = _face_centroids(model)
    out = places(checks, model, codes, distance_mm)[0]
    for res in checks:
        for m in getattr(res, "measurements", ()) or ():
            if m.verdict not in ("fail", "undetermined") or m.code not in codes \
                    or m.centroid_mm is None:
                continue
            pts = _loc_points(m, fc, None)  # every face it lists: the surface it covers
            out.append(Place(m.code, "warning", pts, m.value, (m.lo, m.hi), None))
    return out


def _read_width(code: str, meas, rng_, distance_mm: float | None) -> tuple | None:
    """(lo, hi) mm of a silhouette place's width (its measured range, else its value), from
    the arcminutes the family reports."""
    if code not in WIDTH_OF or distance_mm is None or meas is None:
        return None
    lo, hi = (meas, meas) if rng_ is None else (min(rng_), max(rng_))
    return tuple(2.0 * distance_mm * math.tan(0.5 * v * ARCMIN) for v in (lo, hi))


def _read_wavelength(lams, pts: np.ndarray) -> tuple | None:
    """(lo, hi) over the wavelengths read by the failing regions a place holds: those whose
    centroid lies within the place's own reach (its points' farthest distance from its
    centroid) or, at least, the nearest one. Taking every region within reach errs towards the
    old attribution (a wider span claims a ripple more easily)."""
    if not lams:
        return None
    c = np.array([m.centroid_mm for m in lams], float)
    d = np.sqrt(((c[:, None, :] - pts[None, :, :]) ** 2).sum(-1)).min(axis=1)
    reach = float(np.sqrt(((pts - pts[0]) ** 2).sum(-1)).max())
    near = d <= max(reach, float(d.min()))
    return (min(m.lo for m, k in zip(lams, near) if k), max(m.hi for m, k in zip(lams, near) if k))


def measurements(checks, model, conditions) -> tuple[list[Meas], list[Field]]:
    fc = _face_centroids(model)
    meas, fields = [], []
    for res in checks:
        contract = getattr(res, "measurements", ()) or ()
        if contract:
            for m in contract:
                if m.value is None or m.centroid_mm is None:
                    continue
                meas.append(Meas(m.kind, float(m.value), np.asarray(m.centroid_mm, float)[None],
                                 "contract", _finite(getattr(m, "lo", None)),
                                 _finite(getattr(m, "hi", None))))
            continue
        fb = _FALLBACKS.get(res.family)
        if fb:
            m, fl = fb(res, fc, conditions)
            meas += m
            fields += fl
    return meas, fields


HELD_SLACK = 1e-6  # an interval's ends compared with the truth up to a float32's rounding (a
# file's coordinates and colours are float32; a luminance contrast read exactly differs from
# the truth's float64 in the seventh digit)


def _finite(x) -> float | None:
    return float(x) if x is not None and np.isfinite(x) else None


def _edges_fallback(res, fc, c):
    chains = res.metrics.get("chains") or []
    face_chain = (getattr(res, "artifacts", None) or {}).get("face_chain")
    out = []
    for ch in chains:
        if ch.get("radius_mm") is None:
            continue
        pts = [np.asarray(ch["centroid_mm"], float)[None]]
        if face_chain is not None:
            fid = np.flatnonzero(face_chain == ch["chain"])
            if len(fid):
                pts.append(fc[fid[np.linspace(0, len(fid) - 1, min(len(fid), FACE_POINTS))
                                  .astype(int)]])
        out.append(Meas("bevel_radius_mm", float(ch["radius_mm"]), np.vstack(pts),
                        "metrics.chains"))
    return out, []


def _texture_fallback(res, fc, c):
    art = getattr(res, "artifacts", None) or {}
    if "region_of_point" not in art:
        return [], []
    reg, pts = art["region_of_point"], art["points"]
    n = int(reg.max()) + 1 if len(reg) else 0
    cnt = np.maximum(np.bincount(reg, minlength=n), 1)
    cen = np.stack([np.bincount(reg, weights=pts[:, k], minlength=n) for k in range(3)], 1)
    cen /= cnt[:, None]
    out = []
    for kind, key in (("wavelength_mm", "region_wavelength_mm"),
                      ("amplitude_mm", "region_amplitude_mm")):
        vals = np.asarray(art.get(key, []), float)
        ok = np.flatnonzero(np.isfinite(vals))
        out.append(Field(kind, vals[ok], cen[ok]))
    return [], out


def _specular_fallback(res, fc, c):
    art = getattr(res, "artifacts", None) or {}
    fv = art.get("face_variation")
    if fv is None:
        return [], []
    return [], [Field("normal_variation_rad", np.asarray(fv, float), fc)]


def _finding_fallback(kinds: dict, to_mm: bool):
    def fb(res, fc, c):
        out = []
        for f in res.findings:
            if f.code not in kinds or f.measured is None or f.location.centroid_mm is None:
                continue
            v = float(f.measured)
            if to_mm:  # silhouettes report arcminutes: back to a width at the distance
                v = 2.0 * c.distance_mm * math.tan(0.5 * v * ARCMIN)
            elif f.unit != "mm":
                continue
            out.append(Meas(kinds[f.code], v, _loc_points(f.location, fc), "finding.measured"))
        return out, []
    return fb


_FALLBACKS = {"edges": _edges_fallback, "texture": _texture_fallback,
              "specular": _specular_fallback,
              "silhouette": _finding_fallback({"MS401": "protrusion_width_mm",
                                               "MS402": "gap_width_mm"}, True),
              "scale": _finding_fallback({"MS502": "thickness_mm"}, False)}


# --------------------------------------------------------------------------- matching


def _nearness(t, pts: np.ndarray) -> tuple[int, float] | None:
    """How near points are to a truth item, for choosing among items: on its own line (or
    patch) first, then by its centroid or fan. A loop's fan reaches over a concentric loop
    beside it (a ring's inner and outer rims, a sweep's two edges): a chain lying on the inner
    loop's line belongs to the inner loop even where the outer loop's fan covers it too.
    None: out of the item's match distance."""
    line = float(t.line_distance(pts).min())
    if line <= t.match_mm:
        return 0, line
    d = float(t.distance(pts).min())
    return (1, d) if d <= t.match_mm else None


def _claimant(truths, pts: np.ndarray, code: str | None, wavelength: tuple | None = None,
              width: tuple | None = None, glance_mm: float = 0.0):
    """The nearest truth item within its match distance (that makes a claim about `code`); a
    place that read wavelengths (texture) claims only an item within an octave of them, one
    that read a width (silhouette) only an item of its kind it could be (WIDTH_OF)."""
    best, best_key = None, None
    for t in truths:  # a handful of truth items per case
        if code is not None and code not in t.expect:
            continue
        lam = t.values.get("wavelength_mm")
        if wavelength is not None and lam and not (
                wavelength[0] / OCTAVE <= lam <= wavelength[1] * OCTAVE):
            continue
        w = t.numbers.get("width_mm") if t.kind == WIDTH_OF.get(code) else None
        if width is not None and w and not (width[0] / OCTAVE <= w + glance_mm
                                            and w <= width[1] * OCTAVE):
            continue
        key = _nearness(t, pts)
        if key is not None and (best_key is None or key < best_key):
            best, best_key = t, key
    return best


def _host_trees(host: list[Place]) -> dict:
    """Per code, a KD-tree over the points of the clean host's own places (a specular body
    lists a face per cell it was read over: thousands of points on a scan)."""
    from scipy.spatial import cKDTree

    by = {}
    for h in host:
        by.setdefault(h.code, []).append(h.points)
    return {c: cKDTree(np.vstack(p)) for c, p in by.items()}


def _near_host(place: Place, trees: dict, radius: float) -> bool:
    t = trees.get(place.code)
    if t is None:
        return False
    d, _ = t.query(place.points, distance_upper_bound=np.nextafter(radius, np.inf))
    return bool(np.isfinite(d).any())


def _assign(truths, meas: list[Meas]) -> dict:
    """Each measurement goes to the nearest truth item (within its match distance) of a kind
    that holds true values of its kind: id(truth) -> [(distance, measurement)]. The nearest
    may have no value (a sharp edge, whose radius is none to measure): the measurement is
    that item's and scores nothing. (Skipping such items, a sweep's sharp rims' readings went
    to its 0.41 mm fillets 1.6 mm away, and their median, 0.118 mm, was scored as the
    fillets': edges:23058.)"""
    out: dict = {}
    for m in meas:
        holds = {u.kind for u in truths if m.kind in u.values}
        best, best_key = None, None
        for t in truths:  # a handful per case
            if t.kind not in holds:
                continue
            key = _nearness(t, m.points)
            if key is not None and (best_key is None or key < best_key):
                best, best_key = t, key
        if best is not None and m.kind in best.values:
            out.setdefault(id(best), []).append((float(best.distance(m.points).min()), m))
    return out


def _value_at(truth, kind: str, mine: list, fields: list[Field]) -> tuple[float | None, str, list]:
    """The measured value of a truth's quantity (the median of its nearest measurements, tied
    within TIE_SHARE of its match distance; else the fallback fields' median near it), where
    it came from, and the intervals (lo, hi) of those measurements that carry one."""
    cands = [(d, m.value, m.source, m) for d, m in mine if m.kind == kind]
    if cands:
        d0 = min(x[0] for x in cands)
        tied = [x for x in cands if x[0] <= d0 + TIE_SHARE * truth.match_mm]
        # (once each: a chain judged by three codes lists one interval three times)
        ranges = list(dict.fromkeys((x[3].lo, x[3].hi) for x in tied
                                    if x[3].lo is not None and x[3].hi is not None))
        return float(np.median([x[1] for x in tied])), tied[0][2], ranges
    for fl in fields:
        if fl.kind != kind or not len(fl.values):
            continue
        d = truth.distance(fl.points)
        near = d <= max(0.15 * truth.match_mm, 1e-9)
        if near.any():
            return float(np.median(fl.values[near])), "artifacts", []
    return None, "", []


# --------------------------------------------------------------------------- one case


def score(case: Case, checks, host_places: list[Place] | None = None) -> CaseScore:
    model = case.model()
    c = case.resolved_conditions()
    s = CaseScore(case.name, case.family, case.params)
    bad = [r for r in checks if r.status != "ok"]
    if bad:
        s.failed = "; ".join(f"{r.family}: {r.status} ({r.reason})" for r in bad)
    pl, s.unplaced = places(checks, model, case.codes, c.distance_mm)
    _score_places(s, case, pl, host_places or [])
    meas, fields = measurements(checks, model, c)
    _score_measurements(s, case, meas, fields)
    for r in checks:
        for code, v in (r.metrics.get("verdicts") or {}).items():
            if code in case.codes:
                mine = s.by_code.setdefault(code, {})
                for k in ("fail", "pass", "undetermined"):
                    s.verdicts[k] = s.verdicts.get(k, 0) + int(v.get(k, 0))
                    mine[k] = mine.get(k, 0) + int(v.get(k, 0))
    return s


def _score_places(s: CaseScore, case: Case, pl: list[Place], host: list[Place]) -> None:
    found = set()
    glance_mm = case.resolved_conditions().glance_mm
    trees = _host_trees(host) if host else {}
    for p in pl:
        s.places += 1
        if (p.severity in ("warning", "error") and p.measured_range and p.threshold is not None
                and min(p.measured_range) <= p.threshold <= max(p.measured_range)):
            s.range_violations += 1
            s.notes.append(f"{p.code} range {p.measured_range} holds its threshold "
                           f"{p.threshold:.3g}")
        t = _claimant(case.truths, p.points, p.code, p.wavelength, p.width, glance_mm)
        claim = t.expect[p.code] if t is not None else None
        if claim in (FAIL, ALLOW):
            s.true_places += 1
            if claim == FAIL:
                found.add(id(t))
        elif host and _near_host(p, trees, case.host_match_mm):
            s.host_places += 1
        elif claim == PASS:
            s.unsupported += 1
            s.notes.append(f"{p.code} on a {t.kind} that passes ({_brief(t)}), "
                           f"measured {p.measured}")
        else:
            s.notes.append(f"{p.code} where nothing is (at {np.round(p.points[0], 2).tolist()})")
    for t in case.truths:
        if t.defect:
            s.defects += 1
            if id(t) in found:
                s.found += 1
            else:
                codes = [k for k, v in t.expect.items() if v == FAIL]
                s.notes.append(f"missed {'/'.join(codes)} on a {t.kind} ({_brief(t)})")


def _score_measurements(s: CaseScore, case: Case, meas, fields) -> None:
    owned = _assign(case.truths, meas)
    for t in case.truths:
        if not t.measurable:
            continue
        for kind, true in t.values.items():
            if not true:
                continue
            s.eligible[kind] = s.eligible.get(kind, 0) + 1
            v, src, ranges = _value_at(t, kind, owned.get(id(t), []), fields)
            if v is None:
                continue
            s.sources.add(src)
            err = abs(v / true - 1.0)
            s.errors.setdefault(kind, []).append(err)
            if err > 0.15:
                s.notes.append(f"{kind} measured {v:.4g}, true {true:.4g} ({_brief(t)})")
            # each interval the value came from either holds the truth or is a calibration
            # fault (a verdict against it would be unsupported wherever a threshold fell
            # between them); the relative slack is a float's, not a tolerance
            h = s.held.setdefault(kind, [0, 0, 0])
            for lo, hi in ranges:
                ok = lo * (1 - HELD_SLACK) <= true <= hi * (1 + HELD_SLACK)
                near = lo / TOL <= true <= hi * TOL
                h[0] += ok
                h[1] += near
                h[2] += 1
                if not near:
                    s.notes.append(f"{kind} interval [{lo:.4g}, {hi:.4g}] misses true "
                                   f"{true:.4g} ({_brief(t)})")


def _brief(t) -> str:
    keys = ("radius_mm", "turn_rad", "h_across_mm", "wavelength_mm", "amplitude_mm",
            "theta_band_rad", "half_lobe_rad", "width_mm", "thickness_mm")
    parts = [f"{k}={t.numbers[k]:.3g}" for k in keys if k in t.numbers]
    return ", ".join(parts) or t.kind
