"""Fine lines, step 4: cross-sections at stations along each candidate's contour."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .candidates import _Candidates
from .common import (
    Base, FLANK, FLANK_MARGIN, FLANK_MIN_SAMPLES, FLANK_SHARE, FOOT, MAD_TO_SIGMA,
    MIN_CONTOUR_SHRINK, NEIGHBOUR_IN, PROFILE_IN, PROFILE_OUTER, PROFILE_STEPS, RAY_LIFT_DEPTHS,
    RAY_TILT, SALT)

# the samples before PROFILE_IN widths inside (NEIGHBOUR_IN - PROFILE_IN widths of them) are
# read only to find a neighbour beyond the far edge and the col between it and the stroke
K_IN = int(round((NEIGHBOUR_IN - PROFILE_IN) * PROFILE_STEPS))


# --- 4. cross-sections --------------------------------------------------------------------------

def _pick_stations(a, cand: _Candidates, comps: np.ndarray, per_comp: np.ndarray) -> np.ndarray:
    """Contour segments of the listed components to measure at: per component `per_comp`
    of them, drawn without replacement with probability by plan length (seeded)."""
    want = np.zeros(len(cand.area), dtype=np.int64)
    want[comps] = per_comp
    sel = np.flatnonzero((want[cand.seg_comp] > 0) & (cand.seg_len > 0))
    if len(sel) == 0:
        return sel
    u = a.rng(SALT + 1).random(len(cand.seg_comp))[sel]
    key = np.log(np.maximum(u, 1e-300)) / cand.seg_len[sel]  # weighted sampling keys
    order = sel[np.lexsort((-key, cand.seg_comp[sel]))]
    c = cand.seg_comp[order]
    starts = np.searchsorted(c, c, side="left")
    rank = np.arange(len(order)) - starts
    return np.sort(order[rank < want[c]])


def _profile_t(w: np.ndarray, reach: float) -> np.ndarray:
    """(n, T) distances across the stroke: fine steps of w / PROFILE_STEPS from NEIGHBOUR_IN
    widths inside (the first K_IN samples only to see a neighbour beyond the far edge; the stroke
    itself and a lone far flank are read from PROFILE_IN widths inside) to FLANK + 0.5 widths
    outside, then PROFILE_OUTER steps out to the gap reach."""
    n_core = int(round((NEIGHBOUR_IN + FLANK + 0.5) * PROFILE_STEPS)) + 1
    core = np.linspace(-NEIGHBOUR_IN, FLANK + 0.5, n_core)[None, :] * w[:, None]
    end = core[:, -1:] + np.maximum(reach, w[:, None] * 0.5)
    outer = core[:, -1:] + (end - core[:, -1:]) * np.arange(1, PROFILE_OUTER + 1)[None, :] / PROFILE_OUTER
    return np.concatenate([core, outer], axis=1)


def _cast(a, base: Base, p0, o, nrm, qj, t, lift, sign, inward: bool):
    """Relief (sign * height over the station's base) of the surface under every profile point,
    NaN where no front face lies within reach; and the face hit."""
    H = lift[:, None] + RAY_TILT * np.abs(t)
    orig = p0[:, None, :] + t[..., None] * o[:, None, :] + H[..., None] * nrm[:, None, :]
    dirs = np.broadcast_to(-nrm[:, None, :], orig.shape)
    rays = np.concatenate([orig, dirs], axis=2).reshape(-1, 6)
    ans = a.raycasting_scene.cast_rays(a.ray_tensor(rays))
    th = ans["t_hit"].numpy().astype(np.float64).reshape(t.shape)
    prim = ans["primitive_ids"].numpy().astype(np.int64).reshape(t.shape)
    hit = np.isfinite(th) & (th <= 2.0 * H)
    prim = np.where(hit, prim, 0)
    fn = a.face_normals[prim] * (-1.0 if inward else 1.0)
    hit &= np.einsum("ntj,nj->nt", fn, nrm) > 0  # a front face, not the inside of a part
    pts = orig + np.where(hit, th, 0.0)[..., None] * dirs
    jj = np.broadcast_to(qj[:, None], t.shape).ravel()
    rho = sign * base.height(jj, pts.reshape(-1, 3)).reshape(t.shape)
    return np.where(hit, rho, np.nan), prim


def _crossing(t, rho, k_out, k_in, half):
    """Where the profile crosses `half` between samples k_out (outside) and k_in (inside)."""
    r = np.arange(len(t))
    ta, tb = t[r, k_out], t[r, k_in]
    ra, rb = rho[r, k_out], rho[r, k_in]
    f = np.clip((half - ra) / np.where(rb != ra, rb - ra, 1.0), 0.0, 1.0)
    slope = np.abs(rb - ra) / np.maximum(np.abs(tb - ta), 1e-300)
    return ta + f * (tb - ta), np.abs(tb - ta), slope


def _runs(inside: np.ndarray, k: np.ndarray):
    """For every row: the last index before k that is outside (-1 none) and the first after k
    that is outside (T none)."""
    T = inside.shape[1]
    idx = np.arange(T)[None, :]
    last_out = np.maximum.accumulate(np.where(~inside, idx, -1), axis=1)
    first_out = np.minimum.accumulate(np.where(~inside, idx, T)[:, ::-1], axis=1)[:, ::-1]
    r = np.arange(len(k))
    return last_out[r, k], first_out[r, k]


def _neighbour_edges(t, rho, inside, kL, kR, half):
    """Where the next stroke beyond each edge crosses `half` (the near edge of a neighbour of
    the same sign along the profile): (left, right), -inf / +inf where none is on the profile.
    kL, kR: the outside samples next to the stroke's own run (as _edges gives them)."""
    n, T = t.shape
    idx = np.arange(T)[None, :]
    r = np.arange(n)
    first_in = np.minimum.accumulate(np.where(inside, idx, T)[:, ::-1], axis=1)[:, ::-1]
    last_in = np.maximum.accumulate(np.where(inside, idx, -1), axis=1)
    kNR = first_in[r, np.clip(kR, 0, T - 1)]
    kNL = last_in[r, np.clip(kL, 0, T - 1)]
    hasR, hasL = (kR < T) & (kNR < T), (kL >= 0) & (kNL >= 0)
    kNRc, kNLc = np.clip(kNR, 1, T - 1), np.clip(kNL, 0, T - 2)
    tNR = _crossing(t, rho, kNRc - 1, kNRc, half)[0]
    tNL = _crossing(t, rho, kNLc + 1, kNLc, half)[0]
    return np.where(hasL, tNL, -np.inf), np.where(hasR, tNR, np.inf)


def _flank_window(gap, w, step):
    """Where a flank is read, as distances (near, far) beyond the stroke's half-depth edge.

    Alone, from FLANK_MARGIN to FLANK_MARGIN + FLANK widths out: the stroke's own wall below
    half depth is a small share of that, and the median skips it. A neighbour `gap` away
    (inf: none) whose foot falls inside that window bounds it: a convex cross-section (V,
    round, flat) meets its base within FOOT widths of its half-depth edge, so only the surface
    between the two feet is base (the median of a window that holds both strokes' lower walls
    is a wall's height: V hatching at gap ~ width read its inner strokes' flanks at ~D/5 and
    lost them). Where the feet nearly touch, the FLANK_MIN_SAMPLES samples about the middle of
    the gap (the col between the strokes, where the surface is lowest)."""
    lo = FLANK_MARGIN * w
    hi = lo + FLANK * w
    bounded = gap - FOOT * w < hi
    mid = 0.5 * gap
    half_len = np.maximum(mid - FOOT * w, 0.5 * FLANK_MIN_SAMPLES * step)
    with np.errstate(invalid="ignore"):
        return (np.where(bounded, mid - half_len, lo), np.where(bounded, mid + half_len, hi),
                bounded)


def _flanks(t, rho, inside, lo, hi):
    """Median relief and count of the samples between lo and hi (per row) outside any stroke."""
    m = (t >= lo[:, None]) & (t <= hi[:, None]) & ~inside & np.isfinite(rho)
    vals = np.where(m, rho, np.nan)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            med = np.nanmedian(vals, axis=1)
    return med, m.sum(axis=1), vals


@dataclass(frozen=True)
class _Stations:
    """What every cross-section read (one entry per station)."""

    comp: np.ndarray
    valid: np.ndarray
    width: np.ndarray
    width_lo: np.ndarray
    width_hi: np.ndarray
    depth: np.ndarray
    depth_lo: np.ndarray
    depth_hi: np.ndarray
    gap: np.ndarray  # NaN: no stroke within the reach
    gap_lo: np.ndarray
    gap_hi: np.ndarray
    reach: np.ndarray  # searched past the edge
    centre: np.ndarray  # (n, 3)


def _sag(a, prim: np.ndarray) -> np.ndarray:
    """Chordal error (mm) of the faces hit (analysis.thickness.face_sag), per element."""
    from ..thickness import face_sag

    u, inv = np.unique(prim, return_inverse=True)
    return face_sag(a, u, a.face_normals)[inv].reshape(prim.shape)


def _peak(t, rho, w0):
    """The stroke's peak relief next to the station (inside, within 1.5 widths) and its index."""
    win = (t >= -1.5 * w0[:, None]) & (t <= 0.25 * w0[:, None]) & np.isfinite(rho)
    rw = np.where(win, rho, -np.inf)
    kp = np.argmax(rw, axis=1)
    return kp, rw[np.arange(len(t)), kp]


def _spread(vals_a, med_a, vals_b, med_b):
    import warnings

    dev = np.concatenate([vals_a - med_a[:, None], vals_b - med_b[:, None]], axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return MAD_TO_SIGMA * np.nanmedian(np.abs(dev), axis=1)


def _edges(t, rho, kp, half):
    """The run of samples over `half` around the peak: its outside neighbours (clipped, with
    -1 / T where the run leaves the profile) and the interpolated crossings."""
    T = t.shape[1]
    inside = np.nan_to_num(rho, nan=-np.inf) >= half[:, None]
    kL, kR = _runs(inside, kp)
    kLc, kRc = np.clip(kL, 0, T - 2), np.clip(kR, 1, T - 1)
    tL, dtL, sL = _crossing(t, rho, kLc, kLc + 1, half)
    tR, dtR, sR = _crossing(t, rho, kRc, kRc - 1, half)
    return inside, kL, kR, kLc, kRc, (tL, dtL, sL), (tR, dtR, sR)


def _contour_shrink(cand: _Candidates) -> np.ndarray:
    """How much narrower than at half depth a stroke may be at its contour's level: a contour
    drawn above half depth (where the detection threshold lies, for a stroke barely deeper than
    it) cuts a convex cross-section narrower, at most as a V does: 2 (1 - level / depth) of its
    width at half depth (a round or flat stroke narrows less). The cross-sections are laid out
    for the widest the stroke may be, so that its far flank is on them."""
    shrink = 2.0 * (1.0 - cand.level / np.maximum(cand.depth, 1e-300))
    return np.clip(shrink, MIN_CONTOUR_SHRINK, 1.0)


def _measure(a, base: Base, cand: _Candidates, st: np.ndarray, reach: float,
             inward: bool) -> _Stations:
    """Width (full width at half depth), depth, flank test and gap at every station.

    The depth is read over the flanks' own level (the median relief of the surface beside the
    stroke, both sides): a base that is off by a little (a quadric over a tight curve) shifts
    the flanks and the peak alike. The crossings are found again at half that depth."""
    comp = cand.seg_comp[st]
    w0, d0 = cand.width[comp] / _contour_shrink(cand)[comp], cand.depth[comp]
    p0, o, nrm, qj = cand.seg_mid[st], cand.seg_out[st], cand.seg_normal[st], cand.seg_query[st]
    t = _profile_t(w0, reach)
    rho, prim = _cast(a, base, p0, o, nrm, qj, t, RAY_LIFT_DEPTHS * d0, cand.sign, inward)
    n, T = t.shape
    r = np.arange(n)
    kp, peak = _peak(t, rho, w0)
    flank = np.zeros(n)
    for _ in range(2):  # over the base, then over the flanks' level
        half = flank + 0.5 * (peak - flank)
        inside, kL, kR, kLc, kRc, (tL, dtL, sL), (tR, dtR, sR) = _edges(t, rho, kp, half)
        w = tR - tL
        nbL, nbR = _neighbour_edges(t, rho, inside, kL, kR, half)
        step = w0 / PROFILE_STEPS
        loR, hiR, _ = _flank_window(nbR - tR, w, step)
        loL, hiL, bL = _flank_window(tL - nbL, w, step)
        # a far flank with no neighbour seen ends where the profile did before NEIGHBOUR_IN
        # (its samples beyond serve to find the neighbour and the col before it)
        farL = np.where(bL, tL - hiL, np.maximum(tL - hiL, t[:, K_IN]))
        medR, nR, vR = _flanks(t, rho, inside, tR + loR, tR + hiR)
        medL, nL, vL = _flanks(t, rho, inside, farL, tL - loL)
        flank = np.nan_to_num(0.5 * (medL + medR))
    D = peak - flank
    spread = _spread(vR, medR, vL, medL)
    valid = (np.isfinite(D) & (D >= cand.floor[comp]) & (kL >= K_IN) & (kR < T)
             & np.isfinite(rho[r, kLc]) & np.isfinite(rho[r, kRc]) & (w > 0)
             & (nR >= FLANK_MIN_SAMPLES) & (nL >= FLANK_MIN_SAMPLES)
             & (np.abs(medR) <= FLANK_SHARE * D) & (np.abs(medL) <= FLANK_SHARE * D)
             & (spread <= FLANK_SHARE * D))
    sag = _sag(a, np.stack([prim[r, kLc], prim[r, kLc + 1], prim[r, kRc - 1], prim[r, kRc],
                            prim[r, kp]], axis=1))
    # a station over a base of too few points to know its noise (level_se inf) has no interval
    se = base.level_se[qj]
    valid &= np.isfinite(se)
    se = np.where(np.isfinite(se), se, 0.0)
    # the flanks' level is known to their spread and to half their disagreement (a tilt)
    dD = se + sag[:, 4] + np.nan_to_num(spread) + 0.5 * np.nan_to_num(np.abs(medL - medR))
    # the true peak may lie between samples: above the highest by up to half the step to its
    # neighbours (a V-groove's apex between two rays)
    nb = np.stack([rho[r, np.clip(kp - 1, 0, T - 1)], rho[r, np.clip(kp + 1, 0, T - 1)]], axis=1)
    between = 0.5 * np.nan_to_num(np.fmax(np.abs(peak - nb[:, 0]), np.abs(peak - nb[:, 1])))
    level_err = 0.5 * dD
    eL = 0.5 * dtL + (sag[:, :2].max(axis=1) + level_err) / np.maximum(sL, 1e-300)
    eR = 0.5 * dtR + (sag[:, 2:4].max(axis=1) + level_err) / np.maximum(sR, 1e-300)
    gap, g_lo, g_hi, reach_i = _gap(a, t, rho, prim, inside, kRc, tR, eR, half, level_err)
    centre = p0 + (0.5 * (tL + tR))[:, None] * o
    return _Stations(comp, valid, w, w - eL - eR, w + eL + eR, D, D - dD, D + dD + between,
                     gap, g_lo, g_hi, reach_i, centre)


def _gap(a, t, rho, prim, inside, kR, tR, eR, half, level_err):
    """Distance from the stroke's outer edge to the next stroke of the same sign along the
    profile (NaN when none within the profile), its interval, and how far was searched."""
    n, T = t.shape
    r = np.arange(n)
    first_in = np.minimum.accumulate(np.where(inside, np.arange(T)[None, :], T)[:, ::-1],
                                     axis=1)[:, ::-1]
    kN = first_in[r, kR]
    has = kN < T
    kNc = np.clip(kN, 1, T - 1)
    tN, dtN, sN = _crossing(t, rho, kNc - 1, kNc, half)
    sag = _sag(a, np.stack([prim[r, kNc - 1], prim[r, kNc]], axis=1)).max(axis=1)
    eN = 0.5 * dtN + (sag + level_err) / np.maximum(sN, 1e-300)
    has &= np.isfinite(rho[r, kNc - 1])
    gap = np.where(has, tN - tR, np.nan)
    return gap, gap - eR - eN, gap + eR + eN, t[:, -1] - tR
