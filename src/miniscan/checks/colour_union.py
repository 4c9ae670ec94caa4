"""MS701 read again over touching regions that read the same detail alike (`narrow_by_unions`):
the union holds more blocks of every band, so how evenly it holds its detail (the energy
spread, `u`) is known better, while the terms every member reads alike -- where between the
bands the detail lies, and what the cascade reads of it -- stay at full size. The colour
family's form of the texture family's union of agreeing regions (checks/texture/union.py;
docs/colour.md, the intervals)."""

from __future__ import annotations

import numpy as np


def touching(cells: np.ndarray, flagged: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(i, j): every ordered pair of flagged regions whose cubes touch (26-neighbourhood,
    itself included), as region indices."""
    idx = np.flatnonzero(flagged)
    if not len(idx):
        return idx, idx
    c = cells[idx] - cells[idx].min(axis=0) + 1
    dims = c.max(axis=0) + 2
    key = (c[:, 0] * dims[1] + c[:, 1]) * dims[2] + c[:, 2]
    order = np.argsort(key, kind="stable")
    src, dst = [], []
    for d in np.array(np.meshgrid([-1, 0, 1], [-1, 0, 1], [-1, 0, 1])).reshape(3, -1).T:
        k = ((c[:, 0] + d[0]) * dims[1] + c[:, 1] + d[1]) * dims[2] + c[:, 2] + d[2]
        lo = np.searchsorted(key[order], k, side="left")
        hi = np.searchsorted(key[order], k, side="right")
        n = hi - lo  # a cube holds one region per surface it cuts
        rep = np.repeat(np.arange(len(k)), n)
        at = np.repeat(lo - np.cumsum(n) + n, n) + np.arange(n.sum())
        src.append(rep)
        dst.append(order[at])
    return idx[np.concatenate(src)], idx[np.concatenate(dst)]


def agreeing_pairs(cf, value, lo: np.ndarray, hi: np.ndarray, judged: np.ndarray):
    """(i, j), i < j: judged regions that touch (26-neighbourhood cubes), lie on one surface
    (face_surfaces: no union across a corner) and each read within the other's interval --
    the same detail read twice. Overlapping intervals are not enough: a region where the
    stripes meet a harsher pattern reads wide and would pour that pattern's energy into the
    union (on the painted plate, a region of V = 5.3 [2.1, 7.2] beside stripes of V = 1.9
    [1.3, 2.1] raised the union's low end over the stripes' truth)."""
    i, j = touching(cf.cell, judged)
    ok = ((i < j) & (cf.surface[i] == cf.surface[j]) & (lo[j] <= value[i]) & (value[i] <= hi[j])
          & (lo[i] <= value[j]) & (value[j] <= hi[i]))
    return i[ok], j[ok]


def star_unions(cf, value, lo: np.ndarray, hi: np.ndarray, judged: np.ndarray) -> np.ndarray:
    """(R,) the union each region joins (its centre's index), -1 for none. Stars, as the
    texture family's: centres are a greedy maximal independent set of the agreement graph,
    narrowest interval first, and every other agreeing region joins its narrowest agreeing
    centre, so every member agrees with its centre (no chain of agreements drifts across a
    pattern's edge). Unions of one are none."""
    from ..analysis.detail.seeds import star_groups

    i, j = agreeing_pairs(cf, value, lo, hi, judged)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        width = np.where(judged & (lo > 0) & np.isfinite(hi), np.log(hi / lo), np.inf)
    return star_groups(len(lo), i, j, width)


def union_interval(cf, group: np.ndarray, s: np.ndarray, sense, bracket: np.ndarray,
                   coarse_hi: np.ndarray, gain_tol: float):
    """(gl (R,) union of each region or -1, lo (U,), hi (U,)): each union's MS701 interval.
    Its bands' energies are its members' pooled (area-weighted), read as a region's are (the
    unmixed best band, the one-sinusoid fit); its energy spread is its pooled blocks' (more
    blocks: narrower where they agree). The shared terms: the bracket between the two
    readings is the larger of the union's own and the least of its members' (`bracket`: each
    region's max/min ratio; what all share is no more than the smallest, and no less, or that
    member's interval would miss), the cascade's gain tolerance as a region's; the coarse
    detail's bound is the largest of its members' (`coarse_hi`). s: S(f) at the bands' peaks;
    sense: periods (mm) -> S(f) at the distance."""
    from ..analysis.colour import NUMERIC_ZERO, energy_spread, one_sinusoid, unmix

    centres, gl = np.unique(group[group >= 0], return_inverse=True)
    U = len(centres)
    full = np.full(len(group), -1)
    full[group >= 0] = gl
    gl = full
    mem = gl >= 0
    area = np.bincount(gl[mem], weights=cf.area[mem], minlength=U)
    e = np.stack([np.bincount(gl[mem], weights=cf.area[mem] * cf.band_raw[mem, k] ** 2,
                              minlength=U) for k in range(cf.band_raw.shape[1])], 1)
    raw = np.sqrt(e / area[:, None])
    bc = unmix(raw)
    bc[bc < NUMERIC_ZERO] = 0.0
    best = (bc * s[None, :]).max(axis=1)
    c_fit, p_fit = one_sinusoid(raw, cf.periods_mm)
    fit = c_fit * sense(p_fit)
    spread = np.stack([energy_spread(b, gl, area) for b in cf.blocks], 1)
    en = raw ** 2
    tot = en.sum(axis=1)
    rel = np.divide((spread * en).sum(axis=1), tot, out=np.zeros(U), where=tot > 0)
    least = np.full(U, np.inf)
    np.minimum.at(least, gl[mem], bracket[mem])
    a, b = np.minimum(best, fit), np.maximum(best, fit)
    with np.errstate(divide="ignore", invalid="ignore"):
        short = np.sqrt(np.where(a > 0, np.maximum(least / (b / a), 1.0), 1.0))
    a, b = a / short, b * short  # the members' shared bracket, about the union's own
    lo = a * np.exp(-rel / 2.0) / (1.0 + gain_tol)
    hi = b * np.exp(rel / 2.0) * (1.0 + gain_tol)
    top = np.zeros(U)
    np.maximum.at(top, gl[mem], coarse_hi[mem])
    return gl, np.maximum(lo, 0.0), np.maximum(hi, top)


def narrow_by_unions(cf, value, lo, hi, judged, s, sense, bracket, coarse_hi, gain_tol):
    """(lo, hi) of every region, each member of a union narrowed to its intersection with the
    union's interval where that holds the member's own value (the two agree: the value stays
    inside its interval); elsewhere nothing moves. An intersection only narrows: a decided
    verdict stays as it was, an undetermined one may be decided."""
    group = star_unions(cf, value, lo, hi, judged)
    if (group < 0).all():
        return lo, hi
    gl, ulo, uhi = union_interval(cf, group, s, sense, bracket, coarse_hi, gain_tol)
    m = gl >= 0
    at = np.maximum(gl, 0)
    ok = m & (ulo[at] <= value) & (value <= uhi[at]) & (ulo[at] < uhi[at])
    return np.where(ok, np.maximum(lo, ulo[at]), lo), np.where(ok, np.minimum(hi, uhi[at]), hi)
