"""Fine lines and lettering (MS600-MS604). Method, formulas and intervals: docs/lines.md.

The kernel (analysis/lines/) finds narrow grooves and ridges as line features and measures
each on cross-sections: width w (full width at half depth), depth or height D, the gap g to the
next stroke, each with its interval. A line then passes the detail budget's filters in order,
and the first that loses it gives its one finding:

- MS601 print: min(w / c_print, D / layer) < 1 (c_print: two printer pixels, or the nozzle);
- MS602 paint: groove min(D / p, w / 2p) < 1, ridge D / p < 1 (p: the paint build-up);
- MS603 eye: g < r, the resolvable size at the distance (strokes merge).

MS604 says which lines were read at all; MS600 counts the verdicts the intervals leave open.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..evidence import FAIL, PASS, UNDETERMINED, Evidence, printable_floor_mm
from ..findings import CheckResult, FaceLayer, FamilyLayers, Finding, Location, Measurement
from ..rules.lines import MS601, MS602, MS603, MS604
from ..vision import ARCMIN

FAMILY = "lines"

# --- tuned constants (unit, and why this value) ----------------------------------------------
# The ladder of base windows (analysis/lines/ reads a line of width w at a window sigma >= 2 w).
# The finest window reads lines up to the largest of the limits (printer cutoff, twice the paint,
# the eye's resolvable size) on forms as tight as ~4 sigma; the widest reads strokes up to
# WIDEST_LINE limits wide (wider is form, not line: 12 resolvable
# sizes, 1.7 mm at 500 mm: as bold as base lettering gets).
FINEST_LIMITS = 2.0  # sigma_0 = 2 x the largest limit
WIDEST_LINE = 12.0  # widest line read, in the largest limit
LADDER_STEP = 3.0  # ratio of neighbouring windows (every width falls in one window's range)
WINDOW_DIAG = 6.0  # the widest window (4 sigma across) stays under 2/3 of the model's diagonal
QUERY_BUDGET = 12_000  # base fits at the finest window: sigma_0 >= sqrt(area / budget)
# ... and no more fits than one per VERTICES_PER_FIT vertices: fits sit one window-sigma apart,
# so each 2-sigma window then holds ~50 vertices; a window holding a handful has no base to fit
# (a coarse mesh holds no line narrower than its facets anyway; flat CAD faces get their own
# samples in the kernel).
VERTICES_PER_FIT = 4.0
# Lines shallower than half the shallowest depth limit (a layer, the paint) are not read at all:
# they are lost either way and are the texture family's relief (MS103/MS104).
DEPTH_FLOOR_SHARE = 0.5
# Without printer and paint, the floor is this share of the resolvable size.
DEPTH_FLOOR_EYE = 0.25
# The gap to the next stroke is searched SPACING_REACH resolvable sizes past each stroke's edge:
# a gap beyond that is at least twice what the eye needs, a pass.
SPACING_REACH = 2.0
# Picture labels of a line (the verdict layer); LinesLayers.verdicts indexes this tuple.
VERDICTS = ("lost", "filled", "closed", "ok", "undetermined")
LOST, FILLED, CLOSED, OK, UNSURE = range(len(VERDICTS))
KIND = {1: "ridge", -1: "groove"}


@dataclass(frozen=True)
class Limits:
    """What each filter of the detail budget holds, in model mm (0: no such filter)."""

    print_mm: float  # lateral cutoff c_print
    layer_mm: float
    paint_mm: float
    eye_mm: float  # resolvable size r

    @property
    def largest(self) -> float:
        return max(self.print_mm, 2.0 * self.paint_mm, self.eye_mm)


def limits(conditions) -> Limits:
    p = conditions.printer
    has = p.min_wall_mm > 0
    return Limits(p.lateral_cutoff_mm if has else 0.0, p.layer_mm if has else 0.0,
                  conditions.paint_mm, conditions.resolvable_mm)


def ladder(analysis, lim: Limits) -> tuple[float, ...]:
    """Window scales (sigma, mm) from the limits, the model's area and its size."""
    area = max(analysis.total_area, 1e-300)
    fits = max(min(QUERY_BUDGET, analysis.model.n_vertices / VERTICES_PER_FIT), 1.0)
    s0 = max(FINEST_LIMITS * lim.largest, math.sqrt(area / fits))
    top = min(2.0 * WIDEST_LINE * lim.largest, analysis.bbox_diag_mm / WINDOW_DIAG)
    out = [s0]
    while out[-1] * math.sqrt(LADDER_STEP) < top:  # the last window reaches top within a half step
        out.append(out[-1] * LADDER_STEP)
    return tuple(out)


def depth_floor_mm(lim: Limits) -> float:
    depths = [d for d in (lim.layer_mm, lim.paint_mm) if d > 0]
    return DEPTH_FLOOR_SHARE * min(depths) if depths else DEPTH_FLOOR_EYE * lim.eye_mm


# --- picture layers ---------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class LinesLayers(FamilyLayers):
    """Every line's faces painted with its stroke width (mm) and its verdict.

    face_line: (n_faces,) index of the line a face belongs to, -1 none. line_width_mm and
    line_verdict: per line (the verdict indexes `verdicts`)."""

    face_line: np.ndarray
    line_width_mm: np.ndarray
    line_verdict: np.ndarray
    verdicts: tuple[str, ...] = VERDICTS

    def face_layers(self) -> tuple[FaceLayer, ...]:
        has = self.face_line >= 0
        j = np.maximum(self.face_line, 0)
        width = np.where(has, self.line_width_mm[j] if len(self.line_width_mm) else np.nan, np.nan)
        label = np.where(has, self.line_verdict[j] if len(self.line_verdict) else np.nan, np.nan)
        return (FaceLayer("lines-width", width.astype(float), "mm", "stroke width", "value"),
                FaceLayer("lines-verdict", label.astype(float), "", "line verdict", "label",
                          categories=self.verdicts))


# --- judging one line -------------------------------------------------------------------------

@dataclass(frozen=True)
class _Line:
    """One line's numbers (from analysis.lines.LineSet), in model mm."""

    i: int
    kind: int
    w: tuple[float, float, float]  # value, lo, hi
    d: tuple[float, float, float]
    g: tuple[float, float, float] | None  # None: no neighbour within the reach
    reach: float
    length: float
    centroid: tuple[float, float, float]
    faces: tuple[int, ...]

    @property
    def noun(self) -> str:
        return "engraved line" if self.kind < 0 else "embossed line"

    @property
    def deep(self) -> str:
        return "deep" if self.kind < 0 else "high"


def _line(L, i: int) -> _Line:
    g = None if not np.isfinite(L.gap_mm[i]) else (float(L.gap_mm[i]), float(L.gap_lo[i]),
                                                   float(L.gap_hi[i]))
    return _Line(i, int(L.kind[i]), (float(L.width_mm[i]), float(L.width_lo[i]), float(L.width_hi[i])),
                 (float(L.depth_mm[i]), float(L.depth_lo[i]), float(L.depth_hi[i])), g,
                 float(L.reach_mm[i]), float(L.length_mm[i]),
                 tuple(float(x) for x in L.centroid_mm[i]), L.first_faces[i])


def _margin(terms):
    """The limiting term of min(x / limit) over (value, lo, hi, limit, name) terms: the
    interval of the minimum ratio and the term that sets its upper end."""
    terms = [t for t in terms if t[3] > 0]
    if not terms:
        return None
    lo = min(t[1] / t[3] for t in terms)
    hi = min(t[2] / t[3] for t in terms)
    worst = min(terms, key=lambda t: (t[2] / t[3], t[0] / t[3]))
    return lo, hi, worst


def _print_terms(ln: _Line, lim: Limits):
    return [(*ln.w, lim.print_mm, "wide"), (*ln.d, lim.layer_mm, ln.deep)]


def _paint_terms(ln: _Line, lim: Limits):
    terms = [(*ln.d, lim.paint_mm, ln.deep)]
    if ln.kind < 0:  # paint on both walls bridges a groove narrower than twice the build-up
        terms.append((*ln.w, 2.0 * lim.paint_mm, "wide"))
    return terms


def _targets(ln: _Line, lim: Limits, conditions) -> tuple[float, float]:
    """Width and depth that survive print and paint, never finer than they hold."""
    w = max(lim.print_mm, 2.0 * lim.paint_mm if ln.kind < 0 else 0.0, printable_floor_mm(conditions))
    d = max(lim.layer_mm, lim.paint_mm)
    return w, d


def _stage(ev, rule, margin):
    return None if margin is None else ev.judge(rule, margin[0], margin[1], 1.0)


def _fmt(x: float) -> str:
    return f"{x:.2g}" if x < 0.1 else f"{x:.3g}"


def _what(ln: _Line) -> str:
    w, d = ln.w, ln.d
    return (f"{ln.noun} {_fmt(w[0])} mm wide ({_fmt(w[1])}-{_fmt(w[2])}), {_fmt(d[0])} mm "
            f"{ln.deep} ({_fmt(d[1])}-{_fmt(d[2])}), {ln.length:.3g} mm long")


def _bolder(ln: _Line, lim: Limits, conditions, tail: str) -> str:
    wt, dt = _targets(ln, lim, conditions)
    more = [f"{_fmt(x)} mm {word}" for x, word in
            ((wt - ln.w[0], "wider"), (dt - ln.d[0], "deeper" if ln.kind < 0 else "higher"))
            if x > 0]
    return (f"Make it at least {_fmt(wt)} mm wide and {_fmt(dt)} mm {ln.deep} "
            f"({', '.join(more) or 'as it is'}): {tail}")


def _loc(ln: _Line) -> Location:
    return Location(ln.centroid, region=ln.i, faces=ln.faces)


def _print_finding(ln, lim, conditions, worst) -> Finding:
    value, lo, hi, limit, name = worst
    printer = conditions.printer.name
    why = (f"narrower than the {printer} printer's {_fmt(limit)} mm lateral cutoff"
           if name == "wide" else f"{'shallower' if ln.kind < 0 else 'lower'} than its "
                                  f"{_fmt(limit)} mm layer")
    return Finding("MS601", f"{_what(ln)}: {why}; it will not print", measured=value,
                   measured_range=(lo, hi), threshold=limit, unit="mm", location=_loc(ln),
                   advice=_bolder(ln, lim, conditions, "that survives print and paint."))


def _paint_finding(ln, lim, conditions, worst) -> Finding:
    value, lo, hi, limit, name = worst
    p = _fmt(lim.paint_mm)
    why = (f"under twice the {p} mm paint build-up: paint on both walls bridges it"
           if name == "wide" else
           f"{'shallower' if ln.kind < 0 else 'lower'} than the {p} mm paint build-up: "
           f"{'the paint fills it' if ln.kind < 0 else 'the paint levels it'}")
    return Finding("MS602", f"{_what(ln)}: {why}", measured=value, measured_range=(lo, hi),
                   threshold=limit, unit="mm", location=_loc(ln),
                   advice=_bolder(ln, lim, conditions, "paint spreads into fine lines like ink "
                                  "in ageing skin, so go a little bolder than looks necessary."))


def _eye_finding(ln, lim, conditions) -> Finding:
    g, lo, hi = ln.g
    r = lim.eye_mm
    far = hi / math.tan(conditions.acuity_arcmin * ARCMIN) if hi > 0 else 0.0
    return Finding(
        "MS603", f"{_what(ln)}: strokes {_fmt(g)} mm apart ({_fmt(lo)}-{_fmt(hi)}); at "
                 f"{conditions.distance_mm:g} mm the eye resolves {_fmt(r)} mm, so they merge",
        measured=g, measured_range=(lo, hi), threshold=r, unit="mm", location=_loc(ln),
        advice=f"Open the gaps to at least {_fmt(r)} mm ({_fmt(r - g)} mm more), or enlarge "
               f"the lettering or pattern about {r / max(g, 1e-9):.1f}x.",
        holds_mm=(far, math.inf))


def _unsure(ev, stage: str, ln: _Line, terms, lim, conditions) -> None:
    straddle = [t for t in terms if t[3] > 0 and t[1] < t[3] <= t[2]]
    value, lo, hi, limit, name = (straddle or terms)[0]
    what = {"wide": "wide", "deep": "deep", "high": "high"}[name]
    against = {"print": f"the {conditions.printer.name} printer's {_fmt(limit)} mm "
                        f"{'cutoff' if name == 'wide' else 'layer'}",
               "paint": f"the {_fmt(limit)} mm {'paint bridge' if name == 'wide' else 'paint build-up'}"}
    ev.unsure(stage, f"a stroke reads {_fmt(lo)}-{_fmt(hi)} mm {what}, across {against[stage]}: "
                     f"export finer at the line or make it clearly bolder")


def _judge(ln: _Line, lim: Limits, conditions, ev) -> tuple[int, Finding | None, dict]:
    """The line's verdict label, its one finding (the first filter that loses it) and the
    verdict of every filter judged."""
    verdicts = {}
    pm = _margin(_print_terms(ln, lim))
    verdicts["print"] = v = _stage(ev, MS601, pm)
    if v == FAIL:
        return LOST, _print_finding(ln, lim, conditions, pm[2]), verdicts
    am = _margin(_paint_terms(ln, lim))
    verdicts["paint"] = va = _stage(ev, MS602, am)
    if va == FAIL:
        return FILLED, _paint_finding(ln, lim, conditions, am[2]), verdicts
    if ln.g is None:
        ev.count(MS603, PASS)
        verdicts["eye"] = ve = PASS
    else:
        verdicts["eye"] = ve = ev.judge(MS603, ln.g[1], ln.g[2], lim.eye_mm)
        if ve == FAIL:
            return CLOSED, _eye_finding(ln, lim, conditions), verdicts
    if UNDETERMINED not in verdicts.values():
        return OK, None, verdicts
    if v == UNDETERMINED:
        _unsure(ev, "print", ln, _print_terms(ln, lim), lim, conditions)
    elif va == UNDETERMINED:
        _unsure(ev, "paint", ln, _paint_terms(ln, lim), lim, conditions)
    else:
        ev.unsure("eye", f"strokes read {_fmt(ln.g[1])}-{_fmt(ln.g[2])} mm apart, across the "
                         f"{_fmt(lim.eye_mm)} mm the eye resolves at {conditions.distance_mm:g} mm")
    return UNSURE, None, verdicts


# --- the check ----------------------------------------------------------------------------------

def _measurements(ln: _Line, verdicts: dict) -> list[Measurement]:
    out = [Measurement("stroke_width_mm", *ln.w, ln.centroid, code="MS601",
                       verdict=verdicts.get("print")),
           Measurement("stroke_depth_mm", *ln.d, ln.centroid, code="MS602",
                       verdict=verdicts.get("paint"))]
    if ln.g is not None:
        out.append(Measurement("stroke_spacing_mm", *ln.g, ln.centroid, code="MS603",
                               verdict=verdicts.get("eye")))
    return out


def _listing(ln: _Line, label: int, code: str | None) -> dict:
    return {"line": ln.i, "kind": KIND[ln.kind], "centroid_mm": list(ln.centroid),
            "length_mm": ln.length, "width_mm": ln.w[0], "width_range_mm": list(ln.w[1:]),
            "depth_mm": ln.d[0], "depth_range_mm": list(ln.d[1:]),
            "spacing_mm": None if ln.g is None else ln.g[0],
            "spacing_range_mm": None if ln.g is None else list(ln.g[1:]),
            "spacing_searched_mm": ln.reach, "verdict": VERDICTS[label], "code": code}


def _span(values) -> str:
    lo, hi = _fmt(min(values)), _fmt(max(values))
    return lo if lo == hi else f"{lo}-{hi}"


def _read_info(lines: list[_Line], labels: list[int], conditions) -> Finding:
    n = len(lines)
    kinds = [sum(ln.kind < 0 for ln in lines), sum(ln.kind > 0 for ln in lines)]
    parts = [f"{k} {name}" for k, name in zip(kinds, ("engraved", "embossed")) if k]
    w = [ln.w[0] for ln in lines]
    d = [ln.d[0] for ln in lines]
    held = sum(lab == OK for lab in labels)
    big = max(lines, key=lambda ln: ln.length)
    deep = "deep" if not kinds[1] else "high" if not kinds[0] else "deep or high"
    msg = (f"{n} line{'s' if n != 1 else ''} read ({', '.join(parts)}): {_span(w)} mm wide, "
           f"{_span(d)} mm {deep}, {sum(ln.length for ln in lines):.3g} mm of line in all; "
           f"{held} of {n} hold through print, paint and the eye at {conditions.distance_mm:g} mm")
    return Finding("MS604", msg, measured=float(n), unit="lines", location=_loc(big),
                   advice=MS604.fix)


def run(model, conditions, analysis) -> CheckResult:
    from ..analysis.lines import find_lines

    ev = Evidence(FAMILY)
    lim = limits(conditions)
    sig = ladder(analysis, lim)
    floor = depth_floor_mm(lim)
    reach = SPACING_REACH * lim.eye_mm
    metrics = {"window_sigma_mm": list(sig), "depth_floor_mm": floor, "spacing_reach_mm": reach,
               "limits_mm": {"print": lim.print_mm, "layer": lim.layer_mm,
                             "paint": lim.paint_mm, "eye": lim.eye_mm}}
    if model.n_faces == 0:
        return CheckResult(FAMILY, "not-run", "no faces to read lines on", metrics)
    widest = WIDEST_LINE * lim.largest
    metrics["widest_line_mm"] = widest
    key = f"lines:{sig!r}:{floor!r}:{reach!r}:{widest!r}"
    L = analysis.cached(key, lambda a: find_lines(a, sig, floor, reach, widest))
    findings, measurements, listing = [], [], []
    lines = [_line(L, i) for i in range(L.count)]
    labels = []
    for ln in lines:  # loop over lines (tens), not faces
        label, f, verdicts = _judge(ln, lim, conditions, ev)
        labels.append(label)
        if f is not None:
            findings.append(f)
        measurements += _measurements(ln, verdicts)
        listing.append(_listing(ln, label, None if f is None else f.code))
    if lines:
        findings.append(_read_info(lines, labels, conditions))
    metrics.update({"lines_read": len(lines), "candidates": L.candidates, "lines": listing,
                    "lines_by_verdict": {v: labels.count(i) for i, v in enumerate(VERDICTS)},
                    "verdicts": ev.metrics()})
    layers = LinesLayers(L.face_line, L.width_mm.copy(), np.array(labels, dtype=np.int64))
    return CheckResult(FAMILY, "ok", None, metrics,
                       tuple(findings) + ev.findings("lines", "line"), layers=layers,
                       measurements=tuple(measurements))
