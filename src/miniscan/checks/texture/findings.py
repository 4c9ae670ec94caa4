"""Findings: flagged regions grouped per part, where they are, their words, and the distance range
each finding holds over."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ...evidence import printable_floor_mm
from ...findings import Finding, Location, Place
from .common import _F, _fmt, _span, AT_RISK, CROWDING_ARCMIN, HOLD_ITER, MERGE_SIZES, RULE
from .physics import visibility_range
from .measure import Components
from .verdicts import Verdicts


# --------------------------------------------------------------------------- findings


@dataclass(frozen=True)
class _Context:
    sp: object
    reg: object
    comp: Components
    c: object
    reg_part: np.ndarray
    reg_mat: np.ndarray
    hi_real: np.ndarray
    part_names: tuple


def _groups(flag: np.ndarray, centroid: np.ndarray, part: np.ndarray, size: float) -> np.ndarray:
    """Flagged regions of one part whose centres are within MERGE_SIZES region sizes, joined
    into problem areas (label per region, -1 unflagged): one finding per problem area."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    lab = np.full(len(flag), -1)
    ids = np.flatnonzero(flag)
    if len(ids) == 0:
        return lab
    pairs = cKDTree(centroid[ids]).query_pairs(MERGE_SIZES * size, output_type="ndarray")
    pairs = pairs[part[ids[pairs[:, 0]]] == part[ids[pairs[:, 1]]]] if len(pairs) else pairs
    g = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])) if len(pairs) else
                   (np.zeros(0), (np.zeros(0, int), np.zeros(0, int))), shape=(len(ids), len(ids)))
    lab[ids] = connected_components(g, directed=False)[1]
    return lab


def _badness(v: Verdicts, ci, r, code: str) -> np.ndarray:
    """How far the conservative end of the interval lies past the threshold (log ratio)."""
    thr = v.threshold[ci, r]
    with np.errstate(divide="ignore", invalid="ignore"):
        if RULE[code].compare == "below":
            return np.log(thr / v.hi[ci, r])
        return np.log(v.lo[ci, r] / thr)


def _findings(code: str, v: Verdicts, ctx: _Context) -> list[Finding]:
    comp = ctx.comp
    fail = (v.state == _F) & comp.valid
    if not fail.any():
        return []
    pick = np.argmax(np.where(fail, comp.share, -1.0), axis=0)  # the failing component per region
    groups = _groups(fail.any(axis=0), ctx.reg.centroid, ctx.reg_part, ctx.reg.size_mm)
    out = []
    for lab in np.unique(groups[groups >= 0]):  # one per problem area (a handful)
        rs = np.flatnonzero(groups == lab)
        rs = rs[np.argsort(-_badness(v, pick[rs], rs, code), kind="stable")]  # worst first
        f = _finding(code, v, ctx, int(pick[rs[0]]), int(rs[0]), rs)
        out.append(f if len(rs) == 1 else replace(f, count=len(rs),
                                                  places=_places(v, ctx, pick, rs)))
    return out


def _places(v: Verdicts, ctx: _Context, pick, rs) -> tuple[Place, ...]:
    """Each failing region of a problem area as a place of its finding, worst first: where it
    is (its centre and a few of its faces) and what its failing component measured. (A group
    of nine regions across a terrain was one finding of count 1 whose one point lay in the air
    between them: the other eight were nowhere in the report.) A region that failed on another
    quantity than the finding's (MS103 and MS104 fail on a width or on a depth, each against
    its own limit) is listed without a reading: its reading is not of the finding's measure,
    and set against the finding's threshold it could seem to hold it."""
    reg, sp = ctx.reg, ctx.sp
    ci0, r0 = int(pick[rs[0]]), int(rs[0])
    # the regions' points in one pass (a mask per region would read every point per region)
    idx = np.flatnonzero(np.isin(reg.label, rs))
    idx = idx[np.argsort(reg.label[idx], kind="stable")]
    lab = reg.label[idx]
    out = []
    for r in rs:
        ci = int(pick[r])
        own = sp.faces[idx[np.searchsorted(lab, r):np.searchsorted(lab, r, side="right")]]
        faces = tuple(int(f) for f in dict.fromkeys(own.tolist()))[:8]
        loc = Location(tuple(float(x) for x in reg.centroid[r]), region=int(r), faces=faces)
        alike = v.what[ci, r] == v.what[ci0, r0] and v.threshold[ci, r] == v.threshold[ci0, r0]
        out.append(Place(loc, float(v.value[ci, r]), (float(v.lo[ci, r]), float(v.hi[ci, r])))
                   if alike else Place(loc))
    return tuple(out)


def _location(ctx: _Context, main: int, rs: np.ndarray) -> tuple[Location, str]:
    """Where a problem area's finding points: at its worst region (`main`), whose reading the
    finding reports and whose faces it lists, over the area of all its regions. (The regions'
    area-weighted mean was the point before: a group joined across a terrain, nine regions up
    to 40 mm apart, put it in the air between them, 12-33 mm from any failing region:
    texture:c68015.)"""
    reg, sp = ctx.reg, ctx.sp
    w = reg.area[rs]
    centroid = tuple(float(x) for x in reg.centroid[main])
    faces = tuple(int(f) for f in dict.fromkeys(sp.faces[reg.label == main].tolist()))[:8]
    area = float(w.sum())
    return Location(centroid, region=int(main), faces=faces), f"over {_fmt(area)} mm²"


def _finding(code: str, v: Verdicts, ctx: _Context, ci: int, r: int, rs) -> Finding:
    c, comp = ctx.c, ctx.comp
    loc, where = _location(ctx, r, rs)
    val, lo, hi, thr = (float(x[ci, r]) for x in (v.value, v.lo, v.hi, v.threshold))
    w, d = float(comp.lam[ci, r] / 2.0), float(comp.depth[ci, r])
    rng = f"measured {_span(lo, hi)}"
    text, advice = _words(code, str(v.what[ci, r]), ctx, ci, r, val, lo, hi, thr, w, d, rng, where)
    return Finding(code, text, measured=val, measured_range=(lo, hi), threshold=thr, unit=v.unit,
                   location=loc, advice=advice, holds_mm=_holds(code, comp, ci, r, c))


def _words(code, what, ctx, ci, r, val, lo, hi, thr, w, d, rng, where) -> tuple[str, str]:
    """The message and the advice of one finding, in the craft's words."""
    c = ctx.c
    N, pr, p = c.scale_n, c.printer, c.paint_mm
    if code == "MS101":
        mat = str(ctx.reg_mat[r])
        model_max, floor = thr / N, printable_floor_mm(c)
        if model_max >= floor:
            advice = (f"Make it finer: under {_fmt(model_max)} mm wide on the model "
                      f"({_fmt(thr)} mm real), or soften it and let paint suggest it.")
        else:
            advice = (f"Real {mat} texture is under {_fmt(model_max)} mm on the model at 1:{N:g}, "
                      f"finer than print and paint hold ({_fmt(floor)} mm): soften it and let "
                      f"paint suggest it.")
        return (f"{mat} texture reads as {_fmt(val)} mm wide at 1:{N:g} ({_fmt(w)} mm on the "
                f"model, {rng} mm real, {where}); real {mat} texture is under {_fmt(thr)} mm",
                advice)
    if code == "MS102":
        return (f"{_fmt(w)} mm wide, {_fmt(d)} mm deep detail ({where}) is below what the eye "
                f"resolves at {_fmt(c.distance_mm)} mm (visibility {hi:.2g} of the threshold "
                f"at most)", "Wasted sculpting at this distance: drop it to save effort, or "
                "enlarge it if it is meant to be seen.")
    if code == "MS103":
        if what == "width":
            return (f"{_fmt(val)} mm wide detail ({rng} mm, {where}) is finer than the {pr.name} "
                    f"printer holds ({_fmt(thr)} mm)", f"It will not print: make it at least "
                    f"{_fmt(AT_RISK * thr)} mm wide, or leave it out.")
        return (f"{_fmt(val)} mm deep detail ({rng} mm, {where}) is shallower than a "
                f"{_fmt(thr)} mm print layer", f"It will not print: deepen it to at least "
                f"{_fmt(AT_RISK * thr)} mm, or leave it to paint.")
    if code == "MS104":
        if what == "depth":
            return (f"{_fmt(val)} mm deep, {_fmt(w)} mm wide recesses ({rng} mm deep, {where}) "
                    f"fill with {_fmt(p)} mm of primer and paint", f"Deepen them to at least "
                    f"{_fmt(AT_RISK * p)} mm, or thin the paint.")
        return (f"{_fmt(val)} mm wide grooves ({rng} mm, {where}) close under {_fmt(p)} mm of "
                f"primer and paint on both walls", f"Widen them to at least "
                f"{_fmt(AT_RISK * thr)} mm, or thin the paint.")
    if code == "MS105":
        return (f"{_fmt(d)} mm deep, {_fmt(w)} mm wide relief ({where}) has a depth:width of "
                f"{val:.2f} ({lo:.2f}–{hi:.2f}): under a 45° light its recesses go black "
                f"(over {thr:.2f})", "Soften the walls or make it shallower so it shades "
                "instead of casting hard shadows at this size.")
    return (f"about {val:.0f} distinct details per glance ({_fmt(c.glance_mm)} mm), at least "
            f"{lo:.0f} ({where}); the eye separates about {thr:.0f} and the rest merges into "
            "noise", "Simplify: fewer, larger shapes here, and keep fine texture for a focal area.")


def _farthest(pred, d0: float, outward: float) -> float:
    """The farthest distance from d0 (outward: 2 = farther, 0.5 = nearer) at which pred holds,
    pred(d0) being true: doubling, then bisection in log distance (inf / 0 when it always holds)."""
    d, n = d0, 0
    while pred(d * outward):
        d *= outward
        n += 1
        if n > 40:
            return math.inf if outward > 1 else 0.0
    a, b = math.log(d), math.log(d * outward)
    for _ in range(HOLD_ITER):  # bisection on one number
        m = 0.5 * (a + b)
        a, b = (m, b) if pred(math.exp(m)) else (a, m)
    return math.exp(a)


def _holds(code: str, comp: Components, ci: int, r: int, c) -> tuple[float, float]:
    """The viewing distances over which the finding holds (its interval's conservative end):
    print and paint do not depend on distance; visible relief stays visible up to a distance;
    invisible relief stays invisible beyond one; clutter grows with the glance footprint."""
    if code in ("MS103", "MS104"):
        return (0.0, math.inf)
    a_lo, a_hi = comp.depth_lo[ci, r] / 2.0, comp.depth_hi[ci, r] / 2.0
    lam_lo, lam_hi = comp.lam_lo[ci, r], comp.lam_hi[ci, r]

    def vis(D, end):
        return float(visibility_range(np.array(a_lo), np.array(a_hi), np.array(lam_lo),
                                      np.array(lam_hi), replace(c, distance_mm=D))[end])

    D = c.distance_mm
    if code == "MS102":
        return (_farthest(lambda x: vis(x, 1) < 1.0, D, 0.5), math.inf)
    far = _farthest(lambda x: vis(x, 0) >= 1.0, D, 2.0)
    if code != "MS106":
        return (0.0, far)
    cap = (c.glance_arcmin / CROWDING_ARCMIN) ** 2
    near = _farthest(lambda x: (replace(c, distance_mm=x).glance_mm / lam_hi) ** 2 > cap, D, 0.5)
    return (near, far)
