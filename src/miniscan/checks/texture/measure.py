"""Measurement: each region's texture components (wavelength, amplitude, depth, each with its
interval from the bootstrap, the brackets, the leave-one-scale-out jackknife and the region's
resolution cell) and the scales readable on the mesh (`measure`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ...analysis import detail
from ...analysis.detail import equal_area_span
from .common import (
    COARSER_KNOWN, FACET_DEPTH, FACET_SPAN, HARMONIC_SPAN, KURT_SALT, MIN_BAND_SHARE, MIN_CONTRAST,
    PEAK_MAX, PLATEAU_READS, QUANTILE, SCULPT_EDGES, SECOND_AMP, WINDOW_RESOLUTION, Z_SAMPLING)
from .facets import split_facets


# --------------------------------------------------------------------------- measurement


@dataclass(frozen=True)
class Components:
    """Up to two texture components per region, arrays (C, R), each quantity with its interval
    [lo, hi] from the ladder's resolution, the bootstrap and the band model's misfit."""

    lam: np.ndarray
    lam_lo: np.ndarray
    lam_hi: np.ndarray
    amp: np.ndarray      # semi-amplitude of the equivalent sinusoid (rms x sqrt 2), mm
    amp_lo: np.ndarray
    amp_hi: np.ndarray
    depth: np.ndarray    # 2 amp x the relief's peakedness (sparse pits are deeper than rms says)
    depth_lo: np.ndarray
    depth_hi: np.ndarray
    share: np.ndarray    # share of the region's texture energy
    valid: np.ndarray    # texture by the family's definition (not faceting, form or nothing)
    band: np.ndarray     # the component's peak band (index into the spectrum's bands)
    # read where the region cannot resolve the relief coarser than it (remnant.py), whose
    # upper ends are then open; None: not yet asked
    coarse: np.ndarray | None = None
    # (R,) the second component is texture by the family's definition (`_is_texture`: a
    # reading its region can make) and is not judged only as the first's coarse remainder
    # (remnant.split_upper_ends); None: not measured
    remainder: np.ndarray | None = None

    @property
    def width(self):
        return self.lam / 2.0, self.lam_lo / 2.0, self.lam_hi / 2.0


def _interval(value, reps, bracket, resolution, jack=None):
    """[lo, hi] of a positive quantity: its log widened by the ladder's resolution (per region)
    plus Z_SAMPLING standard errors, and covering the misfit brackets. The standard error is
    the bootstrap's (sampling) and, in quadrature, the leave-one-scale-out jackknife's `jack`
    (how much the reading rests on any one scale: a scale whose windows reach past the texture,
    or whose power gain this triangulation does not follow, moves it). (Ratios, not logs of
    lengths: a model scaled by a power of two gives bit-identical verdicts.)"""
    with np.errstate(divide="ignore", invalid="ignore"):
        ref = np.where(value > 0, value, np.nan)
        lr = np.log(np.where(reps > 0, reps, np.nan) / ref)
        var = np.nan_to_num(detail.finite_var(lr)) if len(reps) else np.zeros_like(value)
        if jack is not None:
            var = var + _jackknife_var(np.log(np.where(jack > 0, jack, np.nan) / ref))
        half = resolution + Z_SAMPLING * np.sqrt(var)
        lo, hi = value * np.exp(-half), value * np.exp(half)
        br = np.where(bracket > 0, bracket, np.nan)
        if len(br):
            lo = np.fmin(lo, np.fmin.reduce(br, axis=0))
            hi = np.fmax(hi, np.fmax.reduce(br, axis=0))
    return lo, hi


def _window_cell(lam, lo, hi, span, coarsest):
    """[lo, hi] widened to at least the region's own resolution cell: a region D across (its
    equal-area diameter `span`) averages the products of every pair of frequencies present
    within WINDOW_RESOLUTION / D of each other (its window's transform), so the reading of a
    wave mixed with anything that close (the patch's edge, the host's relief, a harmonic) lies
    anywhere in 1 / lam +- 1 / D, which neither the bootstrap nor the jackknife sees (every
    replicate shares the window). Where the cell reaches zero frequency the upper end is the
    coarsest guard band (coarser relief is form)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        df = WINDOW_RESOLUTION / np.where(span > 0, span, np.nan)
        f = 1.0 / lam
        cell_lo = 1.0 / (f + df)
        cell_hi = np.where(f > df, 1.0 / (f - df), np.inf)
    return np.fmin(lo, cell_lo), np.fmax(hi, np.fmin(cell_hi, coarsest))


def _jackknife_var(lj: np.ndarray) -> np.ndarray:
    """The jackknife variance (n - 1) / n * sum (x_i - mean)^2 over the finite leave-one-out
    values x_i (axis 0; n of them), 0 where fewer than two."""
    ok = np.isfinite(lj)
    n = ok.sum(axis=0)
    var = detail.finite_var(lj)  # sum (x_i - mean)^2 / n
    return np.where(n >= 2, np.nan_to_num(var) * np.maximum(n - 1, 0), 0.0)


def _leave_one_scale_out(ms: np.ndarray) -> np.ndarray:
    """(K, R, K): the mean squares (R, K) with one measured scale at a time left out (NaN);
    rows whose scale is not measured are NaN throughout (no reading)."""
    K = ms.shape[1]
    out = np.repeat(ms[None], K, axis=0)
    out[np.arange(K), :, np.arange(K)] = np.nan
    return np.where(np.isfinite(ms).T[:, :, None], out, np.nan)


def _spread(sp, reg, ks: np.ndarray):
    """The 2-98 % spread of each region's relief at its scale ks, with the distribution-free
    confidence interval of the two quantiles (order statistics at n q -+ Z sqrt(n q (1 - q)))."""
    R = len(reg.count)
    out = np.full((3, R), np.nan)
    for k in np.unique(ks):  # a few scales, each vectorised over its regions
        want = ks == k
        v = sp.residual[:, k]
        ok = np.isfinite(v) & want[reg.label]
        r, x = reg.label[ok], v[ok]
        o = np.lexsort((x, r))
        r, x = r[o], x[o]
        n = np.bincount(r, minlength=R)
        start = np.concatenate([[0], np.cumsum(n)[:-1]])
        has = want & (n >= 4)
        nn = n[has].astype(float)
        dev = Z_SAMPLING * np.sqrt(nn * QUANTILE * (1 - QUANTILE))

        def at(pos):
            return x[start[has] + np.clip(pos, 0, nn - 1).astype(int)]

        lo_q, hi_q = QUANTILE * (nn - 1), (1 - QUANTILE) * (nn - 1)
        out[0, has] = at(np.ceil(hi_q)) - at(np.floor(lo_q))
        out[1, has] = at(np.floor(hi_q - dev)) - at(np.ceil(lo_q + dev))
        out[2, has] = at(np.ceil(hi_q + dev)) - at(np.floor(lo_q - dev))
    return out


def _kappa(sp, reg, rs, lam, ratio):
    """(3, R) the relief's 2-98 % spread over a sinusoid's of the same rms (value, lo, hi) at the
    scale nearest sigma = ratio x lam, kept within 1..PEAK_MAX."""
    target = np.where(np.isfinite(lam), lam, sp.sigmas_mm[0]) * ratio
    ks = np.argmin(np.abs(np.log(sp.sigmas_mm[None, :] / target[:, None])), axis=1)
    R = len(reg.count)
    ms = rs.mean_square[np.arange(R), ks]
    s = _spread(sp, reg, ks)
    with np.errstate(divide="ignore", invalid="ignore"):
        kap = s / (2.0 * math.sqrt(2.0) * np.sqrt(ms))[None, :]
    return np.clip(np.where(np.isfinite(kap), kap, 1.0), 1.0, PEAK_MAX)


def _spread_depth_lo(sp, reg, rs, lam, amp_lo):
    """The lower end of the depth read as the relief's 2-98 % spread: 2 a_lo kappa_lo, kappa
    the spread over a sinusoid's of the same rms (kept within 1..PEAK_MAX) at the transition
    scale (sigma = RATIO / HALF x lam) and at the plateau (sigma = PASS_S x lam), the lower of
    the two, each at its quantiles' distribution-free lower end; a the region's own mean
    amplitude. The faceting test reads it (`_is_texture`): its bound kappa h^2 / 6 was set
    against real faceting's depth read this way (docs/texture.md s.3: up to ~1.4x the edge
    sagitta kappa h^2 / 8 on the organic family's sliver spheres), and the spread of faceting's
    residual carries the same fit noise as the relief's (s.7.8), so the two are compared alike.
    The depth the verdicts read is `_kurtosis_depth`'s."""
    kap = _kappa(sp, reg, rs, lam, detail.RATIO / detail.HALF)
    kap_p = _kappa(sp, reg, rs, lam, detail.PASS_S)
    return 2.0 * amp_lo * np.minimum(kap[1], kap_p[1])


def _kurtosis(sp, reg, lam, ratio, rng):
    """(b, b_boot): each region's kurtosis of the residual (its fourth central moment over its
    variance squared) at the scale nearest sigma = ratio x lam, and BOOTSTRAP Poisson-bootstrap
    replicates of it (BOOTSTRAP, R) over the region's points."""
    R, Q = len(reg.count), len(sp.points)
    B = detail.BOOTSTRAP
    target = np.where(np.isfinite(lam), lam, sp.sigmas_mm[0]) * ratio
    ks = np.argmin(np.abs(np.log(sp.sigmas_mm[None, :] / target[:, None])), axis=1)
    r = sp.residual[np.arange(Q), ks[reg.label]]
    own = np.isfinite(r)
    r = np.where(own, r, 0.0)
    W = detail.poisson_weights(rng, own)
    key = (reg.label[None, :] + R * np.arange(B + 1)[:, None]).ravel()

    def mom(p):  # (B + 1, R) weighted sums of r^p per region and replicate
        return np.bincount(key, weights=(W * r ** p).ravel(),
                           minlength=R * (B + 1)).reshape(B + 1, R)

    with np.errstate(divide="ignore", invalid="ignore"):
        n = mom(0)
        mu, e2, e3, e4 = (mom(p) / n for p in (1, 2, 3, 4))
        var = e2 - mu * mu
        b = (e4 - 4 * mu * e3 + 6 * mu * mu * e2 - 3 * mu ** 4) / (var * var)
    return b[0], b[1:]


def _two_level(b, g):
    """kappa of two-level relief (a share p at one level, the rest at another: sparse pits, or
    bumps) whose kurtosis is b / g where it is (b the region's, g its concentration: diluting
    relief over a share 1 / g of a region multiplies its kurtosis by g). Its kurtosis is
    1 / (p (1 - p)) - 3 and its depth rms / sqrt(p (1 - p)), so over a sinusoid's of the same
    rms (2 sqrt 2 rms) kappa = sqrt((b / g + 3) / 8); kept within 1..PEAK_MAX (NaN: 1). Noise
    added to relief draws its kurtosis towards a Gaussian's 3 (kappa 0.87, kept at 1), so a
    noisy sinusoid reads 1 and only relief sparser than a sinusoid reads more (s.7.8)."""
    with np.errstate(invalid="ignore"):
        k = np.sqrt((b / g + 3.0) / 8.0)
    return np.clip(np.where(np.isfinite(k), k, 1.0), 1.0, PEAK_MAX)


def _kurtosis_depth(sp, reg, lam, amp, lo, hi, g, rng):
    """(depth, lo, hi, kappa_hi) of one component per region: 2 a kappa, a where the relief is
    (`_undiluted`: amp, [lo, hi]), kappa `_two_level` of the residual's kurtosis b at the
    transition scale (sigma = RATIO / HALF x lam; docs/texture.md s.7.8, s.7.13), b's interval
    Z_SAMPLING standard errors of its Poisson bootstrap. The 2-98 % spread read it biased:
    the windows' aliasing noise gives a sinusoid a Gaussian's spread (kappa 1.4-1.65 for 1),
    which a kurtosis cannot exceed."""
    b, b_boot = _kurtosis(sp, reg, lam, detail.RATIO / detail.HALF, rng)
    with np.errstate(invalid="ignore"):
        sd = np.sqrt(np.nan_to_num(detail.finite_var(b_boot - b)))
    k_lo, k_hi = _two_level(b - Z_SAMPLING * sd, g), _two_level(b + Z_SAMPLING * sd, g)
    return 2.0 * amp * _two_level(b, g), 2.0 * lo * k_lo, 2.0 * hi * k_hi, k_hi


def _bent_share(sp, reg) -> np.ndarray:
    """(R, K) share of each region's query points whose window at each scale is masked because
    the fitted base form bends like a crease there (detail._mask_form)."""
    R, K = len(reg.count), len(sp.sigmas_mm)
    if sp.bent is None:
        return np.zeros((R, K))
    return np.stack([np.bincount(reg.label, weights=sp.bent[:, k], minlength=R)
                     for k in range(K)], 1) / reg.count[:, None]


def _coarser_known(sig: np.ndarray, known: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """(R,) whether no scale between a component's plateau and HARMONIC_SPAN times it bends like
    form over most of its region (`known`): the relief just coarser than the component is then
    read, so a coarser wave's harmonic is seen as such (its fundamental takes the energy)
    instead of standing alone as fine texture (texture:c28 of the ground-truth suite: a milk
    truck's steep 68 mm ripple, its own scales masked as form, read as 20 mm relief
    "invisible" at 72 m). Scales masked for a crease point of the mesh within the window do
    not count: that is the model's form beside the relief, not relief bending like form."""
    lam = np.where(np.isfinite(lam), lam, np.inf)
    inside = ((sig[None, :] >= lam[:, None] / detail.HALF)
              & (sig[None, :] <= HARMONIC_SPAN * detail.PASS_S * lam[:, None]))
    return ~(inside & ~known).any(axis=1)


def _undiluted(sp, reg, lam, amp, lo, hi, rng, rs=None):
    """A component's amplitude [lo, hi] where its relief is, not averaged over plain surface:
    the plateau amplitude times sqrt(g), g the region's concentration of that relief
    (detail.concentration: 1 / the share of the region holding it), widened by Z_SAMPLING
    standard errors of its bootstrap. The upper end also covers the concentration the region's
    energy map allows at its finest (detail.concentration_bound, with the same sampling
    spread): the clipped plane resolves where the relief is only to its first moment, and
    relief in a corner of the region reads as spread (docs/texture.md 7.7). The depth needs no
    the dilution back out. rs: the region spectra, whose energies filled where a window reached
    a crease (RegionSpectra.filled) g is read from. Returns (amp, lo, hi, g, up), up the factor
    taking the upper end from the region's mean to where the relief is."""
    if rng is None:
        one = np.ones_like(amp)
        return amp, lo, hi, one, one
    g, g_boot = detail.concentration(sp, reg, lam, rng, rs.filled if rs else None)
    with np.errstate(invalid="ignore"):
        sd = np.sqrt(np.nan_to_num(detail.finite_var(0.5 * np.log(g_boot / g))))
    root = np.sqrt(g)
    g_up = np.maximum(g, detail.concentration_bound(sp, reg, lam))  # read with g's own spread
    up = np.sqrt(g_up) * np.exp(Z_SAMPLING * sd)
    return amp * root, lo * root * np.exp(-Z_SAMPLING * sd), hi * up, g, up


def _readable(sp, rs, ms: np.ndarray, rows) -> np.ndarray:
    """The mean squares (..., R, K) the wavelength and amplitude fits read. A scale whose windows
    span fewer rows of the region's vertices than the power table's finest did
    (`detail.resolved_scales`) fits its quadric through one or two rows of points: it may still
    read the relief (a graded mesh's coarse part, where the rows are few in every direction),
    or its quadric may overshoot between the rows and leave residuals no relief gives (a sliver
    lattice across its long side: 30-50x the table's mean square). The second is recognised by
    its own numbers: a mean square above what the band solve of the region's other scales
    predicts for it, by more than Z_SAMPLING expected errors. Overshoot only raises a residual,
    so a scale reading less than predicted is kept; a region showing the excess at any of its
    unresolved scales reads none of them. rows None: every scale is read."""
    if rows is None:
        return ms
    unresolved = ~detail.resolved_scales(sp, rows) & rs.measured  # (R, K)
    if not unresolved.any():
        return ms
    m0 = rs.mean_square
    # what the scales the table describes say every scale should read (their band solve)
    kept = np.where(unresolved, np.nan, m0)
    full, _, _, _ = detail.solve_rows(rs.designs, kept, np.zeros((0,) + m0.shape), rs.noise)
    pred = np.einsum("rkj,rj->rk", rs.designs, full)
    with np.errstate(invalid="ignore"):
        excess = (m0 - Z_SAMPLING * rs.noise > pred) & unresolved
    garbage = excess.any(axis=1)  # (R,)
    return np.where((garbage[:, None] & unresolved), np.nan, ms)


@dataclass(frozen=True)
class WavelengthTerms:
    """The terms the first component's wavelength interval is built from, per region (R,)
    (`wavelength_interval` puts them together as `measure` does), for a reading over several
    regions (checks/texture/union.py); the spreads are logs of ratios to the value `lam`.
    Shared by a neighbouring region reading the same wave on the same mesh (a bias that pooling
    their points does not average away: docs/texture.md s.7.10) -- `res` the ladder's
    resolution, `jack_var` the leave-one-scale-out jackknife's variance (a scale whose power gain
    this triangulation or this relief's steepness does not follow), `tilt` (2, R) the fits with
    the power table's model error tilted across the transition, `censored` (-1, 0, +1) the
    ladder's end. Each region's own -- `boot_var` the bootstrap's variance (its points),
    `misfit` (2, R) the band model's misfit brackets (its mean squares), and the resolution
    cell of its window. `own_lo`, `own_hi`: the interval before the cell."""

    lam: np.ndarray
    res: np.ndarray
    boot_var: np.ndarray
    jack_var: np.ndarray
    misfit: np.ndarray
    tilt: np.ndarray
    censored: np.ndarray
    own_lo: np.ndarray
    own_hi: np.ndarray
    # for the amplitude's upper end read at the plateau of longer wavelengths (`plateau_upper`):
    # the mean squares the fit read (R, K), its finer relief (F (R,), its power gains (R, K)),
    # the factor taking the upper end from the region's mean to where the relief is, and
    # kappa's upper end
    ms: np.ndarray | None = None
    fine_F: np.ndarray | None = None
    fine_P: np.ndarray | None = None
    up: np.ndarray | None = None
    kap_hi: np.ndarray | None = None
    amp: AmplitudeTerms | None = None  # the amplitude's upper end's (a union reads it too)


@dataclass(frozen=True)
class AmplitudeTerms:
    """The terms the first component's amplitude upper end is built from, per region (R,)
    (`amplitude_upper` puts them together as `measure` does), for a reading over a union of
    regions (checks/texture/union.py, docs/texture.md s.7.22); spreads are logs of ratios to the
    plateau value `amp` (the region's mean, before `up`). Shared by neighbours reading the same
    wave: `res` the ladder's amplitude resolution, `jack_var` the leave-one-scale-out
    jackknife's variance, `tilt_hi` the fits with the power table's model error tilted (the
    larger). Each window's own: `boot_var` the bootstrap's variance, `misfit_hi` the band
    model's misfit brackets (the larger), and `up` the factor taking the mean to where the
    relief is (its concentration over the window, with the bound and g's spread)."""

    amp: np.ndarray
    res: np.ndarray
    boot_var: np.ndarray
    jack_var: np.ndarray
    misfit_hi: np.ndarray
    tilt_hi: np.ndarray
    up: np.ndarray


def amplitude_upper(t: AmplitudeTerms) -> np.ndarray:
    """(R,) the amplitude's upper end from its terms, as `measure` builds it (`_interval`'s
    upper end times `up`)."""
    with np.errstate(invalid="ignore", over="ignore"):
        hi = t.amp * np.exp(t.res + Z_SAMPLING * np.sqrt(t.boot_var + t.jack_var))
        hi = np.fmax(hi, np.fmax(t.amp * np.exp(t.misfit_hi), t.amp * np.exp(t.tilt_hi)))
    return hi * t.up


def _amplitude_terms(amp, reps, misfit, tilt, res, jack) -> AmplitudeTerms:
    with np.errstate(divide="ignore", invalid="ignore"):
        ref = np.where(amp > 0, amp, np.nan)
        ratio = lambda x: np.log(np.where(x > 0, x, np.nan) / ref)  # noqa: E731
        boot = np.nan_to_num(detail.finite_var(ratio(reps))) if len(reps) else np.zeros_like(amp)
        return AmplitudeTerms(amp, res, boot, _jackknife_var(ratio(jack)),
                              np.fmax.reduce(ratio(misfit), axis=0),
                              np.fmax.reduce(ratio(tilt), axis=0), np.ones_like(amp))


def _wavelength_terms(lam, reps, misfit, tilt, res, jack, censored, guard) -> WavelengthTerms:
    with np.errstate(divide="ignore", invalid="ignore"):
        ref = np.where(lam > 0, lam, np.nan)
        lr = np.log(np.where(reps > 0, reps, np.nan) / ref)
        boot = np.nan_to_num(detail.finite_var(lr)) if len(reps) else np.zeros_like(lam)
        jv = _jackknife_var(np.log(np.where(jack > 0, jack, np.nan) / ref))
        ratio = lambda x: np.log(np.where(x > 0, x, np.nan) / ref)  # noqa: E731
        t = WavelengthTerms(lam, res, boot, jv, ratio(misfit), ratio(tilt), censored, lam, lam)
    lo, hi = wavelength_interval(t, guard)
    return replace(t, own_lo=lo, own_hi=hi)


def wavelength_interval(t: WavelengthTerms, guard, span=None):
    """[lo, hi] of the wavelength from its terms, as `measure` builds it: the log widened by the
    ladder's resolution plus Z_SAMPLING standard errors (bootstrap and jackknife in quadrature),
    covering the misfit and model-error brackets, extended to the guard band where censored,
    and (span given: the window's equal-area diameter) to the window's resolution cell."""
    lam = t.lam
    with np.errstate(invalid="ignore", over="ignore"):
        half = t.res + Z_SAMPLING * np.sqrt(t.boot_var + t.jack_var)
        br = np.concatenate([t.misfit, t.tilt])
        lo = np.fmin(lam * np.exp(-half), lam * np.exp(np.fmin.reduce(br, axis=0)))
        hi = np.fmax(lam * np.exp(half), lam * np.exp(np.fmax.reduce(br, axis=0)))
    lo = np.where(t.censored < 0, np.fmin(lo, guard[0]), lo)
    hi = np.where(t.censored > 0, np.fmax(hi, guard[-1]), hi)
    if span is not None:
        lo, hi = _window_cell(lam, lo, hi, span, guard[-1])
    return lo, hi


def _is_texture(sp, reg, c, lam, amp, depth, d_lo, share, strong, edge_r, facet_r, sag, span,
                known):
    """Which components are texture by the family's definition: measured, a real share of the
    region's texture energy, resolved by the mesh, not faceting, not form, not coarser than the
    region or a glance, and read by enough points."""
    # faceting unless the depth is clearly (its whole interval) deeper than facets stand off
    facet = (lam < FACET_SPAN * facet_r) & (d_lo < sag)
    with np.errstate(invalid="ignore"):
        return (np.isfinite(lam) & (amp > 0) & (share >= MIN_BAND_SHARE) & strong
                & (lam >= SCULPT_EDGES * edge_r) & ~facet
                & (np.pi * depth / lam >= MIN_CONTRAST) & (lam <= 2.0 * c.glance_mm)
                & (lam <= span) & _coarser_known(sp.sigmas_mm, known, lam)
                & (reg.count >= detail.REGION_FLOOR * detail.REGION_POINTS))


def detail_bands(lams, energy) -> np.ndarray:
    """(R, J) the bands whose relief is detail (slope 2 pi a / lam >= MIN_CONTRAST), each read as
    the component peaking there is (`detail.component`: bands j-1..j+1). A wave between two bands
    splits its energy over both, so read band by band its slope falls up to sqrt(2) short: a
    0.67 mm ripple of slope 0.035 read at 0.019 in each of its two bands, and no band of its
    regions was texture (docs/texture.md s.7.42)."""
    J = len(lams)
    lam, amp = detail.component(energy[:, None, :], lams, np.arange(J)[None, :])
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(np.isfinite(lam), 2.0 * np.pi * amp / lam, 0.0)
    return np.minimum(1.0, slope) >= MIN_CONTRAST


def _intervals(sp, rs, all_ms, lam_all, amp_all, tilted, window, censored, res, table):
    """One component's wavelength terms (`WavelengthTerms`, whose `wavelength_interval` is its
    interval) and amplitude interval (`_interval`): the bootstrap's spread, the misfit brackets'
    and the tilted fit's readings (`tilted`: its wavelength, amplitude), the ladder's resolution
    (`res`: wavelength, amplitude) and the fit with each measured scale left out in turn."""
    B = len(rs.boot)
    lam_j, amp_j, _, _ = detail.refine(sp, rs, _leave_one_scale_out(all_ms[0]), window[0],
                                       walk=False, table=table)
    terms = _wavelength_terms(lam_all[0], lam_all[1:1 + B], lam_all[1 + B:], tilted[0], res[0],
                              lam_j, censored[0], detail.guard_bands(sp.wavelengths_mm))
    amp_lo, amp_hi = _interval(amp_all[0], amp_all[1:1 + B],
                               np.concatenate([amp_all[1 + B:], tilted[1]]), res[1], amp_j)
    at = _amplitude_terms(amp_all[0], amp_all[1:1 + B], amp_all[1 + B:], tilted[1], res[1], amp_j)
    return replace(terms, amp=at), amp_lo, amp_hi


def measure(sp, reg, rs, c, texture_band: np.ndarray, edge_r, facet_r,
            resolution, sagitta=None, rng=None, rows=None, terms=False, peak=None):
    """The texture components of every region with their intervals (see Components).

    Component 1 peaks in the strongest texture band; its wavelength and amplitude are fitted
    continuously (detail.refine). Its fitted mean squares are removed at every scale and the
    remainder solved again: component 2 is what is left (never the same wave spread over two
    bands), not judged where it is the first's coarse remainder (`_coarse_remainder`). The
    bootstrap replicates and misfit brackets go through the same steps. The amplitude
    is the relief's where it is (`_undiluted`; rng: its bootstrap, None to leave it diluted);
    the depth 2 a kappa with kappa from the residual's kurtosis (`_kurtosis_depth`); the
    faceting test reads the depth as the relief's 2-98 % spread (`_spread_depth_lo`).
    terms: also return the first component's WavelengthTerms, as (Components, WavelengthTerms).
    peak: (R,) the band the first component's fit starts from, where a reading of a known wave
    is wanted (a union of regions that read it: checks/texture/union.py), else the strongest.
    """
    lams = sp.wavelengths_mm
    # a region's mean squares average a wave over its phase only where the region spans a
    # wavelength: relief coarser than the region (its equal-area diameter) is sampled on one
    # crest or flank, which neither the bootstrap (its points share that phase) nor the
    # jackknife sees, so such a component is not measured there
    span = equal_area_span(reg.window)
    known = _bent_share(sp, reg) <= 1.0 - COARSER_KNOWN  # (R, K)
    tex = texture_band[None, :] & detail_bands(lams, rs.energy)
    tot = np.where(tex, rs.energy, 0.0).sum(axis=1)
    ms = rs.mean_square
    res_l, res_a = resolution
    all_ms = _readable(sp, rs, np.concatenate([ms[None], rs.boot, rs.bracket]), rows)
    all_full = np.concatenate([rs.full[None], rs.boot_full, rs.bracket_full])
    fields = {k: [] for k in Components.__dataclass_fields__ if k not in ("coarse", "remainder")}
    eps = detail.model_error(sp)
    table = detail.window_table(sp, rs)  # shared by every fit below
    raw = []  # each component's plateau amplitude as the region's mean reads it
    remainder = None  # the second component's (Components.remainder), set on its pass
    for _ in range(2):  # two components
        j = np.argmax(np.where(tex, all_full[0, :, 1:-1], 0.0), axis=1)
        if peak is not None and not fields["lam"]:
            j = np.where(peak >= 0, peak, j)
        lam_all, amp_all, censored, window, fine = detail.refine(sp, rs, all_ms, j, table=table,
                                                                 fine=True)
        lam, amp = lam_all[0], amp_all[0]
        lam_m, amp_m = _tilted_fit(sp, rs, all_ms[0], lam, eps, j, table)
        t, amp_lo, amp_hi = _intervals(sp, rs, all_ms, lam_all, amp_all, (lam_m, amp_m), window,
                                       censored, (res_l[j], res_a[j]), table)
        lam_lo, lam_hi = wavelength_interval(t, detail.guard_bands(lams), span)
        share = np.divide(amp * amp / 2.0, tot, out=np.zeros_like(tot), where=tot > 0)
        raw.append(amp)  # the region's own mean: shares, the second component, the depth
        facet_lo = _spread_depth_lo(sp, reg, rs, lam, amp_lo)
        amp, amp_lo, amp_hi, g, up = _undiluted(sp, reg, lam, amp, amp_lo, amp_hi, rng, rs)
        depth, d_lo, d_hi, k_hi = _kurtosis_depth(sp, reg, lam, amp, amp_lo, amp_hi, g,
                                                  detail.draws(sp, KURT_SALT))
        if not fields["lam"]:
            first = replace(t, ms=all_ms[0], fine_F=fine[0][0], fine_P=fine[1][0], up=up,
                            kap_hi=k_hi, amp=replace(t.amp, up=up))
        facet, sag = split_facets(sp, reg, lam, facet_r, sagitta if sagitta is not None
                                  else FACET_DEPTH * facet_r)
        strong = raw[-1] >= SECOND_AMP * raw[0]
        valid = _is_texture(sp, reg, c, lam, amp, depth, facet_lo, share, strong, edge_r,
                            facet, sag, span, known)
        if fields["lam"]:
            rem = _coarse_remainder(lam, lam_lo, lam_hi, fields["lam"][0],
                                    fields["lam_lo"][0], fields["lam_hi"][0])
            remainder = valid & rem
            valid &= ~rem
        for k, v in zip(fields,
                        (lam, lam_lo, lam_hi, amp, amp_lo, amp_hi, depth, d_lo, d_hi, share,
                         valid, j)):
            fields[k].append(v)
        all_ms, all_full = _remove_component(sp, rs, all_ms, lam_all, amp_all)
    comp = Components(**{k: np.stack(v) for k, v in fields.items()}, remainder=remainder)
    return (comp, first) if terms else comp


def steep_spectra(rs, regions: np.ndarray):
    """rs with the steep relief's loss read on `regions` (R,) bool: the power gains of their
    component fits (`detail.window_table`) carry the loss at each candidate wavelength's own
    slope, read from the region's own mean squares (`Spectrum.steep_slope`); the fit's finer
    and coarser relief terms and the amplitude's plateau keep the linear gain. The loss is a
    sinusoid's of known slope (`detail.steep_loss`): the finer and coarser terms stand for the
    rest of the spectrum, no one wave, and the plateau's reading is what the slope is read
    from (dividing it by the loss there would feed the slope back into itself)."""
    return replace(rs, steep=np.where(regions[:, None], rs.mean_square, 0.0))


def _coarse_remainder(lam, lo, hi, first, first_lo, first_hi) -> np.ndarray:
    """(R,) second components that are the first wave's coarse remainder, not a texture of
    their own: coarser than the first and not resolved from it (their wavelength intervals,
    each with its window's resolution cell, overlap, so the measurement cannot tell the two
    apart). What the first component's fit leaves of one wave sits at the coarse scales: a
    window straddling the wave's edge has flat points whose coarse windows reach the wave, and
    a lattice whose fine scales under-read the wave reads it coarse (docs/texture.md s.7.15).
    A finer unresolved second component is kept: there the first may be the remainder."""
    with np.errstate(invalid="ignore"):
        return (lam > first) & (lo <= first_hi) & (first_lo <= hi)


def _tilted_fit(sp, rs, ms, lam, eps, j, table):
    """(lam, amp) fitted again with the power table's own error eps tilted across the
    component's transition (finer scales up, coarser down, and the reverse): what moves the
    fitted wavelength most. Shapes (2, R)."""
    side = np.sign(np.log(sp.sigmas_mm[None, :] * detail.HALF / np.where(
        np.isfinite(lam), lam, 1.0)[:, None]))
    if rs.steep is not None:  # the steep loss's own spread, in quadrature with the table's
        safe = np.where(np.isfinite(lam), lam, 1.0)
        sd = sp.steep_loss(safe, rs.tilt, rs.steep, spread=True)  # (T, R, K)
        sd = np.einsum("rt,trk->rk", rs.tilt, sd)
        eps = np.sqrt(eps ** 2 + np.expm1(sd) ** 2)
    tilted = ms[None] * (1.0 + np.array([1.0, -1.0])[:, None, None] * eps * side)
    lam_m, amp_m, _, _ = detail.refine(sp, rs, tilted, j, table=table)
    return lam_m, amp_m


def _remove_component(sp, rs, all_ms, lam_all, amp_all):
    """(mean squares, band energies) with what a fitted component explains at every scale
    removed from the mean squares and the rest solved again (value, replicates, brackets)."""
    safe = np.where(np.isfinite(lam_all), lam_all, sp.wavelengths_mm[0])
    P = sp.power(safe, rs.tilt, rs.steep)
    if rs.steep is not None:  # the amplitude is read at its plateau scale with the linear gain:
        # what it explains elsewhere is that reading times the loss there over the loss at it
        k = detail.plateau_scale(sp, safe)[..., None]
        lin = np.take_along_axis(sp.power(safe, rs.tilt), k, -1)
        P = P * lin / np.maximum(np.take_along_axis(P, k, -1), 1e-300)
    fitted = (amp_all ** 2 / 2.0)[..., None] * P
    all_ms = all_ms - np.where(np.isfinite(lam_all)[..., None], fitted, 0.0)
    full, reps, _, _ = detail.solve_rows(rs.designs, all_ms[0], all_ms[1:], rs.noise)
    return all_ms, np.concatenate([full[None], reps])


def plateau_upper(sp, rs, comp: Components, t: WavelengthTerms, top, cap,
                  cell=None) -> Components:
    """The first component's amplitude and depth upper ends raised to the plateau reading of
    every wavelength from its value up to `top` (R,: its interval's upper end), at most `cap`
    (R,: the span of the window that read the wave): PLATEAU_READS wavelengths, log-spaced,
    each read at its own plateau scale (sigma = PASS_S x lam) from the region's mean squares
    less the fit's finer relief, taken where the relief is as the upper end was (t.up) and
    with kappa's upper end for the depth (docs/texture.md s.7.12, s.7.13). A wave read short
    has its plateau scale in the true wave's transition, which passes only part of it: the
    amplitude reads low while its interval, read at the same scale, stays narrow. Only upper
    ends rise, so a too-shallow verdict may become undetermined, never the reverse.
    The depth's upper end is then held to what the region's mean squares allow any wave of
    that interval (`plateau_bound`, times the same t.up and kappa's upper end), where that is
    lower than the fit's: the fit's bootstrap and jackknife swing with its finer relief and its
    wavelength on a region one or two wavelengths across, the mean squares do not. The
    amplitude's upper end keeps the fit's (relief on part of a region, which t.up under-reads,
    is covered there by kappa for the depth only: docs/texture.md s.7.23).
    cell: (lo, hi) (R,) the interval after the spectral peak's cells (`peak_cells`,
    `union.union_peak`); where it is narrower, the depth's plateau reading and its bound read
    it instead (s.7.24)."""
    if t.ms is None:
        return comp
    lam = comp.lam[0]
    ok = np.isfinite(lam) & (lam > 0)
    safe = np.where(ok, lam, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        end = np.fmax(safe, np.fmin(top, cap))
        end = np.where(ok & np.isfinite(end), end, safe)
        lo = np.where(ok, comp.lam_lo[0], np.nan)
        # the bound is read one ladder step (RATIO) past the interval's top: the fit's window
        # attributes relief just coarser than its reading to its coarse term, which the
        # interval does not exclude (texture:c1033, docs/texture.md s.7.23)
        past, d_end = end * detail.RATIO, end
        if cell is not None:
            # a peak's cell is a position read from the heights' periodogram, which has no
            # coarse term: where it narrowed the top, the depth reads to it, no step past it
            narrow = ok & (cell[1] < comp.lam_hi[0])
            past = np.where(narrow, np.fmin(past, cell[1]), past)
            d_end = np.where(narrow, np.fmax(safe, np.fmin(end, cell[1])), end)
            lo = np.where(ok, np.fmax(lo, cell[0]), np.nan)
        a_hi = _plateau_reading(sp, rs, t, safe, end, ok)
        d_hi = _plateau_reading(sp, rs, t, safe, d_end, ok)
        d_hi = np.where(np.isfinite(t.kap_hi), 2.0 * d_hi * t.kap_hi, 0.0)
        # the depth's upper end at most what the mean squares allow any wave in the interval,
        # never below the plateau reading above
        free = plateau_bound(sp, rs, lo, past) * t.up
        free = np.where(ok & np.isfinite(free), free, np.inf)
    amp_hi, depth_hi = comp.amp_hi.copy(), comp.depth_hi.copy()
    kap = np.where(np.isfinite(t.kap_hi), t.kap_hi, PEAK_MAX)
    amp_hi[0] = np.fmax(amp_hi[0], a_hi)
    depth_hi[0] = np.fmax(np.fmin(depth_hi[0], 2.0 * free * kap), d_hi)
    return replace(comp, amp_hi=amp_hi, depth_hi=depth_hi)


def peak_amplitude(sp, rs, comp: Components, lam: np.ndarray, t: WavelengthTerms) -> Components:
    """The first component's amplitude and depth read again at the plateau of lam (R,), the
    wavelength its value takes from the relief spectrum's peak (`peak_cells`), where that
    moved it: the plateau scale of a wave read short lies in the true wave's transition, which
    passes only part of it, so the fit's amplitude reads low by as much (and one read long,
    high). Value and depth scale by the ratio of the two plateau readings (from the same mean
    squares less the fit's finer relief, g and kappa unchanged), and so do their lower ends
    where it is under 1. The upper ends already hold the plateau of every wavelength from the
    fit's value to its interval's top (`plateau_upper`, which the peak lies in or beside), so
    they only rise to the value where it passed them (docs/texture.md s.7.44)."""
    if t.ms is None:
        return comp
    old = comp.lam[0]
    moved = comp.valid[0] & np.isfinite(lam) & (lam > 0) & np.isfinite(old) & (lam != old)
    fine = (t.fine_F, t.fine_P)
    with np.errstate(invalid="ignore", divide="ignore"):
        a0 = detail.plateau(sp, rs, t.ms, np.where(moved, old, np.nan), fine)
        a1 = detail.plateau(sp, rs, t.ms, np.where(moved, lam, np.nan), fine)
        r = np.where(moved & (a0 > 0) & (a1 > 0), a1 / a0, 1.0)
    out = {}
    for v, lo, hi in (("amp", "amp_lo", "amp_hi"), ("depth", "depth_lo", "depth_hi")):
        x, x_lo, x_hi = (getattr(comp, k).copy() for k in (v, lo, hi))
        x[0], x_lo[0] = x[0] * r, x_lo[0] * np.fmin(r, 1.0)
        x_hi[0] = np.fmax(x_hi[0], x[0])
        out.update({v: x, lo: x_lo, hi: x_hi})
    return replace(comp, **out)


def _plateau_reading(sp, rs, t: WavelengthTerms, start, end, ok) -> np.ndarray:
    """(R,) the largest plateau reading (where the relief is: t.up) over PLATEAU_READS
    log-spaced wavelengths from start to end (R,), 0 where not ok."""
    grid = start[None] * (end / start)[None] ** np.linspace(0.0, 1.0, PLATEAU_READS)[:, None]
    a = detail.plateau(sp, rs, t.ms, grid, (t.fine_F, t.fine_P)).max(axis=0)
    return np.where(ok & np.isfinite(t.up), a * t.up, 0.0)


def plateau_bound(sp, rs, lo, hi) -> np.ndarray:
    """(R,) the largest semi-amplitude any wave of wavelength in [lo, hi] (R,) can have in each
    region's mean squares: at its plateau scale k the mean square is the wave's energy times
    the power gain P_k(lam) plus whatever other relief passes there, all of it >= 0, so the
    wave's energy is at most the mean square's upper end (Z_SAMPLING expected errors above it:
    the bootstrap of the region's points and the power table's model error) over P_k(lam). No
    fit enters (the fit's finer relief F, its subtraction, its wavelength: what makes the
    amplitude's bootstrap and leave-one-scale-out jackknife swing on a region one or two
    wavelengths across), only the interval the wavelength is known to lie in. Each scale is
    the plateau of the wavelengths between the log-midpoints of its neighbours over PASS_S,
    and its gain falls with the wavelength, so the bound is read at both ends of each such
    stretch inside [lo, hi]. NaN where a scale the interval needs is not measured."""
    sig = sp.sigmas_mm
    K = len(sig)
    mid = np.sqrt(sig[1:] * sig[:-1]) / detail.PASS_S
    a_end = np.concatenate([[0.0], mid])[:, None]  # (K, 1) each scale's stretch of wavelengths
    b_end = np.concatenate([mid, [np.inf]])[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        use = (a_end <= hi[None]) & (b_end >= lo[None])  # (K, R)
        up = rs.mean_square + Z_SAMPLING * rs.noise  # (R, K)
        up = np.where(np.isfinite(up), np.maximum(up, 0.0), np.nan).T  # (K, R)
        out = np.zeros(len(lo))
        for lam in (np.fmax(a_end, lo[None]), np.fmin(b_end, hi[None])):  # (K, R) the ends
            safe = np.where(use & np.isfinite(lam) & (lam > 0), lam, 1.0)
            P = sp.power(safe, rs.tilt)[np.arange(K), :, np.arange(K)]  # (K, R) scale k's gain
            a = np.sqrt(2.0 * up / np.maximum(P, 1e-300))
            out = np.fmax(out, np.where(use, np.where(np.isfinite(a), a, np.inf), 0.0).max(0))
    return np.where(np.isfinite(lo) & np.isfinite(hi), out, np.nan)


def peak_cells(analysis, sp, reg, comp: Components, lam_max: float):
    """The first component's wavelength read again as the peak of its region's relief
    spectrum (`detail.peak_wavelengths`: the vertices' heights over the region's base form, a
    Lomb-Scargle periodogram over the band from two facets to the region's width, at most
    lam_max mm) where that peak is significant (false-alarm probability under
    detail.FALSE_ALARM against the relief's own local spectrum) and lies inside the fit's
    interval. Where the peak is also significant against the relief's level along its own ray
    (relief spread along one direction, which the ring's median cannot see), its resolution
    cell narrows the fit's interval to their intersection: two readings of one wave, each
    holding it; where a peak significant against both lies outside the fit's interval, the two
    readings disagree (the fit reads steep relief coarse, s.7.15), the value is the peak's and
    the interval spans the fit's and the cell (s.7.34). Elsewhere (broadband relief with no
    significant peak: stone, skin, scans) the fit's value and interval stay (docs/texture.md
    s.7.19-7.20).
    Returns (comp with the peak's value and its cell's narrowing, env, floor), each (R,) beside
    it: env where the peak lies inside the fit's interval (significant or not), so that the
    amplitude's and depth's upper ends may cover (`envelope_upper`, after the cell has bounded
    the depth in `plateau_upper`) the largest amplitude that wave reaches on the region
    (`detail.peak_wavelengths`' envelope: the heights demodulated at its wavevector, the
    envelope a quadric as the base form, s.7.21): a region over a patch's tapered rim reads the
    fade's mean, its envelope where the relief is strongest; floor where the peak is
    significant and inside the fit's interval, the amplitude's lower end read from the peak's
    sinusoid (`sinusoid_floor`, raised into the lower ends by `amplitude_floor`, s.7.27); 0
    elsewhere; and wave (2, R), the peak's wavevector in its region's frame (NaN where not
    read), which `union.carrier_envelope` demodulates along."""
    R = comp.lam.shape[1]
    rr = np.nonzero(comp.valid[0])[0]
    wave = np.full((2, R), np.nan)
    if not len(rr):
        return comp, np.zeros(R), np.zeros(R), wave
    lo, hi = comp.lam_lo[0, rr], comp.lam_hi[0, rr]
    lam, c_lo, c_hi, fap, ray, env, sin_a, z1, *k = detail.peak_wavelengths(
        analysis, sp, reg, rr, np.full(len(rr), lam_max), amplitude=True, wave=True)
    wave[:, rr] = k
    with np.errstate(invalid="ignore"):
        # significant on its ring and on its own ray: two tests that the wave is there, at
        # that wavevector; a fit's interval that misses it reads the fit's bias (steep relief
        # reads coarse, s.7.15), and the interval then spans both readings (s.7.34)
        both = (fap < detail.FALSE_ALARM) & (ray < detail.FALSE_ALARM)
        apart = both & ~((lo <= lam) & (lam <= hi))
        inside = ((lo <= lam) & (lam <= hi)) | apart
        use = (fap < detail.FALSE_ALARM) & inside
        cell = use & (ray < detail.FALSE_ALARM) & ~apart
        # an upper end only widens (a verdict may become open, never decided), so the envelope
        # is read wherever the peak is the fit's wave, significant or not (s.7.21)
        env = np.where(inside & np.isfinite(env), env, 0.0)
        floor = np.where(use, sinusoid_floor(sin_a, z1), 0.0)
    L, Lo, Hi = comp.lam.copy(), comp.lam_lo.copy(), comp.lam_hi.copy()
    L[0, rr[use]] = lam[use]
    Lo[0, rr[cell]] = np.fmax(lo[cell], c_lo[cell])
    Hi[0, rr[cell]] = np.fmin(hi[cell], c_hi[cell])
    Lo[0, rr[apart]] = np.fmin(lo[apart], c_lo[apart])
    Hi[0, rr[apart]] = np.fmax(hi[apart], c_hi[apart])
    out, low = np.zeros(R), np.zeros(R)
    out[rr], low[rr] = env, floor
    return replace(comp, lam=L, lam_lo=Lo, lam_hi=Hi), out, low, wave


# The one-sided tail of Z_SAMPLING standard errors (2.3 %), the lower ends' own level.
TAIL = 0.5 * math.erfc(Z_SAMPLING / math.sqrt(2.0))


def sinusoid_floor(amp, z):
    """(n,) a lower end of a wave's semi-amplitude from the sinusoid the region's spectral peak
    fits (amp, mm: its least-squares amplitude with the base form, over the region's vertices)
    and its ordinate over the relief's local level (z: the ordinate over the level's mean).
    The fitted sinusoid is the wave's, attenuated wherever the wave fills the region only in
    part, is read off its frequency or is taken by the base form (each only lowers it), plus
    the other relief's component at that wavevector: a complex Gaussian whose power, at the
    level's mean there, is amp^2 / z, and exceeds t times that with probability exp(-t). The
    peak is the largest ordinate over CELL_CELLS independent cells, so with probability
    1 - TAIL that noise is at most amp sqrt(ln(CELL_CELLS / TAIL) / z), and the wave at least
    amp minus it (0 where the peak does not stand that far above the level)."""
    with np.errstate(invalid="ignore"):
        f = 1.0 - detail.peak_noise_share(z, TAIL)
        return np.where(np.isfinite(amp) & (z > 0), amp * np.clip(f, 0.0, 1.0), 0.0)


def amplitude_floor(comp: Components, floor) -> Components:
    """The first component's amplitude and depth lower ends raised to the peak's sinusoid's
    floor (R,: `sinusoid_floor`), the depth's with kappa's lower end (its lower end over 2 a_lo),
    each at most the value (the interval keeps the reading it is about)."""
    rr = np.nonzero(comp.valid[0] & (floor > 0))[0]
    a_lo, d_lo = comp.amp_lo.copy(), comp.depth_lo.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        k_lo = np.where(a_lo[0, rr] > 0, d_lo[0, rr] / (2.0 * a_lo[0, rr]), 1.0)
        f = np.fmin(floor[rr], comp.amp[0, rr])
        a_lo[0, rr] = np.fmax(a_lo[0, rr], f)
        d_lo[0, rr] = np.fmax(d_lo[0, rr], np.fmin(2.0 * f * k_lo, comp.depth[0, rr]))
    return replace(comp, amp_lo=a_lo, depth_lo=d_lo)


def envelope_upper(comp: Components, env, kap_hi=None) -> Components:
    """The first component's amplitude and depth upper ends raised to the envelope env (R,)
    (`peak_cells`), the depth's with kap_hi (R,), kappa's upper end (s.7.21)."""
    rr = np.nonzero(comp.valid[0])[0]
    k = np.ones(len(rr)) if kap_hi is None else np.where(np.isfinite(kap_hi[rr]), kap_hi[rr], 1.0)
    a_hi, d_hi = comp.amp_hi.copy(), comp.depth_hi.copy()
    a_hi[0, rr] = np.fmax(a_hi[0, rr], env[rr])
    d_hi[0, rr] = np.fmax(d_hi[0, rr], 2.0 * env[rr] * k)
    return replace(comp, amp_hi=a_hi, depth_hi=d_hi)
