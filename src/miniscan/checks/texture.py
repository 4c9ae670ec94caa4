"""Texture scale and the detail budget (MS100-MS106).

"If this were life-size, how big would this texture be, and will anyone see it from here?"
The detail spectrum (analysis/detail/) gives, per surface region, how much relief the model
carries in each wavelength band, and the same spectrum under the measurement's own uncertainty.
Each region's texture components (wavelength, amplitude, depth, each with its interval) pass
four low-pass filters (DESIGN.md section 2): the mesh, the printer, the paint and the eye. A
finding is issued only where the whole interval lies on the wrong side of a rule's threshold
(the evidence rule); the undecided ones are counted and said once (MS100).
docs/texture.md has the formulas and the reasoning behind every threshold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from .. import vision
from ..analysis import detail
from ..evidence import FAIL, PASS, UNDETERMINED, Evidence, printable_floor_mm
from ..findings import CheckResult, FaceLayer, FamilyLayers, Finding, Location, Measurement
from ..rules.texture import RULES as _RULES

FAMILY = "texture"
RULE = {r.code: r for r in _RULES}
CODES = ("MS101", "MS102", "MS103", "MS104", "MS105", "MS106")

# --- constants (unit; why this value) ---
AT_RISK = 1.5            # DESIGN.md section 2: within 1.5x of a cutoff is at risk (budget ramps)
MIN_CONTRAST = 0.02      # shading contrast (slope 2 pi a / lam) below this is not "detail"
MIN_BAND_SHARE = 0.15    # a component must hold this share of its region's texture energy
SECOND_AMP = 0.7         # a second component counts with >= 0.7 x the first's amplitude (half
#                          its energy): on one pure ripple, what the power table's model error
#                          leaves after the first is fitted reads as up to ~1/3 of its energy
FACET_SPAN = 8.0         # faceting: relief at wavelengths up to this many facet sizes ...
FACET_DEPTH = 0.1        # ... not clearly deeper than the facets stand off their base form:
#                          a triangle of longest edge h on curvature kappa deviates from it by at
#                          most kappa rho^2 / 2, rho = its smallest enclosing circle's radius (h/2
#                          for right and obtuse triangles, h/sqrt(3) equilateral): h^2 kappa / 6;
#                          at most 0.1 h (a 45 deg facet's sagitta, the bound before curvature was
#                          measured). A flat base makes no facets, however faint the relief on it
SCULPT_EDGES = 4.0       # relief spanning fewer local edges than this is faceting, not sculpted
HARMONIC_SPAN = 2.0      # the scales from a component's plateau (sigma = PASS_S lam) up to this
#                          many times it (those that pass a wave twice as long) must be read
COARSER_KNOWN = 0.5      # ...on a majority of the region's points: where the relief coarser
#                          than the component bends like form there, a steep coarser wave's
#                          harmonics (lam/2, lam/3 ...) cannot be told from texture of their own
WINDOW_RESOLUTION = 1.0  # a region D across resolves frequencies to +-1 / D (cycles/mm): the first
#                          zero of a window's transform (1/D for a strip D long, 1.22/D for a disc
#                          of diameter D; regions are neither, so the strip's): relief within that
#                          of the reading is not told apart from it (docs/texture.md section 3)
SHADOW_RATIO = 2.0 / math.pi  # depth/width beyond which a 45 deg key light leaves the recess dark
CROWDING_ARCMIN = 3.0    # foveal crowding: details closer than ~3' merge (Levi 2008)
CLUTTER_CONTRAST = 0.1   # only clearly visible detail crowds (shading contrast)
Z_SAMPLING = 2.0         # bootstrap spread -> interval: +-2 standard deviations (~95 %)
QUANTILE = 0.02          # depth: the 2-98 % spread of the relief (sparse pits count)
PEAK_MAX = 3.0           # ... at most 3x the sinusoid-equivalent depth (other bands)
MERGE_SIZES = 2.5        # flagged regions whose seeds are this many region sizes apart merge
CONC_SALT = 311          # the seed salt of the relief concentration's bootstrap (fixed: the JSON
#                          is deterministic)
HOLD_ITER = 48           # bisection steps for the distance range a finding holds over
STAGES = ("mesh", "print", "paint", "eye")
_P, _F, _U = 0, 1, 2     # tri-state verdicts in arrays: pass, fail (a problem), undetermined
_NAMES = {_P: PASS, _F: FAIL, _U: UNDETERMINED}


# --------------------------------------------------------------------------- the physics


def ramp(x):
    """Energy share passing a cutoff: 0 at or below it, 1 from AT_RISK times it, log-linear between."""
    x = np.asarray(x, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.clip(np.log(np.maximum(x, 1e-300)) / math.log(AT_RISK), 0.0, 1.0)


def _csf(f):
    return 2.6 * (0.0192 + 0.114 * f) * np.exp(-((0.114 * f) ** 1.1))


def eye_visibility(amp, lam, c) -> np.ndarray:
    """Weighted contrast c * S(f) of a relief of semi-amplitude amp and wavelength lam
    (vision.relief_visibility, vectorised). The acuity cut uses the conditions' resolvable
    size, so a camera profile (macro-photo, resolvable size given directly) is honoured."""
    amp, lam = np.broadcast_arrays(np.asarray(amp, float), np.asarray(lam, float))
    with np.errstate(divide="ignore", invalid="ignore"):
        contrast = np.minimum(1.0, 2.0 * np.pi * amp / lam)
        f = (math.pi / 180.0) * c.distance_mm / lam
        s = vision.CSF_PEAK_SENSITIVITY * _csf(np.maximum(f, vision.CSF_PEAK_CPD))
    return np.where((lam >= 2.0 * c.resolvable_mm) & (amp > 0), contrast * s, 0.0)


def visibility_range(a_lo, a_hi, lam_lo, lam_hi, c, n: int = 9):
    """[min, max] of eye_visibility over the box a in [a_lo, a_hi], lam in [lam_lo, lam_hi]:
    it grows with a; in lam it is not monotone (contrast falls, the CSF rises), so n log-spaced
    wavelengths across the interval are evaluated at both amplitude ends."""
    t = np.linspace(0.0, 1.0, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.log(np.asarray(lam_hi) / lam_lo)[..., None]
        lam = np.asarray(lam_lo)[..., None] * np.exp(ratio * t)
    lo = eye_visibility(np.asarray(a_lo)[..., None], lam, c).min(axis=-1)
    hi = eye_visibility(np.asarray(a_hi)[..., None], lam, c).max(axis=-1)
    return lo, hi


def stage_factors(amp, lam, c, mean_edge_mm) -> dict[str, np.ndarray]:
    """Share of a band's energy each filter alone lets through (the budget; not verdicts).

    amp: semi-amplitude (mm), lam: wavelength (mm); a feature (bump or pore) is lam / 2 wide
    and 2 amp deep.
    """
    amp, lam = np.broadcast_arrays(np.asarray(amp, float), np.asarray(lam, float))
    width, depth = lam / 2.0, 2.0 * amp
    one = np.ones_like(lam)
    pr = c.printer
    lat = ramp(width / pr.lateral_cutoff_mm) if pr.lateral_cutoff_mm > 0 else one
    dep = ramp(depth / pr.layer_mm) if pr.layer_mm > 0 else one
    paint = (ramp(depth / c.paint_mm) * ramp(width / (2.0 * c.paint_mm))) if c.paint_mm > 0 else one
    mesh = ramp(lam / (2.0 * np.maximum(mean_edge_mm, 1e-300)))
    return {"mesh": mesh, "print": lat * dep, "paint": paint,
            "eye": ramp(eye_visibility(amp, lam, c))}


def cumulative(f: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out, acc = {}, 1.0
    for s in STAGES:
        acc = acc * f[s]
        out[s] = acc
    return out


# --------------------------------------------------------------------------- tri-state logic


def tri(lo, hi, threshold, compare: str) -> np.ndarray:
    """evidence.verdict, vectorised: _F when [lo, hi] lies wholly on the problem side."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    if compare == "below":
        v = np.where(hi < threshold, _F, np.where(lo >= threshold, _P, _U))
    else:
        v = np.where(lo > threshold, _F, np.where(hi <= threshold, _P, _U))
    return np.where(lo <= hi, v, _U).astype(np.int8)


def t_and(a, b):
    """A problem only when both are (a gate and a condition): pass as soon as one passes."""
    return np.where((a == _F) & (b == _F), _F, np.where((a == _P) | (b == _P), _P, _U)).astype(np.int8)


def t_or(a, b):
    """A problem when either is (two ways to fail one rule)."""
    return np.where((a == _F) | (b == _F), _F, np.where((a == _P) & (b == _P), _P, _U)).astype(np.int8)


def t_not(a):
    return np.where(a == _F, _P, np.where(a == _P, _F, _U)).astype(np.int8)


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


def _depth(sp, reg, rs, lam, amp, amp_lo, amp_hi):
    """Depth 2 a kappa of one component per region: kappa = the relief's 2-98 % spread over the
    spread of a sinusoid of the same rms (1 for a sinusoid, more for sparse pits), kept within
    1..PEAK_MAX so other bands cannot take over; read at the scale in the component's
    transition (sigma = RATIO / HALF x lam: coarser windows may hold form), and its interval
    also spans the reading at the plateau (sigma = PASS_S x lam). The two differ by how the
    reading rests on the scale: in the transition the residual's gain varies from point to
    point (heavier tails: kappa ~1.3-1.5 on pure sinusoids, depth read 30-60 % high), on the
    plateau a region straddling the relief's edge mixes in plain surface."""
    kap = _kappa(sp, reg, rs, lam, detail.RATIO / detail.HALF)
    kap_p = _kappa(sp, reg, rs, lam, detail.PASS_S)
    return (2.0 * amp * kap[0], 2.0 * amp_lo * np.minimum(kap[1], kap_p[1]),
            2.0 * amp_hi * np.maximum(kap[2], kap_p[2]))


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


def _undiluted(sp, reg, lam, amp, lo, hi, rng):
    """A component's amplitude [lo, hi] where its relief is, not averaged over plain surface:
    the plateau amplitude times sqrt(g), g the region's concentration of that relief
    (detail.concentration: 1 / the share of the region holding it), widened by Z_SAMPLING
    standard errors of its bootstrap. The depth needs no such step: its 2-98 % spread is read
    where the relief is already, and its peakedness divides the dilution back out."""
    if rng is None:
        return amp, lo, hi
    g, g_boot = detail.concentration(sp, reg, lam, rng)
    with np.errstate(invalid="ignore"):
        sd = np.sqrt(np.nan_to_num(detail.finite_var(0.5 * np.log(g_boot / g))))
    root = np.sqrt(g)
    return amp * root, lo * root * np.exp(-Z_SAMPLING * sd), hi * root * np.exp(Z_SAMPLING * sd)


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


def measure(sp, reg, rs, c, texture_band: np.ndarray, edge_r, facet_r,
            resolution, sagitta=None, rng=None, rows=None) -> Components:
    """The texture components of every region with their intervals (see Components).

    Component 1 peaks in the strongest texture band; its wavelength and amplitude are fitted
    continuously (detail.refine). Its fitted mean squares are removed at every scale and the
    remainder solved again: component 2 is what is left (never the same wave spread over two
    bands). The bootstrap replicates and misfit brackets go through the same steps. The amplitude
    is the relief's where it is (`_undiluted`; rng: its bootstrap, None to leave it diluted).
    """
    lams = sp.wavelengths_mm
    # a region's mean squares average a wave over its phase only where the region spans a
    # wavelength: relief coarser than the region (its equal-area diameter) is sampled on one
    # crest or flank, which neither the bootstrap (its points share that phase) nor the
    # jackknife sees, so such a component is not measured there
    span = 2.0 * np.sqrt(reg.area / np.pi)
    known = _bent_share(sp, reg) <= 1.0 - COARSER_KNOWN  # (R, K)
    amp_band = np.sqrt(2.0 * rs.energy)
    tex = texture_band[None, :] & (np.minimum(1.0, 2 * np.pi * amp_band / lams) >= MIN_CONTRAST)
    tot = np.where(tex, rs.energy, 0.0).sum(axis=1)
    ms = rs.mean_square
    res_l, res_a = resolution
    B = len(rs.boot)
    all_ms = _readable(sp, rs, np.concatenate([ms[None], rs.boot, rs.bracket]), rows)
    all_full = np.concatenate([rs.full[None], rs.boot_full, rs.bracket_full])
    fields = {k: [] for k in Components.__dataclass_fields__}
    eps = detail.model_error(sp)
    table = detail.window_table(sp, rs)  # shared by every fit below
    raw = []  # each component's plateau amplitude as the region's mean reads it
    for _ in range(2):  # two components
        j = np.argmax(np.where(tex, all_full[0, :, 1:-1], 0.0), axis=1)
        lam_all, amp_all, censored, window = detail.refine(sp, rs, all_ms, j, table=table)
        lam, amp = lam_all[0], amp_all[0]
        # the power table's own error, tilted across the component's transition (finer scales
        # up, coarser down, and the reverse): what moves the fitted wavelength most
        side = np.sign(np.log(sp.sigmas_mm[None, :] * detail.HALF / np.where(
            np.isfinite(lam), lam, 1.0)[:, None]))
        tilted = all_ms[0][None] * (1.0 + np.array([1.0, -1.0])[:, None, None] * eps * side)
        lam_m, amp_m, _, _ = detail.refine(sp, rs, tilted, j, table=table)
        # the same fit, on the same window, with each measured scale left out in turn
        lam_j, amp_j, _, _ = detail.refine(sp, rs, _leave_one_scale_out(all_ms[0]), window[0],
                                           walk=False, table=table)
        lam_lo, lam_hi = _interval(lam, lam_all[1:1 + B], np.concatenate([lam_all[1 + B:], lam_m]),
                                   res_l[j], lam_j)
        # a fit that stops at the ladder's end bounds the wavelength on one side only
        guard = detail.guard_bands(lams)
        lam_lo = np.where(censored[0] < 0, np.fmin(lam_lo, guard[0]), lam_lo)
        lam_hi = np.where(censored[0] > 0, np.fmax(lam_hi, guard[-1]), lam_hi)
        lam_lo, lam_hi = _window_cell(lam, lam_lo, lam_hi, span, guard[-1])
        amp_lo, amp_hi = _interval(amp, amp_all[1:1 + B], np.concatenate([amp_all[1 + B:], amp_m]),
                                   res_a[j], amp_j)
        depth, d_lo, d_hi = _depth(sp, reg, rs, lam, amp, amp_lo, amp_hi)
        share = np.divide(amp * amp / 2.0, tot, out=np.zeros_like(tot), where=tot > 0)
        raw.append(amp)  # the region's own mean: shares, the second component, the depth
        amp, amp_lo, amp_hi = _undiluted(sp, reg, lam, amp, amp_lo, amp_hi, rng)
        sag = sagitta if sagitta is not None else FACET_DEPTH * facet_r
        # faceting unless the depth is clearly (its whole interval) deeper than facets stand off
        facet = (lam < FACET_SPAN * facet_r) & (d_lo < sag)
        strong = raw[-1] >= SECOND_AMP * raw[0]
        with np.errstate(invalid="ignore"):
            valid = (np.isfinite(lam) & (amp > 0) & (share >= MIN_BAND_SHARE) & strong
                     & (lam >= SCULPT_EDGES * edge_r) & ~facet
                     & (np.pi * depth / lam >= MIN_CONTRAST) & (lam <= 2.0 * c.glance_mm)
                     & (lam <= span) & _coarser_known(sp.sigmas_mm, known, lam)
                     & (reg.count >= detail.REGION_FLOOR * detail.REGION_POINTS))
        for k, v in zip(Components.__dataclass_fields__,
                        (lam, lam_lo, lam_hi, amp, amp_lo, amp_hi, depth, d_lo, d_hi, share,
                         valid, j)):
            fields[k].append(v)
        # what this component explains at every scale, removed; the rest solved again
        fitted = (amp_all ** 2 / 2.0)[..., None] * sp.power(
            np.where(np.isfinite(lam_all), lam_all, lams[0]), rs.tilt)
        all_ms = all_ms - np.where(np.isfinite(lam_all)[..., None], fitted, 0.0)
        full, reps, _, _ = detail.solve_rows(rs.designs, all_ms[0], all_ms[1:], rs.noise)
        all_full = np.concatenate([full[None], reps])
    return Components(**{k: np.stack(v) for k, v in fields.items()})


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


def _pick(a, b, fa, fb):
    """Per element, a's numbers where a fails (or b does not), else b's."""
    use_a = (a[0] == _F) | (b[0] != _F)
    use_a = np.where((a[0] == _F) & (b[0] == _F), fa >= fb, use_a)
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


# --------------------------------------------------------------------------- the check


def run(model, conditions, analysis) -> CheckResult:
    c = conditions
    if model.n_faces == 0 or analysis.total_area <= 0:
        return CheckResult(FAMILY, "not-run", "the model has no surface to measure")
    sp = detail.spectrum(analysis)
    reg = analysis.cached("detail_regions", lambda a: detail.regions(sp))
    rs = analysis.cached("detail_region_spectra",
                         lambda a: detail.region_spectra(sp, reg, a.rng(detail.BOOT_SALT)))
    R = len(reg.count)
    # the region's mesh and facet sizes per unit of its surface (points are denser where faces
    # are smaller, so a plain mean over them would under-state the facets its relief comes from)
    pa = sp.point_area_mm2 if sp.point_area_mm2 is not None else np.ones(len(reg.label))
    wsum = np.bincount(reg.label, weights=pa, minlength=R)
    edge_r = np.bincount(reg.label, weights=pa * sp.point_edge_mm, minlength=R) / wsum
    facet_r = np.bincount(reg.label, weights=pa * sp.point_facet_mm, minlength=R) / wsum
    sagitta = facet_sagitta(sp, reg, facet_r)
    rows = detail.row_spacing(analysis.face_areas, sp, reg.label, pa, R)
    reg_part = _majority(reg.label, model.face_part()[sp.faces], R, len(model.part_names))
    mat = np.array([c.material_for(name) for name in model.part_names])
    reg_mat = mat[reg_part]
    hi_real = np.array([_texture_hi(c, m) for m in mat])[reg_part]  # NaN: no band (generic)
    texture_band = sp.wavelengths_mm <= 2.0 * c.glance_mm  # narrower than a glance footprint
    # regions without texture carry NaN and zero widths: they are masked (Components.valid),
    # so the arithmetic on them may overflow or divide by zero without consequence
    with np.errstate(all="ignore"):
        resolution = analysis.cached("detail_resolution",
                                     lambda a: detail.ladder_resolution(sp, rs))
        comp = measure(sp, reg, rs, c, texture_band, edge_r, facet_r, resolution, sagitta,
                       analysis.rng(CONC_SALT), rows)
        verdicts = judge(comp, c, hi_real[None, :], c.scale_n)
    ev = _evidence(verdicts, comp, c, edge_r)
    ctx = _Context(sp, reg, comp, c, reg_part, reg_mat, hi_real, model.part_names)
    findings = [f for code in CODES for f in _findings(code, verdicts[code], ctx)]
    findings += list(ev.findings("texture verdicts"))
    metrics = _budget(sp, reg, rs, c, texture_band, edge_r, comp)
    metrics["verdicts"] = ev.metrics()
    res_l, res_a = analysis.cached("detail_resolution", lambda a: detail.ladder_resolution(sp, rs))
    metrics["resolution"] = {"wavelength_log": [float(x) for x in res_l],
                             "amplitude_log": [float(x) for x in res_a]}
    layers = TextureLayers(sp, reg, comp, verdicts, c, model.n_faces, model)
    return CheckResult(FAMILY, "ok", None, metrics, tuple(findings), layers=layers,
                       measurements=_measurements(ctx, verdicts))


def facet_sagitta(sp, reg, facet_r: np.ndarray) -> np.ndarray:
    """(R,) the deepest relief faceting can make in each region: facets of longest edge h on a
    base form of curvature kappa (the median over the region's points of the largest curvature
    any scale fitted there) stand off it by at most h^2 kappa / 6, and never more than
    FACET_DEPTH h (where no scale fitted the base form, that bound). A ripple's own curvature,
    seen by the scales finer than it, cannot make it faceting: at lam >= 4 facets this is about a
    fifth of its depth (pi^2 h^2 / 3 lam^2)."""
    kap = sp.curvature if sp.curvature is not None else np.full(len(reg.label), np.inf)
    kap = np.where(np.isfinite(kap), kap, np.inf)
    o = np.lexsort((kap, reg.label))
    start = np.concatenate([[0], np.cumsum(reg.count)[:-1]])
    med = kap[o][start + reg.count // 2]  # each region's median (its points sorted by value)
    return facet_r * np.minimum(med * facet_r / 6.0, FACET_DEPTH)


def _majority(label: np.ndarray, part: np.ndarray, nreg: int, nparts: int) -> np.ndarray:
    if nparts == 1:
        return np.zeros(nreg, int)
    cnt = np.bincount(label * nparts + part, minlength=nreg * nparts).reshape(nreg, nparts)
    return np.argmax(cnt, axis=1)


def _texture_hi(conditions, material: str) -> float:
    band = conditions.material_props(material).get("texture_mm")
    return float(band[1]) if band else math.nan


def _settle(reason: str, c) -> str:
    """Why verdicts of one reason stayed open and what would settle them (read after
    "N because ...")."""
    pr, p = c.printer, c.paint_mm
    return {
        "print": f"the relief is within its own uncertainty of what the {pr.name} printer holds "
                 f"({_fmt(pr.lateral_cutoff_mm)} mm wide, {_fmt(pr.layer_mm)} mm deep): at risk, "
                 f"a test print decides",
        "paint": f"the recesses are within their uncertainty of what {_fmt(p)} mm of primer and "
                 f"paint fill: at risk, thin the paint or deepen them",
        "eye": f"the relief is within its uncertainty of the eye's threshold at "
               f"{_fmt(c.distance_mm)} mm",
        "material": "the material is 'generic', which has no real texture size: name it "
                    "(--material or --part-material skin, cloth, leather, metal, stone, wood, "
                    "hair)",
        "size": "its real size is within its uncertainty of the material's largest texture",
        "shadow": f"its depth:width is within its uncertainty of {SHADOW_RATIO:.2f}",
        "clutter": "its details per glance are within their uncertainty of what the eye "
                   "separates",
        "mesh": "the relief spans only a few edges of this mesh: export finer (edges under an "
                "eighth of its wavelength) to decide",
    }[reason]


def _evidence(verdicts: dict, comp: Components, c, edge_r) -> Evidence:
    """Count every valid component's verdicts per rule; say why the open ones stayed open."""
    ev = Evidence(FAMILY)
    near_mesh = comp.band <= 2  # the component's bands reach the ladder's finest (aliased) ones
    for code in CODES:
        v = verdicts[code]
        for state, name in _NAMES.items():
            n = int(((v.state == state) & comp.valid).sum())
            if n:
                ev.count(RULE[code], name, n)
        und = (v.state == _U) & comp.valid
        for i, key in enumerate(REASONS):
            sel = und & (v.reason == i)
            mesh = sel & near_mesh & (key not in ("material",))
            for k, m in (("mesh", mesh), (key, sel & ~mesh)):
                if m.any():
                    ev.unsure(k, _settle(k, c), int(m.sum()))
    return ev


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
        main = rs[int(np.argmax(_badness(v, pick[rs], rs, code)))]
        out.append(_finding(code, v, ctx, int(pick[main]), int(main), rs))
    return out


def _location(ctx: _Context, main: int, rs: np.ndarray) -> tuple[Location, str]:
    reg, sp = ctx.reg, ctx.sp
    w = reg.area[rs]
    centroid = tuple(float(x) for x in (reg.centroid[rs] * w[:, None]).sum(axis=0) / w.sum())
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


# --------------------------------------------------------------------------- what else it returns


def _measurements(ctx: _Context, verdicts: dict) -> tuple[Measurement, ...]:
    """Every judged component's wavelength, amplitude and depth with its interval, tagged with
    the first rule it failed (else the first it could not decide, else none: it passed)."""
    comp, reg = ctx.comp, ctx.reg
    states = np.stack([verdicts[code].state for code in CODES])  # (codes, C, R)
    fail, und = states == _F, states == _U
    first_f, first_u = np.argmax(fail, axis=0), np.argmax(und, axis=0)
    multi = len(ctx.part_names) > 1
    out = []
    for ci, r in zip(*np.nonzero(comp.valid)):  # judged components (hundreds), not faces
        if fail[:, ci, r].any():
            code, v = CODES[first_f[ci, r]], FAIL
        elif und[:, ci, r].any():
            code, v = CODES[first_u[ci, r]], UNDETERMINED
        else:
            code, v = None, PASS
        cen = tuple(float(x) for x in reg.centroid[r])
        part = ctx.part_names[ctx.reg_part[r]] if multi else None
        for kind, x, lo, hi in (("wavelength_mm", comp.lam, comp.lam_lo, comp.lam_hi),
                                ("amplitude_mm", comp.amp, comp.amp_lo, comp.amp_hi),
                                ("depth_mm", comp.depth, comp.depth_lo, comp.depth_hi)):
            out.append(Measurement(kind, float(x[ci, r]), float(lo[ci, r]), float(hi[ci, r]),
                                   cen, part, code, v))
    return tuple(out)


def _budget(sp, reg, rs, c, texture_band, edge_r, comp) -> dict:
    """The detail budget (DESIGN.md section 2): per band, the share of relief that survives
    mesh, print, paint and eye (cumulative), and the summary shares. The dominant wavelength
    and amplitude are the area-weighted medians of the regions' main texture components (the
    band estimate when no region has texture)."""
    lams = sp.wavelengths_mm
    J = len(lams)
    E = rs.energy
    area = reg.area
    total = float(area.sum())
    amp = np.sqrt(2.0 * E)
    cum = cumulative(stage_factors(amp, lams[None, :], c, edge_r[:, None]))
    Ew = E * area[:, None]
    band_tot = Ew.sum(axis=0)
    surv = {s: np.divide((Ew * cum[s]).sum(axis=0), band_tot, out=np.zeros(J), where=band_tot > 0)
            for s in STAGES}
    mean_E = band_tot / total
    glob_lam, glob_amp = detail.component(mean_E, lams, int(np.argmax(mean_E)))
    reg_lam = np.where(comp.valid[0], comp.lam[0], np.nan)
    reg_amp = np.where(comp.valid[0], comp.amp[0], np.nan)
    if comp.valid[0].any():
        glob_lam = _percentiles(reg_lam, area)["p50"]
        glob_amp = _percentiles(reg_amp, area)["p50"]
    has = E.sum(axis=1) > 0
    area_share = np.bincount(np.argmax(E, axis=1)[has], weights=area[has], minlength=J) / total
    base = float((Ew * cum["mesh"]).sum())

    def share_of(s):
        return float((Ew * cum[s]).sum() / base) if base > 0 else 0.0

    lost, prev = {}, 1.0
    for s in STAGES[1:]:
        cur = share_of(s)
        lost[s], prev = max(prev - cur, 0.0), cur
    contrast = np.minimum(1.0, 2.0 * np.pi * amp / lams[None, :])
    tex_E = np.where(texture_band[None, :] & (contrast >= MIN_CONTRAST), E, 0.0)
    visible = share_of("eye")
    return {
        "bands": [{"wavelength_mm": float(lams[j]), "amplitude_mm": float(math.sqrt(2 * mean_E[j])),
                   "area_share": float(area_share[j]),
                   "survives": {s: float(surv[s][j]) for s in STAGES}} for j in range(J)],
        "dominant_wavelength_mm": _num(glob_lam), "dominant_amplitude_mm": _num(glob_amp),
        "rms_detail_mm": float(math.sqrt(mean_E.sum())),
        "visible_detail_share": visible, "wasted_detail_share": 1.0 - visible if base > 0 else 0.0,
        "lost_share": lost,
        "below_mesh_share": 1.0 - base / float(Ew.sum()) if Ew.sum() > 0 else 0.0,
        "focal_concentration": _gini((tex_E * cum["eye"]).sum(axis=1), area),
        "details_per_glance_capacity": (c.glance_arcmin / CROWDING_ARCMIN) ** 2,
        "region_size_mm": reg.size_mm, "regions": int(len(reg.count)),
        "region_dominant_wavelength_mm": _percentiles(reg_lam, area),
        "region_amplitude_mm": _percentiles(reg_amp, area),
        "query_points": int(len(sp.points)), "mean_edge_mm": sp.median_edge_mm,
        "cutoffs_mm": {"mesh_wavelength": 2.0 * sp.median_edge_mm,
                       "print_width": c.printer.lateral_cutoff_mm,
                       "print_depth": c.printer.layer_mm, "paint_depth": c.paint_mm,
                       "eye_wavelength": 2.0 * c.resolvable_mm,
                       "texture_max_wavelength": 2.0 * c.glance_mm},
    }


@dataclass(frozen=True, eq=False)
class TextureLayers(FamilyLayers):
    """Per-face measured values for the pictures (computed on first use: each face takes the
    region of the nearest query point)."""

    sp: object
    reg: object
    comp: Components
    verdicts: dict
    conditions: object
    n_faces: int
    model: object

    @cached_property
    def _face_region(self) -> np.ndarray:
        from scipy.spatial import cKDTree

        tree = cKDTree(self.sp.points)
        v, f = self.model.vertices, self.model.faces
        out = np.empty(len(f), np.int64)
        step = 1 << 20
        for i in range(0, len(f), step):  # blocks of a million faces bound the temporaries
            out[i:i + step] = tree.query(v[f[i:i + step]].mean(axis=1), workers=-1)[1]
        return self.reg.label[out]

    def _per_face(self, per_region: np.ndarray) -> np.ndarray:
        return np.asarray(per_region, float)[self._face_region]

    @cached_property
    def face_wavelength_mm(self) -> np.ndarray:
        return self._per_face(np.where(self.comp.valid[0], self.comp.lam[0], np.nan))

    @cached_property
    def face_amplitude_mm(self) -> np.ndarray:
        return self._per_face(np.where(self.comp.valid[0], self.comp.amp[0], np.nan))

    @cached_property
    def face_depth_mm(self) -> np.ndarray:
        return self._per_face(np.where(self.comp.valid[0], self.comp.depth[0], np.nan))

    @cached_property
    def face_visibility(self) -> np.ndarray:
        c, comp = self.conditions, self.comp
        vis = eye_visibility(comp.depth[0] / 2.0, comp.lam[0], c)
        return self._per_face(np.where(comp.valid[0], vis, np.nan))

    @cached_property
    def face_code(self) -> np.ndarray:
        """The first texture code a face's region fails ("" none)."""
        codes = np.full(len(self.reg.count), "", dtype=object)
        for code in reversed(CODES):
            v = self.verdicts[code]
            bad = ((v.state == _F) & self.comp.valid).any(axis=0)
            codes[bad] = code
        return codes[self._face_region]

    def face_layers(self) -> tuple[FaceLayer, ...]:
        N = self.conditions.scale_n
        code_idx = np.array([CODES.index(x) + 1 if x else np.nan for x in CODES + ("",)])
        lookup = {x: code_idx[i] for i, x in enumerate(CODES + ("",))}
        return (FaceLayer("texture-wavelength", self.face_wavelength_mm * N, "mm real",
                          "texture wavelength at full size", note="dominant texture wavelength "
                          f"x {N:g}: compare with the material's real texture (grey: no texture)"),
                FaceLayer("texture-depth", self.face_depth_mm, "mm", "texture depth"),
                FaceLayer("texture-visible", self.face_visibility, "x eye threshold",
                          "texture visibility", note="weighted contrast c x S(f); 1 = just visible"),
                FaceLayer("texture-codes", np.array([lookup[x] for x in self.face_code], float),
                          "", "texture finding", kind="label"))


def _num(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _percentiles(x: np.ndarray, w: np.ndarray) -> dict:
    ok = np.isfinite(x)
    if not ok.any():
        return {"p10": None, "p50": None, "p90": None}
    x, w = x[ok], w[ok]
    o = np.argsort(x, kind="stable")
    cw = np.cumsum(w[o]) / w.sum()
    return {f"p{p}": float(x[o][min(np.searchsorted(cw, p / 100.0), len(x) - 1)])
            for p in (10, 50, 90)}


def _gini(x: np.ndarray, w: np.ndarray) -> float:
    """Area-weighted Gini coefficient: 0 = the same everywhere, -> 1 = all in one place."""
    if len(x) == 0 or x.sum() <= 0:
        return 0.0
    o = np.argsort(x, kind="stable")
    x, w = x[o], w[o]
    cw = np.cumsum(w) / w.sum()
    cx = np.cumsum(x * w) / (x * w).sum()
    b = np.sum((cx + np.concatenate([[0.0], cx[:-1]])) * np.diff(np.concatenate([[0.0], cw])))
    return float(max(0.0, 1.0 - b))


def _span(lo: float, hi: float) -> str:
    """'lo–hi' with as many digits as it takes to tell them apart (up to 4 significant)."""
    for digits in (2, 3, 4):
        a, b = f"{lo:.{digits}g}", f"{hi:.{digits}g}"
        if a != b:
            break
    return f"{a}–{b}"


def _fmt(x: float) -> str:
    if not math.isfinite(x):
        return str(x)
    if x >= 10:
        return f"{x:.0f}"
    if x >= 1:
        return f"{x:.1f}"
    if x >= 0.1:
        return f"{x:.2f}"
    return f"{x:.3f}"
