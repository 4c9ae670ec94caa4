"""Remnants: a component read in a region that cannot resolve the relief its fit took as coarse
has its upper ends raised to every wave that fit may have split (docs/texture.md s.7.40); and
one whose region reads a stronger coarser relief it cannot tell from it, to that reading
(s.7.45)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ...analysis import detail
from .common import PEAK_MAX, Z_SAMPLING
from .measure import Components, plateau_bound

# How far past a component its fit looks: `detail.refine` reads a component at band j over a
# window to band j + 1 and takes the relief two ladder steps past that as its coarse term, a
# wave RATIO ** 3 (2.8x) as long. The component is a reading of its own only where the region
# resolves that coarse relief too; elsewhere the fit may have given a coarser wave's energy to
# its coarse term and read what is left (the union caps of docs/texture.md s.7.40 read 1 mm
# ripples at 0.27-0.32 of their wavelength, the showcase head its 0.45 mm pores at 0.22 mm).
FIT_REACH = detail.RATIO ** 3


def top_scale(rs) -> np.ndarray:
    """(R,) each region's coarsest measured scale (-1: none measured)."""
    measured = rs.measured
    K = measured.shape[1]
    return np.where(measured.any(axis=1), K - 1 - np.argmax(measured[:, ::-1], axis=1), -1)


def seen_wavelength(sp, rs) -> np.ndarray:
    """(R,) the coarsest wave each region resolves as a band of its own: one with a measured
    band one ladder step coarser than it, in the ladder's interior (the guard band above it
    holds everything coarser as one) and at a scale the region measures (a wave's band is
    told from a rising edge only by a scale past its plateau, sigma = PASS_S lam)."""
    sig, lams = sp.sigmas_mm, sp.wavelengths_mm
    k_top = top_scale(rs)
    top = np.where(k_top >= 0, sig[np.maximum(k_top, 0)] / detail.PASS_S, 0.0)
    return np.minimum(lams[-1], top) / detail.RATIO


def coarse_room(rs) -> tuple[np.ndarray, np.ndarray]:
    """(room, explained), each (R,): at each region's coarsest measured scale, the most mean
    square that no band of the ladder's interior explains (what the band solve gives its coarse
    guard, plus what it cannot fit at all), at its upper end: Z_SAMPLING expected errors over
    its reading; and what those bands explain there."""
    measured = rs.measured
    k_top = np.maximum(top_scale(rs), 0)
    r = np.arange(len(k_top))
    full = np.where(np.isfinite(rs.full), np.maximum(rs.full, 0.0), 0.0)
    inner = (rs.designs[r, k_top, 1:-1] * full[:, 1:-1]).sum(axis=1)
    ms = rs.mean_square[r, k_top]
    with np.errstate(invalid="ignore"):
        excess = np.where(measured.any(axis=1) & np.isfinite(ms), ms - inner, 0.0)
        noise = np.where(np.isfinite(rs.noise[r, k_top]), rs.noise[r, k_top], np.inf)
    return excess + Z_SAMPLING * noise, inner


def unresolved(sp, rs, lam: np.ndarray) -> np.ndarray:
    """(C, R) components that may be the remnant of relief their region cannot resolve: the
    coarse relief their fit looks to (FIT_REACH times their wavelength) is coarser than the
    region resolves (`seen_wavelength`), and the region cannot exclude such relief as strong
    as all it reads: at its coarsest measured scale the room for relief no interior band
    explains (`coarse_room`, at its upper end) is at least what those bands explain. (Asking
    for significant excess instead missed a lattice's harmonic whose excess was 0.9 of its
    expected error: docs/texture.md s.7.40.)"""
    room, inner = coarse_room(rs)
    with np.errstate(invalid="ignore"):
        near = FIT_REACH * lam > seen_wavelength(sp, rs)[None]
    return np.isfinite(lam) & near & (room >= inner)[None]


def open_upper_ends(sp, rs, comp: Components, terms) -> Components:
    """The components `unresolved` marks have their upper ends raised to every wave their fit
    may have split: the wavelength's to FIT_REACH times it, the amplitude's and depth's to the
    largest any wave in that interval can have in the region's mean squares
    (`measure.plateau_bound`, where the relief is: terms.up, the depth with kappa's upper end
    terms.kap_hi), infinite where a scale those waves need is not measured. A verdict those
    waves would also give stands (a ripple on a small part, the coarse relief its form, whose
    every alternative is still too shallow to print); one they would not give is left open
    (a remnant, a lattice's harmonic). Lower ends, and the verdicts they decide (a texture too
    coarse for the scale), stay. The second component, whose terms are not kept, has its
    upper ends opened."""
    mark = unresolved(sp, rs, comp.lam) & comp.valid
    if not mark.any():
        return replace(comp, coarse=mark)
    lam_hi = np.where(mark, FIT_REACH * comp.lam_hi, comp.lam_hi)
    with np.errstate(invalid="ignore"):
        a = plateau_bound(sp, rs, comp.lam_lo[0], lam_hi[0]) * terms.up
        a = np.where(np.isfinite(a), a, np.inf)
        kap = np.where(np.isfinite(terms.kap_hi), terms.kap_hi, PEAK_MAX)
    bound_a = np.stack([a, np.full_like(a, np.inf)])
    bound_d = np.stack([2.0 * a * kap, np.full_like(a, np.inf)])
    return replace(comp, lam_hi=lam_hi,
                   amp_hi=np.where(mark, np.fmax(comp.amp_hi, bound_a), comp.amp_hi),
                   depth_hi=np.where(mark, np.fmax(comp.depth_hi, bound_d), comp.depth_hi),
                   coarse=mark)


def split_upper_ends(comp: Components) -> Components:
    """The first component's upper ends raised to its region's second reading where the two
    may be one wave split between them: the second is a reading its region can make (texture
    by the family's definition), not judged only because it is coarser than the first and not
    resolved from it (`measure._coarse_remainder`: Components.remainder), and it holds more of
    the region's energy than the first. Then the measurement cannot say which reading is the
    wave and which its fit's leftover (the power table's model error leaves up to a third of a
    wave's energy at other scales: common.SECOND_AMP), and the stronger one is the coarser: a
    region straddling the tapered rim of a 68 mm ripple on the milk truck read 22 mm relief,
    1.05 mm deep, beside 41 mm relief with twice its amplitude, and called it "below what the
    eye resolves" at 72 m (texture:c79018, docs/texture.md s.7.45). A coarse leftover longer
    than its region or two glances is no such reading (on a shallow ripple sheet, regions 2.6
    wavelengths across read one 4.6 wavelengths long, its amplitude's lower end near zero).
    Only upper ends move (the coarser wave is longer and stronger), so verdicts a finer or
    shallower wave would get open, and those a coarser or deeper one would also get stand.
    Only the first is judged (the second is the remainder), so only its ends move."""
    if comp.remainder is None:
        return comp
    with np.errstate(invalid="ignore"):
        mark = comp.valid[0] & comp.remainder & (comp.share[1] > comp.share[0])
    if not mark.any():
        return comp

    def up(x):
        out = x.copy()
        out[0] = np.where(mark, np.fmax(x[0], x[1]), x[0])
        return out

    return replace(comp, lam_hi=up(comp.lam_hi), amp_hi=up(comp.amp_hi),
                   depth_hi=up(comp.depth_hi))
