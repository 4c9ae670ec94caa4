"""Edges and bevels (MS200-MS204): measure each crease's bevel radius and judge it.

Window (DESIGN.md section 3): R_min = r / phi (the highlight on the bevel is about R * phi
wide and must be resolvable); R_max = min(material's real edge radius / N, the width of the
flatter flank). Print and paint round every edge to R_hold = max(paint build-up, half a printer
pixel or nozzle), so the edge the eye sees has radius max(R, R_hold). Every radius comes with
its interval [lo, hi] from the mesh's resolution across the band (analysis/creases/); a
verdict needs the whole interval on one side (evidence.py), and the chains it cannot decide are
said once, in MS200, with the export that would decide them. docs/edges.md has the derivation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..evidence import FAIL, PASS, UNDETERMINED, Evidence, printable_floor_mm
from ..findings import CheckResult, FaceLayer, FamilyLayers, Finding, Location, Measurement
from ..intervals import interval_supports
from ..rules import rule

FAMILY = "edges"
TURN_MIN_DEG = 30.0  # a crease turns the normal by at least this much (DESIGN.md section 3)
DETECT_FACTOR = 8.0  # creases are sought up to this many times the softer bound of the window:
# a fillet softer than R_max is too soft, the softer the surer, so the search reaches well past
# it (at 4x the truth suite missed 11 too-soft fillets at 1.3-2x R_detect; at 16x ring walls
# seeded chains that swallowed small fillets); what curves more softly is a form, not an edge
MAX_CHAINS_LISTED = 50  # chains listed in metrics (findings are never capped)
SETTLE_ROWS = 3.0  # a bevel of R_min is decided when rows are at most R_min / this wide
VERDICT_LABELS = ("razor", "soft", "below-print", "ok", "undetermined")


@dataclass(frozen=True)
class EdgeLayers(FamilyLayers):
    """Picture data: chain id per face, each chain's verdict, the measured radius per face."""

    face_chain: np.ndarray  # (n_faces,) int, -1 off chains
    chain_verdict: tuple[str, ...]
    face_radius_mm: np.ndarray  # (n_faces,) float, NaN off chains

    def face_layers(self) -> tuple[FaceLayer, ...]:
        lut = np.array([VERDICT_LABELS.index(v) for v in self.chain_verdict] + [-1], float)
        fc = self.face_chain
        lab = np.where(fc >= 0, lut[np.where(fc >= 0, fc, len(lut) - 1)], np.nan)
        return (FaceLayer("edges-radius", self.face_radius_mm, "mm", "bevel radius", "value"),
                FaceLayer("edges-verdict", lab, "", "edge verdict", "label",
                          categories=VERDICT_LABELS))


def hold_radius_mm(conditions) -> float:
    """Radius a hard edge ends up with after print and paint."""
    p = conditions.printer
    return max(conditions.paint_mm, 0.5 * p.xy_mm)


def material_max_mm(conditions, material: str) -> float:
    hi = float(conditions.material_props(material)["edge_radius_mm"][1])
    return hi / conditions.scale_n


def detect_radius_mm(c, part_names) -> float:
    """Creases are detected up to this radius: soft enough to be "too soft" for any part's
    material, and never stricter than the eye's bound for any part's finish."""
    from ..vision import FINISH_LOBE_RAD, highlight_min_radius

    part_mats = {c.material_for(p) for p in part_names} | {c.material}
    part_fins = {c.finish_for(p) for p in part_names} | {c.finish}
    r_soft = max(material_max_mm(c, m) for m in part_mats)
    r_eye = max(highlight_min_radius(c.resolvable_mm, FINISH_LOBE_RAD[f]) for f in part_fins)
    return DETECT_FACTOR * max(r_soft, r_eye)


def razor_from_mm(c, seen_mm: float, lobe: float) -> float:
    """Distance beyond which an edge seen at radius seen_mm is a razor edge: R·φ < D·tan(a)."""
    if c.resolvable_override_mm is not None:
        return math.inf if seen_mm * lobe >= c.resolvable_mm else 0.0
    return seen_mm * lobe / math.tan(math.radians(c.acuity_arcmin / 60.0))


@dataclass(frozen=True)
class _Chain:
    i: int
    part: str | None
    loc: Location
    r: float
    lo: float
    hi: float
    h: float
    turn_deg: float
    length: float
    r_min: float
    r_max: float
    r_max_is_material: bool
    lobe: float
    finish: str
    one_row: bool  # the file draws it as one sharp crease (fewer than two rows across)
    stretches: tuple = ()  # its sections read alone: (Location, R, lo, hi) each, in order
    along: tuple = ()  # each stretch's station rank along the chain (() : as listed)
    reads: tuple = ()  # each stretch's (row, noise, h, r_lo, r_hi, reading): stretch_reading
    own: tuple = ()  # each stretch's rank among the chain's own 8 stations (-1: cut for its
    # places only, creases.chains._along_the_crease; () : all its own, ranked by `along`)
    noise_mm: float = 0.0  # its body's vertex noise, where its turn does not stand above it
    # (creases.noise.noise_limited; 0: it does)
    lone_mm: float = 0.0  # its body's vertex noise, where it is read from one section alone
    # (creases n_read < 2: its noise term is that one reading's own; 0: clean, or more)


def run(model, conditions, analysis) -> CheckResult:
    from ..analysis.creases import find_creases

    c = conditions
    detect = detect_radius_mm(c, model.part_names)
    eye = float(c.resolvable_mm)
    key = f"creases:{detect!r}:{TURN_MIN_DEG!r}:{eye!r}"
    cr = analysis.cached(key, lambda a: find_creases(a, detect, TURN_MIN_DEG, eye))
    hold = hold_radius_mm(c)
    ev = Evidence(FAMILY)
    chains = _chains(model, c, cr)
    findings, verdicts, measurements = [], [], []
    for ch in chains:
        verdict, f, ms = _judge(c, ch, hold, ev)
        verdicts.append(verdict)
        findings.extend(f)
        measurements.extend(ms)
    unsure = [ch for ch, v in zip(chains, verdicts) if v == UNDETERMINED]
    noisy = [ch for ch in unsure if ch.noise_mm > 0]
    lone = [ch for ch in unsure if ch.lone_mm > 0 and not ch.noise_mm > 0]
    rest = [ch for ch in unsure if not ch.noise_mm > 0 and not ch.lone_mm > 0]
    sharp = [ch for ch in rest if ch.one_row]
    coarse = [ch for ch in rest if not ch.one_row]
    if noisy:
        ev.unsure("noise", _settle_noise(noisy), n=len(noisy))
    if lone:
        ev.unsure("one-section", _settle_lone(lone), n=len(lone))
    if sharp:
        ev.unsure("sharp-in-file", _settle_sharp(c, sharp), n=len(sharp))
    if coarse:
        ev.unsure("coarse", _settle(coarse), n=len(coarse))
    head = list(ev.findings("creases"))
    r_min_global, r_max_mat_global = c.bevel_min_mm, material_max_mm(c, c.material)
    if cr.count and r_min_global > r_max_mat_global:
        head.append(Finding(
            "MS204", f"no bevel is both readable and realistic here: a {c.finish} highlight needs "
                     f"\u2265 {r_min_global:.3g} mm but {c.material} edges at 1:{c.scale_n:g} are "
                     f"\u2264 {r_max_mat_global:.3g} mm", measured=r_min_global,
            threshold=r_max_mat_global, unit="mm",
            advice="Choose a more matte finish (or view from closer), or accept either crisp "
                   "hairline highlights or slightly soft edges."))
    by_code = {code: [x for x in findings if x.code == code] for code in ("MS201", "MS202", "MS203")}
    out = tuple(head + by_code["MS201"] + by_code["MS202"] + by_code["MS203"])
    metrics = _metrics(c, cr, chains, verdicts, detect, hold, ev)
    layers = _layers(cr, verdicts)
    return CheckResult(FAMILY, "ok", None, metrics, out, layers=layers,
                       measurements=tuple(measurements))


def _chains(model, c, cr) -> list[_Chain]:
    from ..vision import FINISH_LOBE_RAD, highlight_min_radius

    fpart = model.face_part()
    sx = cr.stretches
    noise = _noise_of(cr)
    lone = _lone_of(cr)
    o = np.argsort(sx.chain, kind="stable")  # each chain's sections, in their order
    per = np.split(o, np.searchsorted(sx.chain[o], np.arange(1, cr.count)))
    out = []
    for i in range(cr.count):
        part = model.part_names[int(fpart[cr.first_faces[i][0]])]
        mat, fin = c.material_for(part), c.finish_for(part)
        lobe = FINISH_LOBE_RAD[fin]
        r_max_mat = material_max_mm(c, mat)
        flank = float(cr.flank_width_mm[i])
        loc = Location(tuple(float(x) for x in cr.centroid_mm[i]),
                       part=part if len(model.part_names) > 1 else None, region=i,
                       faces=cr.first_faces[i])
        out.append(_Chain(i, loc.part, loc, float(cr.radius_mm[i]), float(cr.radius_lo_mm[i]),
                          float(cr.radius_hi_mm[i]), float(cr.resolution_mm[i]),
                          float(np.degrees(cr.turn_rad[i])), float(cr.length_mm[i]),
                          highlight_min_radius(c.resolvable_mm, lobe), min(r_max_mat, flank),
                          r_max_mat <= flank, lobe, fin, bool(cr.resolution_limited[i]),
                          tuple((Location(tuple(float(x) for x in sx.centre[k]), part=loc.part,
                                          region=i, faces=sx.faces[k]),
                                 float(sx.radius[k]), float(sx.lo[k]), float(sx.hi[k]))
                                for k in per[i]),
                          tuple(int(x) for x in sx.along[per[i]]),
                          tuple(zip(*(tuple(float(x) for x in a[per[i]]) for a in (
                              sx.row, sx.noise, sx.res, sx.r_lo, sx.r_hi)),
                              (int(x) for x in sx.reading[per[i]]))),
                          tuple(int(x) for x in sx.own[per[i]]), noise[i], lone[i]))
    return out


def _lone_of(cr) -> list[float]:
    """Per chain, its body's vertex noise (mm) where it is read from fewer than two
    independent sections, else 0: one reading's noise is estimated from that reading alone and
    falls with the radius it misreads (the rule a stretch follows, _failing_stretches); a 1.2
    mm chain of one section read a 0.28 mm fillet under 0.023 mm noise at 0.10 (0.001-0.20) mm,
    MS201 (edges:12028). A clean body's lone section is the file's exact geometry: kept."""
    if cr.noise_mm is None or cr.n_read is None:
        return [0.0] * cr.count
    return [float(s) if s > 0 and n < 2 else 0.0 for s, n in zip(cr.noise_mm, cr.n_read)]


def _noise_of(cr) -> list[float]:
    """Per chain, its body's vertex noise (mm) where its turn does not stand above it, else 0."""
    if cr.noise_limited is None:
        return [0.0] * cr.count
    return [float(s) if lim else 0.0 for s, lim in zip(cr.noise_mm, cr.noise_limited)]


def _failing(ch: _Chain, code: str, threshold: float, hold: float) -> list[_Chain]:
    """One more place of a chain failing `code` for each run of its stretches that fail it
    too, other than the run at the chain's own place: a chain joined over several rims, or
    long enough to cross a change, is one verdict from its median, but each of its sections
    is evidence of its own about the stretch it cuts (a sweep's four razor rims joined into
    one chain were one place on one rim). A run is consecutive stations along the chain
    whose own sections, read alone, fail the rule (their interval, after print and paint for
    a razor, wholly past the threshold; the chain's own section counts as failing, the chain
    fails there); a station between that passes, or is no good section (a one-row flat
    between two rims), ends it. One run is one problem: its place is its middle section, as
    the chain read there (a straight razor edge is one run, at the chain's place)."""
    at = ch.along or tuple(range(len(ch.stretches)))
    runs, last = [], None
    for k, (loc, r, lo, hi) in sorted(zip(at, ch.stretches), key=lambda x: x[0]):
        own = loc.centroid_mm == ch.loc.centroid_mm  # (the section that placed the chain)
        rng = (max(lo, hold), max(hi, hold)) if code == "MS201" else (lo, hi)
        if not (own or interval_supports(rule(code), rng, threshold)):
            last = None
            continue
        # (two neighbours read one crease when each reads within the other's interval: a
        # chain joined over rims side by side interleaves their stations along its line)
        if last is None or k != last + 1 or not (runs[-1][-1][3] <= r <= runs[-1][-1][4] and
                                                 lo <= runs[-1][-1][2] <= hi):
            runs.append([])
        runs[-1].append((own, loc, r, lo, hi))
        last = k
    out = []
    for run in runs:
        if not any(x[0] for x in run):
            _, loc, r, lo, hi = run[(len(run) - 1) // 2]
            out.append(replace(ch, loc=loc, r=r, lo=lo, hi=hi, stretches=(), along=(), own=()))
    return out


def _stretches(ch: _Chain) -> list[list]:
    """The chain's stretches: runs of consecutive stations along it whose good sections read
    one crease (neighbours each within the other's interval, as for a run of failing
    sections; a station that is no good section ends a stretch), each [(loc, r, lo, hi,
    reads), ...] in order. Only the chain's own sections (its 8): the sections cut along it
    for its places only would test more stretches of an undetermined chain, and each test is
    a chance for noise (with them, a 0.24 mm fillet's sections reading 0.06-0.13 mm made a
    stretch razor: edges:2048, docs/edges.md)."""
    at = ch.own or ch.along or tuple(range(len(ch.stretches)))
    reads = ch.reads or tuple((0.0, 0.0, 0.0, x[1], x[1], k) for k, x in enumerate(ch.stretches))
    out, last = [], None
    for k, (loc, r, lo, hi), rd in sorted(((k, x, rd) for k, x, rd in zip(
            at, ch.stretches, reads) if k >= 0), key=lambda x: x[0]):
        if last is None or k != last + 1 or not (out[-1][-1][2] <= r <= out[-1][-1][3] and
                                                 lo <= out[-1][-1][1] <= hi):
            out.append([])
        out[-1].append((loc, r, lo, hi, rd))
        last = k
    return out


def _failing_stretches(ch: _Chain, code: str, threshold: float, hold: float) -> list[_Chain]:
    """The stretches of a chain its median leaves undetermined that fail `code` read as a
    chain is (stretch_reading: their median, its standard error from two or more independent
    readings, the row term): each is a place, at its most precise section within its
    interval (_stretch_place), with the stretch's reading. One reading alone is not enough
    (its noise is estimated from itself and falls with the radius it misreads: docs/edges.md,
    "measured, not kept"); readings of sections sharing band faces are one."""
    from ..analysis.creases import stretch_reading

    out = []
    for run in _stretches(ch):
        r, lo, hi, n = stretch_reading([x[1] for x in run], *zip(*(x[4] for x in run)))
        rng = (max(lo, hold), max(hi, hold)) if code == "MS201" else (lo, hi)
        if n >= 2 and interval_supports(rule(code), rng, threshold):
            out.append(replace(ch, loc=run[_stretch_place(run, lo, hi)][0], r=r, lo=lo, hi=hi,
                               stretches=(), along=(), reads=(), own=()))
    return out


def _stretch_place(run, lo: float, hi: float) -> int:
    """Which section of a stretch read [lo, hi] is its place: the most precise of those whose
    own reading lies within that interval (the narrowest interval of its own: the section
    that shows the stretch's reading best), the middlemost of those that tie; where none
    does, its middle section. A chain joined over rims side by side ranks their stations
    along one line, interleaved, and a section of a coarser rim whose wide interval held its
    neighbours' readings joins a stretch of a finer one; placed at its middle section, the
    stretch fell on that rim (edges:104022: a 0.746 mm fillet in rows of 0.39 mm, its section
    read 0.55 [0.10, 1.63] between two of a 0.206 mm rim's in rows of 0.11 mm, 0.18-0.20
    [0, 0.67], and the razor place fell on the fillet, which passes at 1:6; three such
    places). Nearest the stretch's median was no better: a fillet section read 0.236
    [0, 0.93] nearest a median of 0.20 among the rim's 0.16-0.27."""
    mid = 0.5 * (len(run) - 1)
    inside = [k for k in range(len(run)) if lo <= run[k][1] <= hi]
    if not inside:
        return (len(run) - 1) // 2
    return min(inside, key=lambda k: (run[k][3] - run[k][2], abs(k - mid), k))


def _with_places(f: Finding, more: list[Finding]) -> Finding:
    """f with the places of `more` (the same rule on other stretches of its chain)."""
    if not more:
        return f
    places = (f.place,) + tuple(x.place for x in more)
    return replace(f, count=len(places), places=places)


def _razor(c, ch: _Chain, hold: float) -> Finding:
    # the finding's measured value and range are the radius after print and paint
    # (max(R, hold)): where they differ from the reading, the message says why
    seen_lo, seen_hi = max(ch.lo, hold), max(ch.hi, hold)
    held = ("" if ch.r >= hold else
            f"; print and paint round it to about {hold:.2g} mm, still too sharp"
            if ch.hi <= hold else
            f"; print and paint round it to {hold:.2g}\u2013{ch.hi:.2g} mm, still too sharp")
    target = max(ch.r_min, printable_floor_mm(c))
    advice = f"Bevel to \u2265 {target:.2g} mm" + \
        (" or choose a more matte finish." if ch.finish != "matte" else ".")
    return Finding("MS201", f"{_what(ch)}{held}: at {c.distance_mm:.0f} mm a {ch.finish} "
                            f"highlight on it is thinner than the eye resolves and snaps to a "
                            f"hairline", measured=max(ch.r, hold),
                   measured_range=(seen_lo, seen_hi), threshold=ch.r_min, unit="mm",
                   location=ch.loc, advice=advice,
                   holds_mm=(razor_from_mm(c, seen_hi, ch.lobe), math.inf))


def _soft(c, ch: _Chain) -> Finding:
    why = "the real material allows" if ch.r_max_is_material else "the faces it joins allow"
    keep = max(ch.r_min, printable_floor_mm(c))
    advice = f"Tighten the bevel to \u2264 {ch.r_max:.2g} mm" + \
        (f" (\u2265 {keep:.2g} mm keeps the highlight readable)." if keep <= ch.r_max else ".")
    return Finding("MS202", f"{_what(ch)}: rounder than {why} at 1:{c.scale_n:g} "
                            f"(\u2264 {ch.r_max:.3g} mm): reads as a toy", measured=ch.r,
                   measured_range=(ch.lo, ch.hi), threshold=ch.r_max, unit="mm",
                   location=ch.loc, advice=advice, holds_mm=(0.0, math.inf))


def _what(ch: _Chain) -> str:
    return (f"{ch.turn_deg:.0f}\u00b0 edge, {ch.length:.3g} mm long, bevel radius "
            f"{ch.r:.2g} mm ({ch.lo:.2g}\u2013{ch.hi:.2g})")


def _judge(c, ch: _Chain, hold: float, ev: Evidence):
    """One chain: (verdict, findings, measurements). Razor when even the blunter end of the
    interval, after print and paint, is under R_min; soft when even its sharper end is over
    R_max; below-print (info) when it is neither but sharper than print and paint hold;
    undetermined when an interval straddles R_min or R_max. A failing chain's finding is also
    placed at each stretch whose own section fails the rule too (_failing); an undetermined
    chain has a finding only where a stretch of two or more independent readings of it,
    read as a chain is, fails a rule (_failing_stretches), none from single sections
    (measured: docs/edges.md)."""
    if ch.noise_mm > 0 or ch.lone_mm > 0:  # (its turn is one the surface's noise can make,
        # or one section alone read it on a noisy surface: no reading to judge by)
        return UNDETERMINED, [], [
            Measurement("bevel_radius_mm", ch.r, ch.lo, ch.hi, ch.loc.centroid_mm, ch.part, code,
                        ev.judge(rule(code), 0.0, math.inf, thr))
            for code, thr in (("MS201", ch.r_min), ("MS202", ch.r_max))]
    seen_lo, seen_hi = max(ch.lo, hold), max(ch.hi, hold)
    v201 = ev.judge(rule("MS201"), seen_lo, seen_hi, ch.r_min)
    v202 = ev.judge(rule("MS202"), ch.lo, ch.hi, ch.r_max) if v201 != FAIL else PASS
    ms = [Measurement("bevel_radius_mm", ch.r, ch.lo, ch.hi, ch.loc.centroid_mm, ch.part,
                      "MS201", v201)]
    if v201 == FAIL:
        more = [_razor(c, x, hold) for x in _failing(ch, "MS201", ch.r_min, hold)]
        return "razor", [_with_places(_razor(c, ch, hold), more)], ms
    ms.append(Measurement("bevel_radius_mm", ch.r, ch.lo, ch.hi, ch.loc.centroid_mm, ch.part,
                          "MS202", v202))
    if v202 == FAIL:
        more = [_soft(c, x) for x in _failing(ch, "MS202", ch.r_max, hold)]
        return "soft", [_with_places(_soft(c, ch), more)], ms
    if UNDETERMINED in (v201, v202):
        # (its stretches of several readings may each decide what its median cannot: a
        # chain over a razor rim and a soft one has a finding of each)
        fs = []
        for code, make, thr in (("MS201", lambda x: _razor(c, x, hold), ch.r_min),
                                ("MS202", lambda x: _soft(c, x), ch.r_max)):
            st = _failing_stretches(ch, code, thr, hold)
            if st:
                fs.append(_with_places(make(st[0]), [make(x) for x in st[1:]]))
        return UNDETERMINED, fs, ms
    v203 = ev.judge(rule("MS203"), ch.lo, ch.hi, hold)
    if v203 == FAIL:
        f = Finding("MS203", f"{_what(ch)}: sharper than print and paint hold; it will end up "
                             f"about {hold:.2g} mm round, which still reads", measured=ch.r,
                    measured_range=(ch.lo, ch.hi), threshold=hold, unit="mm", location=ch.loc,
                    advice=f"Model it at the radius it will have ({hold:.2g} mm) so what you "
                           f"see on screen is what prints.",
                    holds_mm=(0.0, razor_from_mm(c, hold, ch.lobe)))
        return "below-print", [f], ms
    return "ok", [], ms


def _settle(unsure: list[_Chain]) -> str:
    """Chains with rows across them whose interval straddles a bound: the export that decides
    them puts SETTLE_ROWS rows across a bevel of the bound they straddle."""
    h = float(np.median([ch.h for ch in unsure]))
    bound = float(min(ch.r_min if ch.lo < ch.r_min <= max(ch.hi, ch.r_min) else ch.r_max
                      for ch in unsure))
    # rows finer than the bound still leave the band's ends a row uncertain (step 6)
    why = (f"faces of {h:.2g} mm across the crease are coarser than the {bound:.2g} mm bevel "
           f"that matters here" if h >= bound else
           f"rows of {h:.2g} mm across the crease leave the bevel a row uncertain, too much to "
           f"tell it from the {bound:.2g} mm that matters here")
    return (f"{why}; export at \u2264 {bound / SETTLE_ROWS:.2g} mm edge length "
            f"(or bevel the edges explicitly)")


def _settle_noise(unsure: list[_Chain]) -> str:
    """Chains whose turn the surface's own vertex noise can make (creases.noise): a fold picked
    out of many is not told from them; less noise, or faces wider than it tilts, decides."""
    sigma = float(np.median([ch.noise_mm for ch in unsure]))
    return (f"the surface's vertex noise (about {sigma:.2g} mm, read from how its faces fold "
            f"both ways) tilts its faces as much as they turn, so they cannot be told from "
            f"noise folds; smooth the scan, or remesh it without slivers")


def _settle_lone(unsure: list[_Chain]) -> str:
    """Chains read from one section alone on a noisy surface (_lone_of)."""
    sigma = float(np.median([ch.lone_mm for ch in unsure]))
    return (f"each is read from one section on a surface with vertex noise of about "
            f"{sigma:.2g} mm, and one reading carries no measure of how far the noise moved it; "
            f"a longer crease, or a smoother scan, decides")


def _settle_sharp(c, unsure: list[_Chain]) -> str:
    """Chains the file draws as one crease between flat faces: the mesh shows no bevel at all,
    so either the edge is sharp (and a razor edge at this distance) or the export dropped its
    rounding. A fillet of R_min turning the chains' median angle gets SETTLE_ROWS chords when
    the chord tolerance (sagitta) is at most R_min (1 - cos(turn / (2 SETTLE_ROWS)))."""
    h = float(np.median([ch.h for ch in unsure]))
    r_min = float(min(ch.r_min for ch in unsure))
    turn = math.radians(float(np.median([ch.turn_deg for ch in unsure])))
    chord = r_min * (1.0 - math.cos(turn / (2.0 * SETTLE_ROWS)))
    target = max(r_min, printable_floor_mm(c))
    return (f"the file draws them as sharp creases between flat faces, with no rows to show "
            f"a bevel (rows of {h:.2g} mm): if they are meant to be sharp they are razor edges "
            f"at this distance (bevel them to \u2265 {target:.2g} mm); if your model rounds them, "
            f"export with a finer chord tolerance (\u2264 {chord:.2g} mm)")


def _metrics(c, cr, chains, verdicts, detect, hold, ev) -> dict:
    counts = {v: 0 for v in VERDICT_LABELS}
    for v in verdicts:
        counts[v] += 1
    listed = [{"chain": ch.i, "length_mm": ch.length, "turn_deg": ch.turn_deg,
               "radius_mm": ch.r, "radius_range_mm": [ch.lo, ch.hi], "resolution_mm": ch.h,
               "resolution_limited": bool(cr.resolution_limited[ch.i]),
               "window_mm": [ch.r_min, ch.r_max], "verdict": v,
               "centroid_mm": list(ch.loc.centroid_mm)}
              for ch, v in zip(chains[:MAX_CHAINS_LISTED], verdicts)]
    return {
        "radius_window_mm": [c.bevel_min_mm, material_max_mm(c, c.material)],
        "hold_radius_mm": hold,
        "detect_radius_mm": detect,
        "crease_turn_min_deg": TURN_MIN_DEG,
        "chains_total": cr.count,
        "chains_by_verdict": counts,
        "undetermined_flat_flanked": sum(1 for ch, v in zip(chains, verdicts)
                                         if v == UNDETERMINED and ch.one_row),
        "chains_resolution_limited": int(np.sum(cr.resolution_limited)) if cr.count else 0,
        "chain_length_total_mm": float(np.sum(cr.length_mm)) if cr.count else 0.0,
        "chains": listed,
        "verdicts": ev.metrics(),
    }


def _layers(cr, verdicts) -> EdgeLayers:
    fc = np.asarray(cr.face_chain)
    rad = np.r_[np.asarray(cr.radius_mm, float), np.nan]
    face_r = np.where(fc >= 0, rad[np.where(fc >= 0, fc, len(rad) - 1)], np.nan)
    return EdgeLayers(fc, tuple(verdicts), face_r)
