"""Verdicts: every rule's tri-state verdict per component and region, the whole interval against
its threshold (`judge`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .common import (
    _F, _P, _U, CLUTTER_CONTRAST, CROWDING_ARCMIN, SHADOW_RATIO, t_and, t_not, t_or, tri)
from .physics import eye_visibility, visibility_range
from .measure import Components


# --------------------------------------------------------------------------- verdicts


REASONS = ("print", "paint", "eye", "material", "size", "shadow", "clutter")


@dataclass(frozen=True)
class Verdicts:
    """One rule's verdict on every component (C, R), with the quantity it compared."""

    state: np.ndarray      # _P / _F / _U
    value: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    threshold: np.ndarray
    unit: str
    what: np.ndarray       # which quantity decided (MS103/MS104: "width" or "depth")
    reason: np.ndarray     # index into REASONS where undetermined, -1 otherwise


def _first_unsure(state, chain):
    """The reason of the first undetermined link of a rule's chain of conditions."""
    out = np.full(state.shape, -1, np.int8)
    for s, key in chain:
        out = np.where((out < 0) & (s == _U), REASONS.index(key), out)
    return np.where(state == _U, out, -1).astype(np.int8)


# which of a rule's two conditions speaks for it: one that fails before one undecided before one
# that passes (the verdict is the first's; an undecided rule is undecided by the other's range)
_STATE_RANK = np.array([0, 2, 1])  # indexed by _P, _F, _U


def _pick(a, b, fa, fb):
    """Per element, the numbers of the condition that decides the rule (MS103: width or depth;
    MS104: depth or width): a failing one over an undecided one over a passing one, and of two
    in the same state the one nearer failing (fa, fb: log of threshold over value). (a's
    numbers wherever b did not fail once labelled a pit whose width alone was undecided by its
    passing depth: docs/texture.md s.7.14.)"""
    ra, rb = _STATE_RANK[a[0]], _STATE_RANK[b[0]]
    use_a = (ra > rb) | ((ra == rb) & (fa >= fb))
    return use_a, [np.where(use_a, x, y) for x, y in zip(a[1:], b[1:])]


def judge(comp: Components, c, hi_real: np.ndarray, N: float) -> dict[str, Verdicts]:
    """Every rule's verdict on every component (DESIGN.md section 3, docs/texture.md s.4)."""
    (w, w_lo, w_hi), (d, d_lo, d_hi) = comp.width, (comp.depth, comp.depth_lo, comp.depth_hi)
    lam, lam_lo, lam_hi = comp.lam, comp.lam_lo, comp.lam_hi
    shape = lam.shape
    ok = np.full(shape, _P, np.int8)
    pr = c.printer
    lat = pr.lateral_cutoff_mm if pr.name != "none" else 0.0
    layer = pr.layer_mm if pr.name != "none" else 0.0
    lost_w = (tri(w_lo, w_hi, lat, "below"), w, w_lo, w_hi, np.full(shape, lat)) if lat > 0 else (ok,) * 5
    lost_d = (tri(d_lo, d_hi, layer, "below"), d, d_lo, d_hi, np.full(shape, layer)) if layer > 0 else (ok,) * 5
    with np.errstate(divide="ignore", invalid="ignore"):
        use_w, v103 = _pick(lost_w, lost_d, np.log(lat / w) if lat > 0 else -np.inf,
                            np.log(layer / d) if layer > 0 else -np.inf)
    lost = t_or(lost_w[0], lost_d[0])
    p = c.paint_mm
    fill_d = (tri(d_lo, d_hi, p, "below"), d, d_lo, d_hi, np.full(shape, p)) if p > 0 else (ok,) * 5
    fill_w = (tri(w_lo, w_hi, 2 * p, "below"), w, w_lo, w_hi, np.full(shape, 2 * p)) if p > 0 else (ok,) * 5
    with np.errstate(divide="ignore", invalid="ignore"):
        use_d, v104 = _pick(fill_d, fill_w, np.log(p / d) if p > 0 else -np.inf,
                            np.log(2 * p / w) if p > 0 else -np.inf)
    fill = t_or(fill_d[0], fill_w[0])
    survives_print = t_not(lost)
    survives = t_and(survives_print, t_not(fill))
    vis = eye_visibility(d / 2.0, lam, c)
    vis_lo, vis_hi = visibility_range(d_lo / 2.0, d_hi / 2.0, lam_lo, lam_hi, c)
    invisible = tri(vis_lo, vis_hi, 1.0, "below")
    seen = t_and(survives, t_not(invisible))
    gates = [(survives_print, "print"), (fill, "paint")]
    eye = gates + [(invisible, "eye")]
    known = np.isfinite(hi_real)
    over = np.where(known, tri(w_lo * N, w_hi * N, np.where(known, hi_real, 0.0), "above"), _U)
    ratio = (d / w, d_lo / w_hi, d_hi / w_lo)
    shadow = tri(ratio[1], ratio[2], SHADOW_RATIO, "above")
    clear = tri(np.pi * d_lo / lam_hi, np.pi * d_hi / lam_lo, CLUTTER_CONTRAST, "above")
    g = c.glance_mm
    dens = ((g / lam) ** 2, (g / lam_hi) ** 2, (g / lam_lo) ** 2)
    capacity = (c.glance_arcmin / CROWDING_ARCMIN) ** 2
    crowd = tri(dens[1], dens[2], capacity, "above")
    material = np.where(known, REASONS.index("size"), REASONS.index("material"))
    out = {}

    def put(code, state, chain, nums, thr, unit, what=None):
        reason = _first_unsure(state, chain)
        if code == "MS101":  # the material link's reason depends on the region
            reason = np.where((reason == REASONS.index("size")), material, reason)
        out[code] = Verdicts(state, *nums, np.broadcast_to(np.asarray(thr, float), shape), unit,
                             np.broadcast_to(np.asarray(what if what is not None else ""), shape),
                             reason)

    put("MS101", t_and(seen, over), eye + [(over, "size")], (w * N, w_lo * N, w_hi * N),
        np.where(known, hi_real, np.nan), "mm (real)")
    put("MS102", t_and(survives, invisible), eye, (vis, vis_lo, vis_hi), 1.0, "contrast x threshold")
    put("MS103", lost, [(lost, "print")], v103[:3], v103[3], "mm", np.where(use_w, "width", "depth"))
    put("MS104", t_and(survives_print, fill), gates, v104[:3], v104[3], "mm",
        np.where(use_d, "depth", "width"))
    put("MS105", t_and(seen, shadow), eye + [(shadow, "shadow")], ratio, SHADOW_RATIO, "depth/width")
    put("MS106", t_and(t_and(seen, clear), crowd), eye + [(clear, "eye"), (crowd, "clutter")],
        dens, capacity, "details per glance")
    return out
