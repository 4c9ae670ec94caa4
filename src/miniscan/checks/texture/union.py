"""A wave read again over touching regions that read it alike (`union_reading`): the union's
window is wider, so its resolution cell (and its sampling) is finer, while the terms of the
interval its members share -- a bias every one of them reads alike -- stay at full size
(docs/texture.md s.3 and s.7.10); and a region at the fading margin of a deeper wave, judged with
it (`fading_margins`, s.7.11)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ...analysis import detail
from ...analysis.detail.seeds import star_groups
from .measure import (Components, WavelengthTerms, amplitude_upper, measure,
                      wavelength_interval)

UNION_REACH = 0.75  # regions whose centres lie within this x the sum of their diameters touch
# (two discs of diameter D touch at D apart, i.e. 0.5 x the sum; 0.75 admits the irregular
# outlines of adsorption regions, never a region beyond an intervening one: that is >= 1.0)
UNION_SALT = 313    # the seed salt of the unions' bootstrap (fixed: the JSON is deterministic)


def agreeing_pairs(sp, reg, comp: Components, terms: WavelengthTerms, read=None):
    """(i, j, valid): the pairs of regions (i < j) that agree -- they touch (UNION_REACH), face
    the same way, both read their first component (`read`, default: both judge it) and its
    wavelength intervals before the window cell overlap: the same wave read twice -- and which
    regions could agree at all."""
    R = len(reg.count)
    lo, hi = terms.own_lo, terms.own_hi
    span = detail.equal_area_span(reg.area)
    valid = (comp.valid[0] if read is None else read) & (hi > lo)
    nrm = np.stack([np.bincount(reg.label, weights=sp.normals[:, k], minlength=R)
                    for k in range(3)], 1)
    i, j = np.triu_indices(R, 1)  # regions, not points: a few hundred at most
    ok = (valid[i] & valid[j] & (lo[i] <= hi[j]) & (lo[j] <= hi[i])
          & ((nrm[i] * nrm[j]).sum(axis=1) > 0)
          & (np.linalg.norm(reg.centroid[i] - reg.centroid[j], axis=1)
             < UNION_REACH * (span[i] + span[j])))
    return i[ok], j[ok], valid


def agreeing_groups(sp, reg, comp: Components, terms: WavelengthTerms) -> np.ndarray:
    """(R,) the union each region joins (a region index), -1 for none: regions agree as
    `agreeing_pairs` says. Unions are stars: centres are a greedy maximal independent set of
    the agreement graph, narrowest interval first, and every other agreeing region joins its
    narrowest agreeing centre, so every member agrees with its centre (no chain of agreements
    drifts across a patch's edge)."""
    lo, hi = terms.own_lo, terms.own_hi
    i, j, valid = agreeing_pairs(sp, reg, comp, terms)
    return star_groups(len(reg.count), i, j, np.where(valid, np.log(hi / lo), np.inf))


def _least(comp: Components, terms: WavelengthTerms, gl, U):
    """x (..., R) -> (..., U): each union's smallest over its judged members, NaN for none."""
    memb = comp.valid[0] & np.isfinite(terms.lam)

    def least(x):
        out = np.full(np.shape(x)[:-1] + (U,), np.inf)
        for k in np.ndindex(*np.shape(x)[:-1]):  # a couple of rows at most
            v = np.where(memb & np.isfinite(x[k]), x[k], np.inf)
            np.minimum.at(out[k], gl, v)
        return np.where(np.isfinite(out), out, np.nan)
    return least


def _union_amp_upper(comp: Components, terms: WavelengthTerms, ut: WavelengthTerms, gl, U):
    """(U,) each union's amplitude upper end where the relief is: its own bootstrap, misfit and
    concentration (its points, its mean squares, its energy map), the shared terms -- the
    ladder's amplitude resolution, the leave-one-scale-out jackknife and the tilted fits -- at
    the larger of its own and the least of its judged members', as the wavelength's
    (`_union_interval`, docs/texture.md s.7.22)."""
    least = _least(comp, terms, gl, U)
    a, m = ut.amp, terms.amp
    return amplitude_upper(replace(a, res=np.fmax(a.res, least(m.res)),
                                   jack_var=np.fmax(a.jack_var, least(m.jack_var)),
                                   tilt_hi=np.fmax(a.tilt_hi, least(m.tilt_hi))))


def _union_interval(sp, reg, ureg, comp, terms: WavelengthTerms, ut: WavelengthTerms, gl, U):
    """(U,) each union's wavelength interval [lo, hi] about its own reading. The terms that are
    each window's own narrow with the union: the bootstrap (its points: U has their sum), the
    band model's misfit (its mean squares) and the resolution cell (1 / D_u). The terms a bias
    shared by every member sets stay at full size -- the ladder's resolution (the estimator's
    error on exact data in that band), the leave-one-scale-out jackknife (a scale whose power
    gain this triangulation or this relief's steepness does not follow: every member's windows
    at that scale follow it alike, so pooling their points cannot average it away) and the fits
    with the power table's model error tilted: each is the larger of the union's own and the
    least of its judged members' (docs/texture.md s.7.10: on a steep ripple the union's
    jackknife alone came out 2-3x narrower than its members' while its reading kept their
    bias, and missed the truth). The least, not a mean: a member's term is the shared bias plus
    whatever is its own (a window straddling the patch's edge, its own sampling), so what all
    members share is no more than the smallest of them -- and no less, or that member's own
    interval would not hold the truth."""
    least = _least(comp, terms, gl, U)
    tilt_lo, tilt_hi = np.fmin.reduce(terms.tilt, axis=0), np.fmax.reduce(terms.tilt, axis=0)
    ut = replace(ut, res=np.fmax(ut.res, least(terms.res)),
                 jack_var=np.fmax(ut.jack_var, least(terms.jack_var)),
                 tilt=np.stack([np.fmin(np.fmin.reduce(ut.tilt, axis=0), -least(-tilt_lo)),
                                np.fmax(np.fmax.reduce(ut.tilt, axis=0), least(tilt_hi))]))
    guard = detail.guard_bands(sp.wavelengths_mm)
    return wavelength_interval(ut, guard, detail.equal_area_span(ureg.window))


def union_regions(sp, reg, group: np.ndarray):
    """(ureg, gl, U): the unions of `agreeing_groups` as regions (every region not in a union
    its own), gl (R,) the union of each region, U how many."""
    R = len(reg.count)
    _, gl = np.unique(np.where(group >= 0, group, np.arange(R)), return_inverse=True)
    gl = gl.ravel()
    U = int(gl.max()) + 1
    lab = gl[reg.label]
    cnt = np.bincount(lab, minlength=U)
    w = np.bincount(gl, weights=reg.area, minlength=U)
    cen = np.stack([np.bincount(lab, weights=sp.points[:, k], minlength=U)
                    for k in range(3)], 1) / cnt[:, None]
    return detail.Regions(lab, cen, cnt, reg.size_mm, w, reg.local_area), gl, U


def union_peak(analysis, sp, reg, comp: Components, terms: WavelengthTerms,
               lam_max: float, carrier=False):
    """The peak reading (`measure.peak_cells`) over each union of agreeing regions: their
    vertices pooled into one window D_u across, whose resolution cell is 1 / D_u and whose ray
    holds pairs of ordinates where a member's one or two wavelengths do not. Where the union's
    peak is significant against its ring and its ray, lies inside a member's interval and its
    cell holds the member's value (the two readings agree), the member's interval is narrowed
    to its intersection with the union's cell (docs/texture.md s.7.20). The value stays the
    member's. carrier: also return (R,) the union's wavelength where it narrowed the member,
    NaN elsewhere (`carrier_envelope`)."""
    group = agreeing_groups(sp, reg, comp, terms)
    if (group < 0).all():
        return (comp, np.full(len(reg.count), np.nan)) if carrier else comp
    ureg, gl, U = union_regions(sp, reg, group)
    uu = np.unique(gl[group >= 0])
    got = np.full((6, U), np.nan)
    got[:, uu] = detail.peak_wavelengths(analysis, sp, ureg, uu, np.full(len(uu), lam_max),
                                         envelope=False)
    lam, c_lo, c_hi, fap, ray = got[:5, gl]
    lo, hi = comp.lam_lo.copy(), comp.lam_hi.copy()
    with np.errstate(invalid="ignore"):
        ok = ((group >= 0) & comp.valid[0] & (fap < detail.FALSE_ALARM)
              & (ray < detail.FALSE_ALARM) & (lo[0] <= lam) & (lam <= hi[0])
              & (c_lo <= comp.lam[0]) & (comp.lam[0] <= c_hi))
    lo[0] = np.where(ok, np.fmax(lo[0], c_lo), lo[0])
    hi[0] = np.where(ok, np.fmin(hi[0], c_hi), hi[0])
    out = replace(comp, lam_lo=lo, lam_hi=hi)
    return (out, np.where(ok, lam, np.nan)) if carrier else out


def carrier_envelope(analysis, sp, reg, env, lam_u, wave):
    """(R,) each region's envelope (`measure.peak_cells`' env, s.7.21) read again where its
    union's peak narrowed its interval (lam_u (R,), mm, finite there: `union_peak`) and the
    envelope was read (env > 0): demodulated at the union's wavelength, along the region's own
    peak's direction (wave (2, R): `peak_cells`' wavevectors, so that only the demodulation is
    done again, not the periodogram that found them). The union's peak is significant against
    its ring and its ray and resolved to 1 / D_u; the region's own to 1 / D only, and a carrier
    off the wave by a part of that cell is a phase ramp across the region that the envelope's
    quadric follows by overshooting at the outline (docs/texture.md s.7.32)."""
    rr = np.nonzero(np.isfinite(lam_u) & (env > 0))[0]
    if not len(rr):
        return env
    got = detail.carrier_envelopes(analysis, sp, reg, rr, wave[:, rr], lam_u[rr])
    out = env.copy()
    out[rr] = np.where(np.isfinite(got), got, env[rr])
    return out


def _union_envelope(envelope, sp, ureg, gl, group, lo, hi):
    """(R,) the largest semi-amplitude the union's wave reaches on it (`detail.peak_wavelengths`'
    envelope over the union's vertices) where its spectral peak lies inside the member's
    wavelength interval [lo, hi] (the member's wave), else 0. envelope: (analysis, lam_max)."""
    analysis, lam_max = envelope
    uu = np.unique(gl[group >= 0])
    got = np.full((6, len(ureg.count)), np.nan)
    got[:, uu] = detail.peak_wavelengths(analysis, sp, ureg, uu, np.full(len(uu), lam_max))
    lam, env = got[0, gl], got[5, gl]
    with np.errstate(invalid="ignore"):
        return np.where((group >= 0) & (lo <= lam) & (lam <= hi) & np.isfinite(env), env, 0.0)


def _union_amplitude(comp: Components, ok, u_hi, u_lo, env) -> Components:
    """The first component's amplitude and depth upper ends narrowed to the union's where the
    union reads the member's wave (ok: the wavelength's agreement) and its amplitude interval
    holds the member's value: a union of n members averages the bootstrap of each over n
    times the points, while the shared terms stay (`_union_amp_upper`). The union's upper end
    is the mean's where the relief is over its window; a wave whose amplitude varies across
    it (a patch's core and its rim in one union) reaches more somewhere, so the union's upper
    end is never below the largest amplitude its wave reaches on it (env: the envelope over
    the union's vertices, s.7.21), and nothing narrows where the union's spectral peak is not
    the member's wave (env 0: that envelope is not read). Only upper ends narrow, never below
    the member's value; the depth's falls in proportion (2 a kappa_hi). Upper ends raised
    later (the plateau across the wavelength's interval, fading margins, the member's own
    envelope) stay raised (docs/texture.md s.7.22)."""
    top = np.fmax(u_hi, env)
    with np.errstate(invalid="ignore", divide="ignore"):
        use = (ok & (env > 0) & (u_lo <= comp.amp[0]) & (comp.amp[0] <= top)
               & (top < comp.amp_hi[0]))
        f = np.where(use, top / comp.amp_hi[0], 1.0)
    a_hi, d_hi = comp.amp_hi.copy(), comp.depth_hi.copy()
    a_hi[0] = a_hi[0] * f
    d_hi[0] = d_hi[0] * f
    return replace(comp, amp_hi=a_hi, depth_hi=d_hi)


def union_reading(sp, reg, comp: Components, terms: WavelengthTerms, args, window=False,
                  envelope=None):
    """The first component's wavelength read again over each union of agreeing regions
    (`agreeing_groups`): the union's mean squares are its points' (region_spectra over the
    merged labels), so its window is the union, D_u across, and its resolution cell 1 / D_u
    (docs/texture.md s.3): a wave that touching regions each read through a window one or two
    wavelengths across is read through one several times as large. Its interval is
    `_union_interval`'s: the cell and the sampling narrow, the members' shared terms do not.
    Both readings hold the wave's wavelength, so a member's interval is narrowed to their
    intersection where the union's component is judged and its interval holds the member's own
    reading (the two agree: the value stays inside its interval); elsewhere nothing moves. An
    intersection only narrows: a decided verdict stays as it was, an undetermined one may be
    decided. args: what `measure` takes (conditions, texture bands, edge and facet sizes,
    ladder resolution, the concentration's rng or None, rows) and `facet_sagitta`. window: also
    return (R,) the span of the window that read each region's wave (its union's equal-area
    diameter where the union's interval narrowed the member's upper end, else its own), where
    the amplitude's upper end may read it (`measure.plateau_upper`, docs/texture.md s.7.13).
    envelope: (analysis, lam_max mm) to narrow the amplitude's and depth's upper ends to the
    union's too (`_union_amplitude`); None leaves them."""
    c, texture_band, edge_r, facet_r, resolution, rng, rows, facet_sagitta = args
    group = agreeing_groups(sp, reg, comp, terms)
    span = detail.equal_area_span(reg.window)
    if (group < 0).all():
        return (comp, span) if window else comp
    ureg, gl, U = union_regions(sp, reg, group)
    w = ureg.area

    def mean(x):  # a union's area-weighted mean of its regions' values
        return None if x is None else np.bincount(gl, weights=reg.area * x, minlength=U) / w

    urng = detail.draws(sp, UNION_SALT)
    urs = detail.region_spectra(sp, ureg, urng)
    ufacet = mean(facet_r)
    # the union reads its members' wave: its fit starts from its centre's band, not from the
    # strongest band over its wider window (there coarser relief -- the form, the patch's
    # envelope -- can peak, and the ladder's resolution of that band is not this wave's)
    peak = np.full(U, -1)
    peak[gl[group >= 0]] = comp.band[0][group[group >= 0]]
    uc, ut = measure(sp, ureg, urs, c, texture_band, mean(edge_r), ufacet, resolution,
                     facet_sagitta(sp, ureg, ufacet), urng if rng is not None else None,
                     mean(rows), terms=True, peak=peak)
    u_lo, u_hi = _union_interval(sp, reg, ureg, comp, terms, ut, gl, U)
    u_lo, u_hi = u_lo[gl], u_hi[gl]
    with np.errstate(invalid="ignore"):
        ok = ((group >= 0) & comp.valid[0] & uc.valid[0][gl]
              & (u_lo <= comp.lam[0]) & (comp.lam[0] <= u_hi))
    lo, hi = comp.lam_lo.copy(), comp.lam_hi.copy()
    lo[0] = np.where(ok, np.fmax(lo[0], u_lo), lo[0])
    hi[0] = np.where(ok, np.fmin(hi[0], u_hi), hi[0])
    out = replace(comp, lam_lo=lo, lam_hi=hi)
    if envelope is not None:
        a_hi, a_lo = _union_amp_upper(comp, terms, ut, gl, U)[gl], uc.amp_lo[0][gl]
        # the envelope only raises the union's upper end, so it is read only over unions with
        # a member that can narrow below the union's own upper end (a grid of up to 4 M cells)
        with np.errstate(invalid="ignore"):
            may = ok & (a_lo <= comp.amp[0]) & ~(a_hi >= comp.amp_hi[0])
        env = _union_envelope(envelope, sp, ureg, gl, np.where(may, group, -1), lo[0], hi[0])
        out = _union_amplitude(out, ok, a_hi, a_lo, env)
    if not window:
        return out
    # the union read the wave where it narrowed the member's interval; where its reading is no
    # finer (censored at the ladder's end as the member's is) the member's own window stands
    return out, np.where(ok & (u_hi < comp.lam_hi[0]), detail.equal_area_span(ureg.window)[gl],
                         span)


def fading_margins(sp, reg, comp: Components, terms: WavelengthTerms) -> Components:
    """The first component's depth and amplitude, their upper ends raised where the region
    reads the fading margin of a deeper wave next to it. A region touching one that reads the
    same wave (`agreeing_pairs`) significantly deeper (the two depth readings differ by more
    than their facing half-widths added in quadrature, on a log scale) straddles a change of
    the wave's amplitude: a patch's tapered rim, a brush stroke's falloff, or a shallower
    stretch of the same texture. A window one or two wavelengths across cannot tell these
    apart, so the depth of the relief it belongs to reaches what the deeper neighbour reads:
    the upper ends take the neighbour's readings (not its upper ends: the neighbour's own
    verdicts carry its uncertainty; the margin must only not contradict its reading). Only
    upper ends move, so a too-shallow verdict (MS102-MS104) at a margin becomes undetermined,
    never the reverse, and a texture shallow throughout still fails where its deeper regions
    read it shallow too (docs/texture.md s.3, s.7.11)."""
    # the neighbour need not judge the wave (it may be coarser than that region, or hold too
    # small a share of its energy there): reading it is enough to say it is deeper there
    with np.errstate(invalid="ignore"):
        read = np.isfinite(comp.lam[0]) & (comp.amp[0] > 0) & (comp.depth[0] > 0)
    i, j, _ = agreeing_pairs(sp, reg, comp, terms, read)
    if not len(i):
        return comp
    a, b = np.concatenate([i, j]), np.concatenate([j, i])  # b is a's neighbour
    with np.errstate(divide="ignore", invalid="ignore"):  # unread depths (0) pair with none
        d, lo, hi = (np.log(x[0]) for x in (comp.depth, comp.depth_lo, comp.depth_hi))
        # two independent readings at the same confidence differ when their difference
        # exceeds their half-widths on the sides that face each other, added in quadrature
        deeper = comp.valid[0][a] & (d[b] - d[a] > np.hypot(hi[a] - d[a], d[b] - lo[b]))
    if not deeper.any():
        return comp
    a, b = a[deeper], b[deeper]
    d_hi, a_hi = comp.depth_hi.copy(), comp.amp_hi.copy()
    np.maximum.at(d_hi[0], a, comp.depth[0][b])
    np.maximum.at(a_hi[0], a, comp.amp[0][b])
    return replace(comp, depth_hi=d_hi, amp_hi=a_hi)
